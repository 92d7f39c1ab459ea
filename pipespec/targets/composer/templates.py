"""Runtime code the generated DAG file carries: alert publishing, SLA checks, retry policy, test stand-ins.

Each block is plain Python that runs inside Airflow (2.10 and 3.x). Nothing here runs at DAG-parse
time except definitions: imports of providers happen inside the functions that need them.
"""

from __future__ import annotations

# The start of `_publish`, shared by every Airflow flavour: the pipespec alert message itself
# (pipespec/alerts.py). Each flavour appends how it delivers the message.
_ALERT_MESSAGE = """

# ── Alerts: one JSON message per event (the pipespec alert contract) to the pipeline's __DESTINATION__ ──
def _publish(event, channels, context, task_id="", error="", cause=""):
    ti = context.get("ti") or context.get("task_instance")
    try:
        run_url = ti.log_url if ti is not None else ""
    except Exception:  # no URL is better than no alert
        run_url = ""
    message = {
        "event": event,
        "pipeline": DAG_ID,
        "task": task_id,
        "environment": ENVIRONMENT,
        "platform": "__PLATFORM__",
        "error": error,
        "cause": cause[:MAX_CAUSE_CHARS],
        "run_url": run_url,
        "next": NEXT_STEP[event],
    }
"""


def alert_message(destination: str, platform: str) -> str:
    """The opening of the generated `_publish`: builds the alert message for `platform`."""
    return _ALERT_MESSAGE.replace("__DESTINATION__", destination).replace("__PLATFORM__", platform)


PUBSUB_PUBLISH = (
    alert_message("Pub/Sub topic", "composer")
    + """\
    channels = sorted(set(channels))
    # Routing contract (pipespec.notify_plan.routing): subscribers and log-based policies filter on these.
    attributes = {k: message[k] for k in ("event", "pipeline", "task", "environment") if message[k]}
    attributes["channels"] = ",".join(channels)
    capture = os.environ.get("PIPESPEC_ALERTS_FILE")
    if capture:  # test hook (docs/targets/composer.md): write alerts to a local file instead of Pub/Sub
        with open(capture, "a", encoding="utf-8") as out:
            out.write(json.dumps({"attributes": attributes, "message": message}, sort_keys=True) + "\\n")
        return
    project = topic = ""
    try:
        _, project, _, topic = ALERT_TOPIC.split("/")
        from airflow.providers.google.cloud.hooks.pubsub import PubSubHook

        PubSubHook(gcp_conn_id=GCP_CONN_ID).publish(
            project_id=project,
            topic=topic,
            messages=[{"data": json.dumps(message, sort_keys=True).encode(), "attributes": attributes}],
        )
    except Exception:  # an alert that cannot be sent must not change the task's outcome
        logging.getLogger(__name__).exception("pipespec: could not publish a %s alert to %s", event, ALERT_TOPIC)
    try:  # the structured entry Cloud Monitoring's log-based alert policies match (log "pipespec-alerts")
        from google.cloud import logging as cloud_logging

        entry = {**message, "channels": channels}
        levels = {"failure": "ERROR", "timeout": "ERROR", "retry": "WARNING", "sla_miss": "WARNING"}
        client = cloud_logging.Client(project=project or None)
        client.logger(ALERT_LOG).log_struct(entry, severity=levels.get(event, "INFO"))
    except Exception:
        logging.getLogger(__name__).exception("pipespec: could not log a %s alert to %s", event, ALERT_LOG)
"""
)

CALLBACKS = '''

def _task_id(context):
    ti = context.get("ti") or context.get("task_instance")
    return ti.task_id if ti is not None else ""


def _error(context):
    exc = context.get("exception")
    if exc is None:
        return "", ""
    return type(exc).__name__, str(exc)


def _elapsed_s(start, end):
    if start is None:
        return 0.0
    return ((end or datetime.now(timezone.utc)) - start).total_seconds()


def _on_failure(channels):
    def callback(context):
        error, cause = _error(context)
        event = "timeout" if error == "AirflowTaskTimeout" else "failure"
        _publish(event, channels, context, _task_id(context), error or "failed", cause)

    return callback


def _on_retry(channels):
    def callback(context):
        error, cause = _error(context)
        _publish("retry", channels, context, _task_id(context), error or "failed", cause)

    return callback


def _on_event(event, channels):
    def callback(context):
        _publish(event, channels, context, _task_id(context))

    return callback


def _task_sla(seconds, channels):
    """Task SLA ("alert when the task runs longer than this"): checked when the task succeeds."""

    def callback(context):
        ti = context.get("ti") or context.get("task_instance")
        took = _elapsed_s(getattr(ti, "start_date", None), getattr(ti, "end_date", None))
        if took > seconds:
            cause = f"task ran {took:.0f}s; its SLA is {seconds}s"
            _publish("sla_miss", channels, context, _task_id(context), "SLA missed", cause)

    return callback


def _on_run_event(event, channels):
    """DAG-level event (no task)."""

    def callback(context):
        _publish(event, channels, context)

    return callback


def _run_failed(channels):
    """DAG-level failure: tasks report their own failures, so only a run timeout is reported here."""

    def callback(context):
        if context.get("reason") == "timed_out":
            cause = f"the run exceeded dagrun_timeout ({PIPELINE_TIMEOUT_S}s)"
            _publish("timeout", channels, context, "", "dagrun_timeout", cause)

    return callback
'''

