#!/usr/bin/env bash
# The test command: sets up everything it needs (venvs, Airflow, JS validators), then runs
# lint, the spec-schema check and the full pytest suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --with-js --with-airflow
export PIPESPEC_REQUIRE_AIRFLOW=${PIPESPEC_REQUIRE_AIRFLOW:-1}
export PIPESPEC_REQUIRE_JS=${PIPESPEC_REQUIRE_JS:-1}
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check --quiet pipespec components tests benchmarks __main__.py
echo "==> spec schema is current"
.venv/bin/pipespec schema --check --out pipelines/pipeline.schema.json
echo "==> pytest"
.venv/bin/python -m pytest "$@"
