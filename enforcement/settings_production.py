"""Production profile: `DJANGO_SETTINGS_MODULE=enforcement.settings_production`.

DEBUG is off, so SECRET_KEY must come from the environment; HTTPS everywhere.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")

from enforcement.env import env_bool, env_int  # noqa: E402
from enforcement.settings import *  # noqa: E402,F403

DEBUG = False
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
