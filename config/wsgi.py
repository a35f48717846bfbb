"""WSGI entry point."""

import os

from django.core.wsgi import get_wsgi_application

from config import startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Fail at start-up, not on the first signed cookie.
startup.require_secret_key()
