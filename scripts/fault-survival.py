#!/usr/bin/env python3
"""Per fault of a fault-study sweep CSV (docs/studies.md), in how many of its
runs the architecture "survives", judged against the no-fault run ("faults"
= "[]") of the same seed:

  nothing that reached our host is lost (updates.fault_lost, updates.dropped_hwm
  and updates.skipped 0), nothing stored or posted twice (updates.stored_twice,
  posts.duplicate 0), per-item order kept (targets.per_item_order.value_s 0,
  empty or no such column), and every use the no-fault run detected and posted is still detected
  and posted (matching.tp and posts.sent at least the no-fault run's).

Prints a Markdown table: fault, runs, survived, and which rule failed how often.

  scripts/fault-survival.py faults-streaming.csv

Exit 2 on a missing file or column, naming it.
"""
import csv
import sys

COLS = ["faults", "seed", "updates.fault_lost", "updates.dropped_hwm", "updates.skipped", "updates.stored_twice",
        "posts.duplicate", "matching.tp", "posts.sent"]
# The direct pipeline has no per-item order target: no such column, no order violation counted.
ORDER = "targets.per_item_order.value_s"


def num(v):
    return float(v) if v != "" else 0.0


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        print(f"fault-survival: {path}: {e.strerror}", file=sys.stderr)
        return 2
    if not rows:
        print(f"fault-survival: {path}: no rows", file=sys.stderr)
        return 2
    for c in COLS:
        if c not in rows[0]:
            print(f"fault-survival: {path}: no column '{c}'", file=sys.stderr)
            return 2
    base = {r["seed"]: r for r in rows if r["faults"] == "[]"}
    order, by = [], {}
    for r in rows:
        if r["faults"] not in by:
            order.append(r["faults"])
            by[r["faults"]] = []
        by[r["faults"]].append(r)
    print("| fault | runs | survived | lost at the host | stored/posted twice | out of order | a use not detected or posted |")
    print("|---|---|---|---|---|---|---|")
    for k in order:
        if k == "[]":
            continue
        n = ok = lost = twice = disorder = missed = 0
        for r in by[k]:
            b = base.get(r["seed"])
            if b is None:
                continue
            n += 1
            l = num(r["updates.fault_lost"]) + num(r["updates.dropped_hwm"]) + num(r["updates.skipped"]) > 0
            t = num(r["updates.stored_twice"]) + num(r["posts.duplicate"]) > 0
            o = num(r.get(ORDER, "")) > 0
            m = num(r["matching.tp"]) < num(b["matching.tp"]) or num(r["posts.sent"]) < num(b["posts.sent"])
            lost += l
            twice += t
            disorder += o
            missed += m
            ok += not (l or t or o or m)
        print(f"| {k} | {n} | {ok} | {lost} | {twice} | {disorder} | {missed} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
