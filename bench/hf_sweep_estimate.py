#!/usr/bin/env python3
"""What a whole `headkv run` sweep would cost through HF transformers `generate()`, config by
config, on the same card (M10's whole-sweep comparison). Running every task and config through HF
takes hours, so this measures a subset and extrapolates, and says so:
    hf_sweep_estimate.py MODEL_DIR RESULTS_JSONL OUT.json [--random-weights]
RESULTS_JSONL is the sweep's results.jsonl (`headkv run --out DIR`): one row per (task, config)
with prompt_tokens and new_tokens. Per benchmark, the shortest and the longest prompt are timed
(random ids of that length, greedy, exactly new_tokens tokens, bf16, the faster of two runs), a line
t = a + b * prompt_tokens is drawn through the two, and every (task, config) of the sweep is
priced on its benchmark's line. HF generate() keeps the full cache (it has no per-head
compression), so its time per config is the FullKV time: the comparison HF users would make.
--random-weights builds the model from MODEL_DIR/config.json alone with random bf16 weights on the
GPU (as bench/hf_baseline.py does): the same shapes, hence the same time, with no weight files."""
import argparse
import json
import sys
import time
from collections import defaultdict

import torch

from hf_baseline import load_model


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("model_dir")
    ap.add_argument("results_path")
    ap.add_argument("out_path")
    ap.add_argument("--random-weights", action="store_true")
    a = ap.parse_args()
    model_dir, results_path, out_path = a.model_dir, a.results_path, a.out_path
    rows = [json.loads(line) for line in open(results_path) if line.strip()]
    if not rows:
        sys.exit(f"{results_path}: no result rows")
    tasks = defaultdict(list)  # (benchmark, dataset, sample_key) -> rows
    for r in rows:
        tasks[(r["benchmark"], r["dataset"], r["sample_key"])].append(r)
    by_bench = defaultdict(list)
    for key, rs in tasks.items():
        by_bench[key[0]].append((rs[0]["prompt_tokens"], max(r["new_tokens"] for r in rs), key))
    model = load_model(model_dir, a.random_weights)
    g = torch.Generator().manual_seed(7)

    def generate_ms(length, new_tokens):
        # As bench/hf_baseline.py calls it; the faster of two runs (the first one warms the shape).
        ids = torch.randint(0, model.config.vocab_size, (1, length), generator=g).to("cuda")
        best = None
        for _ in range(2):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            with torch.no_grad():
                model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                               do_sample=False, eos_token_id=None, pad_token_id=0)
            torch.cuda.synchronize()
            ms = (time.perf_counter() - t0) * 1e3
            best = ms if best is None else min(best, ms)
        return best

    generate_ms(512, 8)  # warm-up
    lines, measured = {}, []
    for bench, items in sorted(by_bench.items()):
        items.sort()
        (l0, n0, k0), (l1, n1, k1) = items[0], items[-1]
        t0 = generate_ms(l0, n0)
        t1 = generate_ms(l1, n1) if l1 != l0 else t0
        b = (t1 - t0) / (l1 - l0) if l1 != l0 else 0.0
        lines[bench] = (t0 - b * l0, b)
        measured += [{"benchmark": bench, "task": list(k0), "prompt_tokens": l0, "new_tokens": n0,
                      "ms": t0},
                     {"benchmark": bench, "task": list(k1), "prompt_tokens": l1, "new_tokens": n1,
                      "ms": t1}]
        print(f"HF {bench}: {l0} tokens + {n0} new: {t0:.0f} ms; {l1} + {n1}: {t1:.0f} ms")
    total_ms = 0.0
    for key, rs in tasks.items():
        a, b = lines[key[0]]
        total_ms += len(rs) * (a + b * rs[0]["prompt_tokens"])
    configs = len(rows)
    out = {"model": model_dir, "tasks": len(tasks), "task_configs": configs,
           "measured": measured, "estimated_total_s": total_ms / 1e3,
           "device": torch.cuda.get_device_name(0)}
    json.dump(out, open(out_path, "w"), indent=1)
    print(f"HF generate() estimate: {len(tasks)} tasks x configs = {configs} runs, "
          f"{total_ms / 1e3:.1f} s (extrapolated from {len(measured)} timed runs)")


if __name__ == "__main__":
    main()
