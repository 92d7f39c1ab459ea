#!/usr/bin/env bash
# Create or update a real Apache Airflow virtualenv for the Composer target's tests and benchmark.
#
#   scripts/airflow-venv.sh 3   -> .venv-airflow3  (Airflow 3.1-3.3 + providers + dag-factory, for the benchmark)
#   scripts/airflow-venv.sh 2   -> .venv-airflow2  (Airflow 2.10 + providers, the Composer 2 image line)
#
# Airflow lives outside the project venv because Airflow 3 pulls protobuf 7 and Pulumi needs 6.
# Idempotent: a stamp file in the venv holds the hash of the requirement list (and the Python
# version); when it matches, nothing is installed. Constraint files from GitHub are not reachable
# here, so the ranges below are pinned by hand: the providers are the ones the generated DAGs import.
set -euo pipefail

major="${1:-}"
case "$major" in
  2 | 3) ;;
  *)
    echo "usage: $0 2|3" >&2
    exit 2
    ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-airflow$major"
python="${PIPESPEC_AIRFLOW_PYTHON:-$(command -v python3.11 || command -v python3)}"

if [[ "$major" == 3 ]]; then
  requirements=(
    "apache-airflow>=3.1,<3.4"
    "apache-airflow-providers-standard>=1.9,<2"
    "apache-airflow-providers-google>=18,<23"
    "apache-airflow-providers-http>=5.3,<7"
    "apache-airflow-providers-cncf-kubernetes>=10.8,<11"
    "apache-airflow-providers-amazon>=9.34,<10"
    "dag-factory>=1.0,<2"
  )
else
  requirements=(
    "apache-airflow>=2.10,<2.11"
    "apache-airflow-providers-google>=10.26,<19"
    "apache-airflow-providers-http>=4.13,<6"
    "apache-airflow-providers-cncf-kubernetes>=8.4,<11"
    "apache-airflow-providers-amazon>=9.0,<10"
  )
fi

stamp_text="$("$python" -c 'import sys; print(sys.version.split()[0])') ${requirements[*]}"
stamp_hash="$(printf '%s' "$stamp_text" | sha256sum | cut -d' ' -f1)"
stamp_file="$venv/.pipespec-stamp"

if [[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$stamp_hash" && -x "$venv/bin/airflow" ]]; then
  echo "$venv is up to date"
  exit 0
fi

echo "creating $venv with $("$python" --version) ..."
rm -f "$stamp_file"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade "pip>=24,<27"
# Resolve everything in one call so pip backtracks providers to versions that fit the Airflow range.
"$venv/bin/python" -m pip install --quiet "${requirements[@]}"
"$venv/bin/python" -m pip check || echo "warning: pip check reported conflicts (see above)" >&2
printf '%s' "$stamp_hash" >"$stamp_file"
"$venv/bin/python" - <<'EOF'
import importlib.metadata as md
for name in ("apache-airflow", "apache-airflow-providers-google", "apache-airflow-providers-http",
             "apache-airflow-providers-cncf-kubernetes", "apache-airflow-providers-standard", "dag-factory"):
    try:
        print(f"  {name}=={md.version(name)}")
    except md.PackageNotFoundError:
        pass
EOF
echo "done: $venv"
