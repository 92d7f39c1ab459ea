"""The formatter Lambda: fake SNS events in, HTTP posts out (no network), and the zip it ships."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from components.alerting.formatter import bundle_files, handler
from pipespec.notify_plan import alarm_description

ALERT = {
    "event": "failure",
    "pipeline": "prod_orders",
    "task": "load",
    "environment": "prod",
    "platform": "stepfunctions",
    "error": "Glue.ConcurrentRunsExceededException",
    "run_url": "https://console.aws.amazon.com/states/home#/executions/details/x",
}
URL = "https://hooks.example.test/services/T0/B0/secret-part"


def sns_event(*messages: str, subject: str | None = None) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": m, "Subject": subject}} for m in messages]}


class Recorder:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.posts.append((url, json.loads(body), dict(headers)))
        return self.status


def env(kind: str) -> dict[str, str]:
    return {"CHANNEL_ID": "oncall", "CHANNEL_KIND": kind, "SECRET_ARN": "arn:aws:secretsmanager:x"}


def secret(token: str | None = None) -> Any:
    return lambda arn: {"url": URL, **({"token": token} if token else {})}


def test_slack_record_is_rendered_and_posted() -> None:
    post = Recorder()
    out = handler.handler(sns_event(json.dumps(ALERT)), post=post, secrets=secret(), environ=env("slack"))
    assert out == {"delivered": 1, "skipped": 0}
    url, body, headers = post.posts[0]
    assert url == URL and headers["Content-Type"].startswith("application/json")
    assert body["text"] == "🔴 [prod] prod_orders.load FAILED"
    assert "Authorization" not in headers


def test_teams_and_token_webhook() -> None:
    post = Recorder(status=202)  # Teams workflows answer 202 Accepted
    handler.handler(sns_event(json.dumps(ALERT)), post=post, secrets=secret(), environ=env("teams"))
    assert post.posts[0][1]["attachments"][0]["content"]["type"] == "AdaptiveCard"
    hook = Recorder()
    handler.handler(sns_event(json.dumps(ALERT)), post=hook, secrets=secret("t0ken"), environ=env("webhook"))
    _, body, headers = hook.posts[0]
    assert headers["Authorization"] == "Bearer t0ken"
    assert body["task"] == "load" and body["title"] == "[prod] prod_orders.load FAILED"


def test_cloudwatch_alarm_records_and_ok_transitions() -> None:
    alarm = {
        "AlarmName": "prod_orders-failed",
        "AlarmDescription": alarm_description({"pipeline": "prod_orders", "environment": "prod"}),
        "NewStateValue": "ALARM",
        "NewStateReason": "1 execution failed",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:111122223333:alarm:prod_orders-failed",
    }
    post = Recorder()
    ok = {**alarm, "NewStateValue": "OK"}
    out = handler.handler(
        sns_event(json.dumps(alarm), json.dumps(ok)), post=post, secrets=secret(), environ=env("slack")
    )
    assert out == {"delivered": 1, "skipped": 1}
    assert "1 execution failed" in json.dumps(post.posts[0][1])


def test_plain_text_message_still_alerts() -> None:
    post = Recorder()
    handler.handler(sns_event("disk full", subject="Ops"), post=post, secrets=secret(), environ=env("webhook"))
    assert post.posts[0][1]["error"] == "Ops" and post.posts[0][1]["cause"] == "disk full"


def test_failed_post_raises_for_lambda_retries_without_leaking_the_url() -> None:
    with pytest.raises(RuntimeError) as err:
        handler.handler(sns_event(json.dumps(ALERT)), post=Recorder(500), secrets=secret(), environ=env("slack"))
    assert "HTTP 500" in str(err.value) and "secret-part" not in str(err.value)


def test_plain_http_urls_are_refused() -> None:
    insecure = lambda arn: {"url": "http://hooks.example.test/x"}  # noqa: E731
    with pytest.raises(RuntimeError, match="ValueError"):
        handler.handler(sns_event(json.dumps(ALERT)), secrets=insecure, environ=env("slack"))


def test_secret_is_read_from_secrets_manager_once(monkeypatch: pytest.MonkeyPatch) -> None:
    boto3 = pytest.importorskip("boto3")
    moto = pytest.importorskip("moto")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(handler, "_secrets", {})
    with moto.mock_aws():
        sm = boto3.client("secretsmanager")
        arn = sm.create_secret(Name="pipespec/dev/oncall", SecretString=json.dumps({"url": URL}))["ARN"]
        assert handler.read_secret(arn) == {"url": URL}
        sm.put_secret_value(SecretId=arn, SecretString=json.dumps({"url": "https://changed"}))
        assert handler.read_secret(arn) == {"url": URL}  # cached for the container's life


def test_the_zip_runs_on_the_standard_library_alone(tmp_path: Path) -> None:
    """Unpack the archive the component deploys and run it with no site-packages (as in Lambda, minus boto3)."""
    for name, text in bundle_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(tmp_path)!r})
        import handler
        posts = []
        event = {{"Records": [{{"Sns": {{"Message": json.dumps({ALERT!r})}}}}]}}
        env = {{"CHANNEL_ID": "c", "CHANNEL_KIND": "slack", "SECRET_ARN": "arn"}}
        handler.handler(event, post=lambda u, b, h: posts.append(json.loads(b)) or 200,
                        secrets=lambda arn: {{"url": "https://x"}}, environ=env)
        assert "pydantic" not in sys.modules and "pulumi" not in sys.modules
        print(posts[0]["text"])
        """
    )
    done = subprocess.run([sys.executable, "-S", "-I", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[prod] prod_orders.load FAILED")
