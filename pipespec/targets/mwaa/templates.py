"""Runtime code only the MWAA flavour of the DAG file carries: SNS alert publishing and SQL check operators.

The callbacks that call `_publish` (failure, retry, SLA …) are the Composer generator's, shared
(`pipespec.targets.composer.templates.CALLBACKS`). Providers are imported inside the functions that
need them, so nothing AWS runs at DAG-parse time.
"""

from __future__ import annotations

from ..composer.templates import alert_message

SNS_HOOK_MODULE = "airflow.providers.amazon.aws.hooks.sns"

SNS_PUBLISH = (
    alert_message("SNS topic", "mwaa")
    + """\
    # Routing contract (pipespec.notify_plan.routing): each subscription filters on the `channels` attribute,
    # which SnsHook sends as a String.Array.
    attributes = {"channels": sorted(set(channels))}
    subject = ALERT_SUBJECTS[event].replace("{task}", f".{task_id}" if task_id else "")
    subject = subject if len(subject) <= 99 else subject[:96] + "..."  # SNS subjects: under 100 characters
    capture = os.environ.get("PIPESPEC_ALERTS_FILE")
    if capture:  # test hook (docs/targets/mwaa.md): write alerts to a local file instead of SNS
        record = {"message_attributes": attributes, "message": message, "subject": subject, "topic": ALERT_TOPIC_ARN}
        with open(capture, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, sort_keys=True) + "\\n")
        return
    try:
        from airflow.providers.amazon.aws.hooks.sns import SnsHook

        SnsHook(aws_conn_id=AWS_CONN_ID, region_name=ALERT_TOPIC_ARN.split(":")[3]).publish_to_target(
            target_arn=ALERT_TOPIC_ARN,
            message=json.dumps(message, sort_keys=True, ensure_ascii=False),
            subject=subject,
            message_attributes=attributes,
        )
    except Exception:  # an alert that cannot be sent must not change the task's outcome
        logging.getLogger(__name__).exception("pipespec: could not publish a %s alert to %s", event, ALERT_TOPIC_ARN)
"""
)

CHECK_ROW = '''

def _check_row(task_id, row):
    """SQLCheckOperator's rule: the query returns a first row and every value in it is true."""
    if row is None:
        raise ValueError(f"{task_id}: the check query returned no rows")

    def true(value):  # Athena and the Redshift Data API return text and typed fields: read them as SQL values
        if value is None:
            return False
        text = str(value).strip().lower()
        if text in ("", "false", "f", "0"):
            return False
        try:
            return float(text) != 0
        except ValueError:
            return True

    if not all(true(v) for v in row):
        raise ValueError(f"{task_id}: check failed, the first row is {row!r}")
'''

ATHENA_CHECK = """

class AthenaCheckOperator(AthenaOperator):
    \"\"\"AthenaOperator + check: runs the query, then fails unless every value of its first row is true.\"\"\"

    def execute(self, context):
        query_id = super().execute(context)
        results = self.hook.get_query_results(query_execution_id=query_id, max_results=2) or {}
        rows = results.get("ResultSet", {}).get("Rows", [])
        # The first row of a SELECT's results holds the column names.
        _check_row(self.task_id, [cell.get("VarCharValue") for cell in rows[1]["Data"]] if len(rows) > 1 else None)
        return query_id
"""

REDSHIFT_CHECK = """

class RedshiftDataCheckOperator(RedshiftDataOperator):
    \"\"\"RedshiftDataOperator + check: runs the query, then fails unless every value of its first row is true.\"\"\"

    def execute(self, context):
        results = super().execute(context)  # return_sql_result=True: GetStatementResult of each statement
        records = (results[-1].get("Records") or []) if results else []
        row = [None if f.get("isNull") else next(iter(f.values())) for f in records[0]] if records else None
        _check_row(self.task_id, row)
"""

# name -> block, in the order the file defines them (the check row helper before the classes using it).
HELPERS: tuple[tuple[str, str], ...] = (
    ("check_row", CHECK_ROW),
    ("athena_check", ATHENA_CHECK),
    ("redshift_check", REDSHIFT_CHECK),
)
