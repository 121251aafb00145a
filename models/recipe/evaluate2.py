"""Evaluates reckon-arith v2, greedy, on held-out problems (F16-rounded weights, as shipped):
- every tier at every effort level (plain "What is ...?" phrasing): accuracy and mean thinking tokens;
- every tier with phrasings never trained on (datagen2.HELDOUT_TEMPLATES), default effort;
- two-turn follow-ups (trained and never-trained follow-up templates);
and writes eval.json, the held-out sample the behaviour test reads, and the golden outputs for the parity test."""
import argparse
import json
import random
import time

import torch

import datagen2 as d2
import tokenizer as tk
from evaluate import answer_value, parse_completion, run_prompts
from export_gguf import load_f16_model

# Fixed prompts for the parity golden file: (question, system, history, effort).
GOLDEN_PROMPTS = [
    ("What is 37+48?", None, [], None), ("What is 37+48?", None, [], "low"), ("What is 37+48?", None, [], "medium"),
    ("What is 37+48?", None, [], "high"), ("What is 7-12?", None, [], None), ("512 - 67 = ?", None, [], "low"),
    ("Compute 512 minus 67", None, [], None), ("What is 4528 + 937?", None, [], "medium"),
    ("What is 90817 - 4599?", None, [], "low"), ("What is 23 * 45?", None, [], None), ("What is 312 * 7?", None, [], "low"),
    ("What is 12 + 35 - 7 * 3?", None, [], None), ("Evaluate 9 + 14 - 6 + 30 - 2.", None, [], "low"),
    ("Can you add 1,250 and 3,475?", None, [], None), ("whats 64+29", None, [], None),
    ("and times 3?", None, [["user", "What is 37+48?"], ["assistant", "37 + 48 = 85"]], None),
    ("now subtract 100", None, [["user", "What is 37+48?"], ["assistant", "37 + 48 = 85"]], "low"),
    ("What is the capital of France?", None, [], None), ("Hello!", None, [], "low"),
    ("What is 64 + 29?", "You are a helpful assistant.", [], "medium"),
    ("What is 305 - 78?\nCandidate answers from earlier drafts: 227, 237, 227", None, [], None),
]


def prompt_of(item, effort):
    return d2.prompt_for(item["question"], None, [tuple(h) for h in item.get("history", [])], effort)


def score(model, items, effort):
    """Accuracy and mean thinking over items; each item also keeps its own result under item["pt"][effort]."""
    outs = run_prompts(model, [prompt_of(it, effort) for it in items])
    ok, think = 0, []
    for it, o in zip(items, outs):
        t, ans = parse_completion(o)
        correct = answer_value(ans) == it["answer"]
        it.setdefault("pt", {})[effort or "default"] = dict(correct=correct, thinking=t)
        ok += correct
        think.append(t)
    return dict(n=len(items), accuracy=ok / len(items), mean_thinking_tokens=sum(think) / len(think))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="work/ckpt4.pt")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tiers", default=",".join(d2.TIERS))
    ap.add_argument("--efforts", default="low,medium,high")
    ap.add_argument("--report", default="work/eval2.json")
    ap.add_argument("--golden", default=None, help="write the parity golden file here")
    ap.add_argument("--heldout", default=None, help="write every plain held-out problem here (eval, audit, probe sets)")
    ap.add_argument("--heldout-phrasings", default=None,
                    help="write plain and held-out-phrasing items, interleaved per tier, with their group (reckon eval --set)")
    ap.add_argument("--behaviour", default=None, help="write the behaviour test's sample (with PyTorch's results) here")
    ap.add_argument("--sample", type=int, default=8, help="items per tier and group in the held-out sample")
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = load_f16_model(a.ckpt)
    t0 = time.time()
    report = dict(effort={}, phrasing={}, followup={})
    sample, plain_all, mixed = [], [], []
    for tier in a.tiers.split(","):
        plain = d2.eval_set(tier, a.n, a.seed)
        report["effort"][tier] = {}
        for effort in a.efforts.split(","):
            r = score(model, plain, effort)
            report["effort"][tier][effort] = r
            print(f"{tier:8s} {effort:6s} acc {r['accuracy']:.3f} think {r['mean_thinking_tokens']:.1f} ({time.time() - t0:.0f}s)", flush=True)
        plain_all += plain
        for it in plain[:a.sample]:
            sample.append(dict(it, group="plain"))
        held = d2.eval_set(tier, a.n, a.seed, phrasing="heldout")
        r = score(model, held, None)
        report["phrasing"][tier] = dict(heldout=r, plain=report["effort"][tier].get("high"))
        print(f"{tier:8s} held-out phrasing acc {r['accuracy']:.3f} ({time.time() - t0:.0f}s)", flush=True)
        sample += [dict(it, group="phrasing") for it in held[:a.sample]]
        for p_it, h_it in zip(plain, held):
            mixed += [dict(p_it, group="plain"), dict(h_it, group="phrasing")]
    for heldout in (False, True):
        items = d2.followup_set(a.n, a.seed, heldout)
        key = "heldout-templates" if heldout else "trained-templates"
        report["followup"][key] = score(model, items, None)
        print(f"follow-up {key} acc {report['followup'][key]['accuracy']:.3f} ({time.time() - t0:.0f}s)", flush=True)
        sample += [dict(it, group="follow-up") for it in items[:a.sample * 2]]
    with open(a.report, "w") as f:
        json.dump(report, f, indent=1)
    if a.heldout:
        with open(a.heldout, "w") as f:
            for s in plain_all:
                f.write(json.dumps(dict(question=s["question"], answer=s["answer"], tier=s["tier"])) + "\n")
    if a.heldout_phrasings:
        with open(a.heldout_phrasings, "w") as f:
            for s in mixed:
                f.write(json.dumps(dict(question=s["question"], answer=s["answer"], tier=s["tier"], group=s["group"])) + "\n")
    if a.behaviour:
        with open(a.behaviour, "w") as f:
            for s in sample:
                # pt: what PyTorch got on this very item per effort level; the behaviour test compares against it
                f.write(json.dumps(dict(question=s["question"], answer=s["answer"], tier=s["tier"], group=s["group"],
                                        history=s.get("history", []), pt=s["pt"])) + "\n")
    if a.golden:
        prompts = [d2.prompt_for(q, s, [tuple(h) for h in hist], e) for q, s, hist, e in GOLDEN_PROMPTS]
        outs = run_prompts(model, prompts, max_new=400, batch=1)
        golden = dict(
            note="Greedy outputs of the trained model as PyTorch computes them (F16-rounded weights). "
                 "prompt is formatted ChatML text tokenised with special tokens; output stops at <|im_end|>.",
            max_new_tokens=400,
            cases=[dict(question=q, system=s, history=hist, effort=e, prompt=p, prompt_tokens=tk.encode(p),
                        output_tokens=o, output_text=tk.decode(o))
                   for (q, s, hist, e), p, o in zip(GOLDEN_PROMPTS, prompts, outs)],
        )
        with open(a.golden, "w") as f:
            json.dump(golden, f, indent=1)
    print("wrote", a.report, a.golden or "", a.heldout or "", f"({time.time() - t0:.0f}s)")


if __name__ == "__main__":
    main()
