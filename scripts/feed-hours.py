#!/usr/bin/env python3
"""Where in the day and at which levels a trace's urine tank (NODE3000005)
drains and flickers: the evidence behind docs/fidelity.md's note on the
tank updates per day. For each trace, per 3-hour bin of the UTC day:

  drain steps/day   new lows 60 s .. 30 min after the previous one (the
                    processing pace; fast drain-outs and flicker left out)
  long flicker h    hours of long flicker episodes (50 or more successive
                    reversals v -> v+-1 -> v), by the bin of their start
and per 10 % band of the level: hours spent there and hours of long flicker
episodes at that level. Intervals of 6 h or more are logger gaps: they count
nowhere and end an episode.

Usage: scripts/feed-hours.py TRACE.h5...   (h5py: /usr/bin/python3 on Debian)
"""
import sys


def fail(msg):
    print(f"feed-hours.py: {msg}", file=sys.stderr)
    sys.exit(2)


try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover
    sys.exit(f"feed-hours.py: {e} (run it with Debian's /usr/bin/python3: python3-h5py, python3-numpy)")

LONG = 50          # reversals in a long flicker episode
GAP_S = 6 * 3600.0  # a longer interval is a logger gap (replayed as LOS in a simulation)
BANDS = [0, 10, 20, 30, 40, 50, 60, 70, 101]


def tank(path):
    try:
        f = h5py.File(path, "r")
        d = f["telemetry/NODE3000005"][:]
        off = float(f.attrs["epoch_unix_s"]) % 86400.0
        t, v = d["t_s"] + off, d["value"]
    except (OSError, KeyError, ValueError, TypeError) as e:
        fail(f"{path}: not a peebot trace with a tank series ({e})")
    if len(t) < 3 or not t[-1] > t[0]:
        fail(f"{path}: fewer than 3 tank updates, or no time between the first and the last")
    return t, v


def long_episodes(t, v):
    """(first, end) index pairs of runs of >= LONG successive reversals (a gap of 6 h or more ends one)."""
    n = len(v)
    rev = np.zeros(n, bool)
    rev[1:-1] = ((v[2:] == v[:-2]) & (np.abs(v[1:-1] - v[:-2]) == 1) & (t[1:-1] - t[:-2] < GAP_S)
                 & (t[2:] - t[1:-1] < GAP_S))
    out, i = [], 0
    while i < n:
        if rev[i]:
            j = i
            while j < n and rev[j]:
                j += 1
            if j - i >= LONG:
                out.append((i, j))
            i = j
        else:
            i += 1
    return out


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    hdr = " ".join(f"{h:02d}-{h + 3:02d}" for h in range(0, 24, 3))
    bands = " ".join(f"{BANDS[k]:>3d}+" for k in range(len(BANDS) - 1))
    for p in paths:
        t, v = tank(p)
        days = (t[-1] - t[0]) / 86400.0
        steps = np.zeros(8)
        low, low_t = 1e9, None
        for ti, vi in zip(t, v):
            if vi > low + 1.5:
                low, low_t = vi, ti
                continue
            if vi < low:
                if low_t is not None and 60 <= ti - low_t <= 1800:
                    steps[int((ti % 86400) // 10800)] += 1
                low, low_t = vi, ti
        eps = long_episodes(t, v)
        ep_h = np.zeros(8)
        ep_lvl = np.zeros(len(BANDS) - 1)
        for i, j in eps:
            dur = (t[j] - t[i - 1]) / 3600.0
            ep_h[int((t[i - 1] % 86400) // 10800)] += dur
            ep_lvl[np.searchsorted(BANDS, min(v[i - 1], v[i]), side="right") - 1] += dur
        dt = np.diff(t)
        ok = dt < GAP_S
        at = np.histogram(v[:-1][ok], BANDS, weights=dt[ok])[0] / 3600.0
        print(f"{p}: {len(t)} tank updates over {days:.1f} days; {len(eps)} long flicker episodes, "
              f"{ep_h.sum():.0f} h, longest {max(((t[j] - t[i - 1]) / 3600 for i, j in eps), default=0):.1f} h")
        print(f"  UTC hours           {hdr}")
        print("  drain steps/day     " + " ".join(f"{x / days:5.1f}" for x in steps))
        print("  long flicker h      " + " ".join(f"{x:5.1f}" for x in ep_h))
        print(f"  level band (%)      {bands}")
        print("  hours at level      " + " ".join(f"{x:4.0f}" for x in at))
        print("  long flicker h      " + " ".join(f"{x:4.1f}" for x in ep_lvl))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    main(sys.argv[1:])
