#!/usr/bin/env python3
"""HF transformers on PyTorch's CPU backend, the CPU engine's peer (bench/RESULTS.md):
    hf_cpu_baseline.py MODEL_DIR OUT.json [--tokens 2518,8192] [--runs 5] [--threads 2]
                       [--attention sdpa,eager]
Loads the model in float32 (each attention implementation asked), sets torch's thread count,
and times the
prefill forward of TOKENS random ids (the ids `headkv bench --device cpu` uses are not the same
draw, which does not matter for timing): one warm-up, then the median of --runs, host clock."""
import argparse
import json
import statistics
import time

import torch
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--tokens", default="2518,8192")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--attention", default="sdpa")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = {"threads": a.threads, "torch": torch.__version__, "prefill": []}
    for attn in a.attention.split(","):
        model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32,
                                                     attn_implementation=attn).eval()
        for n in [int(t) for t in a.tokens.split(",")]:
            g = torch.Generator().manual_seed(7)
            ids = torch.randint(0, model.config.vocab_size, (1, n), generator=g)
            with torch.no_grad():
                model(ids, use_cache=True)
                ms = []
                for _ in range(a.runs):
                    t0 = time.perf_counter()
                    model(ids, use_cache=True)
                    ms.append((time.perf_counter() - t0) * 1e3)
            row = {"attention": attn, "tokens": n, "ms": statistics.median(ms), "runs_ms": ms}
            out["prefill"].append(row)
            print(f"HF {attn} prefill {n} tokens, {a.threads} threads: {row['ms']:.0f} ms")
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
