from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "govdoc.procedures"
    label = "procedures"
    verbose_name = "Procedures"
    default_auto_field = "django.db.models.BigAutoField"
