#!/usr/bin/python3
"""Checks a peebot trace with h5py against docs/trace-format.md.

Run with the system Python (/usr/bin/python3), which has h5py:

    /usr/bin/python3 tests/check_trace.py FILE [--attr NAME=VALUE ...] [--rows PATH=N ...]
                                             [--deflate | --no-deflate] [--swmr]

Checks that every group and dataset exists with the documented compound
field names and kinds, is 1-D, chunked and unlimited, has a `units` attribute,
that every root attribute exists with the documented type, and the expected
attribute values and row counts given on the command line. Every post text
must decode as UTF-8. Exit status: 0 ok, 1 a check failed, 3 h5py missing.
"""
import argparse
import math
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # a required test dependency: say so loudly
    print(f"check_trace.py: cannot import h5py/numpy with {sys.executable}: {e}", file=sys.stderr)
    sys.exit(3)

TELEMETRY = [("t_s", "f8"), ("t_emit_s", "f8"), ("iss_time_h", "f8"), ("value", "f8"), ("seq", "u8"), ("status", "i4")]
TABLES = {
    **{f"telemetry/{name}": TELEMETRY
       for name in ("NODE3000005", "NODE3000004", "NODE3000008", "NODE3000009", "TIME_000001")},
    "pipeline/stages": [("seq", "u8"), ("item", "u2"), ("fate", "u1"), ("t_emit_s", "f8"), ("t_published_s", "f8"),
                        ("t_received_s", "f8"), ("t_ingested_s", "f8"), ("t_detected_s", "f8"),
                        ("t_stored_s", "f8")],
    "pipeline/detections": [("id", "u8"), ("onset_s", "f8"), ("onset_lo_s", "f8"), ("end_s", "f8"),
                            ("emitted_s", "f8"), ("size_pct", "f8"), ("size_ml", "f8"), ("kind", "i4"),
                            ("confidence", "f4")],
    "pipeline/posts": [("detection_id", "u8"), ("t_detected_s", "f8"), ("t_first_attempt_s", "f8"),
                       ("t_done_s", "f8"), ("attempts", "i4"), ("outcome", "i4"), ("text", "S320")],
    "pipeline/queues": [("t_s", "f8"), ("stage", "i4"), ("depth", "i4"), ("depth_max", "i4")],
    "truth/voids": [("onset_s", "f8"), ("end_s", "f8"), ("crew", "i4"), ("urine_ml", "f8"), ("flush_ml", "f8"),
                    ("reaches_tank", "u1")],
    "truth/upa_states": [("t_s", "f8"), ("state", "i4")],
    "truth/los": [("start_s", "f8"), ("end_s", "f8")],
    "truth/tank_full": [("start_s", "f8"), ("end_s", "f8"), ("spilled_ml", "f8")],
    "truth/tank": [("t_s", "f8"), ("volume_ml", "f8"), ("level_pct", "f8")],
    "truth/crew": [("t_s", "f8"), ("crew", "i4"), ("awake", "i4")],
    "truth/bulk_transfers": [("onset_s", "f8"), ("end_s", "f8"), ("volume_ml", "f8")],
}
STR_ATTRS = ["format", "mode", "scenario_name", "scenario_toml", "overrides", "epoch_utc", "created_utc",
             "generator", "detector"]
