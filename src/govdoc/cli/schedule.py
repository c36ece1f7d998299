"""The periodic jobs every ``govdoc worker`` offers to run; each runs once per interval across
the installation, whichever worker gets to it first (``jobs.services.periodic_tick``)."""

from __future__ import annotations

from django.conf import settings

from govdoc.jobs.services import PeriodicSpec


def periodic_specs() -> list[PeriodicSpec]:
    from govdoc.distribution.tasks import node_crls_refresh_run
    from govdoc.issuance.tasks import archive_renew_run, issued_interrupted_sweep_run
    from govdoc.jobs.tasks import work_recover_run
    from govdoc.procedures.tasks import procedures_tick_run
    from govdoc.signatures.tasks import audit_checkpoint_make

    return [
        PeriodicSpec("work-recover", work_recover_run, settings.GOVDOC_RECOVER_INTERVAL),
        PeriodicSpec("audit-checkpoint", audit_checkpoint_make, settings.GOVDOC_CHECKPOINT_INTERVAL),
        PeriodicSpec("issuance-interrupted-sweep", issued_interrupted_sweep_run, 600),
        PeriodicSpec("archive-timestamp-renewal", archive_renew_run, settings.GOVDOC_ARCHIVE_RENEW_INTERVAL),
        PeriodicSpec(
            "federation-crl-refresh", node_crls_refresh_run, settings.GOVDOC_FEDERATION_CRL_INTERVAL
        ),
        PeriodicSpec("procedures-timers", procedures_tick_run, settings.GOVDOC_PROCEDURES_TICK_INTERVAL),
    ]
