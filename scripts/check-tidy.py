#!/usr/bin/env python3
"""Re-derives the paper-layout tables from tidy.csv with the csv module alone (no pandas) and checks
every cell against tables.csv, in the same row order. `headkv results --out DIR` writes both.
    check-tidy.py DIR/tidy.csv DIR/tables.csv
Exit 0 when every LongBench and BABILong cell of tables.csv is re-derived exactly."""
import csv
import sys
from collections import OrderedDict


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    derived = OrderedDict()  # (table, config) -> {column: score}
    with open(sys.argv[1], newline="") as f:
        for row in csv.DictReader(f):
            if row["benchmark"] == "longbench":
                table, column = "LongBench", row["dataset"]
            elif row["benchmark"] == "babilong":
                table, column = "BABILong", row["dataset"] + "/" + row["split"]
            else:
                continue
            derived.setdefault((table, row["config"]), {})[column] = row["score"]
    want = OrderedDict()
    with open(sys.argv[2], newline="") as f:
        for row in csv.DictReader(f):
            if row["table"] in ("LongBench", "BABILong"):
                want.setdefault((row["table"], row["config"]), {})[row["column"]] = row["score"]
    if not want:
        sys.exit("tables.csv has no LongBench or BABILong cell to re-derive")
    bad = 0
    for key, cells in want.items():
        for column, score in cells.items():
            got = derived.get(key, {}).get(column, "-")
            if got != score:
                bad += 1
                print(f"{key[0]} / {key[1]} / {column}: tables.csv {score}, tidy.csv {got}")
    order_want = [k for k in want]
    order_got = [k for k in derived if k in want]
    if order_want != order_got:
        bad += 1
        print(f"row order differs:\n  tables.csv {order_want}\n  tidy.csv   {order_got}")
    cells = sum(len(c) for c in want.values())
    print(f"check-tidy: {cells} cells of {len(want)} rows re-derived from tidy.csv, {bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
