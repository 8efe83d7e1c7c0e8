"""A notification for every failed run, so a sync that stops in the night is known by morning."""

import dagster as dg

from ..http.errors import redact
from .notify import NotifyResource


@dg.run_failure_sensor(name="sync_failure_notifier", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Notifies (NOTIFY_WEBHOOK_URL / NOTIFY_SMTP_*) when a run of this project fails.")
def sync_failure_notifier(context: dg.RunFailureSensorContext, notifier: NotifyResource) -> None:
    run = context.dagster_run
    steps = context.get_step_failure_events()
    failed = [e.step_key for e in steps]
    # Our errors carry what the API said and never a credential (http/errors.py), so they can be sent. Redacted
    # before they are cut: a cut through a secret would leave a prefix the notifier no longer recognises.
    reasons = [f"{e.step_key}: {redact(_root_cause(e.event_specific_data.error))[:300]}"
               for e in steps if e.event_specific_data and e.event_specific_data.error]
    message = context.failure_event.message or "the run failed"
    notifier.send(
        f"Run {run.job_name} failed",
        "\n".join([message, *reasons, f"Run id: {run.run_id}"]),
        {"run_id": run.run_id, "job": run.job_name, "failed_steps": failed, "tags": dict(run.tags)},
        logger=context.log,
    )


def _root_cause(error) -> str:
    """Dagster wraps the exception a step raised; the user wants the innermost message."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return error.message.strip()
