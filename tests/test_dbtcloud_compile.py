"""The dbt Cloud compiler: the article's job, the medallion's dbt part, UTC schedules, notifications, limits."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from pipespec.cron import parse_cron
from pipespec.environment import Deployment, Environment
from pipespec.ir import PipelineIR
from pipespec.project import load_string
from pipespec.targets.dbtcloud.schedule import to_utc
from pipespec.targets.dbtcloud.target import TARGET, DbtCloudStack, SlackChannelRef

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"


def load(text: str) -> tuple[PipelineIR, list[str]]:
    loaded = load_string(text, "spec.yaml", targets=["dbtcloud"])
    assert loaded.ir is not None, [d.format() for d in loaded.diagnostics]
    return loaded.ir, [d.format() for d in loaded.diagnostics if d.target == "dbtcloud"]


def medallion_dbt_part() -> str:
    """The medallion pipeline's dbt tasks, as a dbt-only spec for dbt Cloud."""
    data = yaml.safe_load((PIPELINES / "medallion_daily_refresh.yaml").read_text(encoding="utf-8"))
    dbt = {k: v for k, v in data["tasks"].items() if v["kind"] == "dbt"}
    for task in dbt.values():
        task["depends_on"] = [d for d in task.get("depends_on", []) if d in dbt]
    data["tasks"], data["targets"] = dbt, {"dbtcloud": {}}
    return yaml.safe_dump(data, sort_keys=False)


def spec(tasks: str, extra: str = "") -> str:
    return f"apiVersion: pipespec/v1\nname: p\nowner: t\ntargets: {{dbtcloud: {{}}}}\n{extra}\ntasks:\n{tasks}"


def test_the_articles_job_is_one_job_with_its_three_steps() -> None:
    ir, found = load((PIPELINES / "dbt_daily_refresh.yaml").read_text(encoding="utf-8"))
    assert not [f for f in found if "error[" in f], found
    [job] = TARGET.compile(ir).jobs
    assert job["execute_steps"] == [
        "dbt source freshness --select source:crm_bronze source:ecommerce_bronze",
        "dbt run --select staging+ marts+",
        "dbt test --select staging+ marts+",
    ]
    assert (job["target_name"], job["num_threads"]) == ("prod", 8)
    assert (job["schedule_type"], job["schedule_cron"]) == ("custom_cron", "30 3 * * *")
    assert job["triggers"] == {
        "schedule": True,
        "github_webhook": False,
        "git_provider_webhook": False,
        "on_merge": False,
    }
    assert job["execution"] == {"timeout_seconds": 3 * 3600}  # no task timeouts: the pipeline's
    assert "completion_trigger" not in job


def test_medallion_dbt_part_compiles_to_one_job_and_reports_lost_retries() -> None:
    ir, found = load(medallion_dbt_part())
    compiled = TARGET.compile(
        ir,
        Deployment(
            Environment(name="prod", name_prefix="prod_"),
            DbtCloudStack(project_id=1, environment_id=2, notification_user_id=3),
        ),
    )
    [job] = compiled.jobs
    assert job["name"] == "prod_medallion_daily_refresh"
    assert job["execute_steps"] == [
        "dbt run --select staging",
        "dbt test --select staging",
        "dbt run --select dim_customer dim_date dim_product",
        "dbt run --select fct_order_line",
        "dbt test --select marts",
    ]
    assert job["execution"]["timeout_seconds"] == 5 * 3600  # five steps of at most 1h each
    assert compiled.split.added == ()
    assert any("warning[PS423]" in f and "retries of silver_transform" in f for f in found)
    assert compiled.placeholders == ("job:silver_transform",) and compiled.missing_stack == ()
    [note] = compiled.document["notifications"]
    assert note["external_email"] == "data-team@company.com" and note["on_failures"] == ["${job:silver_transform}"]


def test_tasks_that_are_not_dbt_commands_are_rejected_with_the_articles_answer() -> None:
    text = (PIPELINES / "medallion_daily_refresh.yaml").read_text(encoding="utf-8") + "\ntargets: {dbtcloud: {}}\n"
    _, found = load(text)
    rejected = [f for f in found if "error[PS400]" in f]
    assert len(rejected) == 4  # three Bronze python tasks and the Power BI http call
    assert all("cannot run on dbt Cloud" in f and "jobs/<job>/run/" in f for f in rejected)


