"""The command line as a user meets it: exit codes, output, --help everywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipespec.cli import cli

ROOT = Path(__file__).resolve().parent.parent
MEDALLION = ROOT / "pipelines" / "medallion_daily_refresh.yaml"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipespec", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_validate_valid_folder_exits_zero_with_summary() -> None:
    proc = run("validate", "pipelines/")
    assert proc.returncode == 0, proc.stderr
    assert "medallion_daily_refresh" in proc.stdout and "0 error(s)" in proc.stdout


def test_validate_invalid_spec_exits_one_with_file_line_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: pipespec/v1\nname: p\nowner: o\ntasks:\n  a: {kind: python, script: a.py, depends_on: [b]}\n"
    )
    proc = run("validate", str(bad))
    assert proc.returncode == 1
    assert f"{bad}:5:" in proc.stderr and "unknown task 'b'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_errors_exit_two(tmp_path: Path) -> None:
    assert run("validate").returncode == 2
    assert run("validate", str(tmp_path / "missing.yaml")).returncode == 2
    assert run("validate", str(tmp_path)).returncode == 2  # a folder without specs
    assert run("graph", str(MEDALLION), "--format", "png").returncode == 2
    assert run("no-such-command").returncode == 2


def test_json_output_is_machine_readable(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: pipespec/v1\nname: p\nowner: o\ntasks: {a: {kind: pyhton, script: a.py}}\n")
    proc = run("validate", "--json", str(bad))
    assert proc.returncode == 1
    payload = json.loads(proc.stdout)
    assert payload[0]["valid"] is False
    d = payload[0]["diagnostics"][0]
    assert (d["line"], d["code"], d["path"]) == (4, "PS103", "tasks.a.kind")
    assert "python" in d["hint"]


def test_strict_turns_warnings_into_failure(tmp_path: Path) -> None:
    spec = tmp_path / "warn.yaml"
    spec.write_text(
        "apiVersion: pipespec/v1\nname: p\nowner: o\nchannels: {unused: {type: email, addresses: [a@b.co]}}\n"
        "tasks: {a: {kind: python, script: a.py}}\n"
    )
    assert run("validate", str(spec)).returncode == 0
    proc = run("validate", "--strict", str(spec))
    assert proc.returncode == 1 and "never used" in proc.stderr


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph_highlights_the_critical_path(fmt: str) -> None:
    result = CliRunner().invoke(cli, ["graph", str(MEDALLION), "--format", fmt])
    assert result.exit_code == 0, result.output
    out = result.output
    critical = [
        "bronze_ingest_orders",
        "silver_transform",
        "silver_quality_check",
        "gold_dim_customer",
        "gold_fct_order_line",
        "gold_quality_check",
        "semantic_model_refresh",
    ]
    if fmt == "mermaid":
        assert out.startswith("flowchart LR")
        assert f"class {','.join(critical)} critical" in out
        assert out.count("linkStyle") == len(critical) - 1
    else:
        assert out.startswith('digraph "medallion_daily_refresh"')
        assert '"bronze_ingest_orders" -> "silver_transform" [color="#c0392b", penwidth=3];' in out
        assert '"bronze_ingest_crm" -> "silver_transform";' in out  # not critical
        assert "critical path 2h15m" in out


def test_graph_reduce_hides_implied_edges(tmp_path: Path) -> None:
    spec = tmp_path / "tri.yaml"
    spec.write_text(
        "apiVersion: pipespec/v1\nname: p\nowner: o\ntasks:\n  a: {kind: python, script: a.py}\n"
        "  b: {kind: python, script: b.py, depends_on: [a]}\n  c: {kind: python, script: c.py, depends_on: [a, b]}\n"
    )
    full = CliRunner().invoke(cli, ["graph", str(spec)]).output
    reduced = CliRunner().invoke(cli, ["graph", str(spec), "--reduce"]).output
    assert "a --> c" in full and "a --> c" not in reduced


def test_schema_check_detects_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "schema.json"
    stale.write_text("{}\n")
    assert CliRunner().invoke(cli, ["schema", "--check", "--out", str(stale)]).exit_code == 1
    assert CliRunner().invoke(cli, ["schema", "--out", str(stale)]).exit_code == 0
    assert CliRunner().invoke(cli, ["schema", "--check", "--out", str(stale)]).exit_code == 0
    assert json.loads(stale.read_text())["properties"]["apiVersion"]["const"] == "pipespec/v1"


@pytest.mark.parametrize("command", [[], ["validate"], ["graph"], ["schema"], ["render"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.splitlines()) > 4
