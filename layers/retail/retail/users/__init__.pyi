from .login import Login, LoginAnswer, login
from .profile import MyProfile, ShowMe, show_me

__all__ = ["Login", "LoginAnswer", "MyProfile", "ShowMe", "login", "show_me"]
