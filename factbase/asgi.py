"""The ASGI entry point (the image serves WSGI through gunicorn; see deploy/)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")
application = get_asgi_application()
