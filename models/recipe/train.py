"""Trains reckon-arith. Deterministic: same seed + same --steps + same thread settings -> same weights.
Each step's batch comes from Random(seed, step), so a run resumed from a checkpoint is identical too."""
import argparse
import math
import os
import random
import time
import torch
import torch.nn.functional as F

import datagen
import datagen2
import tokenizer as tk
from model import CONFIG, TinyLlama


def batch_for(step, seed, rows, ctx, verify="flat", data="v1"):
    """Packs whole examples into `rows` rows of ctx tokens. Each example keeps its own positions (reset to 0)
    and attends only within itself (block-diagonal causal mask), so packing changes nothing but speed."""
    rng = random.Random(seed * 1_000_003 + step)
    x = torch.zeros(rows, ctx, dtype=torch.long)
    y = torch.full((rows, ctx), -100, dtype=torch.long)
    pos = torch.zeros(rows, ctx, dtype=torch.long)
    seg = torch.full((rows, ctx), -1, dtype=torch.long)
    pending = None
    for r in range(rows):
        used, n = 0, 0
        while True:
            if pending is None:
                prompt, completion = (datagen2 if data.startswith("v2") else datagen).sample_example(rng, verify=verify)
                p, c = tk.encode(prompt), tk.encode(completion, bos=False)
                if len(p) + len(c) > ctx:
                    continue
                pending = (p, c)
            p, c = pending
            ids = p + c
            if used + len(ids) > ctx:
                break
            x[r, used:used + len(ids)] = torch.tensor(ids)
            # predict every completion token from the one before it (loss on the answer side only)
            y[r, used + len(p) - 1:used + len(ids) - 1] = torch.tensor(c)
            pos[r, used:used + len(ids)] = torch.arange(len(ids))
            seg[r, used:used + len(ids)] = n
            used, n, pending = used + len(ids), n + 1, None
    mask = (seg[:, :, None] == seg[:, None, :]) & torch.ones(ctx, ctx, dtype=torch.bool).tril()
    return x, y, pos, mask[:, None]


def lr_at(step, steps, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--rows", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--out", default="work/ckpt.pt")
    ap.add_argument("--save-every", type=int, default=250)
    ap.add_argument("--warmup", type=int, default=150, help="linear warm-up steps (shorter when continuing a run)")
    ap.add_argument("--stop-at", type=int, default=None,
                    help="end after this many steps of a --steps schedule (the schedule, hence the weights, unchanged)")
    ap.add_argument("--verify", default="flat", choices=sorted(datagen.VERIFY_SHARES),
                    help="share of re-check traces per tier (datagen.VERIFY_SHARES)")
    ap.add_argument("--data", default="v1", choices=["v1", "v2a", "v2", "v2c"],
                    help="v1: datagen.py (phases 1-3); v2a: datagen2.py's phase-4 mixture (effort levels, phrasings, "
                         "follow-ups); v2: datagen2.py as it is (phase 5: comparison lines, high always re-checks); "
                         "v2c: datagen2.py's phase-6 mixture (operands restated before the columns, re-check by the "
                         "inverse operation)")
    ap.add_argument("--init", default=None,
                    help="phase 2: start from this checkpoint's weights (fresh optimiser, own seed and schedule)")
    args = ap.parse_args()
    if args.data == "v2a":
        datagen2.use_phase4_mixture()
    elif args.data == "v2c":
        datagen2.use_phase6_mixture()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    model = TinyLlama(len(tk.TOKENS))
    decay = [p for p in model.parameters() if p.dim() == 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
    start = 0
    if args.init:
        model.load_state_dict(torch.load(args.init)["model"])
        print(f"initialised from {args.init}", flush=True)
    if os.path.exists(args.out):
        ck = torch.load(args.out)
        if ck["args"]["seed"] == args.seed and ck["args"]["steps"] == args.steps:
            model.load_state_dict(ck["model"]); opt.load_state_dict(ck["opt"]); start = ck["step"]
            torch.set_rng_state(ck["torch_rng"])
            print(f"resumed at step {start}", flush=True)
    print(f"params {sum(p.numel() for p in model.parameters())} config {CONFIG}", flush=True)
    t0, ema = time.time(), None
    for step in range(start, min(args.steps, args.stop_at or args.steps)):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.steps, args.lr, args.warmup)
        x, y, pos, mask = batch_for(step, args.seed, args.rows, CONFIG["ctx"], args.verify, args.data)
        model.train()
        logits = model(x, pos=pos, mask=mask)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 25 == 0 or step == args.steps - 1:
            el = time.time() - t0
            print(f"step {step} loss {loss.item():.4f} ema {ema:.4f} lr {lr_at(step, args.steps, args.lr, args.warmup):.2e} "
                  f"tok {int((y != -100).sum())} elapsed {el:.0f}s ({el / (step - start + 1):.2f}s/step)", flush=True)
        if (step + 1) % args.save_every == 0 or step + 1 in (args.steps, args.stop_at):
            ck = dict(model=model.state_dict(), opt=opt.state_dict(), step=step + 1, args=vars(args),
                      torch_rng=torch.get_rng_state(), config=CONFIG)
            torch.save(ck, args.out + ".tmp")
            os.replace(args.out + ".tmp", args.out)
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
