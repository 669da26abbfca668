#!/usr/bin/env bash
# Sets up .venv with torch, mmcv 2.1.0 (compiled ops, built once and cached),
# mmengine, mmdet, the ONNX stack and mmdgan itself (editable). Idempotent:
# a second run with a warm wheel cache takes a minute or two.
#
# Environment knobs:
#   PYTHON          interpreter for the venv (default: python3.11, else python3)
#   VENV            venv location (default: .venv in the repository)
#   TORCH_SPEC      pip requirement(s) for torch when none is installed in the
#                   venv (default: torch==2.13.0, the CPU wheel). For CUDA, e.g.
#                   TORCH_SPEC="torch==2.5.1 --index-url https://download.pytorch.org/whl/cu121"
#   MMDGAN_CACHE    wheel cache (default: ~/.cache/mmdgan/wheels)
set -euo pipefail
cd "$(dirname "$0")/.."

MMCV_VERSION=2.1.0
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=${VENV:-.venv}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
CACHE=${MMDGAN_CACHE:-$HOME/.cache/mmdgan/wheels}
PIP_QUIET=(--quiet --disable-pip-version-check)

current_step=""
trap 'rc=$?; if [ $rc -ne 0 ]; then echo "install: step \"$current_step\" failed (exit $rc); the output above says why." >&2; fi' EXIT

step() { current_step="$1"; echo "==> $1"; }

# pip, minus the registry-mirror noise this kind of machine prints; its exit status is kept.
pip_install() {
  "${PIP[@]}" install "${PIP_QUIET[@]}" "$@" 2> >(grep -v "^WARNING: Location" >&2)
}

step "create virtual environment $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
PIP=("$PY" -m pip)
"$PY" -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 required"'

step "install torch (with numpy)"
# numpy comes with torch: torch does not require it, but warns "Failed to
# initialize NumPy" on every import without it.
NUMPY_SPEC="numpy<2.3"
if "$PY" -c 'import numpy, torch' 2>/dev/null; then
  echo "    keeping installed torch $("$PY" -c 'import torch; print(torch.__version__)')"
else
  # shellcheck disable=SC2086
  pip_install $TORCH_SPEC "$NUMPY_SPEC"
  "$PY" -c 'import numpy, torch'
fi

step "install build tools (setuptools<81: mmcv's setup.py imports pkg_resources)"
# After torch, which pulls the newest setuptools (no pkg_resources any more).
pip_install "setuptools<81" wheel ninja packaging "$NUMPY_SPEC"
"$PY" -c 'import pkg_resources, wheel, numpy' 2>/dev/null

step "install mmcv $MMCV_VERSION with compiled ops"
if "$PY" -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '$MMCV_VERSION'" 2>/dev/null; then
  echo "    mmcv $MMCV_VERSION with ops already installed"
else
  key=$("$PY" -c "import sys, torch; cuda = 'cu' + torch.version.cuda.replace('.', '') if torch.version.cuda else 'cpu'; print(f'mmcv-$MMCV_VERSION' + f'_torch-{torch.__version__.split(\"+\")[0]}-{cuda}_cp{sys.version_info[0]}{sys.version_info[1]}')")
  wheel_dir="$CACHE/$key"
  wheel=$(ls "$wheel_dir"/mmcv-*.whl 2>/dev/null | head -n 1 || true)
  if [ -z "$wheel" ]; then
    echo "    No cached mmcv wheel for $key."
    echo "    Building mmcv $MMCV_VERSION from source with its ops: this takes ~14 minutes on 2 cores,"
    echo "    once; the wheel is cached in $wheel_dir and reused afterwards."
    build_dir=$(mktemp -d)
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "${PIP[@]}" wheel "${PIP_QUIET[@]}" \
      --no-build-isolation --no-deps "mmcv==$MMCV_VERSION" -w "$build_dir"
    mkdir -p "$wheel_dir"
    built=$(ls "$build_dir"/mmcv-*.whl)
    # Copy then rename, so an interrupted build never leaves a half wheel in the cache.
    cp "$built" "$wheel_dir/.partial.whl"
    mv "$wheel_dir/.partial.whl" "$wheel_dir/$(basename "$built")"
    rm -rf "$build_dir"
    wheel="$wheel_dir/$(basename "$built")"
  else
    echo "    using cached $wheel"
  fi
  # With its dependencies (mmengine pinned here, so pip does not pick another).
  pip_install "$wheel" "mmengine==0.10.7"
  "$PY" -c 'import mmcv.ops'
fi

step "install mmengine, mmdet, ONNX stack and test tools"
pip_install -r requirements.txt -r requirements/tests.txt -c requirements/constraints.txt
"$PY" -c 'import mmengine, mmdet, onnx, onnxruntime, pycocotools'

step "install mmdgan (editable)"
pip_install --no-deps --no-build-isolation -e .

step "check the stack"
"$PY" - <<'PY'
import mmcv, mmdet, mmengine, torch
from mmcv.ops import nms  # noqa: F401  (proves the compiled ops load)
import mmdgan
print(f'    torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
      f'mmdet {mmdet.__version__}, mmdgan {mmdgan.__version__}')
PY
current_step=""
echo "==> done: activate with 'source $VENV/bin/activate'"
