#!/usr/bin/env python3
"""Golden logits and greedy continuations from transformers, for tests/cpu_engine/cpu_model_test.cc.

Two models:
* "tiny": a 2-layer Llama whose weights are a closed formula (reproduced by the C++ fixture
  tests/testing/tiny_model.cc with formula_weights=true): tensor t (WeightId order, layer-major),
  element i: norms 1 + 0.1*cos(0.5*i + t), others 0.05*sin(0.37*i + 1.3*t + 0.1). Full logits of
  every position are stored (vocab 160).
* "smollm2": SmolLM2-135M-Instruct loaded by transformers from the Q4_1 GGUF (gguf-py
  dequantization to float32, the same weights headkv loads). Token ids come from the GGUF's HF
  tokenizer; for the last position the top-64 logits, the max |logit| and the 32-token greedy
  continuation are stored.

Usage: python3 tools/reference/make_logits_goldens.py --gguf PATH --out tests/golden/logits
The essay prompt is the repository's data/pg_essays/apple.txt (plain or .gz, data_files.py).
"""
import argparse
import json
import math
import os

import numpy as np
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM

from data_files import DATA_DIR, open_data

TINY = dict(hidden=64, layers=2, heads=4, kv_heads=2, ffn=96, vocab=160, rope_theta=10000.0)


def tiny_model(tie):
    c = TINY
    cfg = LlamaConfig(hidden_size=c["hidden"], num_hidden_layers=c["layers"],
                      num_attention_heads=c["heads"], num_key_value_heads=c["kv_heads"],
                      intermediate_size=c["ffn"], vocab_size=c["vocab"], rope_theta=c["rope_theta"],
                      rms_norm_eps=1e-5, max_position_embeddings=512, tie_word_embeddings=tie,
                      bos_token_id=1, eos_token_id=2, attn_implementation="eager")
    model = LlamaForCausalLM(cfg).float().eval()
    names = ["model.embed_tokens.weight"]
    for l in range(c["layers"]):
        p = f"model.layers.{l}."
        names += [p + "input_layernorm.weight", p + "self_attn.q_proj.weight",
                  p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight",
                  p + "self_attn.o_proj.weight", p + "post_attention_layernorm.weight",
                  p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight"]
    names.append("model.norm.weight")
    if not tie:
        names.append("lm_head.weight")
    state = model.state_dict()
    with torch.no_grad():
        for t, name in enumerate(names):
            n = state[name].numel()
            i = np.arange(n, dtype=np.float64)
            if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
                v = 1.0 + 0.1 * np.cos(0.5 * i + t)
            else:
                v = 0.05 * np.sin(0.37 * i + 1.3 * t + 0.1)
            state[name].copy_(torch.from_numpy(v.astype(np.float32)).reshape(state[name].shape))
        if tie:
            model.tie_weights()
    return model


def greedy(model, ids, steps):
    out = []
    with torch.no_grad():
        past = None
        x = torch.tensor([ids])
        for _ in range(steps):
            r = model(input_ids=x, past_key_values=past, use_cache=True)
            past = r.past_key_values
            nxt = int(torch.argmax(r.logits[0, -1]))
            out.append(nxt)
            x = torch.tensor([[nxt]])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.manual_seed(0)
    os.makedirs(args.out, exist_ok=True)

    tiny = {"config": TINY, "cases": []}
    prompts = [[1, 5, 9, 17, 33, 65, 129, 7], [1] + [(i * 37) % 160 for i in range(1, 40)],
               [1, 2, 3]]
    for tie in (False, True):
        model = tiny_model(tie)
        for ids in prompts:
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([ids])).logits[0].numpy()
            tiny["cases"].append({"tie": tie, "ids": ids, "logits": logits.astype(float).tolist(),
                                  "greedy": greedy(model, ids, 32)})
    with open(os.path.join(args.out, "tiny.json"), "w") as f:
        json.dump(tiny, f)

    d, name = os.path.split(os.path.abspath(args.gguf))
    tok = AutoTokenizer.from_pretrained(d, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=name, torch_dtype=torch.float32,
                                                 attn_implementation="eager").eval()
    with open_data(os.path.join(DATA_DIR, "pg_essays", "apple.txt")) as f:
        essay = f.read()
    texts = ["The capital of France is", "Once upon a time, there was a little robot who",
             essay[:3000] + "\n\nSummarize the essay above in one sentence:"]
    cases = []
    for text in texts:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            last = model(input_ids=torch.tensor([ids])).logits[0, -1].numpy().astype(np.float64)
        top = np.argsort(-last, kind="stable")[:64]
        cases.append({"text": text[:80], "ids": ids, "top_ids": top.tolist(),
                      "top_logits": last[top].tolist(), "max_abs": float(np.max(np.abs(last))),
                      "greedy": greedy(model, ids, 32)})
        print(f"smollm2: {len(ids)} tokens, greedy {cases[-1]['greedy'][:8]}...")
    with open(os.path.join(args.out, "smollm2.json"), "w") as f:
        json.dump({"model": name, "cases": cases}, f)


if __name__ == "__main__":
    main()
