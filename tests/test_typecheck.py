"""The whole project type-checks against the provider SDKs (pulumi_aws, pulumi_gcp,
pulumi_databricks, pulumi_dbtcloud): a misspelled argument fails CI, not a user's `pulumi up`.

Per-target tests also check that a deliberately misspelled argument is caught; this one keeps
every module honest with no import silenced.
"""

from __future__ import annotations

from typecheck import run_mypy


def test_pipespec_components_and_program_pass_mypy() -> None:
    result = run_mypy("pipespec", "components", "__main__.py", cache="project")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert result.stdout.strip() == ""  # no error lines at all
