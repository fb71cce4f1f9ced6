"""Personal information rights (个人信息保护法): a user's own data out, and erasure."""

from .rights import DeleteMe, Erased, ExportMe, MyData, delete_my_data, export_my_data

__all__ = ["DeleteMe", "Erased", "ExportMe", "MyData", "delete_my_data", "export_my_data"]
