#!/usr/bin/env bash
# reckon-arith v2, phase 4 (not shipped yet: see models/README.md "v2, in progress"): fine-tunes the shipped v1
# weights (read back from its GGUF exactly as shipped, F16-rounded) on datagen2.py's mixture - effort levels read
# from a system line, phrasings with templates held out of training, results below zero, two- and three-turn
# follow-ups, 3x1 multiplication - then evaluates every tier at every effort level, held-out phrasings and
# follow-ups (evaluate2.py) and writes the card tables (card2.py). Writes only under work/ unless OUT is set.
# Time on a 2-core machine: 800 steps x ~5.5 s = ~75 min, evaluation ~25 min.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=2   # with torch.set_num_threads(1): the proven setting on 2 cores (FINDINGS.md)
STEPS4=${STEPS4:-800}
STOP4=${STOP4:-$STEPS4}
OUT=${OUT:-work/v2}
mkdir -p work "$OUT"
$PY import_gguf.py --gguf ../reckon-arith.gguf --out work/v1.pt
$PY train.py --data v2 --steps "$STEPS4" --stop-at "$STOP4" --lr 1.2e-3 --seed 2468 --init work/v1.pt --out work/ckpt4.pt --save-every 100 | tee work/train4.log
$PY export_gguf.py --ckpt work/ckpt4.pt --out "$OUT/reckon-arith.gguf"
$PY evaluate2.py --ckpt work/ckpt4.pt --n 200 --seed 7 --report "$OUT/eval.json" --golden "$OUT/reckon-arith.golden.json" \
  --heldout "$OUT/heldout.jsonl" --behaviour "$OUT/behaviour.jsonl"
