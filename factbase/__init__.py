"""Factbase: a database of sourced claims (the Django project, and its one app)."""
