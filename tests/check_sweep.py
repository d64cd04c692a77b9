#!/usr/bin/python3
"""Checks a peebot sweep table written as HDF5 (h5py) against the same table as CSV.

    /usr/bin/python3 tests/check_sweep.py TABLE.h5 TABLE.csv [--expect COLUMN:ROW=VALUE ...]

The HDF5 file must hold one compound dataset /sweep whose fields are the CSV's
columns in the same order, the same number of rows, and equal values: numbers
exactly (the CSV's text parsed as a double; an empty field is NaN), strings
decoded as UTF-8. The root attributes format ("peebot-sweep") and points (the
row count) must be there. Each --expect compares one cell's CSV text.
Exit status: 0 ok, 1 a check failed, 3 h5py missing.
"""
import argparse
import csv
import math
import sys

try:
    import h5py
except ImportError as e:
    print(f"check_sweep.py: cannot import h5py with {sys.executable}: {e}", file=sys.stderr)
    sys.exit(3)


def text(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("h5")
    ap.add_argument("csv")
    ap.add_argument("--expect", action="append", default=[])
    a = ap.parse_args()
    errors = []
    with open(a.csv, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    with h5py.File(a.h5, "r") as f:
        if text(f.attrs.get("format", b"")) != "peebot-sweep":
            errors.append("root attribute format is not peebot-sweep")
        if int(f.attrs.get("points", -1)) != len(body):
            errors.append(f"root attribute points {f.attrs.get('points')} != {len(body)} rows")
        d = f["sweep"]
        names = list(d.dtype.names)
        if names != header:
            errors.append(f"columns differ: h5 {names} csv {header}")
        if len(d) != len(body):
            errors.append(f"rows differ: h5 {len(d)} csv {len(body)}")
        data = d[()]
        for r, line in enumerate(body):
            if len(line) != len(header):
                errors.append(f"csv row {r}: {len(line)} fields, header has {len(header)}")
                continue
            for c, name in enumerate(header):
                if name not in names or r >= len(data):
                    continue
                h = data[name][r]
                kind = d.dtype[name].kind
                if kind == "S":
                    ok = text(h) == line[c]
                elif kind == "f":
                    ok = (math.isnan(h) and line[c] == "") or (line[c] != "" and float(line[c]) == float(h))
                else:
                    ok = line[c] != "" and int(line[c]) == int(h)
                if not ok:
                    errors.append(f"row {r} column {name}: h5 {h!r} csv {line[c]!r}")
    for e in a.expect:
        col, rest = e.rsplit(":", 1)
        row, value = rest.split("=", 1)
        if col not in header:
            errors.append(f"--expect {e}: no column {col}")
        elif body[int(row)][header.index(col)] != value:
            errors.append(f"--expect {e}: got {body[int(row)][header.index(col)]!r}")
    for e in errors:
        print("check_sweep.py: " + e, file=sys.stderr)
    print("ok" if not errors else f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
