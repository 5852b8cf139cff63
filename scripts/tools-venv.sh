#!/usr/bin/env bash
# tools-venv.sh NAME REQUIREMENTS -> prints the path of a venv with REQUIREMENTS installed, creating
# it only when the requirements (or the Python version) changed. The one place that makes the
# project's Python tool venvs: validate.sh (SAM CLI, cfn-lint, checkov), fuzz.sh (Schemathesis) and
# the test that compares the local reading of template.yaml with AWS's SAM transform.
#
# Venvs live under ${ORDER_CAPTURE_TOOLS_DIR:-~/.cache/order-capture/tools}, keyed by the hash of
# their requirements file: outside the work tree because `sam build` copies the whole project
# folder (CodeUri ./) once per function, and a venv is 300 MB; and shared between clones, so CI's
# fresh clone reuses the venvs of earlier runs. A lock per NAME lets a test run and validate.sh
# ask for the same venv at once.
set -euo pipefail

name=$1
requirements=$2
TOOLS_DIR=${ORDER_CAPTURE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/order-capture/tools}
PYTHON=${PYTHON:-python3}

mkdir -p "$TOOLS_DIR"
exec 9>"$TOOLS_DIR/.$name.lock"
flock 9

hash=$( { cat "$requirements"; "$PYTHON" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
dir=$TOOLS_DIR/$name-$hash
if [[ ! -f $dir/.complete ]]; then
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >"$dir.log" 2>&1 ||
    { cat "$dir.log" >&2; echo "Installing $requirements failed (log above)." >&2; exit 1; }
  touch "$dir/.complete"
  # Venvs for older requirements of the same tool are no longer needed.
  find "$TOOLS_DIR" -maxdepth 1 -name "$name-*" ! -name "$name-$hash*" -exec rm -rf {} +
fi
echo "$dir"
