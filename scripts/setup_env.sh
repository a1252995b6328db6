#!/usr/bin/env bash
# Creates (once) the project's virtual environment from requirements/pinned.txt and installs
# minitorch, parity and lectures into it in editable mode. Prints the environment's path.
#
# The environment lives outside the clone, in a cache keyed by the pinned set, so repeated runs
# (and CI on a fresh clone) reuse it instead of reinstalling several GB:
#   ${MINITORCH_VENV_CACHE:-$HOME/.cache/minitorch}/venv-<hash of pinned.txt and python version>
# PYTHON picks the interpreter the environment is built from (default: python3).
#
# Several clones may share one environment. Its editable install points at whichever clone last
# ran this script; scripts/test.sh and scripts/tour.sh run from the clone's root, where the
# clone's own packages come first on sys.path, so that does not matter for them.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
pins="$repo/requirements/pinned.txt"
key="$( (cat "$pins"; "$python" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)"
cache="${MINITORCH_VENV_CACHE:-$HOME/.cache/minitorch}"
venv="$cache/venv-$key"

mkdir -p "$cache"
# One set-up at a time per environment (two CI jobs, or two clones, starting together).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv.lock"
    flock 9
fi

if [ ! -f "$venv/.complete" ]; then
    echo "setup_env: creating $venv (first run downloads torch, ~5 GB)" >&2
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
    "$venv/bin/python" -m pip install --quiet -r "$pins" >&2
    touch "$venv/.complete"
fi

# The editable install points at one clone and records pyproject's package list, so it is redone
# when the clone or pyproject.toml changed since the last install (about 2 s; skipped otherwise).
stamp="$repo $(sha256sum "$repo/pyproject.toml" | cut -c1-16)"
if [ "$(cat "$venv/.editable" 2>/dev/null || true)" != "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e "$repo" >&2
    echo "$stamp" > "$venv/.editable"
fi
echo "$venv"
