#!/usr/bin/env bash
# Creates benchmarks/anchors/venv with TensorFlow (CPU) and JAX from PyPI, so that mlp-bench can run
# the reference frameworks beside SwiftGrad in the same run. Takes a few minutes; safe to re-run.
# usage: bash benchmarks/anchors/setup-venv.sh [PYTHON]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${1:-python3}"
if [ ! -x "$here/venv/bin/python" ]; then
    "$python" -m venv "$here/venv"
fi
"$here/venv/bin/python" -m pip install --quiet --upgrade pip
"$here/venv/bin/python" -m pip install --quiet numpy tensorflow-cpu jax jaxlib
"$here/venv/bin/python" -c 'import tensorflow, jax; print("tensorflow", tensorflow.__version__, "jax", jax.__version__)'
