from .back_office import (
    MerchantSaved,
    ProductStatus,
    PublishProduct,
    SaveMerchant,
    SaveProduct,
    publish_product,
    save_merchant,
    save_product,
)
from .browse import Browse, BrowsePage, browse_catalog
from .catalog_file import CatalogFile
from .payees import Payee, PayeeState, PayeeView, require_sellable, sale_refusal
from .product import ProductDetail, ShowProduct, show_product
from .sales import count_sale, forget_counted, total_sales
from .seed import load_catalog, write_off_retired

__all__ = [
    "Browse",
    "BrowsePage",
    "CatalogFile",
    "MerchantSaved",
    "Payee",
    "PayeeState",
    "PayeeView",
    "ProductDetail",
    "ProductStatus",
    "PublishProduct",
    "SaveMerchant",
    "SaveProduct",
    "ShowProduct",
    "browse_catalog",
    "count_sale",
    "forget_counted",
    "load_catalog",
    "publish_product",
    "require_sellable",
    "sale_refusal",
    "save_merchant",
    "save_product",
    "show_product",
    "total_sales",
    "write_off_retired",
]
