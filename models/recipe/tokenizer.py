"""Character-level SentencePiece-style vocabulary for reckon-arith.

Layout (ids): 0 <unk>, 1 <s>, 2 </s>, 3..258 byte tokens <0x00>..<0xFF>, then printable ASCII
(space written as U+2581), then <|im_start|>, <|im_end|>, <think>, </think>.
Tokenising here must match llama.cpp's SPM tokenizer on this vocab exactly (the parity test checks it):
no multi-character pieces exist, so every printable ASCII char is one token, anything else falls back to
its UTF-8 bytes, and the four specials are parsed as single tokens.
"""
import re

SPECIALS = ["<|im_start|>", "<|im_end|>", "<think>", "</think>"]
TYPE_NORMAL, TYPE_UNKNOWN, TYPE_CONTROL, TYPE_USER_DEFINED, TYPE_BYTE = 1, 2, 3, 4, 6


def build_vocab():
    tokens, types = ["<unk>", "<s>", "</s>"], [TYPE_UNKNOWN, TYPE_CONTROL, TYPE_CONTROL]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        types.append(TYPE_BYTE)
    for c in range(32, 127):
        tokens.append("\u2581" if c == 32 else chr(c))
        types.append(TYPE_NORMAL)
    for s in SPECIALS:
        tokens.append(s)
        # im_start/im_end are control tokens (hidden by detokenize); think tags are user-defined (always shown)
        types.append(TYPE_CONTROL if s.startswith("<|") else TYPE_USER_DEFINED)
    return tokens, types


TOKENS, TYPES = build_vocab()
ID = {t: i for i, t in enumerate(TOKENS)}
BOS, EOS, UNK = 1, 2, 0
IM_START, IM_END, THINK, END_THINK = (ID[s] for s in SPECIALS)
_SPECIAL_RE = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")


def encode(text, bos=True):
    ids = [BOS] if bos else []
    for part in _SPECIAL_RE.split(text):
        if not part:
            continue
        if part in SPECIALS:
            ids.append(ID[part])
            continue
        for ch in part:
            if ch == " ":
                ids.append(ID["\u2581"])
            elif 32 < ord(ch) < 127:
                ids.append(ID[ch])
            else:
                ids.extend(3 + b for b in ch.encode("utf-8"))
    return ids


def decode(ids):
    out, buf = [], bytearray()
    for i in ids:
        if 3 <= i < 259:
            buf.append(i - 3)
            continue
        if buf:
            out.append(buf.decode("utf-8", errors="replace"))
            buf = bytearray()
        if i in (BOS, EOS, UNK):
            continue
        t = TOKENS[i]
        out.append(" " if t == "\u2581" else t)
    if buf:
        out.append(buf.decode("utf-8", errors="replace"))
    return "".join(out)
