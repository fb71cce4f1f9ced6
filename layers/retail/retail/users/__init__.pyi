"""Users: signing in (CloudBase identity or wx.login code) and the user's own profile."""

from .login import Login, LoginAnswer, login
from .profile import MyProfile, ShowMe, show_me

__all__ = ["Login", "LoginAnswer", "MyProfile", "ShowMe", "login", "show_me"]