INT_ATTRS = ["format_version", "seed", "has_truth"]
FLOAT_ATTRS = ["epoch_unix_s", "duration_s"]

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def as_str(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--attr", action="append", default=[], help="NAME=VALUE expected root attribute")
    ap.add_argument("--rows", action="append", default=[], help="PATH=N expected row count")
    ap.add_argument("--deflate", dest="deflate", action="store_true", default=None)
    ap.add_argument("--no-deflate", dest="deflate", action="store_false")
    ap.add_argument("--swmr", action="store_true", help="open with swmr=True (file still being written)")
    a = ap.parse_args()

    with h5py.File(a.file, "r", swmr=a.swmr) as f:
        for g in ("telemetry", "pipeline", "truth"):
            check(isinstance(f.get(g), h5py.Group), f"missing group /{g}")
        attrs = f.attrs
        for name in STR_ATTRS:
            if check(name in attrs, f"missing root attribute {name}"):
                check(isinstance(attrs[name], (str, bytes)), f"attribute {name} is not a string: {attrs[name]!r}")
        for name in INT_ATTRS:
            if check(name in attrs, f"missing root attribute {name}"):
                check(np.issubdtype(np.asarray(attrs[name]).dtype, np.integer), f"attribute {name} is not an integer")
        for name in FLOAT_ATTRS:
            if check(name in attrs, f"missing root attribute {name}"):
                check(np.asarray(attrs[name]).dtype == np.float64, f"attribute {name} is not float64")
        if "format" in attrs:
            check(as_str(attrs["format"]) == "peebot-trace", f"format is {attrs['format']!r}")
        if "seed" in attrs:
            check(np.asarray(attrs["seed"]).dtype == np.uint64, "seed is not uint64")
        for kv in a.attr:
            name, _, want = kv.partition("=")
            if not check(name in attrs, f"missing root attribute {name}"):
                continue
            got = attrs[name]
            if name in STR_ATTRS:
                check(as_str(got) == want, f"attribute {name}: got {as_str(got)!r}, want {want!r}")
            elif name in INT_ATTRS:
                check(int(got) == int(want), f"attribute {name}: got {int(got)}, want {int(want)}")
            else:
                check(float(got) == float(want) or (math.isnan(float(got)) and math.isnan(float(want))),
                      f"attribute {name}: got {float(got)!r}, want {float(want)!r}")

        items = f.get("items")
        if check(isinstance(items, h5py.Dataset), "missing dataset /items"):
            check(items.dtype == np.dtype("S16"), f"/items dtype {items.dtype}, want S16")
            check(items.ndim == 1 and items.maxshape == (None,), "/items is not 1-D unlimited")

        for path, fields in TABLES.items():
            d = f.get(path)
            if not check(isinstance(d, h5py.Dataset), f"missing dataset /{path}"):
                continue
            names = d.dtype.names or ()
            check(list(names) == [n for n, _ in fields], f"/{path} fields {names}, want {[n for n, _ in fields]}")
            for n, kind in fields:
                if n in names:
                    got = d.dtype.fields[n][0]
                    check(got == np.dtype("<" + kind if kind[0] != "S" else kind),
                          f"/{path}.{n} has dtype {got}, want {kind}")
            check(d.ndim == 1, f"/{path} is not 1-D")
            check(d.maxshape == (None,), f"/{path} maxshape {d.maxshape}, want (None,)")
            if check(d.chunks is not None, f"/{path} is not chunked"):
                nbytes = d.chunks[0] * d.dtype.itemsize
                check(16 * 1024 <= nbytes <= 256 * 1024, f"/{path} chunk of {nbytes} bytes")
            if a.deflate is True:
                check(d.compression == "gzip" and d.shuffle, f"/{path} not shuffle+gzip ({d.compression}, {d.shuffle})")
            elif a.deflate is False:
                check(d.compression is None, f"/{path} compressed ({d.compression})")
            check("units" in d.attrs, f"/{path} has no units attribute")

        for kv in a.rows:
            path, _, want = kv.partition("=")
            d = f.get(path)
            if check(isinstance(d, h5py.Dataset), f"missing dataset {path}"):
                check(d.shape[0] == int(want), f"{path} has {d.shape[0]} rows, want {want}")

        posts = f.get("pipeline/posts")
        if isinstance(posts, h5py.Dataset) and posts.shape[0]:
            for i, t in enumerate(posts["text"]):
                try:
                    t.decode("utf-8")
                except UnicodeDecodeError as e:
                    failures.append(f"/pipeline/posts[{i}].text is not UTF-8: {e}")

    if failures:
        for m in failures:
            print("FAIL:", m)
        return 1
    print("ok:", a.file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
