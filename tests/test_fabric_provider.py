"""The Fabric dynamic provider against a local server that speaks the documented REST API (real HTTP).

Create / diff / update / delete, long-running operations, throttling, server and client errors.
Waits are recorded instead of slept, so the Retry-After values the client honoured are asserted.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fabric_server import FabricState, Fault, fabric_server

from components.fabric.client import Credentials, FabricApiError, FabricClient
from components.fabric.provider import FabricDeployError, FabricPipelineProvider, resolve, schedule_request

WS = "a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1"
CONN = "4b218778-e7a5-4d73-8187-f10824047715"


def definition(*notebooks: str) -> str:
    activities: list[dict[str, Any]] = [
        {
            "name": nb,
            "type": "TridentNotebook",
            "dependsOn": [{"activity": prev, "dependencyConditions": ["Succeeded"]}] if prev else [],
            "typeProperties": {"notebookId": f"${{item:Notebook/{nb}}}", "workspaceId": "${workspaceId}"},
        }
        for prev, nb in zip((None, *notebooks), notebooks, strict=False)
    ]
    activities.append(
        {
            "name": "notify",
            "type": "WebActivity",
            "dependsOn": [{"activity": notebooks[-1], "dependencyConditions": ["Failed"]}],
            "typeProperties": {"method": "POST", "relativeUrl": ""},
            "externalReferences": {"connection": "${connection:teams}"},
        }
    )
    return json.dumps({"properties": {"activities": activities}}, sort_keys=True)


def daily(times: list[str], enabled: bool = True) -> dict[str, Any]:
    return {
        "enabled": enabled,
        "configuration": {
            "type": "Daily",
            "times": times,
            "startDateTime": "2024-01-01T00:00:00",
            "endDateTime": "2099-12-31T23:59:00",
            "localTimeZoneId": "UTC",
        },
    }


class Waits(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server() -> Iterator[tuple[str, FabricState]]:
    with fabric_server(WS) as (base, state):
        for name in ("silver", "gold", "other_a", "other_b", "other_c"):  # more than a page of notebooks
            state.add_item("Notebook", name)
        yield base, state


def props(base: str, **over: Any) -> dict[str, Any]:
    out = {
        "workspace_id": WS,
        "credentials": {"tenant_id": "tenant-1", "client_id": "app", "client_secret": "s3cret"},
        "api_url": f"{base}/v1",
        "login_url": base,
        "display_name": "dev_medallion",
        "description": "medallion",
        "folder_id": None,
        "definition": definition("silver", "gold"),
        "substitutions": {"connection:teams": CONN},
        "schedules": [daily(["03:00"])],
        "job_type": "Pipeline",
        "poll_timeout_s": 60,
    }
    return out | over


def outs(result: Any) -> dict[str, Any]:
    assert result.outs is not None
    found: dict[str, Any] = result.outs
    return found


def pipelines(state: FabricState) -> list[dict[str, Any]]:
    return [i for i in state.items.values() if i["type"] == "DataPipeline"]


def test_create_sends_the_resolved_base64_definition_and_the_schedules(server: tuple[str, FabricState]) -> None:
    base, state = server
    waits = Waits()
    result = FabricPipelineProvider(waits).create(props(base))
    [item] = pipelines(state)
    assert result.id == item["id"] and item["displayName"] == "dev_medallion"
    content = state.pipeline_content(item["id"])
    ids = {i["displayName"]: i["id"] for i in state.items.values()}
    acts = {a["name"]: a for a in content["properties"]["activities"]}
    assert acts["silver"]["typeProperties"] == {"notebookId": ids["silver"], "workspaceId": WS}
    assert acts["gold"]["typeProperties"]["notebookId"] == ids["gold"]
    assert acts["notify"]["externalReferences"] == {"connection": CONN}
    assert "${" not in json.dumps(content)
    [schedule] = state.schedules[item["id"]].values()
    assert schedule["jobType"] == "Pipeline" and schedule["configuration"]["times"] == ["03:00"]
    # a start in the past would run the pipeline at once: it starts at the next minute instead
    assert schedule["configuration"]["startDateTime"] > "2025-01-01"
    assert outs(result)["schedule_ids"] == [schedule["id"]] and outs(result)["item_id"] == item["id"]
    assert outs(result)["definition"] == props(base)["definition"]  # the template, not the resolved content
    # the notebook lookup followed the continuation pages
    lists = [r for r in state.requests if r.method == "GET" and r.path.endswith("/items")]
    assert len(lists) >= 3 and lists[1].query.get("continuationToken")
    token = state.requests[0]
    assert token.path == "/tenant-1/oauth2/v2.0/token"
    assert token.body["grant_type"] == "client_credentials" and token.body["scope"].endswith("/.default")
    assert all(r.headers["Authorization"].startswith("Bearer tok-") for r in state.requests[1:])
    assert waits == []


def test_long_running_create_is_polled_at_the_retry_after_the_server_asks(server: tuple[str, FabricState]) -> None:
    base, state = server
    state.lro, state.polls_until_done, state.retry_after = True, 3, 7
    waits = Waits()
    result = FabricPipelineProvider(waits).create(props(base))
    [item] = pipelines(state)
    assert result.id == item["id"]
    polls = [r.path for r in state.requests if r.path.startswith("/v1/operations/")]
    assert len(polls) == 4 and polls[-1].endswith("/result")  # Running, Running, Succeeded, then the result
    assert waits == [7.0, 7.0, 7.0]


def test_a_failed_operation_is_an_error_with_fabrics_code(server: tuple[str, FabricState]) -> None:
    base, state = server
    state.lro, state.fail_operations, state.retry_after = True, True, 0
    with pytest.raises(FabricApiError, match="CorruptedPayload: definition rejected"):
        FabricPipelineProvider(Waits()).create(props(base))


def test_throttling_waits_for_retry_after_then_succeeds(server: tuple[str, FabricState]) -> None:
    base, state = server
    state.faults.append(Fault("POST", r"/v1/workspaces/[^/]+/items", 429, times=2, headers={"Retry-After": "13"}))
    waits = Waits()
    FabricPipelineProvider(waits).create(props(base))
    assert waits == [13.0, 13.0]
    assert len(pipelines(state)) == 1
    creates = [r for r in state.requests if r.method == "POST" and r.path.endswith("/items")]
    assert len(creates) == 3


def test_server_errors_are_retried_with_backoff_and_then_reported(server: tuple[str, FabricState]) -> None:
    base, state = server
    state.faults.append(Fault("POST", r"/v1/workspaces/[^/]+/items", 503, times=100, code="ServiceUnavailable"))
    waits = Waits()
    with pytest.raises(FabricApiError) as exc:
        FabricPipelineProvider(waits).create(props(base))
    assert exc.value.status == 503 and exc.value.code == "ServiceUnavailable" and exc.value.request_id
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0]  # exponential, capped; 7 attempts in all
    assert pipelines(state) == []


def test_client_errors_are_not_retried(server: tuple[str, FabricState]) -> None:
    base, state = server
    state.add_item("DataPipeline", "dev_medallion")
    waits = Waits()
    with pytest.raises(FabricApiError, match="ItemDisplayNameAlreadyInUse"):
        FabricPipelineProvider(waits).create(props(base))
    assert waits == [] and len([r for r in state.requests if r.method == "POST" and r.path.endswith("/items")]) == 1


def test_wrong_credentials_fail_with_entras_message(server: tuple[str, FabricState]) -> None:
    base, _ = server
    bad = props(base, credentials={"tenant_id": "t", "client_id": "app", "client_secret": "nope"})
    with pytest.raises(FabricApiError, match="invalid_client: AADSTS7000215"):
        FabricPipelineProvider(Waits()).create(bad)


def test_an_unknown_notebook_stops_before_anything_is_created(server: tuple[str, FabricState]) -> None:
    base, state = server
    with pytest.raises(FabricDeployError, match=r"no Notebook named 'platinum'.*there: gold, other_a"):
        FabricPipelineProvider(Waits()).create(props(base, definition=definition("silver", "platinum")))
    assert pipelines(state) == []


def test_a_failed_schedule_removes_the_new_item(server: tuple[str, FabricState]) -> None:
    base, state = server
    state.faults.append(Fault("POST", r".*/schedules", 400, code="ScheduleExceedsLimit"))
    with pytest.raises(FabricApiError, match="ScheduleExceedsLimit"):
        FabricPipelineProvider(Waits()).create(props(base))
    assert pipelines(state) == []


def test_diff_updates_in_place_and_replaces_only_for_another_workspace(server: tuple[str, FabricState]) -> None:
    base, _ = server
    provider = FabricPipelineProvider(Waits())
    old = outs(provider.create(props(base)))
    same = provider.diff("id", old, props(base))
    assert not same.changes
    changed = provider.diff("id", old, props(base, definition=definition("gold")))
    assert changed.changes and changed.replaces == []
    moved = provider.diff("id", old, props(base, workspace_id="b0b0b0b0-bbbb-cccc-dddd-e1e1e1e1e1e1"))
    assert moved.changes and moved.replaces == ["workspace_id"] and moved.delete_before_replace
    assert provider.diff("id", old, props(base, schedules=[daily(["04:00"])])).changes


def test_update_renames_redefines_and_reconciles_schedules(server: tuple[str, FabricState]) -> None:
    base, state = server
    provider = FabricPipelineProvider(Waits())
    created = provider.create(props(base, schedules=[daily(["03:00"]), daily(["12:00"], enabled=False)]))
    first, second = outs(created)["schedule_ids"]
    state.lro, state.retry_after = True, 0
    news = props(base, display_name="dev_medallion_v2", definition=definition("gold"), schedules=[daily(["05:30"])])
    updated = provider.update(created.id, outs(created), news)
    item = state.items[created.id]
    assert item["displayName"] == "dev_medallion_v2"
    names = [a["name"] for a in state.pipeline_content(created.id)["properties"]["activities"]]
    assert names == ["gold", "notify"]
    assert list(state.schedules[created.id]) == [first]  # updated in place; the surplus one deleted
    assert state.schedules[created.id][first]["configuration"]["times"] == ["05:30"]
    assert second not in state.schedules[created.id]
    assert outs(updated)["schedule_ids"] == [first]
    grown = provider.update(created.id, outs(updated), props(base, schedules=[daily(["05:30"]), daily(["23:00"])]))
    assert outs(grown)["schedule_ids"][0] == first and len(state.schedules[created.id]) == 2


def test_update_of_a_deleted_item_says_what_to_do(server: tuple[str, FabricState]) -> None:
    base, state = server
    provider = FabricPipelineProvider(Waits())
    created = provider.create(props(base))
    del state.items[created.id]
    with pytest.raises(FabricDeployError, match="pulumi refresh"):
        provider.update(created.id, outs(created), props(base, description="x"))


def test_delete_removes_the_item_and_tolerates_one_already_gone(server: tuple[str, FabricState]) -> None:
    base, state = server
    provider = FabricPipelineProvider(Waits())
    created = provider.create(props(base))
    provider.delete(created.id, outs(created))
    assert pipelines(state) == [] and created.id not in state.schedules
    provider.delete(created.id, outs(created))  # 404: already gone, not an error


def test_get_definition_round_trips_through_a_long_running_operation(server: tuple[str, FabricState]) -> None:
    base, state = server
    created = FabricPipelineProvider(Waits()).create(props(base))
    state.lro, state.retry_after = True, 0
    client = FabricClient(f"{base}/v1", base, Credentials("t", "app", "s3cret"), sleep=Waits())
    content = json.loads(client.get_definition(WS, created.id))
    assert content == state.pipeline_content(created.id)
    raw = state.definitions[created.id]["parts"][0]
    assert raw["payloadType"] == "InlineBase64" and json.loads(base64.b64decode(raw["payload"])) == content


def test_check_reports_every_missing_property() -> None:
    result = FabricPipelineProvider().check({}, {"definition": "{not json", "credentials": {"tenant_id": "t"}})
    failed = {(f.property, f.reason) for f in result.failures}
    assert ("workspace_id", "workspace_id is required") in failed
    assert ("credentials", "credentials.client_secret is required") in failed
    assert any(p == "definition" and r.startswith("not JSON") for p, r in failed)


def test_unknown_placeholder_is_an_error_not_left_in_place() -> None:
    client = FabricClient("http://127.0.0.1:9/v1", "http://127.0.0.1:9", Credentials("t", "c", "s"))
    with pytest.raises(FabricDeployError, match=r"no value for placeholder \$\{param:dataset_id\}"):
        resolve('{"x": "${param:dataset_id}"}', WS, {}, client)


def test_schedule_start_is_moved_to_the_future_keeping_cron_anchors() -> None:
    now = dt.datetime(2026, 3, 10, 8, 20, 30, tzinfo=dt.UTC)
    moved = schedule_request(daily(["03:00"]), now)["configuration"]
    assert moved["startDateTime"] == "2026-03-10T08:21:00"
    config: dict[str, Any] = {**daily([])["configuration"], "type": "Cron", "interval": 15}
    config["startDateTime"] = "2024-01-01T00:05:00"
    cron = {"enabled": True, "configuration": config}
    assert schedule_request(cron, now)["configuration"]["startDateTime"] == "2026-03-11T00:05:00"
    future = daily(["03:00"])
    future["configuration"]["startDateTime"] = "2030-01-01T00:00:00"
    assert schedule_request(future, now)["configuration"]["startDateTime"] == "2030-01-01T00:00:00"
