"""Entry channels from WeChat mini-program scene values (developers.weixin.qq.com,
miniprogram/dev/reference/scene-list): where a visit came from."""

from __future__ import annotations

CHANNELS = {
    "share": (1007, 1008, 1036, 1044, 1073),
    "qrcode": (1011, 1012, 1013, 1025, 1031, 1032, 1047, 1048, 1049),
    "search": (1005, 1006, 1027, 1042, 1053),
    "official_account": (1035, 1043, 1058, 1074, 1082),
    "ads": (1045, 1046, 1067, 1068, 1084),
    "nearby": (1026,),
    "direct": (1001, 1010, 1022, 1023, 1089, 1090, 1104),
    "message": (1014, 1107),
    "payment": (1034, 1060),
}
_BY_SCENE = {scene: name for name, scenes in CHANNELS.items() for scene in scenes}
UNKNOWN = "unknown"


def channel_of(scene: int | None) -> str:
    """The channel a scene value belongs to ("other" for scenes outside the list)."""
    if scene is None:
        return UNKNOWN
    return _BY_SCENE.get(scene, "other")
