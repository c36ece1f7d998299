from django.apps import AppConfig


class IssuanceConfig(AppConfig):
    name = "govdoc.issuance"
    label = "issuance"
    verbose_name = "Issuance"
    default_auto_field = "django.db.models.BigAutoField"
