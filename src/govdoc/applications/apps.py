from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "govdoc.applications"
    label = "applications"
    verbose_name = "Applications"
    default_auto_field = "django.db.models.BigAutoField"
