#!/usr/bin/env bash
# Create (or reuse) the separate virtualenv that runs MLServer for the ApiBasedModelInterface tests and
# benchmark. MLServer's pins clash with ours (fastapi, starlette, protobuf), so it lives on its own.
#
# Usage: scripts/setup_mlserver_venv.sh [VENV_DIR] [PROJECT_PYTHON]
#   VENV_DIR        default: <repo>/.cache/mlserver-venv (or $ENVIROSENSE_MLSERVER_VENV)
#   PROJECT_PYTHON  the project's interpreter, whose scikit-learn, numpy and joblib versions are copied so
#                   that the served joblib file unpickles with the exact versions that wrote it
#                   (default: <repo>/.venv/bin/python)
# Prints the path of the venv's `mlserver` executable on its last line.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
venv="${1:-${ENVIROSENSE_MLSERVER_VENV:-$repo/.cache/mlserver-venv}}"
project_python="${2:-$repo/.venv/bin/python}"
mlserver_version="1.7.1"

versions="$("$project_python" -c 'import joblib, numpy, sklearn; print(sklearn.__version__, numpy.__version__, joblib.__version__)')"
read -r sklearn_version numpy_version joblib_version <<<"$versions"
stamp="mlserver==$mlserver_version scikit-learn==$sklearn_version numpy==$numpy_version joblib==$joblib_version"

if [[ -x "$venv/bin/mlserver" && -f "$venv/.envirosense-stamp" && "$(cat "$venv/.envirosense-stamp")" == "$stamp" ]]; then
    echo "$venv/bin/mlserver"
    exit 0
fi

lock="$venv.lock"
mkdir -p "$(dirname "$venv")"
exec 9>"$lock"
flock 9
if [[ -x "$venv/bin/mlserver" && -f "$venv/.envirosense-stamp" && "$(cat "$venv/.envirosense-stamp")" == "$stamp" ]]; then
    echo "$venv/bin/mlserver"
    exit 0
fi

base_python="$("$project_python" -c 'import sys; print(getattr(sys, "_base_executable", sys.executable))')"
rm -rf "$venv"
"$base_python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip >&2
"$venv/bin/pip" install --quiet \
    "mlserver==$mlserver_version" "mlserver-sklearn==$mlserver_version" \
    "scikit-learn==$sklearn_version" "numpy==$numpy_version" "joblib==$joblib_version" >&2
echo "$stamp" >"$venv/.envirosense-stamp"
echo "$venv/bin/mlserver"
