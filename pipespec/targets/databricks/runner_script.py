"""pipespec task runner for Databricks: HTTP calls and SQL checks, which Jobs has no task type for.

Uploaded next to each job that needs it and run as a `spark_python_task`. Standard library
only, plus `databricks.sdk` (present on every Databricks runtime and serverless environment),
imported only when needed. Secrets are read at run time from a Databricks secret scope, never
passed as parameters. Any failure exits non-zero, so the task fails and its retries apply.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MAX_BODY_SHOWN = 1500


class TaskFailed(Exception):
    """The task's own failure (bad status, check false): message shown in the run output."""


def fill_placeholders(url: str, params: dict[str, str]) -> str:
    """Replace `{name}` in the URL by the job parameter of that name; a missing value is an error."""
    missing = sorted({m for m in _PLACEHOLDER.findall(url) if not params.get(m)})
    if missing:
        names = ", ".join(missing)
        raise TaskFailed(f"URL placeholder(s) {names} have no value: set the job parameter(s) {names}")
    return _PLACEHOLDER.sub(lambda m: urllib.parse.quote(params[m.group(1)], safe=""), url)


def read_secret(ref: str) -> str:
    scope, _, key = ref.partition("/")
    from databricks.sdk.runtime import dbutils  # only on Databricks

    value: str = dbutils.secrets.get(scope=scope, key=key)
    return value


def call_http(
    *,
    url: str,
    method: str,
    headers: dict[str, str],
    body: Any,
    expect_status: Sequence[int],
    token: str | None,
    timeout_s: float,
) -> int:
    """One HTTP request; returns the status, raises TaskFailed on an unexpected one."""
    data = None
    all_headers = {"User-Agent": "pipespec-databricks-runner", **headers}
    if body is not None:
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            status, text = response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode(errors="replace")
    except urllib.error.URLError as exc:
        raise TaskFailed(f"{method} {_redact(url)} failed: {exc.reason}") from None
    if status not in expect_status:
        raise TaskFailed(
            f"{method} {_redact(url)} returned HTTP {status}, expected one of {sorted(expect_status)}: "
            f"{text[:_MAX_BODY_SHOWN]}"
        )
    print(f"{method} {_redact(url)} -> HTTP {status}")
    return status


def _redact(url: str) -> str:
    return url.split("?", 1)[0]


Execute = Callable[[str, str, dict[str, str]], list[list[Any]]]


def check_sql(statement: str, warehouse_id: str, parameters: dict[str, str], execute: Execute) -> None:
    """Fail unless the first column of the first row is true."""
    rows = execute(statement, warehouse_id, parameters)
    if not rows or not rows[0]:
        raise TaskFailed("the check query returned no rows")
    value = rows[0][0]
    if str(value).strip().lower() not in ("true", "1", "t", "yes"):
        raise TaskFailed(f"the check failed: the first column of the first row is {value!r}, expected true")
    print("check passed")


def execute_on_warehouse(statement: str, warehouse_id: str, parameters: dict[str, str]) -> list[list[Any]]:
    """Run one statement on a SQL warehouse with the Statement Execution API; first result chunk."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.sql import StatementParameterListItem, StatementState

    client = WorkspaceClient()
    params = [StatementParameterListItem(name=k, value=v) for k, v in sorted(parameters.items())]
    response = client.statement_execution.execute_statement(
        statement=statement, warehouse_id=warehouse_id, parameters=params or None, wait_timeout="50s"
    )
    while response.status and response.status.state in (StatementState.PENDING, StatementState.RUNNING):
        time.sleep(5)
        response = client.statement_execution.get_statement(response.statement_id or "")
    state = response.status.state if response.status else None
    if state is not StatementState.SUCCEEDED:
        error = response.status.error.message if response.status and response.status.error else ""
        raise TaskFailed(f"the check query ended {state.value if state else 'without a state'}: {error}")
    return [list(r) for r in (response.result.data_array or [])] if response.result else []


WORKSPACE_MOUNT = "/Workspace"  # workspace files are mounted here on every runtime and on serverless


def read_statement(path: str) -> str:
    direct = path.startswith((f"{WORKSPACE_MOUNT}/", "/Volumes/", "/dbfs/"))
    local = path if direct else f"{WORKSPACE_MOUNT}{path}"
    try:
        with open(local, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise TaskFailed(f"cannot read the SQL file {local}: {exc.strerror}") from None


def _pairs(values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep:
            raise TaskFailed(f"expected NAME=VALUE, got {item!r}")
        out[key] = value
    return out


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pipespec_runner")
    parser.add_argument("--mode", choices=("http", "sql_check"), required=True)
    parser.add_argument("--task", default="")
    parser.add_argument("--url")
    parser.add_argument("--method", default="POST")
    parser.add_argument("--headers", default="{}", help="JSON object")
    parser.add_argument("--body", default=None, help="JSON document")
    parser.add_argument("--expect-status", default="200,201,202")
    parser.add_argument("--token-secret", default=None, help="SCOPE/KEY of a Databricks secret")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--param", action="append", default=[], help="NAME=VALUE")
    parser.add_argument("--warehouse-id")
    parser.add_argument("--sql-file")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] | None = None, *, execute: Execute = execute_on_warehouse) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        params = _pairs(args.param)
        if args.mode == "http":
            call_http(
                url=fill_placeholders(args.url, params),
                method=args.method,
                headers=json.loads(args.headers),
                body=json.loads(args.body) if args.body is not None else None,
                expect_status=[int(s) for s in args.expect_status.split(",") if s],
                token=read_secret(args.token_secret) if args.token_secret else None,
                timeout_s=args.timeout,
            )
        else:
            check_sql(read_statement(args.sql_file), args.warehouse_id, params, execute)
    except TaskFailed as exc:
        print(f"pipespec task {args.task!r} failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
