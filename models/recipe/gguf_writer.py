"""A small GGUF v3 writer: exactly what reckon-arith needs (no PyPI `gguf` package here)."""
import struct
import numpy as np

GGML_F32, GGML_F16 = 0, 1
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
ALIGN = 32


def _str(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(v):
    if isinstance(v, bool):
        return struct.pack("<I", T_BOOL) + struct.pack("<?", v)
    if isinstance(v, int):
        return struct.pack("<I", T_UINT32) + struct.pack("<I", v)
    if isinstance(v, float):
        return struct.pack("<I", T_FLOAT32) + struct.pack("<f", v)
    if isinstance(v, str):
        return struct.pack("<I", T_STRING) + _str(v)
    if isinstance(v, tuple):  # (element_type, list)
        et, items = v
        out = struct.pack("<I", T_ARRAY) + struct.pack("<IQ", et, len(items))
        for it in items:
            out += _str(it) if et == T_STRING else struct.pack({T_INT32: "<i", T_FLOAT32: "<f", T_UINT32: "<I"}[et], it)
        return out
    raise TypeError(type(v))


def write_gguf(path, metadata, tensors):
    """metadata: dict key -> value (int -> uint32, float -> f32, str, bool, (type, list) arrays).
    tensors: list of (name, np.ndarray float32/float16) in PyTorch [out, in] order; written innermost first."""
    kv = b"".join(_str(k) + _value(v) for k, v in metadata.items())
    infos, blobs, offset = b"", [], 0
    for name, arr in tensors:
        arr = np.ascontiguousarray(arr)
        gtype = GGML_F16 if arr.dtype == np.float16 else GGML_F32
        dims = list(reversed(arr.shape))
        infos += _str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", gtype, offset)
        data = arr.tobytes()
        pad = (-len(data)) % ALIGN
        blobs.append(data + b"\0" * pad)
        offset += len(data) + pad
    header = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata)) + kv + infos
    header += b"\0" * ((-len(header)) % ALIGN)
    with open(path, "wb") as f:
        f.write(header)
        for b in blobs:
            f.write(b)
