"""Evaluates reckon-arith with full thinking, greedy, on held-out problems (>= 200 per tier), as the training
framework computes it (F16-rounded weights), and writes the golden file used by the parity test."""
import argparse
import json
import re
import time
from collections import defaultdict

import torch

import datagen
import tokenizer as tk
from export_gguf import load_f16_model
from model import greedy

ANSWER_INT = re.compile(r"-?\d+")

# Fixed prompts for the parity golden file: every tier, phrasings, a system prompt, out-of-domain, a workspace.
GOLDEN_PROMPTS = [
    ("What is 37+48?", None), ("What is 2+3?", None), ("512 - 67 = ?", None), ("Compute 512 minus 67", None),
    ("What is 4528 + 937?", None), ("What is 90817 - 4599?", None), ("What is 123456 + 654321?", None),
    ("What is 23 * 45?", None), ("What is 7 * 8?", None), ("What is 12 + 35 - 7 * 3?", None),
    ("Evaluate 9 + 14 - 6 + 30 - 2.", None), ("Sam has 25 apples and gets 17 more. How many apples does Sam have now?", None),
    ("What is the capital of France?", None), ("Hello!", None), ("What is 64 + 29?", "You are a helpful assistant."),
    ("What is 305 - 78?\nCandidate answers from earlier drafts: 227, 237, 227", None),
]


def parse_completion(ids):
    """Splits generated ids into (thinking token count, answer text)."""
    if tk.END_THINK in ids:
        k = ids.index(tk.END_THINK)
        thinking = k - (1 if ids and ids[0] == tk.THINK else 0)
        ans_ids = ids[k + 1:]
    else:
        thinking, ans_ids = len(ids), []
    ans_ids = [i for i in ans_ids if i not in (tk.IM_END, tk.EOS)]
    return thinking, tk.decode(ans_ids).strip()


def answer_value(text):
    m = ANSWER_INT.findall(text.split("=")[-1]) if "=" in text else ANSWER_INT.findall(text)
    return int(m[-1]) if m else None


def run_prompts(model, prompts, max_new=420, batch=48):
    """Greedy outputs for many prompts: batched per identical prompt length."""
    enc = [tk.encode(p) for p in prompts]
    by_len = defaultdict(list)
    for i, e in enumerate(enc):
        by_len[len(e)].append(i)
    outs = [None] * len(prompts)
    for idxs in by_len.values():
        for s in range(0, len(idxs), batch):
            chunk = idxs[s:s + batch]
            res = greedy(model, [enc[i] for i in chunk], max_new, stop_ids=(tk.IM_END, tk.EOS))
            for i, r in zip(chunk, res):
                outs[i] = r
    return outs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="work/ckpt.pt")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--report", default="work/eval.json")
    ap.add_argument("--golden", default="../golden/reckon-arith.golden.json")
    ap.add_argument("--heldout", default="../golden/heldout.jsonl")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = load_f16_model(a.ckpt)
    t0 = time.time()
    report, heldout = {}, []
    for tier in datagen.TIERS:
        items = datagen.eval_set(tier, a.n, a.seed)
        outs = run_prompts(model, [datagen.prompt_for(it["question"]) for it in items])
        ok, think = 0, []
        for it, o in zip(items, outs):
            t, ans = parse_completion(o)
            it["correct"] = answer_value(ans) == it["answer"]
            ok += it["correct"]
            think.append(t)
            heldout.append(dict(question=it["question"], answer=it["answer"], tier=tier))
        report[tier] = dict(n=len(items), accuracy=ok / len(items), mean_thinking_tokens=sum(think) / len(think))
        print(f"{tier:8s} acc {ok / len(items):.3f}  mean thinking {sum(think) / len(think):.1f}  ({time.time() - t0:.0f}s)", flush=True)
    with open(a.report, "w") as f:
        json.dump(report, f, indent=1)
    with open(a.heldout, "w") as f:
        for h in heldout:
            f.write(json.dumps(h) + "\n")
    prompts = [datagen.prompt_for(q, s) for q, s in GOLDEN_PROMPTS]
    outs = run_prompts(model, prompts, max_new=400, batch=1)
    golden = dict(
        note="Greedy outputs of the trained model as PyTorch computes them (F16-rounded weights). "
             "prompt is formatted ChatML text tokenised with special tokens; output stops at <|im_end|>.",
        max_new_tokens=400,
        cases=[dict(question=q, system=s, prompt=p, prompt_tokens=tk.encode(p), output_tokens=o, output_text=tk.decode(o))
               for (q, s), p, o in zip(GOLDEN_PROMPTS, prompts, outs)],
    )
    with open(a.golden, "w") as f:
        json.dump(golden, f, indent=1)
    print("wrote", a.report, a.golden, a.heldout)


if __name__ == "__main__":
    main()
