"""Turns the v2 evaluation into the model card's tables and the manifest's measured thinking shares."""
import argparse
import hashlib
import json
import os

ap = argparse.ArgumentParser()
ap.add_argument("--eval", default="../golden/eval.json")
ap.add_argument("--gguf", default="../reckon-arith.gguf")
ap.add_argument("--manifest", default="../reckon-arith.reckon.json")
a = ap.parse_args()
ev = json.load(open(a.eval))
sha = hashlib.sha256(open(a.gguf, "rb").read()).hexdigest()
levels = ["low", "medium", "high"]


def pct(x):
    return f"{100 * x:.1f} %"


rows = ["| tier | n | " + " | ".join(f"{lv} acc | {lv} think" for lv in levels) + " |",
        "|---|---|" + "---|---|" * len(levels)]
shares = {lv: [] for lv in levels}
for tier, per in ev["effort"].items():
    cells = []
    for lv in levels:
        cells += [pct(per[lv]["accuracy"]), f"{per[lv]['mean_thinking_tokens']:.1f}"]
        shares[lv].append(per[lv]["mean_thinking_tokens"] / per["high"]["mean_thinking_tokens"])
    rows.append(f"| {tier} | {per['high']['n']} | " + " | ".join(cells) + " |")
share = {lv: round(sum(v) / len(v), 3) for lv, v in shares.items()}
overall = {lv: sum(p[lv]["accuracy"] for p in ev["effort"].values()) / len(ev["effort"]) for lv in levels}
rows.append("| mean over tiers | | " + " | ".join(f"{pct(overall[lv])} | {100 * share[lv]:.0f} % of high" for lv in levels) + " |")
rows += ["", "| tier | trained phrasing (\"What is ...?\", high) | phrasings never trained on (default effort) | gap |", "|---|---|---|---|"]
for tier, r in ev["phrasing"].items():
    rows.append(f"| {tier} | {pct(r['plain']['accuracy'])} | {pct(r['heldout']['accuracy'])} | "
                f"{100 * (r['heldout']['accuracy'] - r['plain']['accuracy']):+.1f} points |")
rows += ["", "| two-turn follow-ups | n | accuracy | mean thinking |", "|---|---|---|---|"]
for k, r in ev["followup"].items():
    rows.append(f"| {k} | {r['n']} | {pct(r['accuracy'])} | {r['mean_thinking_tokens']:.1f} |")
open("../golden/card-table.md", "w").write("\n".join(rows) + "\n")
m = json.load(open(a.manifest))
m.setdefault("effort", {})["thinkingShare"] = share
json.dump(m, open(a.manifest, "w"), indent=2)
open(a.manifest, "a").write("\n")
print("\n".join(rows))
print(f"size {os.path.getsize(a.gguf)} bytes, sha256 {sha}; thinking share {share}")
