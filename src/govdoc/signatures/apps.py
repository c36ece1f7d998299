from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "govdoc.signatures"
    label = "signatures"
    verbose_name = "Signatures"
    default_auto_field = "django.db.models.BigAutoField"
