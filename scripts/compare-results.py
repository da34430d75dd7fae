#!/usr/bin/env python3
"""Compares two results.jsonl files of the same sweep (`headkv run --out`): rows are matched by
(benchmark, dataset, sample_key, config); prints how many predictions, scores and cache sizes
agree and the first differences. Exit 0 when every row matches, 1 otherwise.
    compare-results.py A.jsonl B.jsonl"""
import json
import sys


def load(path):
    rows = {}
    for line in open(path):
        if line.strip():
            r = json.loads(line)
            rows[(r["benchmark"], r["dataset"], r["sample_key"], r["config"])] = r
    return rows


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a, b = load(sys.argv[1]), load(sys.argv[2])
    keys = sorted(set(a) | set(b))
    missing = [k for k in keys if k not in a or k not in b]
    both = [k for k in keys if k in a and k in b]
    diff = {f: [k for k in both if a[k][f] != b[k][f]]
            for f in ("prediction", "score", "cache_bytes")}
    print(f"rows: {len(a)} vs {len(b)}; in one only: {len(missing)}; "
          + ", ".join(f"{f} differs: {len(v)}" for f, v in diff.items()))
    for k in diff["prediction"][:5]:
        print(f"  {k}: {a[k]['prediction']!r} vs {b[k]['prediction']!r}")
    sys.exit(0 if not missing and not any(diff.values()) else 1)


if __name__ == "__main__":
    main()
