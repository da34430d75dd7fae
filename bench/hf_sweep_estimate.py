#!/usr/bin/env python3
"""What a whole `headkv run` sweep would cost through HF transformers `generate()`, config by
config, on the same card (M10's whole-sweep comparison). Running every task and config through HF
takes hours, so this times a subset and extrapolates, and says so:
    hf_sweep_estimate.py MODEL_DIR RESULTS_JSONL OUT.json [--random-weights]
    hf_sweep_estimate.py --self-test
RESULTS_JSONL is the sweep's results.jsonl (`headkv run --out DIR`): one row per (task, config)
with prompt_tokens and new_tokens.

The model: a generate() of n new tokens after an L-token prompt costs prefill(L) + (n - 1) *
step(L), both straight lines in L. Per (benchmark, dataset), the shortest and the longest prompt
are timed at 1 new token and at the group's most new tokens (random ids of that length, greedy,
exactly that many tokens, bf16, the faster of two runs); the two lines go through those points.
Every (task, config) row of the sweep is then priced with its own prompt length and new-token
count. HF generate() keeps the full cache (it has no per-head compression), so a config costs what
FullKV costs with that many new tokens: the comparison HF users would make.
--random-weights builds the model from MODEL_DIR/config.json alone with random bf16 weights on the
GPU (as bench/hf_baseline.py does): the same shapes, hence the same time, with no weight files.
--self-test checks the grouping, fit and pricing on synthetic timings (no torch, no GPU)."""
import argparse
import json
import sys
import time
from collections import defaultdict


def group_rows(rows):
    """(benchmark, dataset) -> {sample_key: (prompt_tokens, [new_tokens of each config])}."""
    groups = defaultdict(dict)
    for r in rows:
        tasks = groups[(r["benchmark"], r["dataset"])]
        length, news = tasks.setdefault(r["sample_key"], (r["prompt_tokens"], []))
        if r["prompt_tokens"] != length:
            sys.exit(f"sample {r['sample_key']}: prompt_tokens {r['prompt_tokens']} and {length} "
                     "in one task (expected one prompt per task)")
        news.append(r["new_tokens"])
    return groups


def points(tasks):
    """The (prompt_tokens, new_tokens) runs to time for one group: its shortest and longest
    prompt, each at 1 new token and at the group's most new tokens."""
    lengths = sorted(length for length, _ in tasks.values())
    most = max(1, max(max(news) for _, news in tasks.values()))
    return sorted({(l, n) for l in (lengths[0], lengths[-1]) for n in (1, most)})


def line(x0, y0, x1, y1):
    """(a, b) of y = a + b x through two points; flat when x0 == x1."""
    b = (y1 - y0) / (x1 - x0) if x1 != x0 else 0.0
    return y0 - b * x0, b


def fit(tasks, timed):
    """prefill(L) and step(L) lines (each (a, b)) from `timed`: (L, n) -> ms for points(tasks)."""
    pts = points(tasks)
    l0, l1 = pts[0][0], pts[-1][0]
    most = max(n for _, n in pts)

    def step(l):
        return (timed[(l, most)] - timed[(l, 1)]) / (most - 1) if most > 1 else 0.0

    return line(l0, timed[(l0, 1)], l1, timed[(l1, 1)]), line(l0, step(l0), l1, step(l1))


def price(prefill, step, length, new_tokens):
    """ms of one generate() of new_tokens (at least 1) after a length-token prompt."""
    n = max(1, new_tokens)
    return prefill[0] + prefill[1] * length + (n - 1) * (step[0] + step[1] * length)


def estimate(rows, generate_ms, log=print):
    """Total ms of the sweep through generate(), and the timed runs, using generate_ms(L, n)."""
    total_ms, measured = 0.0, []
    for (bench, dataset), tasks in sorted(group_rows(rows).items()):
        timed = {p: generate_ms(*p) for p in points(tasks)}
        for (l, n), ms in sorted(timed.items()):
            measured.append({"benchmark": bench, "dataset": dataset, "prompt_tokens": l,
                             "new_tokens": n, "ms": ms})
        log(f"HF {bench}/{dataset}: " +
            "; ".join(f"{l} tokens + {n} new: {ms:.0f} ms" for (l, n), ms in sorted(timed.items())))
        prefill, step = fit(tasks, timed)
        for length, news in tasks.values():
            total_ms += sum(price(prefill, step, length, n) for n in news)
    return total_ms, measured


def self_test():
    # Timings that follow the model exactly are recovered exactly, whatever the rows.
    def truth(l, n):
        return 5.0 + 0.01 * l + (n - 1) * (3.0 + 0.001 * l)

    rows = []
    for i, (l, news) in enumerate([(100, [1, 7, 20]), (900, [4, 4, 0]), (400, [13, 2, 9])]):
        for n in news:
            rows.append({"benchmark": "b", "dataset": "d", "sample_key": str(i),
                         "prompt_tokens": l, "new_tokens": n})
    rows.append({"benchmark": "b", "dataset": "e", "sample_key": "x", "prompt_tokens": 50,
                 "new_tokens": 1})
    for key, length in (("y", 70), ("z", 30)):  # a group where every config stopped at once
        rows.append({"benchmark": "c", "dataset": "f", "sample_key": key, "prompt_tokens": length,
                     "new_tokens": 0})
    calls = []
    total, measured = estimate(rows, lambda l, n: calls.append((l, n)) or truth(l, n),
                               log=lambda _: None)
    want = sum(truth(r["prompt_tokens"], max(1, r["new_tokens"])) for r in rows)
    checks = [
        (abs(total - want) < 1e-6 * want, f"total {total} ms, expected {want} ms"),
        (sorted(calls) == [(30, 1), (50, 1), (70, 1), (100, 1), (100, 20), (900, 1), (900, 20)],
         f"timed runs {sorted(calls)}"),
        (len(measured) == 7, f"{len(measured)} measured rows, expected 7"),
    ]
    failed = [why for ok, why in checks if not ok]
    if failed:
        sys.exit("self-test failed: " + "; ".join(failed))
    print("self-test: ok")


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument("model_dir")
    ap.add_argument("results_path")
    ap.add_argument("out_path")
    ap.add_argument("--random-weights", action="store_true")
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.results_path) if line.strip()]
    if not rows:
        sys.exit(f"{a.results_path}: no result rows")
    import torch
    from hf_baseline import load_model

    model = load_model(a.model_dir, a.random_weights)
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
    t0 = time.perf_counter()
    total_ms, measured = estimate(rows, generate_ms)
    timing_s = time.perf_counter() - t0
    tasks = len({(r["benchmark"], r["dataset"], r["sample_key"]) for r in rows})
    out = {"model": a.model_dir, "tasks": tasks, "task_configs": len(rows), "measured": measured,
           "estimated_total_s": total_ms / 1e3, "timing_s": timing_s,
           "device": torch.cuda.get_device_name(0)}
    json.dump(out, open(a.out_path, "w"), indent=1)
    print(f"HF generate() estimate: {tasks} tasks x configs = {len(rows)} runs, "
          f"{total_ms / 1e3:.1f} s (extrapolated from {len(measured)} timed runs, "
          f"which took {timing_s:.0f} s; {out['device']})")


if __name__ == "__main__":
    main()
