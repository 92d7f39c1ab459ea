"""SNS -> Slack / Teams / webhook: renders each pipespec alert for one channel and posts it.

Runs on AWS Lambda (Python 3.12) with the standard library; boto3 (in the runtime) reads the
channel's webhook URL and token from Secrets Manager once per container. Environment:
CHANNEL_ID, CHANNEL_KIND (slack | teams | webhook), SECRET_ARN.

A failed post raises, so Lambda's asynchronous retries (two) apply; nothing secret is logged.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from pipespec.notify_plan.messages import RENDERERS, from_cloudwatch_alarm, normalize

Poster = Callable[[str, bytes, Mapping[str, str]], int]
SecretReader = Callable[[str], Mapping[str, str]]
TIMEOUT_S = 5.0

_secrets: dict[str, Mapping[str, str]] = {}


def post_json(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    if not url.startswith("https://"):
        raise ValueError("the channel's URL is not https://; alerts are only sent over TLS")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # https only: checked above
        return int(response.status)


def read_secret(arn: str) -> Mapping[str, str]:
    if arn not in _secrets:
        import boto3  # type: ignore[import-untyped]  # in the Lambda runtime, not needed by the renderers

        value = boto3.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
        _secrets[arn] = json.loads(value)
    return _secrets[arn]


def alert_from_record(record: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The alert in one SNS record: a pipespec message, a CloudWatch alarm, or plain text."""
    sns = record.get("Sns") or {}
    text = str(sns.get("Message") or "")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and "AlarmName" in data:
        return from_cloudwatch_alarm(data)
    if isinstance(data, dict):
        return normalize(data)
    return normalize({"event": "failure", "error": sns.get("Subject") or "alert", "cause": text})


def handler(
    event: Mapping[str, Any],
    context: Any = None,
    *,
    post: Poster = post_json,
    secrets: SecretReader = read_secret,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, int]:
    channel, kind = environ["CHANNEL_ID"], environ["CHANNEL_KIND"]
    render = RENDERERS[kind]
    secret = secrets(environ["SECRET_ARN"])
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if kind == "webhook" and secret.get("token"):
        headers["Authorization"] = f"Bearer {secret['token']}"
    delivered = skipped = 0
    for record in event.get("Records") or []:
        alert = alert_from_record(record)
        if alert is None:  # an alarm going back to OK
            skipped += 1
            continue
        body = json.dumps(render(alert), ensure_ascii=False, sort_keys=True).encode("utf-8")
        try:
            status = post(secret["url"], body, headers)
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:  # the message could name the host: keep it out of the logs
            raise RuntimeError(f"alert for channel {channel!r} not delivered: {type(exc).__name__}") from None
        if not 200 <= status < 300:
            raise RuntimeError(f"alert for channel {channel!r} not delivered: HTTP {status}")
        delivered += 1
    print(json.dumps({"channel": channel, "delivered": delivered, "skipped": skipped}))
    return {"delivered": delivered, "skipped": skipped}
