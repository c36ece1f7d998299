from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "govdoc.procedures"
    label = "procedures"
    verbose_name = "Procedures"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A task that produces a document completes when its document is sent, or when the
        # countersignature of a party on another node is registered here.
        from govdoc.distribution.signals import answer_registered, outgoing_settled
        from govdoc.procedures.services.documents import on_answer_registered, on_outgoing_settled

        outgoing_settled.connect(on_outgoing_settled, dispatch_uid="procedures.on_outgoing_settled")
        answer_registered.connect(on_answer_registered, dispatch_uid="procedures.on_answer_registered")
        # A service's applications may be handled by a procedure: each step of an application
        # moves it, in the step's own transaction (and the procedure may refuse the step).
        from govdoc.applications.signals import handling_step
        from govdoc.procedures.services.handling import on_handling_step

        handling_step.connect(on_handling_step, dispatch_uid="procedures.on_handling_step")
        # Tasks for a party on another node, and their results, travel as signed messages.
        from govdoc.distribution.signals import message_received, message_undelivered
        from govdoc.procedures.services.remote import on_message_received, on_message_undelivered

        message_received.connect(on_message_received, dispatch_uid="procedures.on_message_received")
        message_undelivered.connect(on_message_undelivered, dispatch_uid="procedures.on_message_undelivered")
