"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from config import startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
# Fail at start-up, not on the first signed cookie.
startup.require_secret_key()
