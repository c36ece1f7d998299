from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "govdoc.approvals"
    label = "approvals"
    verbose_name = "Approvals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from govdoc.approvals.selectors import documents_on_lines_of
        from govdoc.documents.access import grant_register

        # The approvers of a document's line read the document they decide on.
        grant_register(documents_on_lines_of)
