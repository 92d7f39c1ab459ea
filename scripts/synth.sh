#!/usr/bin/env bash
# The main job: validate every spec, then synthesize the dev stack offline (no cloud
# account, no Pulumi CLI) into build/dev. Usage: scripts/synth.sh [STACK]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
stack=${1:-dev}
.venv/bin/pipespec validate pipelines/
.venv/bin/pipespec synth --stack "$stack" --out "build/$stack"
