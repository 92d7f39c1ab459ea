"""A local Fabric REST API (and Entra ID token endpoint) on 127.0.0.1, for the dynamic provider's tests.

It follows the documented request and response shapes of the Fabric REST API
(microsoft/fabric-rest-api-specs: platform/swagger.json and its examples):

- `POST /{tenant}/oauth2/v2.0/token` (client credentials) -> `{access_token, expires_in, token_type}`;
- items: list (paged: `continuationToken` / `continuationUri`), create (`201`, or `202` with
  `Location`, `x-ms-operation-id`, `Retry-After`), get, update (PATCH), updateDefinition,
  getDefinition (both may be long-running), delete;
- `GET /v1/operations/{id}` (`Running` then `Succeeded` / `Failed`) and `/result`;
- job scheduler: create (`201` + `Location`), get, update (PATCH), delete schedules;
- errors as `ErrorResponse` (`errorCode`, `message`, `requestId`), `401` without a valid token,
  `404 ItemNotFound`, `400` for invalid bodies, and injected faults (`429` + `Retry-After`, `5xx`).

Every request is recorded (`requests`) so tests can assert what the client sent.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SCHEDULE_FIELDS = {
    "Cron": {"interval"},
    "Daily": {"times"},
    "Weekly": {"times", "weekdays"},
    "Monthly": {"recurrence", "occurrence", "times"},
}
ITEM_TYPES = {"DataPipeline", "Notebook", "SparkJobDefinition", "Lakehouse", "Warehouse"}


@dataclass
class Fault:
    method: str
    path: str  # regex matched against the request path
    status: int
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    code: str = "InjectedFault"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class FabricState:
    def __init__(self, workspace: str, client_id: str, client_secret: str) -> None:
        self.workspace, self.client_id, self.client_secret = workspace, client_id, client_secret
        self.tokens: set[str] = set()
        self.items: dict[str, dict[str, Any]] = {}
        self.definitions: dict[str, dict[str, Any]] = {}
        self.schedules: dict[str, dict[str, dict[str, Any]]] = {}  # item -> schedule id -> schedule
        self.operations: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.requests: list[Recorded] = []
        self.lro = False  # answer create / definition calls with 202 and an operation
        self.polls_until_done = 2
        self.retry_after = 3
        self.fail_operations = False
        self.page_size = 2
        self.lock = threading.Lock()

    def add_item(self, item_type: str, name: str) -> str:
        item_id = str(uuid.uuid4())
        self.items[item_id] = {
            "id": item_id,
            "type": item_type,
            "displayName": name,
            "description": "",
            "workspaceId": self.workspace,
        }
        return item_id

    def pipeline_content(self, item_id: str) -> dict[str, Any]:
        for part in self.definitions[item_id]["parts"]:
            if part["path"] == "pipeline-content.json":
                content: dict[str, Any] = json.loads(base64.b64decode(part["payload"]))
                return content
        raise KeyError("pipeline-content.json")


class _Error(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


class _Handler(BaseHTTPRequestHandler):
    state: FabricState
    base: str

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        body: Any = None
        if raw and "json" in ctype:
            body = json.loads(raw)
        elif raw:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        st = self.state
        with st.lock:
            st.requests.append(Recorded(method, parts.path, parse_qs(parts.query), dict(self.headers.items()), body))
            try:
                for fault in st.faults:
                    if fault.times and fault.method == method and re.fullmatch(fault.path, parts.path):
                        fault.times -= 1
                        raise _Error(fault.status, fault.code, f"injected {fault.status}", fault.headers)
                status, out, headers = self._route(method, parts.path, parse_qs(parts.query), body)
            except _Error as exc:
                rid = str(uuid.uuid4())
                status, headers = exc.status, exc.headers
                if "/oauth2/" in parts.path:  # Entra ID's error shape
                    out = {"error": exc.code, "error_description": exc.message, "correlation_id": rid}
                else:
                    out = {"errorCode": exc.code, "message": exc.message, "requestId": rid}
        self._reply(status, out, headers)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # -- routing ---------------------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any, dict[str, str]]:
        st = self.state
        if m := re.fullmatch(r"/([^/]+)/oauth2/v2\.0/token", path):
            return self._token(body)
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in st.tokens:
            raise _Error(401, "TokenNotProvided" if not auth else "InvalidToken", "Access token is missing or invalid")
        if m := re.fullmatch(r"/v1/operations/([^/]+)(/result)?", path):
            return self._operation(m.group(1), bool(m.group(2)))
        m = re.fullmatch(r"/v1/workspaces/([^/]+)/items(?:/([^/]+))?(?:/(.*))?", path)
        if not m:
            raise _Error(404, "EntityNotFound", f"no route for {method} {path}")
        if m.group(1) != st.workspace:
            raise _Error(404, "WorkspaceNotFound", "The requested workspace was not found")
        item_id, rest = m.group(2), m.group(3) or ""
        if item_id is None:
            if method == "GET":
                return self._list(query)
            if method == "POST":
                return self._create(body)
        else:
            if item_id not in st.items:
                raise _Error(404, "ItemNotFound", "The requested item was not found")
            if rest == "" and method == "GET":
                return 200, st.items[item_id], {}
            if rest == "" and method == "PATCH":
                for key in ("displayName", "description"):
                    if key in (body or {}):
                        st.items[item_id][key] = body[key]
                return 200, st.items[item_id], {}
            if rest == "" and method == "DELETE":
                del st.items[item_id]
                st.schedules.pop(item_id, None)
                st.definitions.pop(item_id, None)
                return 200, None, {}
            if rest == "updateDefinition" and method == "POST":
                st.definitions[item_id] = self._definition(body)
                return self._maybe_lro(None)
            if rest == "getDefinition" and method == "POST":
                return self._maybe_lro({"definition": st.definitions.get(item_id, {"parts": []})})
            if sm := re.fullmatch(r"jobs/([^/]+)/schedules(?:/([^/]+))?", rest):
                return self._schedule(method, item_id, sm.group(1), sm.group(2), body)
        raise _Error(405, "MethodNotAllowed", f"{method} {path}")

    def _token(self, form: Any) -> tuple[int, Any, dict[str, str]]:
        st = self.state
        form = form or {}
        if form.get("grant_type") != "client_credentials" or not str(form.get("scope", "")).endswith("/.default"):
            raise _Error(400, "invalid_request", "client credentials grant with a .default scope expected")
        if (form.get("client_id"), form.get("client_secret")) != (st.client_id, st.client_secret):
            raise _Error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        token = f"tok-{uuid.uuid4()}"
        st.tokens.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "access_token": token}, {}

    def _list(self, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        st = self.state
        wanted = query.get("type", [None])[0]
        items = [i for i in sorted(st.items.values(), key=lambda i: i["id"]) if wanted in (None, i["type"])]
        start = int(query.get("continuationToken", ["0"])[0])
        page = items[start : start + st.page_size]
        out: dict[str, Any] = {"value": page}
        if start + st.page_size < len(items):
            token = str(start + st.page_size)
            out["continuationToken"] = token
            kind = f"type={wanted}&" if wanted else ""
            out["continuationUri"] = f"{self.base}/v1/workspaces/{st.workspace}/items?{kind}continuationToken={token}"
        return 200, out, {}

    @staticmethod
    def _definition(body: Any) -> dict[str, Any]:
        definition = (body or {}).get("definition")
        if not isinstance(definition, dict) or not definition.get("parts"):
            raise _Error(400, "InvalidDefinition", "definition.parts is required")
        for part in definition["parts"]:
            if part.get("payloadType") != "InlineBase64" or not part.get("path"):
                raise _Error(400, "InvalidDefinition", "each part needs a path and payloadType InlineBase64")
            try:
                decoded = base64.b64decode(part["payload"], validate=True)
                if part["path"].endswith(".json"):
                    json.loads(decoded)
            except ValueError:
                raise _Error(400, "CorruptedPayload", f"The provided payload of {part['path']} is corrupted") from None
        return definition

    def _create(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        st = self.state
        body = body or {}
        if not body.get("displayName") or body.get("type") not in ITEM_TYPES:
            raise _Error(400, "InvalidItemType", "displayName and a known item type are required")
        if any(i["displayName"] == body["displayName"] and i["type"] == body["type"] for i in st.items.values()):
            raise _Error(400, "ItemDisplayNameAlreadyInUse", "Item display name is already used.")
        definition = self._definition(body) if "definition" in body else None
        item_id = st.add_item(body["type"], body["displayName"])
        st.items[item_id]["description"] = body.get("description", "")
        if body.get("folderId"):
            st.items[item_id]["folderId"] = body["folderId"]
        if definition is not None:
            st.definitions[item_id] = definition
        return self._maybe_lro(st.items[item_id], created=True)

    def _maybe_lro(self, result: Any, created: bool = False) -> tuple[int, Any, dict[str, str]]:
        st = self.state
        if not st.lro:
            return (201 if created else 200), result, {}
        op = str(uuid.uuid4())
        st.operations[op] = {"polls": 0, "result": result}
        headers = {
            "Location": f"{self.base}/v1/operations/{op}",
            "x-ms-operation-id": op,
            "Retry-After": str(st.retry_after),
        }
        return 202, None, headers

    def _operation(self, op_id: str, result: bool) -> tuple[int, Any, dict[str, str]]:
        st = self.state
        op = st.operations.get(op_id)
        if op is None:
            raise _Error(404, "OperationNotFound", "The requested operation was not found")
        if result:
            if op["polls"] < st.polls_until_done or st.fail_operations:
                raise _Error(400, "OperationNotSucceeded", "The operation has not succeeded")
            if op["result"] is None:
                raise _Error(400, "OperationHasNoResult", "The operation has no result")
            return 200, op["result"], {}
        op["polls"] += 1
        body: dict[str, Any] = {"createdTimeUtc": "2024-05-28T05:35:20Z", "lastUpdatedTimeUtc": "2024-05-28T05:35:30Z"}
        if op["polls"] < st.polls_until_done:
            body |= {"status": "Running", "percentComplete": 50}
            headers = {"Location": f"{self.base}/v1/operations/{op_id}", "x-ms-operation-id": op_id}
            return 200, body, headers | {"Retry-After": str(st.retry_after)}
        if st.fail_operations:
            body |= {"status": "Failed", "error": {"errorCode": "CorruptedPayload", "message": "definition rejected"}}
            return 200, body, {"x-ms-operation-id": op_id}
        body |= {"status": "Succeeded", "percentComplete": 100}
        return 200, body, {"Location": f"{self.base}/v1/operations/{op_id}/result", "x-ms-operation-id": op_id}

    def _schedule(
        self, method: str, item_id: str, job_type: str, schedule_id: str | None, body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        st = self.state
        schedules = st.schedules.setdefault(item_id, {})
        if schedule_id is None:
            if method == "GET":
                return 200, {"value": list(schedules.values())}, {}
            if method == "POST":
                schedule = {"id": str(uuid.uuid4()), "jobType": job_type, **self._schedule_body(body)}
                schedules[schedule["id"]] = schedule
                items = f"{self.base}/v1/workspaces/{st.workspace}/items"
                location = f"{items}/{item_id}/jobs/{job_type}/schedules/{schedule['id']}"
                return 201, schedule, {"Location": location}
        else:
            if schedule_id not in schedules or schedules[schedule_id]["jobType"] != job_type:
                raise _Error(404, "ItemNotFound", "Requested schedule id not found")
            if method == "GET":
                return 200, schedules[schedule_id], {}
            if method == "PATCH":
                schedules[schedule_id].update(self._schedule_body(body))
                return 200, schedules[schedule_id], {}
            if method == "DELETE":
                del schedules[schedule_id]
                return 200, None, {}
        raise _Error(405, "MethodNotAllowed", method)

    @staticmethod
    def _schedule_body(body: Any) -> dict[str, Any]:
        body = body or {}
        config = body.get("configuration") or {}
        kind = str(config.get("type"))
        needed = {"startDateTime", "endDateTime", "localTimeZoneId"} | SCHEDULE_FIELDS.get(kind, set())
        if not isinstance(body.get("enabled"), bool) or kind not in SCHEDULE_FIELDS or needed - set(config):
            missing = ", ".join(sorted(needed - set(config))) or "enabled/type"
            raise _Error(400, "InvalidRequest", f"invalid schedule: missing {missing}")
        if config["endDateTime"] <= config["startDateTime"]:
            raise _Error(400, "InvalidRequest", "The end time must be later than the start time")
        return {"enabled": body["enabled"], "configuration": config, "createdDateTime": "2024-05-28T05:35:20.5366667"}


@contextmanager
def fabric_server(
    workspace: str = "a0a0a0a0-bbbb-cccc-dddd-e1e1e1e1e1e1", client_id: str = "app", client_secret: str = "s3cret"
) -> Iterator[tuple[str, FabricState]]:
    """(base URL, state); the API is under `<base>/v1`, the token endpoint under `<base>/<tenant>/…`."""
    state = FabricState(workspace, client_id, client_secret)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    handler = type("Handler", (_Handler,), {"state": state, "base": base})
    server.RequestHandlerClass = handler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield base, state
    finally:
        server.shutdown()
        server.server_close()
