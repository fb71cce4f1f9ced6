from retail.analytics import Track, Tracked, track
from retail.core import Caller, cloud_function


@cloud_function(Track, response=Tracked)
def main_handler(cmd: Track, caller: Caller) -> Tracked:
    return track(cmd, openid=caller.require_openid(), appid=caller.appid, unionid=caller.unionid)
