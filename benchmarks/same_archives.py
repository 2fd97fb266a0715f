"""Whether two runs' archives hold the same candidates, timings aside: the check every change that must not
alter results is held to ("fixed-seed archives identical row for row, every column but timings").

    python benchmarks/same_archives.py BEFORE.db AFTER.db [--meta]

Compares the candidates in sequence order, every column but ``seconds`` and ``created`` (and, inside a row's
metrics, every key ending in ``seconds``); with ``--meta`` the archives' meta tables too, the same keys left out
at any depth.  Prints ``identical: N candidates`` and exits 0, or each column that differs (its first seq, both
values, how many rows differ) and exits 1.  Archives of different lengths are compared over the shorter and said
so (exit 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from mlevolve.gp.archive import Archive, Row
from mlevolve.script import ArgumentParser

TIMED = ("seconds", "created")  # columns (and, at any depth, key suffixes) that record when or how long


def untimed(value: Any) -> Any:
    """``value`` with every mapping's timing keys (ending in one of :data:`TIMED`) left out, at any depth."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if not str(k).endswith(TIMED)}
    if isinstance(value, list | tuple):
        return [untimed(v) for v in value]
    return value


def columns(row: Row) -> dict[str, Any]:
    """A row's columns but its timings, its metrics untimed."""
    return {f.name: untimed(getattr(row, f.name)) for f in fields(row) if f.name not in TIMED}


def differences(before: Iterable[Row], after: Iterable[Row]) -> tuple[int, dict[str, tuple[int, Any, Any, int]]]:
    """Rows compared and, per differing column, (first seq, value before, value after, rows that differ)."""
    found: dict[str, tuple[int, Any, Any, int]] = {}
    n = 0
    for a, b in zip(before, after, strict=False):
        n += 1
        ca, cb = columns(a), columns(b)
        for key in ca:
            if ca[key] != cb[key] and not (ca[key] != ca[key] and cb[key] != cb[key]):  # NaN equals NaN here
                first = found.get(key, (a.seq, ca[key], cb[key], 0))
                found[key] = (*first[:3], first[3] + 1)
    return n, found


def apart(x: Any, y: Any, width: int = 60) -> str:
    """Two values as text from a little before where they first differ: ``...a + 0.1 * x' vs '...a + 0.2 * x'``."""
    a, b = str(x), str(y)
    same = next((i for i, (p, q) in enumerate(zip(a, b, strict=False)) if p != q), min(len(a), len(b)))
    start = max(0, same - width // 3)
    cut = "..." if start else ""
    return f"{cut + a[start:start + width]!r} vs {cut + b[start:start + width]!r}"


def main() -> int:
    parser = ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("before", help="one run's archive (.db)")
    parser.add_argument("after", help="the other's")
    parser.add_argument("--meta", action="store_true", help="compare the meta tables too (timings left out)")
    args = parser.parse_args()
    with Archive.read(args.before) as a, Archive.read(args.after) as b:
        lengths = a.count(), b.count()
        n, found = differences(a.rows(), b.rows())
        meta = (untimed(a.meta()), untimed(b.meta())) if args.meta else ({}, {})
    for key, (seq, x, y, count) in found.items():
        print(f"{key}: {count:,} row{'s' * (count != 1)} differ{'s' * (count == 1)}, first at seq {seq}: {apart(x, y)}")
    for key in sorted(set(meta[0]) | set(meta[1])):
        if meta[0].get(key) != meta[1].get(key):
            print(f"meta {key}: {apart(meta[0].get(key), meta[1].get(key))}")
            found[f"meta {key}"] = (0, None, None, 1)
    if lengths[0] != lengths[1]:
        print(f"lengths differ: {lengths[0]:,} vs {lengths[1]:,} candidates (the first {n:,} compared)")
        return 1
    if found:
        return 1
    print(f"identical: {n:,} candidates" + (", and their meta" if args.meta else "") + " (timings aside)")
    return 0


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
