#!/usr/bin/env python3
"""Prints the fidelity table (docs/fidelity.md) from several `peebot compare --json`
outputs of one recording (A) against simulations of one scenario with different
seeds (B): per statistic, A's and B's count and p50 (B: mean over the seeds),
the KS distance as the mean over the seeds with its 95 % Student-t interval,
the goal and the verdict (met: the interval lies within the goal; not met: it
lies outside; undecided: it straddles it), and the same for the relative
differences of the rises-per-day median and the tank updates per day (goal
within +-10 %). The last column is the median over the seeds of the KS
test's p-value (compare's ks_p, asymptotic; conservative for whole-number
values): how often chance alone, at these sample sizes, makes a distance as
large as the one seen if the simulation and the recording shared one law.

With --within a last column counts the seeds whose own figure meets the goal
(KS D <= goal, relative difference within +-10 %). Given compares of a
simulation against another seed of itself (scripts/fidelity-floor.sh), it
is the share of the goal a model identical to the recording's law meets at
these sample sizes: the noise floor of the goal.

Usage: scripts/fidelity-table.py [--within] COMPARE.json... (one per seed; n >= 2)
"""
import json
import math
import statistics
import sys

# Student t quantile t_{0.975, df} for df = 1..30 (then ~1.96).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
        2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
        2.045, 2.042]

ROWS = [("rise_size", "rise size (%)", 0.10), ("inter_update", "inter-update time (s)", 0.10),
        ("drain_step", "drain-step interval (s)", 0.10), ("drain_step_hour", "hour of day of drain steps (h UTC)", None),
        ("rise_onset_hour", "hour of day of rises (h UTC)", 0.10),
        ("rises_per_day", "rises per day", 0.10), ("flicker_per_hour", "flicker episodes per hour", None),
        ("gap", "gap length (s)", None)]


def interval(values):
    n = len(values)
    m = statistics.fmean(values)
    if n < 2:
        return m, float("nan"), float("nan")
    h = (T975[n - 2] if n - 1 <= len(T975) else 1.96) * statistics.stdev(values) / math.sqrt(n)
    return m, m - h, m + h


def verdict(lo, hi, goal_lo, goal_hi):
    if goal_lo <= lo and hi <= goal_hi:
        return "met"
    if hi < goal_lo or lo > goal_hi:
        return "**not met**"
    return "undecided"


def median_p(dists):
    """The median KS p-value over the seeds (None when compare did not print one)."""
    ps = [x.get("ks_p") for x in dists]
    ps = [p for p in ps if p is not None]
    return statistics.median(ps) if ps else None


def fmt(x, d=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    s = f"{x:.{d}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


def fail(msg):
    print(f"fidelity-table.py: {msg}", file=sys.stderr)
    sys.exit(2)


REQUIRED = ("distributions", "rises_per_day_median", "tank_updates_per_day")


def main(argv):
    within = "--within" in argv
    paths = [a for a in argv if a != "--within"]
    bad = [a for a in paths if a.startswith("-")]
    if bad:
        fail(f"unknown option {bad[0]} (expected --within, -h)")
    if len(paths) < 2:
        fail("expected two or more compare --json files (one per seed)")
    runs = []
    for p in paths:
        try:
            with open(p) as f:
                run = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"{p}: {e}")
        if not isinstance(run, dict) or any(k not in run for k in REQUIRED) or any(
                k not in run["distributions"] for k, _, g in ROWS if g is not None):
            fail(f"{p}: not the output of peebot compare --json (expected the keys {', '.join(REQUIRED)})")
        runs.append(run)
    n = len(runs)
    extra = " seeds within the goal |" if within else ""
    print(f"| statistic | n A | n B (mean) | p50 A | p50 B (mean) | KS D, mean of {n} seeds [95 % CI] | goal | met "
          f"| KS p, median |{extra}")
    print("|---|---|---|---|---|---|---|---|---|" + ("---|" if within else ""))

    def count(values, ok):
        return f" {sum(1 for x in values if ok(x))} of {len(values)} |" if within else ""

    for key, label, goal in ROWS:
        if any(key not in r["distributions"] for r in runs):
            print(f"fidelity-table.py: no {key} row: a file was compared by a peebot before it existed",
                  file=sys.stderr)
            continue
        d = [r["distributions"][key] for r in runs]
        ks = [x["ks_d"] for x in d if x["ks_d"] is not None]
        m, lo, hi = interval(ks)
        v = verdict(lo, hi, 0.0, goal) if goal is not None else "–"
        print(f"| {label} | {d[0]['a']['count']} | {fmt(statistics.fmean(x['b']['count'] for x in d), 0)} | "
              f"{fmt(d[0]['a']['p50'], 2)} | {fmt(statistics.fmean(x['b']['p50'] for x in d), 2)} | "
              f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}] | {'≤ ' + fmt(goal, 2) if goal is not None else '–'} | {v} | "
              f"{fmt(median_p(d), 3) if median_p(d) is not None else '–'} |"
              + (count(ks, lambda x: x <= goal) if goal is not None else (" – |" if within else "")))
    for key, label in (("rises_per_day_median", "rises per day, median"),
                       ("tank_updates_per_day", "tank updates per day")):
        a = runs[0][key]["a"]
        bs = [r[key]["b"] for r in runs]
        rel = [100 * r[key]["rel_diff_b_vs_a"] for r in runs]
        m, lo, hi = interval(rel)
        print(f"| {label} | | | {fmt(a, 1)} | {fmt(statistics.fmean(bs), 1)} | "
              f"B vs A {fmt(m, 1)} % [{fmt(lo, 1)}, {fmt(hi, 1)}] | ± 10 % | {verdict(lo, hi, -10.0, 10.0)} | |"
              + count(rel, lambda x: abs(x) <= 10.0))


if __name__ == "__main__":
    if any(a in ("-h", "--help") for a in sys.argv[1:]):
        print(__doc__)
        sys.exit(0)
    main(sys.argv[1:])
