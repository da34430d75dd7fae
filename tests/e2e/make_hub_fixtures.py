#!/usr/bin/env python3
"""Writes the fixture repositories fake_hub.py serves, in the Hub's layout, from the data this
repository ships (so no network is needed):
  datasets/THUDM/LongBench/{README.md, LongBench.py, data.zip (data/<name>.jsonl)}
  datasets/RMT-team/babilong/data/qa{1,2}/{0k,1k}.json  (a JSON array, JSON Lines and columns)
  models/test-org/tiny-llama/{config.json, generation_config.json, tokenizer.json,
      tokenizer_config.json, model.safetensors, pytorch_model.bin, original/consolidated.00.pth}
Usage: make_hub_fixtures.py REPO_DATA_DIR OUT_DIR
"""
import gzip
import json
import os
import struct
import sys
import zipfile


def read_lines(path, n):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [next(f) for _ in range(n)]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(tensors):
    header, blobs, offset = {}, [], 0
    for name, shape in tensors:
        size = 4
        for d in shape:
            size *= d
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + size]}
        blobs.append(bytes(size))
        offset += size
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def main(data, out):
    lb = os.path.join(out, "datasets/THUDM/LongBench")
    write(os.path.join(lb, "README.md"), "# LongBench (fixture)\n")
    write(os.path.join(lb, "LongBench.py"), "# loading script (fixture)\n")
    zpath = os.path.join(lb, "data.zip")
    os.makedirs(lb, exist_ok=True)
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data/multi_news.jsonl",
                   "".join(read_lines(os.path.join(data, "longbench/multi_news.jsonl.gz"), 40)))
        z.writestr("data/qasper.jsonl",
                   "".join(read_lines(os.path.join(data, "longbench/qasper.jsonl.gz"), 10)))
    bl = os.path.join(out, "datasets/RMT-team/babilong")
    write(os.path.join(bl, "README.md"), "# BABILong (fixture)\n")
    for task in ("qa1", "qa2"):
        for length, source in (("0k", "0k"), ("1k", "2k")):
            rows = [json.loads(l) for l in
                    read_lines(os.path.join(data, f"babilong/{source}/{task}.jsonl.gz"), 10)]
            if task == "qa1":
                text = json.dumps(rows, ensure_ascii=False)
            elif length == "0k":
                text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
            else:
                text = json.dumps({k: [r[k] for r in rows] for k in ("input", "question", "target")})
            write(os.path.join(bl, f"data/{task}/{length}.json"), text)
    m = os.path.join(out, "models/test-org/tiny-llama")
    config = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64,
              "intermediate_size": 128, "num_hidden_layers": 1, "num_attention_heads": 4,
              "num_key_value_heads": 2, "vocab_size": 32000, "max_position_embeddings": 4096,
              "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "tie_word_embeddings": True,
              "torch_dtype": "float32", "bos_token_id": 1, "eos_token_id": 2}
    write(os.path.join(m, "config.json"), json.dumps(config, indent=2))
    write(os.path.join(m, "generation_config.json"), json.dumps({"eos_token_id": 2}))
    with gzip.open(os.path.join(data, "tokenizers/mistral/tokenizer.json.gz"), "rb") as f:
        write(os.path.join(m, "tokenizer.json"), f.read())
    with open(os.path.join(data, "tokenizers/mistral/tokenizer_config.json"), "rb") as f:
        write(os.path.join(m, "tokenizer_config.json"), f.read())
    h, kv, inter, v = 64, 2 * 16, 128, 32000
    write(os.path.join(m, "model.safetensors"), safetensors([
        ("model.embed_tokens.weight", [v, h]),
        ("model.layers.0.input_layernorm.weight", [h]),
        ("model.layers.0.self_attn.q_proj.weight", [h, h]),
        ("model.layers.0.self_attn.k_proj.weight", [kv, h]),
        ("model.layers.0.self_attn.v_proj.weight", [kv, h]),
        ("model.layers.0.self_attn.o_proj.weight", [h, h]),
        ("model.layers.0.post_attention_layernorm.weight", [h]),
        ("model.layers.0.mlp.gate_proj.weight", [inter, h]),
        ("model.layers.0.mlp.up_proj.weight", [inter, h]),
        ("model.layers.0.mlp.down_proj.weight", [h, inter]),
        ("model.norm.weight", [h]),
    ]))
    write(os.path.join(m, "pytorch_model.bin"), b"not fetched")
    write(os.path.join(m, "original/consolidated.00.pth"), b"not fetched")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
