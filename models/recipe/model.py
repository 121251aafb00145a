"""Tiny llama (RMSNorm, RoPE on adjacent pairs as llama.cpp's llama arch does, SwiGLU, untied output).
Attention is written by hand (torch 1.13 has no scaled_dot_product_attention)."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIG = dict(dim=128, n_layers=4, n_heads=4, ffn=352, ctx=512, rope_base=10000.0, eps=1e-5)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps, self.weight = eps, nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(head_dim, ctx, base):
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
    ang = torch.outer(torch.arange(ctx).float(), inv)  # [ctx, head_dim/2]
    return ang.cos(), ang.sin()


def apply_rope(x, cos, sin):
    # x: [B, H, T, D]; rotate adjacent pairs (x[2i], x[2i+1])
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return out.flatten(-2)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["dim"]
        self.n_heads, self.hd = c["n_heads"], d // c["n_heads"]
        self.attn_norm, self.ffn_norm = RMSNorm(d, c["eps"]), RMSNorm(d, c["eps"])
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(d, d, bias=False) for _ in range(4))
        self.w_gate, self.w_up = nn.Linear(d, c["ffn"], bias=False), nn.Linear(d, c["ffn"], bias=False)
        self.w_down = nn.Linear(c["ffn"], d, bias=False)

    def forward(self, x, cos, sin, mask, cache=None):
        B, T, D = x.shape
        h = self.attn_norm(x)
        q, k, v = (w(h).view(B, T, self.n_heads, self.hd).transpose(1, 2) for w in (self.wq, self.wk, self.wv))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            if "k" in cache:
                k, v = torch.cat([cache["k"], k], 2), torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.hd)
        if mask is not None:
            att = att.masked_fill(~mask, float("-inf"))
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class TinyLlama(nn.Module):
    def __init__(self, vocab, c=CONFIG):
        super().__init__()
        self.c = c
        self.tok = nn.Embedding(vocab, c["dim"])
        self.blocks = nn.ModuleList(Block(c) for _ in range(c["n_layers"]))
        self.norm = RMSNorm(c["dim"], c["eps"])
        self.out = nn.Linear(c["dim"], vocab, bias=False)
        cos, sin = rope_tables(c["dim"] // c["n_heads"], c["ctx"], c["rope_base"])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)
        for b in self.blocks:  # scaled init of residual projections
            nn.init.normal_(b.wo.weight, std=0.02 / math.sqrt(2 * c["n_layers"]))
            nn.init.normal_(b.w_down.weight, std=0.02 / math.sqrt(2 * c["n_layers"]))

    def forward(self, idx, caches=None, start=0, pos=None, mask=None):
        B, T = idx.shape
        x = self.tok(idx)
        if pos is not None:  # packed training rows: per-token positions, per-example mask given
            cos, sin = self.cos[pos][:, None], self.sin[pos][:, None]
        else:
            cos, sin = self.cos[start:start + T], self.sin[start:start + T]
        if mask is None and T > 1:
            total = start + T
            mask = torch.ones(T, total, dtype=torch.bool).tril(diagonal=start)
        for i, b in enumerate(self.blocks):
            x = b(x, cos, sin, mask, None if caches is None else caches[i])
        return self.out(self.norm(x))


@torch.no_grad()
def greedy(model, prompts, max_new=400, stop_ids=()):
    """Batched greedy decoding with a KV cache; all prompts must have the same length."""
    model.eval()
    idx = torch.tensor(prompts)
    caches = [dict() for _ in model.blocks]
    logits = model(idx, caches, 0)[:, -1]
    pos, outs = idx.shape[1], [[] for _ in prompts]
    done = [False] * len(prompts)
    for _ in range(max_new):
        nxt = logits.argmax(-1)
        for i, t in enumerate(nxt.tolist()):
            if not done[i]:
                outs[i].append(t)
                done[i] = t in stop_ids
        if all(done) or pos >= model.c["ctx"]:
            break
        logits = model(nxt[:, None], caches, pos)[:, -1]
        pos += 1
    return outs
