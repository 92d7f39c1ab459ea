"""The whole project type-checks against the provider SDKs (pulumi_aws, pulumi_gcp,
pulumi_databricks, pulumi_dbtcloud): a misspelled argument fails CI, not a user's `pulumi up`.

Per-target tests also check that a deliberately misspelled argument is caught; this one keeps
every module honest with no import silenced.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_pipespec_components_and_program_pass_mypy() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--cache-dir",
            str(ROOT / ".mypy_cache" / "project"),
            "pipespec",
            "components",
            "__main__.py",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout
