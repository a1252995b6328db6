#!/usr/bin/env bash
# Creates the environment (once, see setup_env.sh) and runs the lecture tour: every lecture in turn.
# Extra arguments go to `python -m lectures --tour`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$(bash "$repo/scripts/setup_env.sh")"
cd "$repo"
exec "$venv/bin/python" -m lectures --tour "$@"
