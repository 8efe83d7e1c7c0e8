"""A notification for every failed run, so a sync that stops in the night is known by morning."""

import dagster as dg

from ..ops.notify import notify


@dg.run_failure_sensor(name="sync_failure_notifier", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Notifies (NOTIFY_WEBHOOK_URL / NOTIFY_SMTP_*) when a run of this project fails.")
def sync_failure_notifier(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    failed = [e.step_key for e in context.get_step_failure_events()]
    message = context.failure_event.message or "the run failed"
    notify(
        f"Run {run.job_name} failed",
        f"{message}\nFailed steps: {', '.join(failed) or 'none recorded'}\nRun id: {run.run_id}",
        {"run_id": run.run_id, "job": run.job_name, "failed_steps": failed, "tags": dict(run.tags)},
        logger=context.log,
    )
