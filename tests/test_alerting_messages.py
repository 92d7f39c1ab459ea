"""The alert as people read it: Slack blocks, Teams card, email, webhook JSON (pure renderers)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pipespec.alerts import ALERT_FIELDS, MAX_CAUSE_CHARS, NEXT_STEP
from pipespec.notify_plan import (
    alarm_description,
    alert_log_entry,
    email_text,
    from_cloudwatch_alarm,
    normalize,
    slack_payload,
    sns_message,
    teams_payload,
    webhook_payload,
)

FAILURE = {
    "event": "failure",
    "pipeline": "prod_medallion_daily_refresh",
    "task": "silver_quality_check",
    "environment": "prod",
    "platform": "stepfunctions",
    "error": "States.TaskFailed",
    "cause": "dbt test failed: 3 of 41 tests failed (not_null_orders_id)",
    "run_url": "https://console.aws.amazon.com/states/home#/executions/details/arn:x",
}


def text_of(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_slack_message_has_what_matters_at_2am() -> None:
    p = slack_payload(FAILURE)
    assert p["text"] == "🔴 [prod] prod_medallion_daily_refresh.silver_quality_check FAILED"
    body = text_of(p["blocks"])
    for value in ("silver_quality_check", "prod", "stepfunctions", "States.TaskFailed", "not_null_orders_id"):
        assert value in body
    assert NEXT_STEP["failure"] in body  # filled in when the publisher did not say
    button = p["blocks"][-1]["elements"][0]
    assert button["url"] == FAILURE["run_url"] and button["text"]["text"] == "Open run"


def test_slack_escapes_markup_and_code_fences() -> None:
    p = slack_payload({**FAILURE, "error": "<!channel> & co", "cause": "a ``` b"})
    body = text_of(p["blocks"])
    assert "&lt;!channel&gt; &amp; co" in body and "<!channel>" not in body
    assert body.count("```") == 2  # the fence around the cause, not one from inside it


def test_teams_card_and_event_colors() -> None:
    card = teams_payload(FAILURE)["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    content = card["content"]
    assert content["type"] == "AdaptiveCard" and content["body"][0]["color"] == "Attention"
    facts = {f["title"]: f["value"] for f in content["body"][1]["facts"]}
    assert facts["Task"] == "silver_quality_check" and facts["Error"] == "States.TaskFailed"
    assert content["actions"] == [{"type": "Action.OpenUrl", "title": "Open run", "url": FAILURE["run_url"]}]
    retry = teams_payload({**FAILURE, "event": "retry"})["attachments"][0]["content"]
    assert retry["body"][0]["color"] == "Warning"
    assert "Retrying automatically" in text_of(retry)


def test_email_subject_fits_sns_and_body_reads_top_down() -> None:
    subject, body = email_text({**FAILURE, "pipeline": "p" * 200 + "é"})
    assert len(subject) < 100 and subject.isascii() and "\n" not in subject
    _, body = email_text(FAILURE)
    lines = body.splitlines()
    assert lines[0] == "[prod] prod_medallion_daily_refresh.silver_quality_check FAILED"
    assert "Task:        silver_quality_check" in lines
    assert f"Run:  {FAILURE['run_url']}" in lines and lines[-1].startswith("Next: Stopped")


def test_webhook_gets_the_contract_plus_a_title() -> None:
    p = webhook_payload(FAILURE)
    assert set(p) == {*FAILURE, "next", "title"}
    assert p["next"] == NEXT_STEP["failure"]


def test_pipeline_level_event_without_task_or_link() -> None:
    msg = {"event": "sla_miss", "pipeline": "orders", "environment": "dev"}
    p = slack_payload(msg)
    assert p["text"] == "🟠 [dev] orders SLA missed"
    assert all(b["type"] != "actions" for b in p["blocks"])  # no link, no button
    assert "Task" not in text_of(p) and "Error" not in text_of(p)


def test_unknown_event_is_shown_not_dropped() -> None:
    msg = normalize({"event": "exploded", "pipeline": "p", "error": "boom"})
    assert msg["event"] == "failure" and msg["error"] == "[exploded] boom"


def test_cloudwatch_alarm_becomes_an_alert() -> None:
    description = alarm_description({"event": "sla_miss", "pipeline": "prod_orders", "environment": "prod"})
    alarm = {
        "AlarmName": "prod_orders-sla",
        "AlarmDescription": description,
        "NewStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed: 1 datapoint [14400.0] was greater than the threshold (14400.0).",
        "AlarmArn": "arn:aws:cloudwatch:eu-west-1:111122223333:alarm:prod_orders-sla",
    }
    msg = from_cloudwatch_alarm(alarm)
    assert msg is not None
    assert msg["event"] == "sla_miss" and msg["pipeline"] == "prod_orders"
    assert msg["cause"].startswith("Threshold Crossed")
    assert msg["run_url"].startswith("https://eu-west-1.console.aws.amazon.com/cloudwatch/")
    assert from_cloudwatch_alarm({**alarm, "NewStateValue": "OK"}) is None
    plain = from_cloudwatch_alarm({**alarm, "AlarmDescription": "free text"})
    assert plain is not None and plain["event"] == "failure" and plain["error"] == "alarm prod_orders-sla"


def test_sns_message_structure_gives_email_text_and_json_default() -> None:
    body = json.loads(sns_message(FAILURE))
    assert set(body) == {"default", "email"}
    assert json.loads(body["default"])["task"] == "silver_quality_check"
    assert body["email"] == email_text(FAILURE)[1]


def test_log_entry_carries_routing() -> None:
    entry = alert_log_entry(normalize(FAILURE), ["team", "oncall"])
    assert entry["channels"] == ["oncall", "team"] and entry["pipeline"] == FAILURE["pipeline"]


alerts = st.fixed_dictionaries(
    {},
    optional={
        k: st.one_of(st.text(max_size=4000), st.sampled_from(sorted(NEXT_STEP)) if k == "event" else st.none())
        for k in ALERT_FIELDS
    },
)


@settings(max_examples=200, deadline=None)
@given(alerts)
def test_any_alert_renders_within_platform_limits(raw: dict[str, Any]) -> None:
    slack = slack_payload(raw)
    assert len(slack["blocks"][0]["text"]["text"]) <= 150
    for block in slack["blocks"]:
        if "text" in block and block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        for f in block.get("fields", []):
            assert len(f["text"]) <= 2000
    assert len(normalize(raw).get("cause", "")) <= MAX_CAUSE_CHARS
    subject, _ = email_text(raw)
    assert len(subject) < 100 and subject.isascii() and "\n" not in subject
    json.dumps(teams_payload(raw))  # always serialisable
