from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "govdoc.applications"
    label = "applications"
    verbose_name = "Applications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # An approval line that carries an application's decision ends: apply its outcome.
        from govdoc.applications.receivers import on_line_finished
        from govdoc.approvals.signals import line_finished

        line_finished.connect(on_line_finished, dispatch_uid="applications.on_line_finished")
        # What an application's line approves, as it is now: a decision on changed content
        # is refused.
        from govdoc.applications.receivers import line_content_sha256
        from govdoc.approvals.content import content_source_register

        content_source_register(line_content_sha256)
