#!/usr/bin/env bash
# Create .venv and install Flowscope into it (editable), with the test extras when asked.
# A machine that offers a local torch wheel (pip find-links) takes it first, so we never pull the
# multi-GB CUDA build by accident; elsewhere the normal install brings torch from the index.
set -euo pipefail
extras="${1:-}"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  .venv/bin/python -m pip install --quiet --no-index --no-deps torch >/dev/null 2>&1 \
    && echo "setup: took torch from a local wheel" \
    || echo "setup: no local torch wheel; the install below brings torch from the package index"
fi
.venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
