#!/usr/bin/env bash
# Create (or reuse) the separate virtualenv that runs an `mlflow server` (tracking and model registry) for
# the separate-services topology test and for users who want one (docs/operations.md, "Scale out"). The
# project depends on mlflow-skinny only; the server needs the full `mlflow` package (Flask, gunicorn …),
# so it lives on its own, at the same MLflow version as the project's client.
#
# Usage: scripts/setup_mlflow_venv.sh [VENV_DIR] [PROJECT_PYTHON]
#   VENV_DIR        default: <repo>/.cache/mlflow-venv (or $ENVIROSENSE_MLFLOW_VENV)
#   PROJECT_PYTHON  the project's interpreter, whose mlflow-skinny version the server matches
#                   (default: <repo>/.venv/bin/python)
# Prints the path of the venv's `mlflow` executable on its last line.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-${ENVIROSENSE_MLFLOW_VENV:-$repo/.cache/mlflow-venv}}"
project_python="${2:-$repo/.venv/bin/python}"

mlflow_version="$("$project_python" -c 'import mlflow; print(mlflow.__version__)')"
stamp="mlflow==$mlflow_version"

ready() { [[ -x "$venv/bin/mlflow" && -f "$venv/.envirosense-stamp" && "$(cat "$venv/.envirosense-stamp")" == "$stamp" ]]; }

if ready; then
    echo "$venv/bin/mlflow"
    exit 0
fi

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9
if ready; then
    echo "$venv/bin/mlflow"
    exit 0
fi

base_python="$("$project_python" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')"
rm -rf "$venv"
"$base_python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip >&2
"$venv/bin/pip" install --quiet "mlflow==$mlflow_version" >&2
echo "$stamp" >"$venv/.envirosense-stamp"
echo "$venv/bin/mlflow"
