"""What the benchmark scripts share: database URLs, a throw-away PostgreSQL schema, and the profile report."""

from __future__ import annotations

import cProfile
import pstats
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

Key = tuple[str, int, str]  # pstats' (file, line, function)
# (label, part of the file's path or "~" for C functions, function names separated by "|"). Matches are summed,
# except where the label says "outermost": nested matches (a function and the inner one of the same name it
# delegates to) are then counted once by taking the largest.
Breakdown = tuple[tuple[str, str, str], ...]
Areas = tuple[tuple[str, Callable[[Key], bool]], ...]

COMMON_AREAS: Areas = (
    ("SQLAlchemy", lambda k: "/sqlalchemy/" in k[0]),
    ("driver (sqlite3 / psycopg)", lambda k: "sqlite3" in k[2] or "/psycopg" in k[0] or "psycopg" in k[2]),
    ("admission_flow", lambda k: "/admission_flow/" in k[0]),
)
LAST_AREAS: Areas = (
    ("json", lambda k: "/json/" in k[0] or "_json" in k[2]),
    ("stdlib / builtins (other)", lambda k: True),
)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


def libpq_url(url: str) -> str:
    """psycopg wants ``postgresql://``: SQLAlchemy's ``postgresql+psycopg://`` and the ``postgres://`` alias are
    turned into it (the benches import nothing of the package's internals, which are being reorganised)."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


@contextmanager
def postgres_schema(url: str, prefix: str) -> Iterator[str]:
    """A fresh schema ``PREFIX_<random>`` for the run (dropped at the end, even on failure); yields a libpq URL
    whose search_path is that schema."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    base = libpq_url(url)
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _matches(key: Key, where: str, wanted: set[str]) -> bool:
    if where == "~":  # C functions: ('~', 0, "<method 'executemany' of 'sqlite3.Cursor' objects>")
        return key[0] == "~" and any(f"'{name}'" in key[2] for name in wanted)
    return key[2] in wanted and where in key[0].replace("\\", "/")


def cumulative(stats: dict[Key, Any], where: str, names: str, *, outermost: bool = False) -> tuple[float, int]:
    """Cumulative seconds and primitive calls of the functions matching (``where``, one of ``names``)."""
    wanted = set(names.split("|"))
    found = [(v[3], v[0]) for key, v in stats.items() if _matches(key, where, wanted)]
    if not found:
        return 0.0, 0
    if outermost:
        return max(found)
    return sum(s for s, _ in found), sum(c for _, c in found)


def print_profile(
    profiler: cProfile.Profile, count: int, unit: str, title: str, breakdown: Breakdown, areas: Areas
) -> None:
    """Per ``unit`` (``fire``, ``due``): the breakdown's cumulative times, own time by area, pstats' top 25."""
    stats = pstats.Stats(profiler, stream=sys.stdout)
    raw: dict[Key, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values())
    per = f"µs/{unit}"
    print(f"\n{title} (cProfile inflates Python-heavy code)")
    print(f"  profiled time per {unit}: {1e6 * total / count:.1f} µs\n")
    print(f"  {'where (cumulative, includes callees)':<62} {per:>8} {'share':>6} {'calls/' + unit:>10}")
    for label, where, names in breakdown:
        seconds, calls = cumulative(raw, where, names, outermost="outermost" in label)
        if calls:
            print(f"  {label:<62} {1e6 * seconds / count:8.1f} {100 * seconds / total:5.1f}% {calls / count:10.3f}")
    print(f"\n  {'own time (tottime) by area':<62} {per:>8} {'share':>6}")
    totals = {name: 0.0 for name, _ in areas}
    for key, value in raw.items():
        totals[next(name for name, match in areas if match(key))] += value[2]
    for name, seconds in totals.items():
        print(f"  {name:<62} {1e6 * seconds / count:8.1f} {100 * seconds / total:5.1f}%")
    for order in ("cumulative", "tottime"):
        print(f"\n--- top 25 by {order} ---")
        stats.sort_stats(order).print_stats(25)
