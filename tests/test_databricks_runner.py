"""The generated task runner (HTTP calls, SQL checks) against a real local HTTP server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from pipespec.targets.databricks import runner_script as runner

RECEIVED: list[dict[str, Any]] = []


class _Handler(BaseHTTPRequestHandler):
    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        RECEIVED.append({"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
        status = 500 if "broken" in self.path else 202
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"error": "dataset locked"}' if status == 500 else b"{}")

    do_POST = do_PUT = do_GET = _reply

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    RECEIVED.clear()
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def test_http_call_fills_placeholders_sends_body_and_token(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "read_secret", lambda ref: f"token-from-{ref}")
    code = runner.main(
        [
            "--mode", "http", "--task", "refresh", "--url", f"{server}/groups/{{ws}}/datasets/{{ds}}/refreshes",
            "--method", "POST", "--body", '{"notifyOption": "MailOnFailure"}', "--headers", '{"X-Src": "pipespec"}',
            "--token-secret", "scope/pbi", "--param", "ws=w 1", "--param", "ds=d2",
        ]
    )  # fmt: skip
    assert code == 0
    (req,) = RECEIVED
    assert req["method"] == "POST" and req["path"] == "/groups/w%201/datasets/d2/refreshes"
    assert json.loads(req["body"]) == {"notifyOption": "MailOnFailure"}
    assert req["headers"]["Authorization"] == "Bearer token-from-scope/pbi"
    assert req["headers"]["X-Src"] == "pipespec"
    assert req["headers"]["Content-Type"] == "application/json"


def test_unexpected_status_fails_the_task_with_the_response(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = runner.main(["--mode", "http", "--task", "t", "--url", f"{server}/broken", "--expect-status", "200,202"])
    assert code == 1
    err = capsys.readouterr().err
    assert "returned HTTP 500, expected one of [200, 202]" in err and "dataset locked" in err


def test_missing_placeholder_value_names_the_job_parameter(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.main(["--mode", "http", "--url", f"{server}/{{ws}}", "--param", "ws="]) == 1
    assert "set the job parameter(s) ws" in capsys.readouterr().err
    assert RECEIVED == []


def test_unreachable_endpoint_fails() -> None:
    with pytest.raises(runner.TaskFailed, match="failed"):
        runner.call_http(
            url="http://127.0.0.1:9/x",
            method="GET",
            headers={},
            body=None,
            expect_status=[200],
            token=None,
            timeout_s=2,
        )


def test_sql_check_passes_only_on_true(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "WORKSPACE_MOUNT", str(tmp_path))
    (tmp_path / "Shared").mkdir()
    (tmp_path / "Shared" / "check.sql").write_text("SELECT count(*) = 0 FROM bad_rows\n")
    seen: list[tuple[str, str, dict[str, str]]] = []

    def execute(rows: list[list[Any]]) -> runner.Execute:
        def run(statement: str, warehouse: str, params: dict[str, str]) -> list[list[Any]]:
            seen.append((statement, warehouse, params))
            return rows

        return run

    args = [
        "--mode",
        "sql_check",
        "--warehouse-id",
        "wh1",
        "--sql-file",
        "/Shared/check.sql",
        "--param",
        "day=2024-01-01",
    ]
    assert runner.main(args, execute=execute([["true", "x"]])) == 0
    assert seen[0] == ("SELECT count(*) = 0 FROM bad_rows\n", "wh1", {"day": "2024-01-01"})
    assert runner.main(args, execute=execute([["false"]])) == 1
    assert runner.main(args, execute=execute([])) == 1


def test_workspace_paths_are_read_through_the_workspace_mount() -> None:
    with pytest.raises(runner.TaskFailed, match=r"cannot read the SQL file /Workspace/Shared/pipespec/x\.sql"):
        runner.read_statement("/Shared/pipespec/x.sql")
    with pytest.raises(runner.TaskFailed, match=r"file /Volumes/main/q\.sql"):
        runner.read_statement("/Volumes/main/q.sql")


def test_runner_imports_with_the_standard_library_only() -> None:
    # On Databricks the file runs standalone: it must not import pipespec or anything outside stdlib at load.
    code = "import sys; sys.modules['databricks'] = None; import runpy; runpy.run_path(sys.argv[1], run_name='x')"
    subprocess.run([sys.executable, "-I", "-c", code, runner.__file__], check=True)
