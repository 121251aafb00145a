#!/usr/bin/env bash
# reckon-arith v2, phases 4-6: fine-tunes v1 (read back from its GGUF exactly as shipped, F16-rounded) on datagen2.py -
# effort levels read from a system line, phrasings with templates held out of training, results below zero, two- and
# three-turn follow-ups, 3x1 multiplication - then evaluates every tier at every effort level, held-out phrasings and
# follow-ups (evaluate2.py) and writes the card tables and the manifest's thinking shares (card2.py).
# Not shipped (models/README.md "v2, in progress"): V1 is the v1 GGUF (the shipped file); writes only under work/v2.
# Time on a 2-core machine: phase 4 800 steps x ~5.5 s = ~75 min, phase 5 500 steps x ~5.6 s = ~47 min, phase 6
# 750 steps x ~5.6 s = ~70 min, evaluation ~25 min.
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
V1=${V1:-../reckon-arith.gguf}
OUT=${OUT:-work/v2}
GOLDEN=${GOLDEN:-$OUT/golden}
mkdir -p work "$GOLDEN"
$PY import_gguf.py --gguf "$V1" --out work/v1.pt
# phase 4 (v2a): the first v2 mixture (no comparison line when a >= b, high re-checks 90 %), peak lr 1.2e-3.
# One BLAS thread (with torch.set_num_threads(1)): two are fastest only on 2 quiet cores and starve each other
# when anything else runs (FINDINGS.md).
OPENBLAS_NUM_THREADS=1 $PY train.py --data v2a --steps 800 --lr 1.2e-3 --seed 2468 --init work/v1.pt --out work/ckpt4.pt --save-every 100 | tee work/train4.log
# phase 5 (v2): every subtraction decides its sign in the open (`59>=30`, `7<12`), high always re-checks, more
# explicit-high examples; peak lr 8e-4, short warm-up. One BLAS thread: two starve each other when the machine is
# busy (a step went from 5.6 s to 21 s under load).
OPENBLAS_NUM_THREADS=1 $PY train.py --data v2 --steps 500 --lr 8e-4 --warmup 40 --seed 1357 --init work/ckpt4.pt --out work/ckpt5.pt --save-every 100 | tee work/train5.log
# phase 6 (v2c): the line before the column work restates the operands in column order (`59>=30, so 59-30`), high
# re-checks the last step by its inverse (a+b=r as r-b) instead of copying the trace, more subtraction; from phase 5.
OPENBLAS_NUM_THREADS=1 $PY train.py --data v2c --steps 360 --lr 8e-4 --warmup 20 --seed 9753 --init work/ckpt5.pt --out work/ckpt6.pt --save-every 60 | tee work/train6.log
$PY export_gguf.py --ckpt work/ckpt6.pt --out "$OUT/reckon-arith.gguf"
$PY evaluate2.py --ckpt work/ckpt6.pt --n 200 --seed 7 --report "$GOLDEN/eval.json" --golden "$GOLDEN/reckon-arith.golden.json" \
  --heldout "$GOLDEN/heldout.jsonl" --heldout-phrasings "$GOLDEN/heldout-phrasings.jsonl" --behaviour "$GOLDEN/behaviour.jsonl"
# card2.py --eval "$GOLDEN/eval.json" --gguf "$OUT/reckon-arith.gguf" writes the card tables once v2 ships.
