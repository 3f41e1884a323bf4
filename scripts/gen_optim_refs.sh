#!/usr/bin/env bash
# Regenerates tests/data/optim_refs.json from PyTorch (torch.optim) and optax.
#
# Creates a virtualenv in scripts/.venv (gitignored) and installs the
# reference libraries from PyPI, then runs scripts/gen_optim_refs.py.
# Only the maintainers need this; `cargo test` reads the committed JSON and
# never needs Python.
#
# About the size of torch: PyPI serves only the CUDA build of torch for
# Linux x86_64 (the wheel itself plus ~2.5 GB of nvidia-* dependency wheels;
# `import torch` needs them even on a machine without a GPU, so
# `--no-deps` does not work). It is a one-off download into the venv, and
# the script forces the CPU device and float64. Set TORCH_SPEC to pin a
# version, e.g. TORCH_SPEC='torch==2.5.1'.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
py="${PYTHON:-python3}"
if [[ ! -x "$venv/bin/python" ]]; then
    "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
if ! "$venv/bin/python" -c 'import torch, optax, jax' 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet "${TORCH_SPEC:-torch}" "optax" "jax[cpu]" numpy
fi
"$venv/bin/python" "$here/gen_optim_refs.py" "$here/../tests/data/optim_refs.json"
