"""What the app needs to run, and no domain: middleware, the replica router, logs, error pages, the login
lockout's glue, the database adapters, statement time limits, held interrupts, and the system checks.

Settings name these modules by their dotted paths (``MIDDLEWARE``, ``DATABASE_ROUTERS``, ``LOGGING``, the
``AXES_*`` callables, ``CSRF_FAILURE_VIEW``) and ``factbase/urls.py`` names the error views.
"""
