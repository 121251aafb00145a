"""Exports a trained checkpoint to the shipped GGUF (F16 weights, F32 norms)."""
import argparse
import numpy as np
import torch

import tokenizer as tk
from gguf_writer import T_FLOAT32, T_INT32, T_STRING, write_gguf

CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def export(ckpt_path, out_path, name="reckon-arith"):
    ck = torch.load(ckpt_path)
    c, sd = ck["config"], ck["model"]
    meta = {
        "general.architecture": "llama",
        "general.name": name,
        "general.description": "Reckon's bundled tiny reasoning model: step-by-step arithmetic inside <think>.",
        "general.license": "MIT",
        "general.file_type": 1,  # mostly F16
        "general.alignment": 32,
        "llama.context_length": c["ctx"],
        "llama.embedding_length": c["dim"],
        "llama.block_count": c["n_layers"],
        "llama.feed_forward_length": c["ffn"],
        "llama.attention.head_count": c["n_heads"],
        "llama.attention.head_count_kv": c["n_heads"],
        "llama.rope.dimension_count": c["dim"] // c["n_heads"],
        "llama.rope.freq_base": float(c["rope_base"]),
        "llama.attention.layer_norm_rms_epsilon": float(c["eps"]),
        "llama.vocab_size": len(tk.TOKENS),
        "tokenizer.ggml.model": "llama",
        "tokenizer.ggml.tokens": (T_STRING, tk.TOKENS),
        "tokenizer.ggml.scores": (T_FLOAT32, [0.0] * len(tk.TOKENS)),
        "tokenizer.ggml.token_type": (T_INT32, tk.TYPES),
        "tokenizer.ggml.bos_token_id": tk.BOS,
        "tokenizer.ggml.eos_token_id": tk.EOS,
        "tokenizer.ggml.unknown_token_id": tk.UNK,
        "tokenizer.ggml.add_bos_token": True,
        "tokenizer.ggml.add_eos_token": False,
        "tokenizer.ggml.add_space_prefix": False,
        "tokenizer.chat_template": CHAT_TEMPLATE,
    }

    def w(key, f16=True):
        a = sd[key].float().numpy()
        return a.astype(np.float16) if f16 else a.astype(np.float32)

    tensors = [("token_embd.weight", w("tok.weight"))]
    for i in range(c["n_layers"]):
        p = f"blocks.{i}."
        tensors += [
            (f"blk.{i}.attn_norm.weight", w(p + "attn_norm.weight", False)),
            (f"blk.{i}.attn_q.weight", w(p + "wq.weight")),
            (f"blk.{i}.attn_k.weight", w(p + "wk.weight")),
            (f"blk.{i}.attn_v.weight", w(p + "wv.weight")),
            (f"blk.{i}.attn_output.weight", w(p + "wo.weight")),
            (f"blk.{i}.ffn_norm.weight", w(p + "ffn_norm.weight", False)),
            (f"blk.{i}.ffn_gate.weight", w(p + "w_gate.weight")),
            (f"blk.{i}.ffn_up.weight", w(p + "w_up.weight")),
            (f"blk.{i}.ffn_down.weight", w(p + "w_down.weight")),
        ]
    tensors += [("output_norm.weight", w("norm.weight", False)), ("output.weight", w("out.weight"))]
    write_gguf(out_path, meta, tensors)


def load_f16_model(ckpt_path):
    """The model exactly as shipped: weights rounded through F16 (norms stay F32), computed in F32."""
    from model import TinyLlama
    ck = torch.load(ckpt_path)
    sd = {k: (v.half().float() if v.dim() == 2 else v) for k, v in ck["model"].items()}
    m = TinyLlama(len(tk.TOKENS), ck["config"])
    m.load_state_dict(sd)
    m.eval()
    return m


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default="work/ckpt.pt")
    ap.add_argument("--out", default="../reckon-arith.gguf")
    a = ap.parse_args()
    export(a.ckpt, a.out)
    print("wrote", a.out)