# The Composer flavour's alert runtime: Pub/Sub publishing plus the shared callback factories.
ALERTS = PUBSUB_PUBLISH + CALLBACKS

RUN_SLA = '''

def _run_sla(seconds, channels):
    """Pipeline SLA on Airflow 3 (no sla_miss_callback): the run's duration, checked when the run ends."""

    def callback(context):
        run = context.get("dag_run")
        took = _elapsed_s(getattr(run, "start_date", None), getattr(run, "end_date", None))
        if took > seconds:
            cause = f"run took {took:.0f}s; the pipeline SLA is {seconds}s"
            _publish("sla_miss", channels, context, "", "SLA missed", cause)

    return callback
'''

SLA_MISS_CALLBACK = '''

def _sla_miss(channels):
    """Airflow 2 sla_miss_callback: the scheduler calls it when leaf tasks are not done within the SLA."""

    def callback(dag, task_list, blocking_task_list, slas, blocking_tis):
        tasks = sorted({sla.task_id for sla in slas})
        cause = f"not done within the pipeline SLA ({PIPELINE_SLA_S}s): {', '.join(tasks)}"
        _publish("sla_miss", channels, {}, "", "SLA missed", cause)

    return callback
'''

RETRY_POLICY = '''

try:  # Airflow 3.3+: retries wait exactly the spec's delays (Airflow's own backoff adds jitter)
    from airflow.sdk.definitions.retry_policy import RetryDecision, RetryPolicy
except ImportError:  # Airflow 3.1-3.2: retry_delay/retry_exponential_backoff apply instead (see the docs)
    RetryPolicy = None

if RetryPolicy is not None:

    class SpecRetryDelays(RetryPolicy):
        """The delay before retry n is delays[n-1]; timeouts fail at once unless the spec retries them."""

        def __init__(self, delays, retry_on_timeout):
            self.delays = tuple(delays)
            self.retry_on_timeout = retry_on_timeout

        def evaluate(self, exception, try_number, max_tries, context=None):
            if not self.retry_on_timeout and type(exception).__name__ == "AirflowTaskTimeout":
                return RetryDecision.fail("timed out; the pipeline spec does not retry timeouts")
            wait = self.delays[min(try_number, len(self.delays)) - 1]
            return RetryDecision.retry(timedelta(seconds=wait), f"spec retry delay {wait}s")

        def serialize(self):
            return {"delays": list(self.delays), "retry_on_timeout": self.retry_on_timeout}


def _retry_policy(delays, retry_on_timeout):
    """Operator kwargs for the exact retry policy, or none where this Airflow has no retry_policy."""
    return {"retry_policy": SpecRetryDelays(delays, retry_on_timeout)} if RetryPolicy is not None else {}
'''

STATUS_IN = """

def _status_in(*codes):
    def check(response):
        return response.status_code in codes

    return check
"""

RUN_SCRIPT = """

def _run_script(path, args):
    import runpy
    import sys

    sys.argv = [path, *args]
    runpy.run_path(path, run_name="__main__")
"""

STAND_IN = '''

def _stand_in(**context):
    """Test flavour: stands in for the task's real command (docs/targets/composer.md, "Test hook").

    $PIPESPEC_STAND_INS names a JSON file {task_id: "ok" | "fail" | "fail_once" | "sleep:<seconds>"};
    every try is appended to $PIPESPEC_STAND_IN_LOG. Retries, trigger rules and callbacks stay Airflow's.
    """
    import time

    ti = context["ti"]
    behaviour = "ok"
    if os.environ.get("PIPESPEC_STAND_INS"):
        with open(os.environ["PIPESPEC_STAND_INS"], encoding="utf-8") as f:
            behaviour = json.load(f).get(ti.task_id, "ok")
    if os.environ.get("PIPESPEC_STAND_IN_LOG"):
        with open(os.environ["PIPESPEC_STAND_IN_LOG"], "a", encoding="utf-8") as out:
            out.write(json.dumps({"task": ti.task_id, "try": ti.try_number}) + "\\n")
    if behaviour.startswith("sleep:"):
        time.sleep(float(behaviour.split(":", 1)[1]))
    elif behaviour == "fail" or (behaviour == "fail_once" and ti.try_number == 1):
        raise RuntimeError(f"stand-in for {ti.task_id} failed (try {ti.try_number})")
'''
