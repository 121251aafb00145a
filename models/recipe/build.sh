#!/usr/bin/env bash
# Rebuilds the shipped model from scratch: data generation (on the fly, seeded), training, export to GGUF,
# held-out evaluation, golden greedy outputs for the parity test, and the model card's figures.
# Needs Debian's python3-torch, python3-numpy and libopenblas0-pthread (see README "Model recipe").
# Phases 1-3 build reckon-arith v1 (datagen.py); phase 4 fine-tunes it into v2 (datagen2.py: effort levels,
# phrasings, results below zero, follow-ups, 3x1 multiplication), starting from v1 exactly as shipped (F16-rounded,
# read back from its GGUF), so an install of v1 and this recipe agree bit for bit.
# Time on a 2-core machine: phase 1 ~75 min (1800 steps x 2.5 s), phase 2 ~26 min (700 steps), phase 3 ~37 min
# (1000 steps), phase 4 ~70 min (800 steps x ~5 s), v2 evaluation ~25 min.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=2   # with torch.set_num_threads(1): the proven setting on 2 cores (FINDINGS.md)
STEPS=${STEPS:-1800}
mkdir -p work ../golden
STEPS2=${STEPS2:-700}
STEPS3=${STEPS3:-1000}
STEPS4=${STEPS4:-800}
STOP4=${STOP4:-$STEPS4}
# phase 1: from scratch, peak lr 2.5e-3, cosine to 10 %
$PY train.py --steps "$STEPS" --lr 2.5e-3 --seed 1234 --out work/ckpt.pt | tee work/train.log
# phase 2: fine-tune from phase 1 on fresh batches (own seed), peak lr 8e-4 (the loss was still falling at 1800),
# with graded re-check shares: easy problems overthought most, as real reasoning models do (datagen.VERIFY_SHARES)
$PY train.py --steps "$STEPS2" --lr 8e-4 --seed 4321 --verify graded --init work/ckpt.pt --out work/ckpt2.pt | tee work/train2.log
# phase 3: a longer, lower-lr fine-tune (peak 5e-4) on fresh batches: the easy tiers' last slips (digit copy
# errors, a re-check that drifts from a correct first pass) go, which lifts them to the >= 99 % targets
$PY train.py --steps "$STEPS3" --lr 5e-4 --seed 5678 --verify graded --init work/ckpt2.pt --out work/ckpt3.pt | tee work/train3.log
$PY export_gguf.py --ckpt work/ckpt3.pt --out work/reckon-arith-v1.gguf
# phase 4 (v2): from v1's shipped F16 weights, peak lr 1.2e-3, on datagen2's mixture
$PY import_gguf.py --gguf work/reckon-arith-v1.gguf --out work/v1.pt
$PY train.py --data v2 --steps "$STEPS4" --stop-at "$STOP4" --lr 1.2e-3 --seed 2468 --init work/v1.pt --out work/ckpt4.pt --save-every 100 | tee work/train4.log
$PY export_gguf.py --ckpt work/ckpt4.pt --out ../reckon-arith.gguf
$PY evaluate2.py --ckpt work/ckpt4.pt --n 200 --seed 7 --report ../golden/eval.json --golden ../golden/reckon-arith.golden.json \
  --heldout ../golden/heldout.jsonl --behaviour ../golden/behaviour.jsonl
$PY card2.py --eval ../golden/eval.json --gguf ../reckon-arith.gguf
