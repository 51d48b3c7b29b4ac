"""Durable events per second through ``AdmissionFlow``, next to a raw-driver floor doing the same writes.

Run from the repository root (``make bench`` runs it with the defaults)::

    .venv/bin/python bench/fire.py                       # every mode, SQLite and PostgreSQL, RSS run
    .venv/bin/python bench/fire.py --mode chain --only sqlite --fires 2000 --rss-fires 0
    .venv/bin/python bench/fire.py --mode standard,enrol --only postgresql
    .venv/bin/python bench/fire.py --mode chain --only sqlite --rss-fires 0 --profile

Modes (``modes.py``): ``internal`` (``assign_helper``: no state change, no timers), ``chain`` (12 state changes
through ``bench/workflows/chain.yaml``), ``standard`` (the standard workflow's whole happy path, timers
included) and ``enrol`` (``add_candidate``). Each event is one transaction on both paths: admission_flow's
(SELECT the instance joined with candidate, org and parent org, guards, version-checked UPDATE, INSERT of the
audit event, documents and timer rows as the event needs) and the floor's, which writes the same rows with
sqlite3 / psycopg directly (no SQLAlchemy, no guards, no state machine, no timer reads). See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import math
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

import psycopg
import sqlalchemy
from common import (
    COMMON_AREAS,
    LAST_AREAS,
    Areas,
    Breakdown,
    libpq_url,
    postgres_schema,
    print_profile,
    sqlite_url,
)
from modes import MODES, Mode, TimedPath, set_up
from rawdb import Raw

from admission_flow.flow import AdmissionFlow

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 0.5
RSS_MODES = ("internal", "chain")


# ---------------------------------------------------------------------------- measuring


@dataclass
class Timing:
    database: str
    mode: str
    path: str
    unit: str
    units: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # this thread's CPU seconds: what other processes on a busy machine inflate far less

    @property
    def rate(self) -> float:
        return self.units / self.seconds if self.seconds else 0.0

    @property
    def micros(self) -> float:
        return 1e6 * self.seconds / self.units if self.units else 0.0

    @property
    def cpu_micros(self) -> float:
        return 1e6 * self.cpu / self.units if self.units else 0.0


def items_for(mode: Mode, units: int) -> int:
    """Items of ``run()`` (fires, candidates' paths, enrolments) giving at least ``units`` events."""
    return max(1, math.ceil(units / mode.units_per_item)) if units else 0


def compare(database: str, mode: Mode, items: int, warmup: int, rounds: int) -> list[Timing]:
    """Warm each path up, then time them in ``rounds`` interleaved chunks (order alternating) to cancel drift.
    Fresh candidates for every chunk are enrolled beforehand, untimed."""
    paths = [mode.flow_path, mode.floor_path]
    for path in paths:
        path.prepare(warmup + items)
    for path in paths:
        path.run(warmup)
    timings = {p.name: Timing(database, mode.name, p.name, mode.unit) for p in paths}
    chunks = [items // rounds + (1 if r < items % rounds else 0) for r in range(rounds)]
    for r, chunk in enumerate(chunks):
        for path in paths if r % 2 == 0 else reversed(paths):
            sample = path.run(chunk)
            timings[path.name].seconds += sample.seconds
            timings[path.name].cpu += sample.cpu
            timings[path.name].units += sample.units
    return list(timings.values())


def rss_kib() -> int:
    """Current resident set size (VmRSS); falls back to the peak from getrusage where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_run(mode: Mode, fires: int, checkpoints: int = 10) -> None:
    """RSS over ``fires`` admission_flow fires of the mode. In chain mode each checkpoint's candidates are enrolled
    just before its fires (untimed; their memory counts)."""
    path, per_item = mode.flow_path, mode.units_per_item
    step = max(1, math.ceil(fires / checkpoints / per_item))  # items per checkpoint
    gc.collect()
    before = rss_kib()
    print(f"\nRSS over {fires:,} {mode.name} fires on SQLite through AdmissionFlow (VmRSS, MiB)")
    print(f"  {'fires':>9}  {'RSS':>8}  {'Δ start':>8}  {'fires/s':>8}")
    print(f"  {0:>9,}  {before / 1024:8.1f}  {0:+8.1f}")
    done, first, first_done = 0, 0, 0
    while done < fires:
        items = min(step, math.ceil((fires - done) / per_item))
        path.prepare(items)
        sample = path.run(items)
        done += sample.units
        now = rss_kib()
        if not first:
            first, first_done = now, done
        print(f"  {done:>9,}  {now / 1024:8.1f}  {(now - before) / 1024:+8.1f}  {sample.units / sample.seconds:8.0f}")
    gc.collect()
    after = rss_kib()
    print(
        f"  after gc: {after / 1024:.1f} MiB; growth from first checkpoint to end: {(after - first) / 1024:+.1f} MiB"
        f" ({(after - first) * 1024 / max(1, done - first_done):.1f} bytes/fire)"
    )


# ---------------------------------------------------------------------------- profiling

# Where the time goes, per unit (see common.Breakdown for the rules of a row).
BREAKDOWN: Breakdown = (
    ("AdmissionFlow.fire (total)", "admission_flow/flow.py", "fire"),
    ("AdmissionFlow.add_candidate (total)", "admission_flow/flow.py", "add_candidate"),
    ("  services.candidates.enroll", "admission_flow/services/candidates.py", "enroll"),
    ("    engine.enrolment.start (the decided enrolment)", "admission_flow/engine/enrolment.py", "start"),
    ("    SqlUnitOfWork.start (candidate, instance, event, timers)", "admission_flow/store/unit_of_work.py", "start"),
    ("  services.events._fire_once", "admission_flow/services/events.py", "_fire_once"),
    ("  Store.transaction enter+exit (pool, BEGIN, COMMIT, return)", "contextlib.py", "__enter__|__exit__"),
    ("    Tx.__init__ (pool checkout of a DBAPI connection)", "admission_flow/store/transaction.py", "__init__"),
    ("    Tx.begin (BEGIN / BEGIN IMMEDIATE)", "admission_flow/store/transaction.py", "begin"),
    ("    Tx.commit", "admission_flow/store/transaction.py", "commit"),
    ("    Tx.close (pool check-in)", "admission_flow/store/transaction.py", "close"),
    ("    Tx.connection (a Core statement needed one)", "admission_flow/store/transaction.py", "connection"),
    ("  SqlInstances.load (joined SELECT + Instance)", "admission_flow/store/instances.py", "load"),
    ("  services.events.apply (load, decide, write)", "admission_flow/services/events.py", "apply"),
    ("    engine.effects.decide (all below)", "admission_flow/engine/effects.py", "decide"),
    ("      GuardContext building", "admission_flow/engine/context.py", "guard_context"),
    ("      CompiledWorkflow.plan (route, roles, guards)", "admission_flow/engine/machine.py", "plan"),
    ("      CompiledWorkflow.apply (transitions)", "admission_flow/engine/machine.py", "apply"),
    (
        "      recorded dates, corrections, extensions",
        "admission_flow/engine/rules.py",
        "record_dates|corrections|extensions_after",
    ),
    ("      timer plan (projection arithmetic)", "admission_flow/engine/timing.py", "plan_timers"),
    ("        WorkingCalendar._step (working days, outermost)", "admission_flow/calendar.py", "_step|day_off_reason"),
    ("    SqlTimers.of_stay (only when the outcome asks)", "admission_flow/store/timers.py", "of_stay"),
    ("    SqlUnitOfWork.write (all below)", "admission_flow/store/unit_of_work.py", "write"),
    ("    webhooks.enqueue_event (subscriptions wanting it)", "admission_flow/services/webhooks.py", "enqueue_event"),
    ("    _check_acting_org", "admission_flow/services/events.py", "_check_acting_org"),
    ("      SqlInstances.update (version-checked UPDATE)", "admission_flow/store/instances.py", "update"),
    ("      SqlEvents.insert (the audit row)", "admission_flow/store/events.py", "insert"),
    ("      SqlEvents.insert_documents (none if no paper)", "admission_flow/store/events.py", "insert_documents"),
    ("      SqlTimers.apply (cancel, move, insert)", "admission_flow/store/timers.py", "apply"),
    ("  Connection.execute (every statement)", "sqlalchemy/engine/base.py", "execute"),
    ("    _compile_w_cache (cache key + cache lookup)", "sqlalchemy/sql/elements.py", "_compile_w_cache"),
    ("      _generate_cache_key (outermost)", "sqlalchemy/sql/cache_key.py", "_generate_cache_key"),
    ("    _init_compiled (parameters, bind processors)", "sqlalchemy/engine/default.py", "_init_compiled"),
    ("    driver cursor.execute (do_execute)", "sqlalchemy/engine/default.py", "do_execute"),
    ("    result set-up (_setup_result_proxy)", "sqlalchemy/engine/default.py", "_setup_result_proxy"),
    ("  Result.first (row fetch + result processors)", "sqlalchemy/engine/result.py", "first"),
    ("  statement building per call (_generative)", "sqlalchemy/sql/base.py", "_generative"),
    ("json.dumps (all)", "json/__init__.py", "dumps"),
    ("json.loads (all)", "json/__init__.py", "loads"),
    ("UTCDateTime.process_bind_param", "admission_flow/store/types.py", "process_bind_param"),
    ("UTCDateTime.process_result_value", "admission_flow/store/types.py", "process_result_value"),
)

AREAS: Areas = (
    *COMMON_AREAS,
    ("transitions", lambda k: "/transitions/" in k[0]),
    ("pydantic", lambda k: "/pydantic" in k[0]),
    *LAST_AREAS,
)


def profile_run(mode: Mode, units: int, database: str) -> None:
    """cProfile the mode's admission_flow path for ``units`` events (candidates for enrol); set-up outside."""
    items = items_for(mode, units)
    mode.flow_path.prepare(items)
    profiler = cProfile.Profile()
    profiler.enable()
    sample = mode.flow_path.run(items)
    profiler.disable()
    title = f"Profile of {sample.units:,} admission_flow {mode.name} {mode.unit}s on {database}"
    print_profile(profiler, sample.units, mode.unit, title, BREAKDOWN, AREAS)
    cache = getattr(getattr(getattr(mode.flow, "store", None), "engine", None), "_compiled_cache", None)
    if cache is not None:  # an internal of the package: printed when it is there
        print(f"SQLAlchemy compiled-statement cache: {len(cache)} entries after the run")


def bare_transactions(flow: AdmissionFlow) -> tuple[Callable[[], None], Callable[[str], None]] | None:
    """An empty write transaction and one holding only the joined SELECT, through the flow's store. The public
    facade has neither, so this reaches into ``flow.store`` (internal: used by ``--profile``'s cuts only, and
    skipped when it is not there)."""
    transaction = getattr(getattr(flow, "store", None), "transaction", None)
    if transaction is None:
        return None

    def empty() -> None:
        with transaction():
            pass

    def load(candidate_id: str) -> None:
        with transaction() as tx:
            tx.instances.load(candidate_id)

    return empty, load


def time_calls(call: Callable[[], object], n: int) -> float:
    """Best of three: µs per call of ``call()``."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            call()
        best = min(best, time.perf_counter() - start)
    return 1e6 * best / n


def time_units(path: TimedPath, items: int) -> float:
    """Best of three: µs per unit of ``path.run(items)`` (fresh candidates readied first, untimed)."""
    path.prepare(3 * items)
    return min(1e6 * s.seconds / s.units for s in (path.run(items) for _ in range(3)))


def unprofiled_cuts(mode: Mode, units: int, database: str) -> None:
    """Cuts through a unit of work on both paths without the profiler (which inflates call-heavy code): an empty
    write transaction, the same with the joined SELECT, and the whole unit."""
    bare = bare_transactions(mode.flow)
    print(f"\nUnprofiled cuts, {mode.name} on {database}, best of 3 × {units:,} (µs per call / {mode.unit})")
    if bare is None:
        print("  (skipped: the flow has no store.transaction to time bare transactions with)")
        return
    empty, load = bare
    ids = cycle(mode.some_candidates())
    raw = mode.raw
    cuts: list[tuple[str, Callable[[], float], Callable[[], float]]] = [
        (
            "write transaction, nothing inside",
            lambda: time_calls(empty, units),
            lambda: time_calls(raw.empty_transaction, units),
        ),
    ]
    if mode.cut_select:
        cuts.append(
            (
                "  + the joined SELECT of the instance",
                lambda: time_calls(lambda: load(next(ids)), units),
                lambda: time_calls(lambda: raw.load(next(ids)), units),
            )
        )
    items = items_for(mode, units)
    cuts.append(
        (
            f"  + everything else (a whole {mode.unit})",
            lambda: time_units(mode.flow_path, items),
            lambda: time_units(mode.floor_path, items),
        )
    )
    print(f"  {'cut':<40} {'admission_flow':>14} {'raw floor':>10} {'difference':>10}")
    previous = (0.0, 0.0)
    for label, flow_cut, floor_cut in cuts:
        ours, theirs = flow_cut(), floor_cut()
        print(f"  {label:<40} {ours:14.1f} {theirs:10.1f} {ours - theirs:10.1f}")
        step = (ours - previous[0], theirs - previous[1])
        print(f"  {'    (this step alone)':<40} {step[0]:14.1f} {step[1]:10.1f} {step[0] - step[1]:10.1f}")
        previous = (ours, theirs)


# ---------------------------------------------------------------------------- the run


@dataclass
class Options:
    only: str | None
    modes: list[str]
    candidates: int
    fires: int
    enrolments: int
    warmup: int
    rounds: int
    rss_fires: int
    rss_modes: list[str]
    profile: bool
    profile_db: str
    postgres_url: str

    def units(self, mode: Mode) -> int:
        return self.enrolments if mode.unit == "candidate" else self.fires


def measure(database: str, mode: Mode, opts: Options) -> list[Timing]:
    units = opts.units(mode)
    timings = compare(database, mode, items_for(mode, units), items_for(mode, opts.warmup), opts.rounds)
    print(f"  check: {mode.check()}")
    if opts.profile and opts.profile_db == database:
        profile_run(mode, units, database)
        unprofiled_cuts(mode, max(100, units // 5), database)
    return timings


@contextmanager
def fresh_database(database: str, name: str, opts: Options, workdir: Path | None) -> Iterator[tuple[str, Raw, str]]:
    """A new SQLite file (in ``workdir``) / PostgreSQL schema for one mode: (URL for the flow, raw connection,
    where)."""
    if database == "sqlite":
        assert workdir is not None
        path = workdir / f"{name}.db"
        raw = Raw.sqlite_file(path)
        try:
            yield sqlite_url(path), raw, str(path)
        finally:
            raw.close()
        return
    with postgres_schema(opts.postgres_url, f"bench_{name}") as url:
        raw = Raw.postgres(url)
        try:
            yield url, raw, f"schema {url.rsplit('%3D', 1)[-1]}"
        finally:
            raw.close()


def bench_database(database: str, opts: Options, workdir: Path | None = None) -> list[Timing]:
    """Each selected mode on a fresh database: set-up, timing, check, profile; on SQLite, the RSS run of a mode
    named by --rss-mode follows its timing (or its set-up alone if it was not selected)."""
    rss = opts.rss_modes if database == "sqlite" and opts.rss_fires else []
    timings: list[Timing] = []
    for name in dict.fromkeys([*opts.modes, *rss]):
        with fresh_database(database, name, opts, workdir) as (url, raw, where):
            started = time.perf_counter()
            mode = set_up(name, url, raw, opts.candidates)
            try:
                print(f"{database} {name}: {where} — {mode.describe()} (set-up {time.perf_counter() - started:.1f}s)")
                if name in opts.modes:
                    timings += measure(database, mode, opts)
                if name in rss:
                    memory_run(mode, opts.rss_fires)
            finally:
                mode.flow.close()
    return timings


def print_table(timings: Sequence[Timing]) -> None:
    print(
        f"\n{'database':<11} {'mode':<9} {'path':<15} {'count':>7} {'unit':<10} {'seconds':>8} {'per s':>8}"
        f" {'µs/unit':>8} {'af ÷ floor':>18} {'cpu µs':>8} {'cpu ratio':>9}"
    )
    groups: dict[tuple[str, str], dict[str, Timing]] = {}
    for t in timings:
        groups.setdefault((t.database, t.mode), {})[t.path] = t
    for (database, mode), paths in groups.items():
        flow, floor = paths["admission_flow"], paths["raw floor"]
        ratio = flow.rate / floor.rate
        verdict = "meets" if ratio >= TARGET_RATIO else "below"
        cpu_ratio = floor.cpu_micros / flow.cpu_micros if flow.cpu_micros else 0.0
        for t in (flow, floor):
            cell = f"{ratio:.2f} ({verdict} {TARGET_RATIO})" if t is flow else ""
            cpu_cell = f"{cpu_ratio:.2f}" if t is flow else ""
            print(
                f"{database:<11} {mode:<9} {t.path:<15} {t.units:>7,} {t.unit + 's':<10} {t.seconds:8.2f}"
                f" {t.rate:8.0f} {t.micros:8.1f} {cell:>18} {t.cpu_micros:8.1f} {cpu_cell:>9}"
            )
        print(f"{'':<11} {'':<9} {'overhead':<15} {'':>7} {'':<10} {'':>8} {'':>8} {flow.micros - floor.micros:8.1f}")


def mode_list(choices: Sequence[str]) -> Callable[[str], list[str]]:
    """argparse type: a comma-separated list of ``choices``."""

    def parse(text: str) -> list[str]:
        names = [n.strip() for n in text.split(",") if n.strip()]
        unknown = [n for n in names if n not in choices]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"{text!r}: choose from {', '.join(choices)}")
        return names

    return parse


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="bench one database only")
    parser.add_argument(
        "--mode",
        dest="modes",
        action="append",
        type=mode_list(MODES),
        help=f"{'|'.join(MODES)}; repeat or give a comma list (default: all of them)",
    )
    parser.add_argument("--candidates", type=int, default=200, help="internal: candidates fired round-robin (200)")
    parser.add_argument(
        "--fires",
        type=int,
        default=5000,
        help="internal, chain, standard: timed events per path and database, in whole candidates' paths (5000)",
    )
    parser.add_argument("--enrolments", type=int, default=2000, help="enrol: timed enrolments per path (2000)")
    parser.add_argument("--warmup", type=int, default=300, help="untimed events (enrolments) per path first (300)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved chunks per path (default 5)")
    parser.add_argument("--rss-fires", type=int, default=100_000, help="fires of the SQLite RSS run (0: skip)")
    parser.add_argument(
        "--rss-mode",
        dest="rss_modes",
        action="append",
        type=mode_list(RSS_MODES),
        help="internal|chain, repeatable or a comma list: the RSS run's fires (default internal)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile each mode's admission_flow path afterwards")
    parser.add_argument("--profile-db", choices=("sqlite", "postgresql"), default="sqlite", help="default sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ADMISSION_FLOW_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server and database; a fresh schema per mode is created and dropped (default"
        f" $ADMISSION_FLOW_TEST_POSTGRES_URL or {DEFAULT_POSTGRES_URL})",
    )
    ns = parser.parse_args(argv)
    ns.modes = list(dict.fromkeys(n for group in ns.modes or [list(MODES)] for n in group))
    ns.rss_modes = list(dict.fromkeys(n for group in ns.rss_modes or [["internal"]] for n in group))
    numbers = (ns.candidates, ns.fires, ns.enrolments, ns.rounds)
    if min(numbers) < 1 or ns.warmup < 0 or ns.rss_fires < 0:
        parser.error("--candidates, --fires, --enrolments and --rounds must be ≥ 1; --warmup and --rss-fires ≥ 0")
    return Options(**vars(ns))


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    print(
        f"python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__},"
        f" SQLite {sqlite3.sqlite_version}; modes {', '.join(opts.modes)}; {opts.warmup} warm-up +"
        f" {opts.fires:,} timed events ({opts.enrolments:,} enrolments) per path in {opts.rounds} interleaved rounds"
    )
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="admission-flow-bench-") as workdir:
        if opts.only in (None, "sqlite"):
            timings += bench_database("sqlite", opts, Path(workdir))
    if opts.only in (None, "postgresql"):
        with psycopg.connect(libpq_url(opts.postgres_url)) as conn:
            server = conn.execute("SHOW server_version").fetchone()
            sync = conn.execute("SHOW synchronous_commit").fetchone()
        print(f"postgresql {server[0] if server else '?'} (synchronous_commit={sync[0] if sync else '?'})")
        timings += bench_database("postgresql", opts)
    print_table(timings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
