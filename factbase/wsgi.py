"""The WSGI entry point, what gunicorn serves (deploy/gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factbase.settings")
application = get_wsgi_application()
