#!/usr/bin/python3
"""Checks a peebot trace with h5py against docs/trace-format.md.

Run with the system Python (/usr/bin/python3), which has h5py:

    /usr/bin/python3 tests/check_trace.py FILE [--attr NAME=VALUE ...] [--rows PATH=N ...]
                                             [--deflate | --no-deflate] [--swmr] [--unfinished]

Checks that every group and dataset exists with the documented compound
field names and kinds, is 1-D, chunked and unlimited, has a `units` attribute,
that every root attribute exists with the documented type, and the expected
attribute values and row counts given on the command line. Every post text
must decode as UTF-8. The stage summaries (format 1.1): /pipeline/stage_hist
bins on the fixed 50-per-decade grid, ordered by quantity then bin, non-empty;
/pipeline/stage_series rows ordered by bucket then quantity, t_s on the
bucket_s (60 s) grid, min <= mean <= max, row_first <= row_last < stage rows,
no quantity counted more in the series than in the histogram;
stage_summary_rows equal to the stage row count (0 and empty tables before
finish(); --unfinished requires that). Exit status: 0 ok, 1 a check failed, 3 h5py missing.
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
    "pipeline/stage_hist": [("quantity", "u1"), ("lo_s", "f8"), ("hi_s", "f8"), ("count", "u8")],
    "pipeline/stage_series": [("t_s", "f8"), ("quantity", "u1"), ("count", "u4"), ("min_s", "f8"), ("max_s", "f8"),
                              ("mean_s", "f8"), ("row_first", "u8"), ("row_last", "u8")],
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
# Enumerated columns (format 1.2): HDF5 enum types whose names h5py shows.
ENUMS = {
    ("pipeline/stages", "fate"): {"delivered": 0, "duplicate": 1, "stale": 2, "invalid": 3, "lost": 4, "merged": 5,
                                  "reordered": 6, "dropped_hwm": 7, "fault_lost": 8, "replayed": 9, "skipped": 10},
    ("pipeline/detections", "kind"): {"urination": 1, "bulk_transfer": 2, "other": 3, "water_low_alert": 4,
                                      "manual_flush": 5, "manual_refill": 6},
    ("pipeline/posts", "outcome"): {"sent": 0, "failed": 1, "suppressed": 2, "skipped": 3},
    ("pipeline/queues", "stage"): {"ingest": 0, "detector": 1, "store": 2, "tweet": 3},
    ("truth/upa_states", "state"): {"STOP": 2, "SHUTDOWN": 4, "MAINTENANCE": 8, "NORMAL": 16, "STANDBY": 32,
                                    "IDLE": 64, "INITIALIZED": 128},
}
STR_ATTRS = ["format", "mode", "scenario_name", "scenario_toml", "overrides", "epoch_utc", "created_utc",
             "generator", "detector"]
INT_ATTRS = ["format_version", "seed", "has_truth"]
FLOAT_ATTRS = ["epoch_unix_s", "duration_s"]

STAGE_QUANTITIES = 6          # feed, ingest, detector, store, ingest_to_dashboard, ingest_to_persisted
HIST_LOG10_LO, HIST_LOG10_HI, HIST_PER_DECADE = -6, 5, 50
HIST_BINS = (HIST_LOG10_HI - HIST_LOG10_LO) * HIST_PER_DECADE + 2

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
    return cond


def as_str(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def hist_edge(i):
    """Lower edge of stage_hist bin i (docs/trace-format.md): -inf, then 10^(-6 + (i-1)/50), +inf past the last."""
    if i <= 0:
        return -math.inf
    if i >= HIST_BINS:
        return math.inf
    return 10.0 ** (HIST_LOG10_LO + (i - 1) / HIST_PER_DECADE)


def check_stage_summaries(f, finished):
    """/pipeline/stage_hist and /pipeline/stage_series against docs/trace-format.md (format 1.1)."""
    hist, series, stages = f.get("pipeline/stage_hist"), f.get("pipeline/stage_series"), f.get("pipeline/stages")
    if not all(isinstance(d, h5py.Dataset) for d in (hist, series, stages)):
        return  # missing tables are reported with the layout checks
    attrs = f.attrs
    check(int(attrs.get("format_minor", 0)) >= 1, "format_minor < 1 but the stage summary tables exist")
    summary_rows = int(attrs["stage_summary_rows"]) if check("stage_summary_rows" in attrs,
                                                              "missing root attribute stage_summary_rows") else 0
    if check("bucket_s" in series.attrs, "/pipeline/stage_series has no bucket_s attribute"):
        bucket_s = float(series.attrs["bucket_s"])
        check(bucket_s == 60.0, f"/pipeline/stage_series bucket_s {bucket_s}, want 60")
    else:
        bucket_s = 60.0
    if not finished or summary_rows == 0:
        check(hist.shape[0] == 0 and series.shape[0] == 0 and summary_rows == 0,
              "an unfinished trace has stage summaries (they are written by finish())")
        return
    check(summary_rows == stages.shape[0],
          f"stage_summary_rows {summary_rows} != /pipeline/stages rows {stages.shape[0]}")
    h = hist[()]
    q, lo, hi, cnt = h["quantity"], h["lo_s"], h["hi_s"], h["count"]
    check(bool(np.all(q < STAGE_QUANTITIES)), "/pipeline/stage_hist quantity out of 0..5")
    check(bool(np.all(cnt > 0)), "/pipeline/stage_hist holds an empty bin")
    # Bins on the fixed grid: lo is a bin's lower edge, hi the next bin's.
    grid = np.array([hist_edge(i) for i in range(HIST_BINS + 1)])
    idx = np.searchsorted(grid, lo, side="left")
    idx = np.minimum(idx, HIST_BINS)
    on_grid = np.isclose(grid[idx], lo, rtol=1e-9, atol=0) | (np.isinf(lo) & np.isinf(grid[idx]))
    check(bool(np.all(on_grid)), "/pipeline/stage_hist lo_s not on the 50-per-decade grid")
    nxt = grid[np.minimum(idx + 1, HIST_BINS)]
    check(bool(np.all(np.isclose(nxt, hi, rtol=1e-9, atol=0) | (np.isinf(hi) & np.isinf(nxt)))),
          "/pipeline/stage_hist hi_s is not the next bin's lower edge")
    key = q.astype(np.int64) * (HIST_BINS + 1) + idx
    check(bool(np.all(np.diff(key) > 0)), "/pipeline/stage_hist not ordered by quantity then bin (or a bin twice)")
    s = series[()]
    st, sq, sc = s["t_s"], s["quantity"], s["count"]
    check(bool(np.all(sq < STAGE_QUANTITIES)), "/pipeline/stage_series quantity out of 0..5")
    check(bool(np.all(sc > 0)), "/pipeline/stage_series holds an empty bucket")
    check(bool(np.all(np.isfinite(st) & (st >= 0))), "/pipeline/stage_series t_s negative or not finite")
    check(bool(np.all(np.abs(st / bucket_s - np.round(st / bucket_s)) < 1e-9)),
          "/pipeline/stage_series t_s not a multiple of bucket_s")
    order = np.lexsort((sq, st))
    check(bool(np.all(order == np.arange(len(st)))) and
          bool(np.all((np.diff(st) > 0) | ((np.diff(st) == 0) & (np.diff(sq.astype(np.int64)) > 0)))),
          "/pipeline/stage_series not ordered by bucket then quantity (or a row twice)")
    mn, mx, mean = s["min_s"], s["max_s"], s["mean_s"]
    tol = 1e-9 * np.maximum(1.0, np.abs(mx))
    check(bool(np.all((mn <= mean + tol) & (mean <= mx + tol))), "/pipeline/stage_series not min <= mean <= max")
    rf, rl = s["row_first"], s["row_last"]
    check(bool(np.all(rf <= rl)), "/pipeline/stage_series row_first > row_last")
    check(bool(np.all(rl < stages.shape[0])), "/pipeline/stage_series row_last past /pipeline/stages")
    # Every bucket's updates are in the histogram too (which also holds those with no t_received).
    for k in range(STAGE_QUANTITIES):
        in_hist, in_series = int(cnt[q == k].sum()), int(sc[sq == k].sum())
        check(in_series <= in_hist, f"quantity {k}: {in_series} latencies in stage_series, only {in_hist} in stage_hist")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--attr", action="append", default=[], help="NAME=VALUE expected root attribute")
    ap.add_argument("--rows", action="append", default=[], help="PATH=N expected row count")
    ap.add_argument("--deflate", dest="deflate", action="store_true", default=None)
    ap.add_argument("--no-deflate", dest="deflate", action="store_false")
    ap.add_argument("--swmr", action="store_true", help="open with swmr=True (file still being written)")
    ap.add_argument("--unfinished", action="store_true",
                    help="the writer has not called finish(): stage summaries must be empty")
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
                    if (path, n) in ENUMS and int(f.attrs.get("format_minor", 0)) >= 2:
                        check(h5py.check_enum_dtype(got) == ENUMS[(path, n)],
                              f"/{path}.{n} enum names {h5py.check_enum_dtype(got)}, want {ENUMS[(path, n)]}")
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

        check_stage_summaries(f, not a.unfinished)

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
