from .rights import (
    DeleteMe,
    Erased,
    ExportMe,
    MyData,
    delete_my_data,
    export_my_data,
    finish_erasures,
)

__all__ = [
    "DeleteMe",
    "Erased",
    "ExportMe",
    "MyData",
    "delete_my_data",
    "export_my_data",
    "finish_erasures",
]
