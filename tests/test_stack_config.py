"""Stack config is validated before anything is registered, with every problem listed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipespec.plan import plan_stack
from pipespec.stack import StackConfigError, namespace_values, parse_stack_config, read_stack_file

ROOT = Path(__file__).resolve().parent.parent


def problems(values: dict, secrets: frozenset[str] = frozenset()) -> list[str]:  # type: ignore[type-arg]
    with pytest.raises(StackConfigError) as exc:
        plan_stack(ROOT, "test", values, secrets)
    return [d.format() for d in exc.value.diagnostics]


def test_pipelines_setting_is_required() -> None:
    found = problems({})
    assert any("pipespec:pipelines" in p and "missing" in p for p in found)


def test_unknown_setting_gets_did_you_mean() -> None:
    found = problems({"pipelines": {"medallion_daily_refresh": ["databricks"]}, "enviroment": {"name": "dev"}})
    assert any("unknown setting 'enviroment'" in p and "did you mean 'environment'" in p for p in found)


def test_every_problem_is_listed_at_once() -> None:
    found = problems(
        {
            "pipelines": {
                "medalion_daily_refresh": ["databricks"],
                "bigquery_medallion_refresh": ["databricks", "composr"],
            },
            "databricks": {"no_such_setting": 1},
        }
    )
    text = "\n".join(found)
    assert "unknown pipeline 'medalion_daily_refresh'" in text and "did you mean 'medallion_daily_refresh'" in text
    assert "unknown target 'composr'" in text and "did you mean 'composer'" in text
    assert "unknown setting 'no_such_setting'" in text


def test_target_not_listed_by_the_spec_is_refused() -> None:
    found = problems({"pipelines": {"bigquery_medallion_refresh": ["databricks"]}})
    assert any("does not list that target" in p and "add 'databricks' under 'targets:'" in p for p in found)


def test_secrets_must_exist_and_be_secret() -> None:
    missing = problems({"pipelines": {"glue_medallion_refresh": ["stepfunctions"]}})
    assert any("needs the secret pipespec:oncallSlackWebhook" in p for p in missing)
    assert any("pulumi config set --secret pipespec:oncallSlackWebhook" in p for p in missing)
    plain = problems(
        {"pipelines": {"glue_medallion_refresh": ["stepfunctions"]}, "oncallSlackWebhook": "https://x.example"}
    )
    assert any("stored in plain text" in p for p in plain)


def test_a_bad_spec_stops_the_stack(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "pipelines", tmp_path / "pipelines")
    (tmp_path / "pipelines" / "broken.yaml").write_text("apiVersion: pipespec/v1\nname: x\nowner: o\ntasks: {}\n")
    with pytest.raises(StackConfigError) as exc:
        plan_stack(tmp_path, "dev", {"pipelines": {"medallion_daily_refresh": ["databricks"]}})
    assert any("broken.yaml" in d.file and "at least one task" in d.message for d in exc.value.diagnostics)


def test_stack_file_reading_marks_encrypted_values_secret(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.qa.yaml").write_text(
        "config:\n  aws:region: eu-west-1\n  pipespec:environment:\n    name: qa\n"
        "  pipespec:hook:\n    secure: AAABAKx9\n"
    )
    values, secret_keys = read_stack_file(tmp_path, "qa")
    assert secret_keys == ["pipespec:hook"]
    assert namespace_values(values) == {"environment": {"name": "qa"}, "hook": "synth-secret:pipespec:hook"}
    with pytest.raises(StackConfigError) as exc:
        read_stack_file(tmp_path, "nope")
    assert "stacks here: qa" in exc.value.diagnostics[0].hint


def test_environment_overlay_is_validated() -> None:
    with pytest.raises(StackConfigError) as exc:
        parse_stack_config({"pipelines": {"p": []}, "environment": {"name": "Dev Stack", "name_prefix": "dev/"}})
    text = "\n".join(d.format() for d in exc.value.diagnostics)
    assert "environment" in text and "name_prefix" in text
