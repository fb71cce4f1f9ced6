"""What the demo's shoppers are made of (scripts/demo_traffic.py plays them): the scenes they
arrive by, the goods they browse, the address they ship to, and what they write in feedback
and reviews. Data only, kept apart from how a day is played."""

from __future__ import annotations

SCENES = [1001, 1007, 1008, 1011, 1047, 1053, 1058, 1026, 1045]
SKUS = [
    "p-mango-1",
    "p-blueberry-1",
    "p-eggs-1",
    "p-milk-1",
    "p-rice-1",
    "p-walnut-1",
    "p-tomato-1",
    "p-pork-1",
    "p-bread-1",
    "p-coffee-1",
]
FEEDBACK = [
    ("suggestion", "希望早上也能配送"),
    ("complaint", "芒果到的时候有两个压坏了"),
    ("suggestion", "能不能增加自提点，南屏街附近最好"),
    ("complaint", "配送员没有打电话就放在门口了"),
    ("suggestion", "希望有更多本地特产，比如鲜花饼的小包装"),
    ("complaint", "优惠券显示可用但下单时用不了"),
]
REVIEWS = {
    5: ["新鲜，孩子很喜欢", "比超市的好吃，还会回购", "包装很用心，冰袋还没化"],
    4: ["不错，就是个头小了点", "味道好，送得也快"],
    3: ["一般，和图片有点差距"],
    2: ["有几个坏了，联系客服换了"],
}
ADDRESS = {
    "userName": "顾客",
    "provinceName": "云南省",
    "cityName": "昆明市",
    "countyName": "五华区",
    "postalCode": "650000",
}
