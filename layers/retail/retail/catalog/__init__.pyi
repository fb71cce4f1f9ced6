from .browse import Browse, BrowsePage, browse_catalog
from .catalog_file import CatalogFile
from .product import ProductDetail, ShowProduct, show_product
from .seed import load_catalog, save_product, write_off_retired

__all__ = [
    "Browse",
    "BrowsePage",
    "CatalogFile",
    "ProductDetail",
    "ShowProduct",
    "browse_catalog",
    "load_catalog",
    "save_product",
    "show_product",
    "write_off_retired",
]