@pytest.mark.parametrize(
    ("cron", "timezone", "utc"),
    [
        ("0 3 * * *", "UTC", "0 3 * * *"),
        ("0 3 * * *", "Asia/Tokyo", "0 18 * * *"),
        ("30 1 * * 1", "Asia/Kolkata", "0 20 * * 0"),
        ("0 22 * * 5", "Etc/GMT+5", "0 3 * * 6"),
        ("0 1,23 * * *", "Asia/Tokyo", "0 14,16 * * *"),
    ],
)
def test_fixed_offset_schedules_translate_to_utc(cron: str, timezone: str, utc: str) -> None:
    found = to_utc(parse_cron(cron), timezone, 2024)
    assert (found.cron, found.fixed, found.problem) == (utc, True, "")


def test_daylight_saving_is_a_warning_and_impossible_shifts_are_errors() -> None:
    ir, found = load(
        spec("  a: {kind: dbt, command: run}\n", "schedule: {cron: '0 3 * * *', timezone: Europe/Berlin}\n")
    )
    assert TARGET.compile(ir).jobs[0]["schedule_cron"] == "0 1 * * *"
    assert any("warning[PS421]" in f and "observes daylight saving" in f and "UTC+01:00" in f for f in found)
    _, found = load(spec("  a: {kind: dbt, command: run}\n", "schedule: {cron: '0 3 1 * *', timezone: Asia/Tokyo}\n"))
    assert any("error[PS422]" in f and "day of the month" in f for f in found)
    _, found = load(
        spec("  a: {kind: dbt, command: run}\n", "schedule: {cron: '0,45 3 * * *', timezone: Asia/Kolkata}\n")
    )
    assert any("error[PS422]" in f for f in found)


FIXED = ["UTC", "Asia/Tokyo", "Asia/Kolkata", "Asia/Kathmandu", "Etc/GMT+5", "Etc/GMT-14", "America/Phoenix"]


@settings(max_examples=150, deadline=None)
@given(
    st.sets(st.integers(0, 59), min_size=1, max_size=3),
    st.sets(st.integers(0, 23), min_size=1, max_size=4),
    st.one_of(
        st.just("*"), st.sets(st.integers(0, 6), min_size=1, max_size=3).map(lambda s: ",".join(map(str, sorted(s))))
    ),
    st.sampled_from(FIXED),
)
def test_utc_translation_fires_at_exactly_the_same_instants(
    minutes: set[int], hours: set[int], dow: str, zone: str
) -> None:
    local = parse_cron(f"{','.join(map(str, sorted(minutes)))} {','.join(map(str, sorted(hours)))} * * {dow}")
    found = to_utc(local, zone, 2024)
    if found.problem:
        return  # reported as an error, never deployed
    utc = parse_cron(found.cron)
    tz = ZoneInfo(zone)
    start = dt.datetime(2024, 3, 4, tzinfo=dt.UTC)
    for minute in range(0, 9 * 24 * 60):
        at = start + dt.timedelta(minutes=minute)
        assert local.matches(at.astimezone(tz)) == utc.matches(at), at


def test_paused_stacks_keep_the_cron_but_turn_the_schedule_off() -> None:
    ir, _ = load(spec("  a: {kind: dbt, command: run}\n", "schedule: {cron: '0 3 * * *'}\n"))
    [job] = TARGET.compile(ir, Deployment(Environment(pause_schedules=True))).jobs
    assert job["triggers"]["schedule"] is False and job["schedule_cron"] == "0 3 * * *"


def test_parallel_branches_become_jobs_triggered_by_the_completion_of_one_job() -> None:
    tasks = (
        "  seed: {kind: dbt, command: seed}\n"
        "  stg: {kind: dbt, command: run, select: staging, depends_on: [seed]}\n"
        "  snap: {kind: dbt, command: snapshot, depends_on: [seed]}\n"
        "  marts: {kind: dbt, command: run, select: marts, depends_on: [stg]}\n"
        "  on_fail: {kind: dbt, command: run, select: alert_models, depends_on: [marts], trigger_rule: one_failed}\n"
    )
    ir, found = load(spec(tasks, "schedule: {cron: '0 4 * * *'}\n"))
    compiled = TARGET.compile(ir)
    jobs = {j["key"]: j for j in compiled.jobs}
    assert set(jobs) == {"seed", "stg", "snap", "on_fail"}
    assert jobs["seed"]["schedule_cron"] == "0 4 * * *" and jobs["seed"]["triggers"]["schedule"]
    assert jobs["stg"]["execute_steps"] == ["dbt run --select staging", "dbt run --select marts"]
    assert jobs["stg"]["completion_trigger"] == {"job": "${job:seed}", "statuses": ["success"]}
    assert "schedule_cron" not in jobs["stg"] and not jobs["stg"]["triggers"]["schedule"]
    assert jobs["snap"]["completion_trigger"] == {"job": "${job:seed}", "statuses": ["success"]}
    assert jobs["on_fail"]["completion_trigger"] == {"job": "${job:stg}", "statuses": ["error"]}
    assert jobs["seed"]["name"] == "p-seed"
    # the handler misses a failure of `seed`, which runs in the job before: said so
    assert any("warning[PS426]" in f and "does not run when seed fails" in f for f in found)


