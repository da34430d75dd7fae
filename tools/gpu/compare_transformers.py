#!/usr/bin/env python3
"""Compares headkv's GPU engine with Hugging Face transformers on the GPU host (same weights).

  compare_transformers.py make-random8b DIR        random Llama-3-8B-shaped model (bf16 safetensors)
  compare_transformers.py make-random-smollm2 DIR  random SmolLM2-135M-shaped model (fp32, CPU)
  compare_transformers.py compare MODEL DUMP_DIR   MODEL: an HF folder or a .gguf file (needs the
                                                   gguf package); DUMP_DIR: `headkv gpu-compare --out`

`compare` reads DUMP_DIR/tokens.json (prompt ids, headkv's greedy tokens of config 0 = FullKV) and
DUMP_DIR/logits.f32 ([steps, vocab]: prefill's last row, then each decode step), runs the model in
transformers in the same dtype on the same ids (teacher-forced on headkv's tokens), and prints:
max relative logit error per step (max|a-b| / max|b|), how many of headkv's tokens equal
transformers' argmax under teacher forcing, and the common prefix with transformers' own greedy
generate(). Writes DUMP_DIR/compare.json.
"""
import json
import os
import sys

import numpy as np
import torch


def add_llama3_tokenizer(out_dir):
    """The Llama-3 tokenizer shipped in data/tokenizers/llama3, so the folder is a whole model
    (`headkv run` needs a tokenizer; the random weights make its choice irrelevant to timing)."""
    import gzip
    import shutil
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                       "tokenizers", "llama3")
    with gzip.open(os.path.join(src, "tokenizer.json.gz"), "rb") as f, \
            open(os.path.join(out_dir, "tokenizer.json"), "wb") as g:
        shutil.copyfileobj(f, g)
    shutil.copy(os.path.join(src, "tokenizer_config.json"), out_dir)


def make_random8b(out_dir, seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                      max_position_embeddings=8192, rope_theta=500000.0, rms_norm_eps=1e-5,
                      tie_word_embeddings=False, bos_token_id=128000, eos_token_id=128009,
                      torch_dtype="bfloat16")
    torch.manual_seed(seed)
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(out_dir, safe_serialization=True, max_shard_size="20GB")
    add_llama3_tokenizer(out_dir)
    print(f"random 8B-shaped model ({sum(p.numel() for p in model.parameters())/1e9:.2f}B params)"
          f" -> {out_dir}")


def make_random_smollm2(out_dir, seed=0):
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = LlamaConfig(hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                      num_attention_heads=9, num_key_value_heads=3, vocab_size=49152,
                      max_position_embeddings=8192, rope_theta=100000.0, rms_norm_eps=1e-5,
                      tie_word_embeddings=True, bos_token_id=1, eos_token_id=2,
                      torch_dtype="float32")
    torch.manual_seed(seed)
    model = LlamaForCausalLM(cfg)
    model.save_pretrained(out_dir, safe_serialization=True)
    print(f"random SmolLM2-shaped model ({sum(p.numel() for p in model.parameters())/1e6:.0f}M "
          f"params) -> {out_dir}")


def load_model(path, dtype):
    from transformers import AutoModelForCausalLM
    if path.endswith(".gguf"):
        model = AutoModelForCausalLM.from_pretrained(os.path.dirname(path) or ".",
                                                     gguf_file=os.path.basename(path),
                                                     torch_dtype=dtype)
    else:
        model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=dtype)
    return model.to("cuda").eval()


def compare(model_path, dump_dir):
    meta = json.load(open(os.path.join(dump_dir, "tokens.json")))
    dtype = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32}[meta["dtype"]]
    vocab = meta["vocab"]
    ours = np.fromfile(os.path.join(dump_dir, "logits.f32"), dtype=np.float32).reshape(-1, vocab)
    prompt = json.load(open(os.path.join(dump_dir, "prompt_ids.json")))
    gen = meta["configs"][0]["tokens"]
    model = load_model(model_path, dtype)
    ids = torch.tensor([prompt + gen[:-1]], device="cuda")
    with torch.no_grad():
        ref = model(ids).logits[0, len(prompt) - 1:].float().cpu().numpy()
        steps = min(len(ref), len(ours))
        rel = [float(np.abs(ours[t] - ref[t]).max() / np.abs(ref[t]).max()) for t in range(steps)]
        forced = [int(ref[t].argmax()) for t in range(steps)]
        agree_forced = sum(int(a == b) for a, b in zip(forced, gen[:steps]))
        out = model.generate(torch.tensor([prompt], device="cuda"), max_new_tokens=len(gen),
                             min_new_tokens=len(gen), do_sample=False, eos_token_id=None,
                             pad_token_id=0)
        hf_greedy = out[0, len(prompt):].tolist()
    prefix = 0
    while prefix < min(len(hf_greedy), len(gen)) and hf_greedy[prefix] == gen[prefix]:
        prefix += 1
    # The float32 model on the same ids: how far each 16-bit run is from the exact values.
    del model
    torch.cuda.empty_cache()
    model32 = load_model(model_path, torch.float32)
    with torch.no_grad():
        exact = model32(ids).logits[0, len(prompt) - 1:].float().cpu().numpy()
    del model32
    torch.cuda.empty_cache()

    def max_rel(a, b):
        return max(float(np.abs(a[t] - b[t]).max() / np.abs(b[t]).max()) for t in range(steps))
    ours_vs_f32 = max_rel(ours, exact)
    hf_vs_f32 = max_rel(ref, exact)
    result = {"model": model_path, "dtype": meta["dtype"], "prompt_tokens": len(prompt),
              "steps": steps, "max_rel_err": max(rel), "rel_err_per_step": rel,
              "teacher_forced_argmax_agree": agree_forced, "greedy_common_prefix": prefix,
              "greedy_len": len(gen), "hf_device": torch.cuda.get_device_name(0),
              "headkv_vs_hf_f32": ours_vs_f32, "hf_dtype_vs_hf_f32": hf_vs_f32}
    json.dump(result, open(os.path.join(dump_dir, "compare.json"), "w"), indent=1)
    print(f"{os.path.basename(model_path.rstrip('/'))} {meta['dtype']}: {len(prompt)} prompt tokens,"
          f" max rel logit err {max(rel):.2e} over {steps} steps, teacher-forced argmax"
          f" {agree_forced}/{steps}, greedy common prefix {prefix}/{len(gen)}; vs transformers"
          f" float32: headkv {ours_vs_f32:.2e}, transformers {meta['dtype']} {hf_vs_f32:.2e}")
    return result


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make-random8b":
        make_random8b(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "add-llama3-tokenizer":
        add_llama3_tokenizer(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "make-random-smollm2":
        make_random_smollm2(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
