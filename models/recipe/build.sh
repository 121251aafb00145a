#!/usr/bin/env bash
# Rebuilds the shipped model from scratch: data generation (on the fly, seeded), training, export to GGUF,
# held-out evaluation, golden greedy outputs for the parity test, and the model card's figures.
# Needs Debian's python3-torch, python3-numpy and libopenblas0-pthread (see README "Model recipe").
# Time on a 2-core machine: phase 1 ~75 min (1800 steps x 2.5 s), phase 2 ~26 min (700 steps), phase 3 ~37 min
# (1000 steps), evaluation ~3 min.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=2   # with torch.set_num_threads(1): the proven setting on 2 cores (FINDINGS.md)
STEPS=${STEPS:-1800}
mkdir -p work ../golden
STEPS2=${STEPS2:-700}
STEPS3=${STEPS3:-1000}
# phase 1: from scratch, peak lr 2.5e-3, cosine to 10 %
$PY train.py --steps "$STEPS" --lr 2.5e-3 --seed 1234 --out work/ckpt.pt | tee work/train.log
# phase 2: fine-tune from phase 1 on fresh batches (own seed), peak lr 8e-4 (the loss was still falling at 1800),
# with graded re-check shares: easy problems overthought most, as real reasoning models do (datagen.VERIFY_SHARES)
$PY train.py --steps "$STEPS2" --lr 8e-4 --seed 4321 --verify graded --init work/ckpt.pt --out work/ckpt2.pt | tee work/train2.log
# phase 3: a longer, lower-lr fine-tune (peak 5e-4) on fresh batches: the easy tiers' last slips (digit copy
# errors, a re-check that drifts from a correct first pass) go, which lifts them to the >= 99 % targets
$PY train.py --steps "$STEPS3" --lr 5e-4 --seed 5678 --verify graded --init work/ckpt2.pt --out work/ckpt3.pt | tee work/train3.log
$PY export_gguf.py --ckpt work/ckpt3.pt --out ../reckon-arith.gguf
$PY evaluate.py --ckpt work/ckpt3.pt --n 200 --seed 7 --report ../golden/eval.json
$PY card.py --eval ../golden/eval.json --gguf ../reckon-arith.gguf
