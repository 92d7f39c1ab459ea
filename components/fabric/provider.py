"""A Pulumi dynamic provider for one Fabric data pipeline item and its schedules.

There is no Fabric provider on PyPI; this one drives the Fabric REST API (client.py):

- create: resolve the placeholders, create the `DataPipeline` item with its base64 definition
  (long-running operation polled), then one job scheduler schedule per configuration;
- diff: the item is replaced when its workspace changes, updated when its name, description,
  definition, substitutions or schedules change;
- update: `PATCH` the name and description, `updateDefinition` the content, and reconcile the
  schedules (update in place, create the extra, delete the surplus);
- delete: delete the item (its schedules go with it); an item already gone is not an error.

Placeholders resolved here: `${workspaceId}`, `${item:<Type>/<display name>}` (looked up in
the workspace by type and display name) and every key of `substitutions`. Only the template
is kept in the state: the resolved definition is Fabric's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ResourceProvider, UpdateResult

from .client import Credentials, FabricApiError, FabricClient

ITEM_TYPE = "DataPipeline"
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
REQUIRED = ("workspace_id", "credentials", "api_url", "login_url", "display_name", "definition")
REPLACE_ON = ("workspace_id", "api_url")
UPDATE_ON = ("display_name", "description", "definition", "substitutions", "schedules", "job_type", "folder_id")


class FabricDeployError(RuntimeError):
    pass


def resolve(template: str, workspace: str, substitutions: Mapping[str, str], client: FabricClient) -> str:
    """The definition with every `${...}` replaced; an unknown one is an error, never left in place."""
    found: dict[str, dict[str, str]] = {}

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "workspaceId":
            return workspace
        if key in substitutions:
            return str(substitutions[key])
        if key.startswith("item:"):
            item_type, _, name = key.removeprefix("item:").partition("/")
            if item_type not in found:
                found[item_type] = {i["displayName"]: i["id"] for i in client.items(workspace, item_type)}
            if name not in found[item_type]:
                known = ", ".join(sorted(found[item_type])[:10]) or "none"
                raise FabricDeployError(f"no {item_type} named {name!r} in the workspace (there: {known})")
            return found[item_type][name]
        raise FabricDeployError(f"no value for placeholder ${{{key}}} (set it in the stack's pipespec:fabric config)")

    return PLACEHOLDER.sub(one, template)


def schedule_request(request: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """Fabric starts a schedule whose start is in the past at once: start no earlier than the next minute."""
    config = dict(request["configuration"])
    start = dt.datetime.fromisoformat(config["startDateTime"])
    soon = now.replace(second=0, microsecond=0, tzinfo=None) + dt.timedelta(minutes=1)
    if start < soon:
        if config["type"] == "Cron":  # keep the time of day the interval is anchored to
            days = (soon.date() - start.date()).days
            start += dt.timedelta(days=days)
            start += dt.timedelta(days=1) if start < soon else dt.timedelta(0)
        else:
            start = soon
    config["startDateTime"] = start.strftime("%Y-%m-%dT%H:%M:%S")
    return {"enabled": bool(request["enabled"]), "configuration": config}


class FabricPipelineProvider(ResourceProvider):
    """Stateless: every call builds its client from the resource's own (secret) properties."""

    def __init__(self, sleep: Callable[[float], None] | None = None) -> None:
        super().__init__()
        self._sleep = sleep  # tests record Retry-After waits instead of sleeping

    def client(self, props: Mapping[str, Any]) -> FabricClient:
        creds = props["credentials"]
        credentials = Credentials(creds["tenant_id"], creds["client_id"], creds["client_secret"])
        extra: dict[str, Any] = {"sleep": self._sleep} if self._sleep is not None else {}
        timeout = float(props.get("poll_timeout_s") or 900)
        return FabricClient(props["api_url"], props["login_url"], credentials, poll_timeout_s=timeout, **extra)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(key, f"{key} is required") for key in REQUIRED if not news.get(key)]
        creds = news.get("credentials") or {}
        failures += [
            CheckFailure("credentials", f"credentials.{k} is required")
            for k in ("tenant_id", "client_id", "client_secret")
            if isinstance(creds, dict) and not creds.get(k)
        ]
        if news.get("definition"):
            try:
                json.loads(news["definition"])
            except ValueError as exc:
                failures.append(CheckFailure("definition", f"not JSON: {exc}"))
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props)
        ws = props["workspace_id"]
        content = resolve(props["definition"], ws, props.get("substitutions") or {}, client)
        item = client.create_item(
            ws, ITEM_TYPE, props["display_name"], props.get("description") or "", content, props.get("folder_id")
        )
        item_id = str(item["id"])
        try:
            ids = self._schedules(client, props, item_id, [])
        except FabricApiError:
            client.delete_item(ws, item_id)  # no half-created item left behind
            raise
        return CreateResult(item_id, {**props, "item_id": item_id, "schedule_ids": ids})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in REPLACE_ON if olds.get(k) != news.get(k)]
        changed = [k for k in UPDATE_ON if _norm(olds.get(k)) != _norm(news.get(k))]
        changed += [k for k in ("credentials", "login_url", "poll_timeout_s") if olds.get(k) != news.get(k)]
        return DiffResult(
            changes=bool(replaces or changed), replaces=replaces, stables=["item_id"], delete_before_replace=True
        )

    def update(self, id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client(news)
        ws = news["workspace_id"]
        if client.get_item(ws, id) is None:
            raise FabricDeployError(f"Fabric item {id} is gone from the workspace: run `pulumi refresh`, then `up`")
        if (olds.get("display_name"), olds.get("description")) != (news["display_name"], news.get("description")):
            client.update_item(ws, id, news["display_name"], news.get("description") or "")
        if (olds.get("definition"), _norm(olds.get("substitutions"))) != (
            news["definition"],
            _norm(news.get("substitutions")),
        ):
            content = resolve(news["definition"], ws, news.get("substitutions") or {}, client)
            client.update_definition(ws, id, content)
        ids = list(olds.get("schedule_ids") or [])
        if _norm(olds.get("schedules")) != _norm(news.get("schedules")) or olds.get("job_type") != news.get("job_type"):
            ids = self._schedules(client, news, id, ids, olds.get("job_type") or news.get("job_type"))
        return UpdateResult({**news, "item_id": id, "schedule_ids": ids})

    def delete(self, id: str, props: dict[str, Any]) -> None:
        self.client(props).delete_item(props["workspace_id"], id)

    def _schedules(
        self, client: FabricClient, props: Mapping[str, Any], item: str, old_ids: list[str], old_type: str | None = None
    ) -> list[str]:
        ws, job_type = props["workspace_id"], props.get("job_type") or "Pipeline"
        now = dt.datetime.now(dt.UTC)
        requests = [schedule_request(r, now) for r in props.get("schedules") or []]
        if old_type and old_type != job_type:  # a schedule belongs to its job type: start over
            for sid in old_ids:
                client.delete_schedule(ws, item, old_type, sid)
            old_ids = []
        ids = []
        for i, request in enumerate(requests):
            if i < len(old_ids):
                client.update_schedule(ws, item, job_type, old_ids[i], request)
                ids.append(old_ids[i])
            else:
                ids.append(client.create_schedule(ws, item, job_type, request))
        for sid in old_ids[len(requests) :]:
            client.delete_schedule(ws, item, job_type, sid)
        return ids


def _norm(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
