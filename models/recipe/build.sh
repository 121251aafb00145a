#!/usr/bin/env bash
# Rebuilds the shipped model from scratch: data generation (on the fly, seeded), training, export to GGUF,
# held-out evaluation, golden greedy outputs for the parity test, and the model card's figures.
# Needs Debian's python3-torch, python3-numpy and libopenblas0-pthread (see README "Model recipe").
# Time on a 2-core machine: ~90 min of training + ~5 min evaluation.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=2   # with torch.set_num_threads(1): the proven setting on 2 cores (FINDINGS.md)
STEPS=${STEPS:-1800}
mkdir -p work ../golden
$PY train.py --steps "$STEPS" --lr 2.5e-3 --seed 1234 --out work/ckpt.pt | tee work/train.log
$PY export_gguf.py --ckpt work/ckpt.pt --out ../reckon-arith.gguf
$PY evaluate.py --ckpt work/ckpt.pt --n 200 --seed 7 --report ../golden/eval.json
$PY card.py --eval ../golden/eval.json --gguf ../reckon-arith.gguf
