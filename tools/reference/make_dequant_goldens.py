#!/usr/bin/env python3
"""Golden data for headkv's GGML dequantization (tests/formats/dequant_test.cc).

Writes tests/golden/dequant.json with two sections, both computed by the `gguf` PyPI package
(gguf-py's numpy dequantizers are the reference):

* "blocks": for every supported type, a few random blocks (raw bytes as hex, with finite fp16
  scales) and the FNV-1a-64 hash of the float32 little-endian dequantized values plus the first
  values, so the C++ result must match bit for bit.
* "smollm2": for the default model (SmolLM2-135M-Instruct.Q4_1.gguf), per tensor: type, shape and
  the FNV-1a-64 hash of its dequantized float32 bytes (Q4_1, Q8_0 and F32 tensors).

Usage: python3 tools/reference/make_dequant_goldens.py --gguf PATH --out tests/golden/dequant.json
"""
import argparse
import json

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType, quants

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


def fnv1a64(data: bytes) -> str:
    # Vectorised over 8-byte words would change the definition; keep the byte loop but on numpy.
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & MASK
    return f"{h:016x}"


def fnv1a64_fast(arr: np.ndarray) -> str:
    # Same definition as fnv1a64, processed in chunks to keep the pure-Python loop bearable.
    return fnv1a64(arr.astype("<f4").tobytes())


TYPES = {
    "Q4_0": GGMLQuantizationType.Q4_0,
    "Q4_1": GGMLQuantizationType.Q4_1,
    "Q5_0": GGMLQuantizationType.Q5_0,
    "Q5_1": GGMLQuantizationType.Q5_1,
    "Q8_0": GGMLQuantizationType.Q8_0,
    "Q4_K": GGMLQuantizationType.Q4_K,
    "Q5_K": GGMLQuantizationType.Q5_K,
    "Q6_K": GGMLQuantizationType.Q6_K,
    "F16": GGMLQuantizationType.F16,
    "BF16": GGMLQuantizationType.BF16,
}

# Byte offsets of fp16 scale fields inside one block, per type (kept finite and moderate).
HALF_FIELDS = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
    "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
}


def random_blocks(name, qtype, rng, n_blocks):
    block_size, type_size = quants.GGML_QUANT_SIZES[qtype]
    if name in ("F16", "BF16"):
        vals = rng.normal(0, 3, size=block_size * n_blocks).astype(np.float32)
        raw = vals.astype(np.float16).view(np.uint8) if name == "F16" else \
            (vals.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
        return raw.tobytes(), block_size * n_blocks
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    for off in HALF_FIELDS[name]:
        scales = rng.uniform(-0.05, 0.05, size=n_blocks).astype(np.float16)
        raw[:, off:off + 2] = scales.view(np.uint8).reshape(n_blocks, 2)
    return raw.tobytes(), block_size * n_blocks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    rng = np.random.default_rng(20261126)

    blocks = []
    for name, qtype in TYPES.items():
        data, n = random_blocks(name, qtype, rng, 3)
        out = quants.dequantize(np.frombuffer(data, dtype=np.uint8), qtype).astype(np.float32)
        assert out.size == n
        blocks.append({"type": name, "hex": data.hex(), "num_elements": int(n),
                       "fnv1a64": fnv1a64_fast(out), "first": [float(x) for x in out[:8]]})

    reader = GGUFReader(args.gguf)
    tensors = []
    for t in reader.tensors:
        if t.tensor_type.name not in ("Q4_1", "Q8_0", "F32"):
            continue
        # Hash every tensor except the (large) embedding, which is hashed over its first rows.
        values = quants.dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
        limit = values.size if t.name != "token_embd.weight" else 576 * 64
        tensors.append({"name": t.name, "type": t.tensor_type.name,
                        "shape": [int(x) for x in t.shape], "hashed_elements": int(limit),
                        "fnv1a64": fnv1a64_fast(values[:limit])})
    with open(args.out, "w") as f:
        json.dump({"blocks": blocks, "smollm2": tensors}, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out}: {len(blocks)} block cases, {len(tensors)} SmolLM2 tensors")


if __name__ == "__main__":
    main()
