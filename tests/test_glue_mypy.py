"""mypy against the pulumi_aws types: a misspelled provider argument fails CI, not `pulumi up`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typecheck import ROOT, run_mypy


def _mypy(*paths: str) -> subprocess.CompletedProcess[str]:
    # Imported modules are type-checked for their types but their own errors are not reported here.
    return run_mypy(*paths, cache="glue", silent_imports=True)


def test_component_and_compiler_type_check_against_pulumi_aws() -> None:
    result = _mypy("components/glue_workflow.py", "pipespec/targets/glue")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_misspelled_provider_argument_is_caught(tmp_path: Path) -> None:
    source = (ROOT / "components" / "glue_workflow.py").read_text(encoding="utf-8")
    assert "start_on_creation=" in source
    broken = tmp_path / "broken_glue.py"
    broken.write_text(source.replace("start_on_creation=", "start_on_create=", 1), encoding="utf-8")
    result = _mypy(str(broken))
    assert result.returncode == 1
    assert 'Unexpected keyword argument "start_on_create" for overloaded function "Trigger"' in result.stdout
