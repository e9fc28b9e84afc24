"""Factbase's management commands (``manage.py``), in ``commands/``."""
