"""Validation for the glue target: Glue's limits and what it only approximates, as diagnostics with
file, line, path and a hint, before anything deploys."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipespec.diagnostics import Diagnostic
from pipespec.project import load_pipeline, load_string

ROOT = Path(__file__).resolve().parents[1]
HEAD = """apiVersion: pipespec/v1
name: checks
owner: tests
targets: {glue: {}}
channels: {team: {type: email, addresses: [t@example.com]}, pager: {type: email, addresses: [p@example.com]}}
notify: {on_failure: [team]}
"""


def diagnostics(body: str, head: str = HEAD) -> list[Diagnostic]:
    loaded = load_string(head + body, "checks.yaml", targets=["glue"])
    return [d for d in loaded.diagnostics if d.target == "glue" or d.code.startswith("PS4")]


def job(name: str, deps: list[str] | None = None, extra: str = "") -> str:
    dep = f", depends_on: [{', '.join(deps)}]" if deps else ""
    return f"  {name}: {{kind: glue, script: 's3://scripts/{name}.py'{dep}{extra}}}\n"


def crawler(name: str, deps: list[str] | None = None) -> str:
    dep = f", depends_on: [{', '.join(deps)}]" if deps else ""
    return (
        f"  {name}: {{kind: glue, job_name: {name}{dep}, "
        f"targets: {{glue: {{crawler: {{database: db, s3_targets: ['s3://lake/{name}/']}}}}}}}}\n"
    )


def only(diags: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diags if d.code == code]
    assert len(found) == 1, [d.format() for d in diags]
    return found[0]


def test_shipped_glue_medallion_has_only_the_retry_warnings() -> None:
    loaded = load_pipeline(ROOT / "pipelines" / "glue_workflow_medallion.yaml", targets=["glue"])
    assert loaded.ok
    assert sorted((d.code, d.path) for d in loaded.diagnostics) == [
        ("PS485", ("tasks", "silver_customers", "retries")),
        ("PS485", ("tasks", "silver_orders", "retries")),
    ]


def test_other_kinds_are_rejected_with_a_pointer_to_step_functions() -> None:
    diags = diagnostics("tasks:\n  notify_bi: {kind: http, url: 'https://example.com/refresh'}\n" + job("load"))
    d = only(diags, "PS400")
    assert d.is_error and d.path == ("tasks", "notify_bi", "kind") and d.line == 8
    assert "cannot run on AWS Glue Workflows" in d.message and "stepfunctions target" in d.hint


def test_all_done_over_several_upstreams_cannot_be_expressed() -> None:
    body = "tasks:\n" + job("a") + job("b") + job("cleanup", ["a", "b"], ", trigger_rule: all_done")
    d = only(diagnostics(body), "PS481")
    assert d.is_error and d.path == ("tasks", "cleanup", "trigger_rule") and "single task" in d.hint


def test_all_done_after_one_task_is_fine() -> None:
    body = "tasks:\n" + job("a") + job("cleanup", ["a"], ", trigger_rule: all_done")
    assert not [d for d in diagnostics(body) if d.is_error]


def test_start_trigger_starts_at_most_50_jobs_and_2_crawlers() -> None:
    many = "tasks:\n" + "".join(job(f"j{i:02d}") for i in range(51))
    d = only(diagnostics(many), "PS482")
    assert d.is_error and "51 jobs and 0 crawlers have no dependencies" in d.message
    assert not [x for x in diagnostics("tasks:\n" + "".join(job(f"j{i:02d}") for i in range(50))) if x.is_error]
    crawlers = "tasks:\n" + "".join(crawler(f"c{i}") for i in range(3))
    assert "0 jobs and 3 crawlers" in only(diagnostics(crawlers), "PS482").message


def test_a_trigger_has_at_most_500_conditions() -> None:
    # one_failed watches FAILED and TIMEOUT of each upstream job: 251 upstreams -> 502 conditions.
    ups = [f"u{i:03d}" for i in range(251)]
    body = "tasks:\n" + "".join(job(u, ["root"]) for u in ups) + job("root")
    body += job("handler", ups, ", trigger_rule: one_failed")
    errors = [d for d in diagnostics(body) if d.code == "PS482" and d.is_error]
    assert len(errors) == 1 and "needs 502 trigger conditions" in errors[0].message
    assert errors[0].path == ("tasks", "handler", "depends_on")


def test_big_workflow_is_a_warning() -> None:
    body = "tasks:\n" + job("root") + "".join(job(f"t{i:02d}", ["root"]) for i in range(50))
    d = only(diagnostics(body), "PS482")
    assert not d.is_error and "102 jobs, crawlers and triggers" in d.message


def test_trigger_name_longer_than_glue_allows() -> None:
    long_id = "t" + "x" * 249
    d = only(diagnostics("tasks:\n" + job("root") + job(long_id, ["root"])), "PS483")
    assert d.is_error and d.path == ("tasks", long_id)


S3 = "script: 's3://scripts/c.py'"
CRAWL = "crawler: {database: db, s3_targets: ['s3://lake/']}"


@pytest.mark.parametrize(
    ("fields", "expect"),
    [
        (f"{S3}, targets: {{glue: {{{CRAWL}}}}}", "runs a crawler"),
        ("script: /local/c.py", "Glue runs scripts from S3"),
        (f"{S3}, targets: {{glue: {{job_type: python_shell, worker_type: G.2X}}}}", "apply to Spark jobs only"),
        (f"{S3}, targets: {{glue: {{job_type: python_shell, glue_version: '4.0'}}}}", "on Glue version 3.0, not 4.0"),
        (f"{S3}, targets: {{glue: {{python_shell_capacity: 1}}}}", "applies to python_shell jobs only"),
    ],
)
def test_task_definitions_glue_cannot_run(fields: str, expect: str) -> None:
    d = only(diagnostics(f"tasks:\n  c: {{kind: glue, {fields}}}\n"), "PS480")
    assert d.is_error and expect in d.message and d.path[:2] == ("tasks", "c")


def test_two_tasks_running_one_job_cannot_be_told_apart() -> None:
    body = "tasks:\n  a: {kind: glue, job_name: shared}\n  b: {kind: glue, job_name: shared, depends_on: [a]}\n"
    found = [d for d in diagnostics(body) if d.code == "PS480"]
    assert len(found) == 2 and all("triggers watch jobs and crawlers by name" in d.message for d in found)


def test_retries_say_exactly_which_waits_are_dropped() -> None:
    body = "tasks:\n" + job("a", extra=", retries: {count: 3, delay: 5m, backoff: exponential, max_delay: 15m}")
    d = only(diagnostics(body), "PS485")
    assert not d.is_error
    assert "up to 3 time(s)" in d.message and "the spec waits 5m, 10m, 15m before them" in d.message
    existing = "tasks:\n  a: {kind: glue, job_name: nightly, retries: 2}\n"
    assert "its retries are set on the job itself" in only(diagnostics(existing), "PS485").message


def test_timeouts_over_seven_days_are_errors_and_odd_seconds_are_rounded() -> None:
    d = only(diagnostics("tasks:\n" + job("a", extra=", timeout: 8d")), "PS486")
    assert d.is_error and d.path == ("tasks", "a", "timeout")
    w = only(diagnostics("tasks:\n" + job("a", extra=", timeout: 61s")), "PS486")
    assert not w.is_error and "becomes 2m" in w.message


def test_failure_handler_behind_other_tasks_is_a_warning() -> None:
    body = "tasks:\n" + job("a") + job("b", ["a"]) + job("alert", ["b"], ", trigger_rule: one_failed")
    d = only(diagnostics(body), "PS487")
    assert not d.is_error and "if a task before it fails, it never runs" in d.message


def test_notifications_glue_does_not_send_are_warnings() -> None:
    head = HEAD.replace("notify: {on_failure: [team]}", "notify: {on_failure: [team], on_success: [team]}")
    d = only(diagnostics("tasks:\n" + job("a"), head), "PS488")
    assert "on_success notifications are not sent" in d.message
    body = "tasks:\n" + job("a", extra=", notify: {on_failure: [pager]}")
    routed = only(diagnostics(body), "PS488")
    assert routed.path == ("tasks", "a", "notify", "on_failure") and "(team), not to pager" in routed.message


def test_overlapping_runs_fail_at_a_crawler() -> None:
    head = HEAD + "max_active_runs: 2\n"
    d = only(diagnostics("tasks:\n" + job("a") + crawler("c", ["a"]), head), "PS488")
    assert "c cannot run concurrently" in d.message


def test_pipeline_level_warnings_point_at_their_line(tmp_path: Path) -> None:
    spec = tmp_path / "dst.yaml"
    spec.write_text(HEAD + "schedule:\n  cron: '0 2 * * *'\n  timezone: Europe/Berlin\nsla: 2h\ntasks:\n" + job("a"))
    loaded = load_pipeline(spec, targets=["glue"])
    lines = {d.code: (d.line, d.path) for d in loaded.diagnostics if d.target == "glue"}
    assert lines["PS484"] == (9, ("schedule", "timezone"))
    assert lines["PS488"] == (10, ("sla",))
