from django.apps import AppConfig


class FactbaseConfig(AppConfig):
    name = "factbase"
    verbose_name = "Factbase"
    default_auto_field = "django.db.models.BigAutoField"
