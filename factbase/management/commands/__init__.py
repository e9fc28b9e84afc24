"""One module a ``manage.py`` command."""
