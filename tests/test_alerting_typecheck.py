"""mypy on the alerting code: the provider SDKs' overloads name every argument, so a misspelled one fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    "components/alerting",
    "pipespec/notify_plan",
    *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("tests/test_alerting_*.py")),
]


@pytest.mark.slow  # a cold mypy cache takes a minute or two on the provider SDKs
def test_alerting_code_type_checks_against_the_provider_sdks() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", *FILES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
