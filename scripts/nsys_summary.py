#!/usr/bin/env python3
"""Summarises one Nsight Systems run of headkv (scripts/gpu-verify.sh nsys): where the GPU idles.

Usage: nsys_summary.py PREFIX   (reads PREFIX.sqlite, written by `nsys stats`, and the
PREFIX_*.csv summaries next to it)

Prints the GPU's busy share between its first and last activity (kernels, graphs, copies and
memsets merged into one timeline), the idle gaps by length, which CUDA API calls the host was in
while the GPU idled, and the top kernels and API calls by total time.
"""
import csv
import glob
import os
import sqlite3
import sys

GAP_BINS = [(0, 10e3, "< 10 us"), (10e3, 100e3, "10-100 us"), (100e3, 1e6, "0.1-1 ms"),
            (1e6, float("inf"), ">= 1 ms")]


def activity_intervals(db):
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    wanted = [t for t in tables if t.startswith("CUPTI_ACTIVITY_KIND_") and any(
        k in t for k in ("KERNEL", "MEMCPY", "MEMSET", "GRAPH_TRACE"))]
    spans = []
    for t in wanted:
        cols = [r[1] for r in db.execute(f"PRAGMA table_info({t})")]
        if "start" in cols and "end" in cols:
            spans += db.execute(f"SELECT start, end FROM {t}").fetchall()
    spans.sort()
    merged = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return merged


def api_calls(db):
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    if "CUPTI_ACTIVITY_KIND_RUNTIME" not in tables:
        return []
    return db.execute("SELECT r.start, r.end, s.value FROM CUPTI_ACTIVITY_KIND_RUNTIME r "
                      "JOIN StringIds s ON r.nameId = s.id ORDER BY r.start").fetchall()


def idle_by_api(gaps, calls):
    """Nanoseconds of GPU idle time overlapping each API call name (calls sorted by start)."""
    out = {}
    j = 0
    for gs, ge in gaps:
        while j < len(calls) and calls[j][1] < gs:
            j += 1
        k = j
        while k < len(calls) and calls[k][0] < ge:
            s, e, name = calls[k]
            overlap = min(e, ge) - max(s, gs)
            if overlap > 0:
                out[name] = out.get(name, 0) + overlap
            k += 1
    return out


def top_csv(prefix, report, count_col, n=8):
    paths = glob.glob(f"{prefix}_{report}.csv")
    if not paths:
        return []
    with open(paths[0]) as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: -float(r.get("Total Time (ns)", 0) or 0))
    return [(r.get("Name", r.get("Operation", "?")), float(r["Total Time (ns)"]) / 1e6,
             r.get(count_col, "?")) for r in rows[:n]]


def main():
    prefix = sys.argv[1]
    name = os.path.basename(prefix)
    db_path = prefix + ".sqlite"
    if not os.path.exists(db_path):
        print(f"{name}: no {db_path} (nsys stats did not export)")
        return
    db = sqlite3.connect(db_path)
    busy = activity_intervals(db)
    if not busy:
        print(f"{name}: no GPU activity recorded")
        return
    span = busy[-1][1] - busy[0][0]
    busy_ns = sum(e - s for s, e in busy)
    gaps = [(busy[i][1], busy[i + 1][0]) for i in range(len(busy) - 1)]
    print(f"{name}: GPU busy {busy_ns / 1e9:.2f} s of {span / 1e9:.2f} s between its first and "
          f"last activity = {100 * busy_ns / span:.1f}%; {len(gaps)} idle gaps")
    for lo, hi, label in GAP_BINS:
        sel = [e - s for s, e in gaps if lo <= e - s < hi]
        print(f"  gaps {label:>9}: {len(sel):8d}, {sum(sel) / 1e9:7.3f} s")
    by_api = idle_by_api(gaps, api_calls(db))
    idle = span - busy_ns
    print("  the host during the GPU's idle time (CUDA API calls overlapping it):")
    for api, ns in sorted(by_api.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    {api:40s} {ns / 1e9:7.3f} s ({100 * ns / idle:.1f}% of idle)")
    print("  top kernels (ms, instances):")
    for kname, ms, count in top_csv(prefix, "cuda_gpu_kern_sum", "Instances"):
        print(f"    {ms:9.1f} {count:>8}  {kname[:90]}")
    print("  top CUDA API calls (ms, calls):")
    for aname, ms, count in top_csv(prefix, "cuda_api_sum", "Num Calls"):
        print(f"    {ms:9.1f} {count:>8}  {aname}")


if __name__ == "__main__":
    main()
