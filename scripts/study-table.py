#!/usr/bin/env python3
"""Prints a Markdown table from a `peebot sweep` CSV (docs/studies.md).

One row per value of the group columns (by default every varied key, i.e. the
columns between `point` and `seed`), in the order they first appear; each
figure column is the mean over the rows of that group (the seeds), an empty
cell when no row has a value. A `.met` column is shown as the share of runs
that met the target.

  scripts/study-table.py arch70.csv targets.throughput.value_s targets.throughput.met ...
  scripts/study-table.py faults.csv --group faults --label faults=NAME:VALUE ... COLUMNS

--digits N rounds the means (default 3 significant decimals after the point).

With --summary, reads the CSV `peebot sweep --summary` writes instead (one
row per grid point and figure, pooled over the seeds by peebot itself:
docs/statistics.md) and prints, per grid point, n and each named figure as
"value [lo, hi]" followed by its verdict (met / not met / undecided) when it
has a target:

  scripts/study-table.py --summary arch70-summary.csv event_to_tweet_p95 throughput ...

Exit 2 on a missing file or column, naming it.
"""
import argparse
import csv
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv")
    ap.add_argument("columns", nargs="+", help="figure columns of the sweep table")
    ap.add_argument("--group", action="append", help="group column (repeatable); default: the varied keys")
    ap.add_argument("--digits", type=int, default=3)
    ap.add_argument("--summary", action="store_true", help="the CSV is a sweep --summary (intervals per grid point)")
    a = ap.parse_args()
    rows = read_rows(a.csv)
    if rows is None:
        return 2
    if a.summary:
        return summary_table(a, rows)
    header = list(rows[0].keys())
    groups = a.group or header[header.index("point") + 1:header.index("seed")]
    for c in groups + a.columns:
        if c not in header:
            print(f"study-table: {a.csv}: no column '{c}' (columns: {', '.join(header)})", file=sys.stderr)
            return 2
    order, by = group_rows(rows, groups)

    def cell(rs, c):
        vals = []
        for r in rs:
            v = r[c]
            if v == "":
                continue
            try:
                vals.append(float(v))
            except ValueError:
                return v
        if not vals:
            return ""
        m = sum(vals) / len(vals)
        return f"{m:.{a.digits}f}".rstrip("0").rstrip(".") if m != int(m) else str(int(m))

    print("| " + " | ".join(groups + a.columns) + " |")
    print("|" + "---|" * (len(groups) + len(a.columns)))
    for k in order:
        print("| " + " | ".join(list(k) + [cell(by[k], c) for c in a.columns]) + " |")
    return 0


def read_rows(path):
    """The CSV's rows as dicts; None (after saying why) when unreadable or empty."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        print(f"study-table: {path}: {e.strerror}", file=sys.stderr)
        return None
    if not rows:
        print(f"study-table: {path}: no rows", file=sys.stderr)
        return None
    return rows


def group_rows(rows, groups):
    """(the group keys in order of first appearance, {key: [rows]})."""
    order, by = [], {}
    for r in rows:
        k = tuple(r[g] for g in groups)
        if k not in by:
            order.append(k)
            by[k] = []
        by[k].append(r)
    return order, by


def summary_table(a, rows):
    if "figure" not in rows[0]:
        print(f"study-table: {a.csv}: not a sweep --summary CSV (no 'figure' column)", file=sys.stderr)
        return 2
    header = list(rows[0].keys())
    groups = a.group or header[:header.index("figure")]
    known = {r["figure"] for r in rows}
    for c in a.columns:
        if c not in known:
            print(f"study-table: {a.csv}: no figure '{c}' (figures: {', '.join(sorted(known))})", file=sys.stderr)
            return 2
    order, grouped = group_rows(rows, groups)
    by = {k: {r["figure"]: r for r in rs} for k, rs in grouped.items()}

    def num(v):
        if v == "":
            return "–"
        x = float(v)
        t = f"{x:.{a.digits}g}" if abs(x) < 1e5 else f"{x:.0f}"
        return t

    def cell(r):
        if r is None or r["value"] == "":
            return "–"
        t = num(r["value"])
        if r["ci95_lo"] != "":
            t += f" [{num(r['ci95_lo'])}, {num(r['ci95_hi'])}]"
        if r["verdict"]:
            v = r["verdict"]
            t += " " + (f"**{v}**" if v == "not met" else v)
        return t

    print("| " + " | ".join(groups + ["n"] + a.columns) + " |")
    print("|" + "---|" * (len(groups) + 1 + len(a.columns)))
    for k in order:
        figs = by[k]
        n = next((figs[c]["n"] for c in a.columns if c in figs), "")
        print("| " + " | ".join(list(k) + [n] + [cell(figs.get(c)) for c in a.columns]) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
