from .push import PushRequest, handle_push, is_from_wechat

__all__ = ["PushRequest", "handle_push", "is_from_wechat"]
