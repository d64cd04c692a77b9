#!/usr/bin/python3
"""Canonical text of a run's outputs, one fact per line, for the golden tests.

  flatten.py trace FILE.h5   every dataset's dtype (with the names of enum
                             fields), shape and SHA-256 of its bytes, and every
                             attribute but the creation time
  flatten.py json FILE.json  the JSON document flattened to 'a.b[3].c = value'
                             lines, without the fields that are wall-clock by
                             nature (creation time, wall seconds, paths)

Lines are sorted, so a diff names exactly the dataset or figure that moved.
Numbers are printed with repr() (shortest round-trip), so any change shows.
"""
import hashlib
import json
import sys

# Fields that differ from run to run by nature, never by the model.
VOLATILE_KEYS = {"created_unix_s", "created_utc", "created", "wall_s", "wall_time_s",
                 "elapsed_s", "trace", "path", "trace_path", "peak_rss_kb", "speedup",
                 "jobs", "output", "dir"}
VOLATILE_ATTRS = {"created_unix_s", "created_utc", "created", "peebot_version", "source_path",
                  "wall_s"}


def attr_text(v):
    if isinstance(v, bytes):
        return repr(v.decode("utf-8", "replace"))
    try:
        import numpy as np
        if isinstance(v, np.ndarray):
            return repr(v.tolist())
        if isinstance(v, np.generic):
            return repr(v.item())
    except ImportError:
        pass
    return repr(v)


def enum_text(dtype):
    """The names of a compound's HDF5 enum fields (numpy's dtype text omits them)."""
    import h5py
    enums = []
    for n in dtype.names or ():
        e = h5py.check_enum_dtype(dtype.fields[n][0])
        if e:
            enums.append(f"{n}:" + ",".join(f"{k}={v}" for k, v in sorted(e.items(), key=lambda kv: kv[1])))
    return " enums=" + ";".join(enums) if enums else ""


def flatten_trace(path):
    import h5py
    lines = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for k, v in obj.attrs.items():
                if k in VOLATILE_ATTRS:
                    continue
                lines.append(f"/{name} @{k} = {attr_text(v)}")
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                raw = data.tobytes() if hasattr(data, "tobytes") else bytes(str(data), "utf-8")
                digest = hashlib.sha256(raw).hexdigest()[:16]
                lines.append(f"/{name} dtype={obj.dtype}{enum_text(obj.dtype)} shape={obj.shape} sha256={digest}")
        for k, v in f.attrs.items():
            if k not in VOLATILE_ATTRS:
                lines.append(f"/ @{k} = {attr_text(v)}")
        f.visititems(visit)
    return lines


def flatten_json(path):
    with open(path) as fh:
        doc = json.load(fh)
    lines = []

    def walk(prefix, v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in VOLATILE_KEYS:
                    continue
                walk(f"{prefix}.{k}" if prefix else k, x)
        elif isinstance(v, list):
            if not v:
                lines.append(f"{prefix} = []")
            for i, x in enumerate(v):
                walk(f"{prefix}[{i}]", x)
        else:
            lines.append(f"{prefix} = {v!r}")

    walk("", doc)
    return lines


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("trace", "json"):
        sys.stderr.write(__doc__)
        return 2
    lines = flatten_trace(sys.argv[2]) if sys.argv[1] == "trace" else flatten_json(sys.argv[2])
    sys.stdout.write("".join(line + "\n" for line in sorted(lines)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
