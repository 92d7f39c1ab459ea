"""A small Fabric REST API client (standard library only): items, definitions, schedules.

Follows the documented contract: Entra ID client-credentials tokens; `429` with `Retry-After`
(throttling) and `5xx` retried; long-running operations (`202` + `Location` /
`x-ms-operation-id` + `Retry-After`) polled through `GET /operations/{id}` until `Succeeded`
or `Failed`, the result read from `/operations/{id}/result`; list APIs paged with
`continuationToken`. Errors carry Fabric's `errorCode`, message and request id.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCOPE = "https://api.fabric.microsoft.com/.default"
PIPELINE_PART = "pipeline-content.json"
RETRIED = frozenset({429, 500, 502, 503, 504})
TERMINAL = frozenset({"Succeeded", "Failed", "Cancelled"})


class FabricApiError(RuntimeError):
    def __init__(self, method: str, url: str, status: int, code: str, message: str, request_id: str = "") -> None:
        self.status, self.code, self.request_id = status, code, request_id
        where = urllib.parse.urlsplit(url).path
        rid = f" (request id {request_id})" if request_id else ""
        super().__init__(f"Fabric {method} {where} failed: HTTP {status} {code}: {message}{rid}")


@dataclass(frozen=True)
class Credentials:
    tenant_id: str
    client_id: str
    client_secret: str = field(repr=False)


@dataclass
class Response:
    status: int
    headers: Mapping[str, str]
    body: Any


def definition_parts(content: str) -> list[dict[str, str]]:
    payload = base64.b64encode(content.encode("utf-8")).decode("ascii")
    return [{"path": PIPELINE_PART, "payload": payload, "payloadType": "InlineBase64"}]


def part_content(definition: Mapping[str, Any]) -> str:
    for part in definition.get("parts", []):
        if part.get("path") == PIPELINE_PART:
            return base64.b64decode(part["payload"]).decode("utf-8")
    raise ValueError(f"the item definition has no {PIPELINE_PART} part")


class FabricClient:
    def __init__(
        self,
        api_url: str,
        login_url: str,
        credentials: Credentials,
        *,
        poll_timeout_s: float = 900,
        max_retries: int = 6,
        request_timeout_s: float = 60,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.login_url = login_url.rstrip("/")
        self.credentials = credentials
        self.poll_timeout_s, self.max_retries, self.request_timeout_s = poll_timeout_s, max_retries, request_timeout_s
        self.sleep, self.clock = sleep, clock
        self._token: tuple[str, float] | None = None

    # -- transport ---------------------------------------------------------------------------

    def token(self) -> str:
        if self._token and self._token[1] > self.clock() + 60:
            return self._token[0]
        c = self.credentials
        form = urllib.parse.urlencode(
            {
                "grant_type": "client_credentials",
                "client_id": c.client_id,
                "client_secret": c.client_secret,
                "scope": SCOPE,
            }
        ).encode()
        url = f"{self.login_url}/{urllib.parse.quote(c.tenant_id)}/oauth2/v2.0/token"
        res = self._send("POST", url, form, {"Content-Type": "application/x-www-form-urlencoded"})
        self._token = (str(res.body["access_token"]), self.clock() + float(res.body.get("expires_in", 3600)))
        return self._token[0]

    def _send(self, method: str, url: str, data: bytes | None, headers: dict[str, str]) -> Response:
        """One call with throttling and server-error retries; raises FabricApiError for the rest."""
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.request_timeout_s) as raw:
                    text = raw.read().decode("utf-8")
                    return Response(raw.status, dict(raw.headers.items()), json.loads(text) if text.strip() else None)
            except urllib.error.HTTPError as exc:
                text = exc.read().decode("utf-8", "replace")
                status, got = exc.code, dict(exc.headers.items())
            if status not in RETRIED or attempt == self.max_retries:
                raise self._error(method, url, status, got, text)
            self.sleep(self._retry_after(got, default=min(2.0**attempt, 30.0)))
        raise AssertionError("unreachable")

    @staticmethod
    def _retry_after(headers: Mapping[str, str], default: float) -> float:
        value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        try:
            return max(float(value), 0.0) if value is not None else default
        except ValueError:
            return default

    @staticmethod
    def _error(method: str, url: str, status: int, headers: Mapping[str, str], text: str) -> FabricApiError:
        try:
            body = json.loads(text)
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        code = str(body.get("errorCode") or body.get("error") or "HttpError")
        message = str(body.get("message") or body.get("error_description") or text[:200] or "no details")
        rid = str(body.get("requestId") or next((v for k, v in headers.items() if k.lower() == "requestid"), ""))
        return FabricApiError(method, url, status, code, message, rid)

    def call(self, method: str, path: str, body: Any = None) -> Response:
        url = path if path.startswith("http") else f"{self.api_url}{path}"
        headers = {"Authorization": f"Bearer {self.token()}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, sort_keys=True).encode("utf-8")
            headers["Content-Type"] = "application/json"
        return self._send(method, url, data, headers)

    def finish(self, method: str, path: str, response: Response, *, result: bool) -> Any:
        """The body of a call that may be a long-running operation: polled to the end when it is."""
        if response.status != 202:
            return response.body
        headers = {k.lower(): v for k, v in response.headers.items()}
        op_id = headers.get("x-ms-operation-id")
        location = headers.get("location") or f"{self.api_url}/operations/{op_id}"
        deadline = self.clock() + self.poll_timeout_s
        wait = self._retry_after(response.headers, default=1.0)
        while True:
            self.sleep(wait)
            state = self.call("GET", location)
            status = str((state.body or {}).get("status", ""))
            if status in TERMINAL:
                break
            if self.clock() > deadline:
                raise FabricApiError(
                    method, path, 202, "OperationTimedOut", f"still {status or 'running'}", op_id or ""
                )
            wait = self._retry_after(state.headers, default=wait)
        if status != "Succeeded":
            error = (state.body or {}).get("error") or {}
            raise FabricApiError(
                method, path, 202, str(error.get("errorCode", status)), str(error.get("message", status))
            )
        if not result:
            return None
        op_id = op_id or urllib.parse.urlsplit(location).path.rstrip("/").split("/")[-1]
        return self.call("GET", f"/operations/{op_id}/result").body

    def paged(self, path: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        url: str | None = path
        while url:
            body = self.call("GET", url).body or {}
            out += body.get("value", [])
            token = body.get("continuationToken")
            url = body.get("continuationUri") or (
                f"{path}{'&' if '?' in path else '?'}continuationToken={token}" if token else None
            )
        return out

    # -- items ----------------------------------------------------------------------------------

    def items(self, workspace: str, item_type: str) -> list[dict[str, Any]]:
        return self.paged(f"/workspaces/{workspace}/items?type={urllib.parse.quote(item_type)}")

    def create_item(
        self, workspace: str, item_type: str, name: str, description: str, content: str, folder: str | None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"displayName": name, "type": item_type, "description": description}
        body["definition"] = {"parts": definition_parts(content)}
        if folder:
            body["folderId"] = folder
        path = f"/workspaces/{workspace}/items"
        item: dict[str, Any] = self.finish("POST", path, self.call("POST", path, body), result=True)
        return item

    def get_item(self, workspace: str, item: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = self.call("GET", f"/workspaces/{workspace}/items/{item}").body
            return found
        except FabricApiError as exc:
            if exc.status == 404:
                return None
            raise

    def update_item(self, workspace: str, item: str, name: str, description: str) -> None:
        self.call("PATCH", f"/workspaces/{workspace}/items/{item}", {"displayName": name, "description": description})

    def update_definition(self, workspace: str, item: str, content: str) -> None:
        path = f"/workspaces/{workspace}/items/{item}/updateDefinition"
        body = {"definition": {"parts": definition_parts(content)}}
        self.finish("POST", path, self.call("POST", path, body), result=False)

    def get_definition(self, workspace: str, item: str) -> str:
        path = f"/workspaces/{workspace}/items/{item}/getDefinition"
        body = self.finish("POST", path, self.call("POST", path), result=True)
        return part_content(body["definition"])

    def delete_item(self, workspace: str, item: str) -> bool:
        """False when it was already gone."""
        try:
            self.call("DELETE", f"/workspaces/{workspace}/items/{item}")
        except FabricApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    # -- job scheduler --------------------------------------------------------------------------

    def create_schedule(self, workspace: str, item: str, job_type: str, request: Mapping[str, Any]) -> str:
        res = self.call("POST", f"/workspaces/{workspace}/items/{item}/jobs/{job_type}/schedules", dict(request))
        return str(res.body["id"])

    def update_schedule(
        self, workspace: str, item: str, job_type: str, schedule: str, request: Mapping[str, Any]
    ) -> None:
        self.call("PATCH", f"/workspaces/{workspace}/items/{item}/jobs/{job_type}/schedules/{schedule}", dict(request))

    def delete_schedule(self, workspace: str, item: str, job_type: str, schedule: str) -> None:
        try:
            self.call("DELETE", f"/workspaces/{workspace}/items/{item}/jobs/{job_type}/schedules/{schedule}")
        except FabricApiError as exc:
            if exc.status != 404:
                raise