def test_notifications_go_to_email_and_slack_and_warn_for_the_rest() -> None:
    extra = (
        "channels:\n"
        "  mail: {type: email, addresses: [b@x.co, a@x.co]}\n"
        "  slack: {type: slack, webhook_url_secret: slackHook, channel: '#data'}\n"
        "  teams: {type: teams, webhook_url_secret: teamsHook}\n"
        "notify: {on_failure: [mail, slack, teams], on_success: [mail], on_start: [mail]}\n"
    )
    ir, found = load(spec("  a: {kind: dbt, command: run}\n  b: {kind: dbt, command: test, depends_on: [a]}\n", extra))
    bare = TARGET.compile(ir)
    assert bare.missing_stack == ("notification_user_id", "slack_channels.slack")
    stack = DbtCloudStack(
        notification_user_id=42, slack_channels={"slack": SlackChannelRef(id="C0123ABC", name="#data")}
    )
    notes = {n["key"]: n for n in TARGET.compile(ir, Deployment(Environment(), stack)).document["notifications"]}
    assert set(notes) == {"mail-a-x-co", "mail-b-x-co", "slack"}
    assert notes["mail-a-x-co"]["notification_type"] == 4 and notes["mail-a-x-co"]["on_successes"] == ["${job:a}"]
    assert notes["slack"] == {
        "key": "slack",
        "channel": "slack",
        "notification_type": 2,
        "slack_channel_id": "C0123ABC",
        "slack_channel_name": "#data",
        "user_id": 42,
        "on_failures": ["${job:a}"],
        "on_successes": [],
    }
    assert any("warning[PS427]" in f and "'teams' (teams) hears nothing" in f for f in found)
    assert any("warning[PS427]" in f and "on_start" in f for f in found)


def test_stack_ids_deferral_and_target_override() -> None:
    ir, _ = load(medallion_dbt_part())
    stack = DbtCloudStack(project_id=10, environment_id=20, deferring_environment_id=30, target_name="dev", threads=2)
    compiled = TARGET.compile(ir, Deployment(Environment(), stack))
    assert compiled.document["project"] == {"id": 10} and compiled.document["environment"] == {"id": 20}
    [job] = compiled.jobs
    assert (job["target_name"], job["num_threads"], job["deferring_environment_id"]) == ("dev", 2, 30)
    created = TARGET.compile(ir).document
    assert created["project"] == {"id": "${project_id}", "create": {"name": "pipespec"}}
    assert created["environment"]["create"]["type"] == "deployment"
    with pytest.raises(ValidationError, match="set the project_id"):
        DbtCloudStack(environment_id=5)


def test_event_triggers_and_several_projects_are_errors() -> None:
    _, found = load(spec("  a: {kind: dbt, command: run}\n", "triggers: [{type: file_arrival, path: 's3://x/'}]\n"))
    assert any("error[PS424]" in f for f in found)
    _, found = load(
        spec("  a: {kind: dbt, command: run, project_dir: one}\n  b: {kind: dbt, command: run, project_dir: two}\n")
    )
    assert any("error[PS429]" in f for f in found)


def test_render_is_deterministic_and_ignores_task_order() -> None:
    ir, _ = load(medallion_dbt_part())
    first = TARGET.render(ir)[0]
    data: dict[str, Any] = yaml.safe_load(medallion_dbt_part())
    data["tasks"] = dict(reversed(list(data["tasks"].items())))
    again, _ = load(yaml.safe_dump(data, sort_keys=False))
    assert TARGET.render(again)[0] == first
    assert first.filename == "medallion_daily_refresh.dbtcloud.json"
    assert json.loads(first.content)["jobs"][0]["key"] == "silver_transform"
