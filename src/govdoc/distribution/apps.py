from django.apps import AppConfig


class DistributionConfig(AppConfig):
    name = "govdoc.distribution"
    label = "distribution"
    verbose_name = "Distribution"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A line over an outgoing document ends: send it, or take it back to the drafter.
        from govdoc.approvals.content import content_source_register
        from govdoc.approvals.signals import line_finished
        from govdoc.distribution.receivers import line_content_sha256, on_line_finished

        line_finished.connect(on_line_finished, dispatch_uid="distribution.on_line_finished")
        # What an outgoing document's line approves, as it is now: a decision on a draft that
        # changed after it was sent is refused.
        content_source_register(line_content_sha256)
