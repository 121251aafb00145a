"""Reads a reckon-arith GGUF back into a PyTorch checkpoint (phase 4 starts from the shipped v1 weights exactly
as shipped: F16-rounded). Reads only what export_gguf.py writes."""
import argparse
import struct

import numpy as np
import torch

import tokenizer as tk
from model import CONFIG, TinyLlama

SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def read_gguf(path):
    buf = open(path, "rb").read()
    off = 0

    def take(fmt):
        nonlocal off
        v = struct.unpack_from(fmt, buf, off)
        off += struct.calcsize(fmt)
        return v[0]

    def string():
        nonlocal off
        n = take("<Q")
        s = buf[off:off + n].decode("utf-8")
        off += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(SCALAR[t])

    assert buf[:4] == b"GGUF" and take("<4s") and take("<I") == 3
    n_tensors, n_kv = take("<Q"), take("<Q")
    meta = {}
    for _ in range(n_kv):
        k = string()
        meta[k] = value(take("<I"))
    infos = []
    for _ in range(n_tensors):
        name, nd = string(), take("<I")
        dims = [take("<Q") for _ in range(nd)]
        infos.append((name, dims, take("<I"), take("<Q")))
    align = meta.get("general.alignment", 32)
    base = off + (-off) % align
    tensors = {}
    for name, dims, gtype, toff in infos:
        dt = np.float16 if gtype == 1 else np.float32
        count = int(np.prod(dims))
        a = np.frombuffer(buf, dtype=dt, count=count, offset=base + toff).astype(np.float32)
        tensors[name] = a.reshape(list(reversed(dims)))
    return meta, tensors


def to_state_dict(tensors, n_layers):
    sd = {"tok.weight": tensors["token_embd.weight"], "norm.weight": tensors["output_norm.weight"],
          "out.weight": tensors["output.weight"]}
    names = dict(attn_norm="attn_norm", attn_q="wq", attn_k="wk", attn_v="wv", attn_output="wo",
                 ffn_norm="ffn_norm", ffn_gate="w_gate", ffn_up="w_up", ffn_down="w_down")
    for i in range(n_layers):
        for g, t in names.items():
            sd[f"blocks.{i}.{t}.weight"] = tensors[f"blk.{i}.{g}.weight"]
    return {k: torch.tensor(np.ascontiguousarray(v)) for k, v in sd.items()}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    meta, tensors = read_gguf(a.gguf)
    assert meta["llama.block_count"] == CONFIG["n_layers"] and meta["llama.embedding_length"] == CONFIG["dim"]
    model = TinyLlama(len(tk.TOKENS))
    model.load_state_dict(to_state_dict(tensors, CONFIG["n_layers"]))
    torch.save(dict(model=model.state_dict(), config=CONFIG), a.out)
    print("wrote", a.out)
