from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "govdoc.accounts"
    label = "accounts"
    verbose_name = "Agencies and people"
    default_auto_field = "django.db.models.BigAutoField"
