#!/usr/bin/env bash
# Creates the environment (once, see setup_env.sh) and runs the test suite with pytest.
# Extra arguments go to pytest:   bash scripts/test.sh -m slow     bash scripts/test.sh tests/test_packaging.py
# Fails when no test ran (nothing collected, everything deselected, or everything skipped).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$(bash "$repo/scripts/setup_env.sh")"
cd "$repo"

rc=0
PYTHONPATH="$repo/scripts${PYTHONPATH:+:$PYTHONPATH}" \
    "$venv/bin/python" -m pytest -p pytest_ran_guard "$@" || rc=$?

if [ "$rc" -eq 5 ]; then
    echo "test.sh: FAILED: no test ran (none collected, all deselected, or all skipped); args: ${*:-<none>}" >&2
    exit 1
fi
exit "$rc"
