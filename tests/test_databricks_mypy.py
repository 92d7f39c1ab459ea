"""mypy against the pulumi_databricks types: a misspelled provider argument fails CI, not `pulumi up`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typecheck import ROOT, run_mypy

FILES = [
    "components/databricks_job.py",
    "components/databricks_args.py",
    "pipespec/targets/databricks",
]
# Imported modules are analysed (their types are used) but only these files' errors are reported.


def _mypy(*paths: str) -> subprocess.CompletedProcess[str]:
    return run_mypy(*paths, cache="databricks", silent_imports=True)


def test_component_and_compiler_type_check_against_the_provider_sdk() -> None:
    result = _mypy(*FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misspelled_provider_argument_is_caught(tmp_path: Path) -> None:
    source = (ROOT / "components" / "databricks_args.py").read_text(encoding="utf-8")
    assert "min_retry_interval_millis=" in source
    broken = tmp_path / "broken_args.py"
    broken.write_text(source.replace("min_retry_interval_millis=", "min_retry_interval_milis=", 1), encoding="utf-8")
    result = _mypy(str(broken))
    assert result.returncode == 1
    assert 'Unexpected keyword argument "min_retry_interval_milis" for "JobTaskArgs"' in result.stdout
