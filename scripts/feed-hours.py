#!/usr/bin/env python3
"""Where in the day and at which levels a trace's urine tank (NODE3000005)
flickers for long: the evidence behind docs/fidelity.md's note on the tank
updates per day. For each trace:

  long flicker h    hours of long flicker episodes (50 or more successive
                    reversals v -> v+-1 -> v, however far apart: compare's
                    flicker episodes also end at a reversal later than
                    flicker_window_s), per 3-hour bin of the UTC day of
                    their start, and per 10 % band of their level
  hours at level    hours spent in each 10 % band of the level
and the tank updates per day outside long episodes (over the whole span).
Intervals of 6 h or more are logger gaps: they count nowhere and end an
episode. When in the day the tank drains is `peebot compare`'s "drain
steps by UTC hour of day" (drain_step_hour_profile in --json).

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
        inside = sum(j - i for i, j in eps)
        print(f"{p}: {len(t)} tank updates over {days:.1f} days, {(len(t) - inside) / days:.0f} a day outside "
              f"long episodes; {len(eps)} long flicker episodes, "
              f"{ep_h.sum():.0f} h, longest {max(((t[j] - t[i - 1]) / 3600 for i, j in eps), default=0):.1f} h")
        print(f"  UTC hours           {hdr}")
        print("  long flicker h      " + " ".join(f"{x:5.1f}" for x in ep_h))
        print(f"  level band (%)      {bands}")
        print("  hours at level      " + " ".join(f"{x:4.0f}" for x in at))
        print("  long flicker h      " + " ".join(f"{x:4.1f}" for x in ep_lvl))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    main(sys.argv[1:])
