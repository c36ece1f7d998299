from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "govdoc.jobs"
    label = "jobs"
    verbose_name = "Background work"
    default_auto_field = "django.db.models.BigAutoField"
