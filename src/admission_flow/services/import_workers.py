"""An import's rows checked on several cores, in the file's order.

Checking a row (``engine.import_rows.check_row``, then ``RowEncoder.encode``) reads nothing but the row and what
every row shares (the mapping, the workflows, the organisation tree), so a file's rows can be checked in parallel
while the importing process writes the rows already checked. Worker processes are **forked**: they start with
the parent's workflows (custom guards included), check function and rows, so only a range of row positions goes
to a worker and only its checked rows come back, pickled (encoded for the driver: text and numbers, cheap to
unpickle; or the row's rejections).

Forking a process that runs other threads can leave a lock held forever in the child, so the rows are checked in
this process instead when:

- ``workers`` is 1 or less, or the file has fewer than ``MIN_PARALLEL_ROWS`` rows (starting workers costs more);
- the process runs other threads (a server, a scheduler), or the platform cannot fork.

A worker that dies (killed, out of memory) fails the import with ``WorkerLost``; nothing is written.

Results come back in the file's order whatever the number of workers, so the importer's checks across rows (the
same person twice) and its report read exactly as in one process; tests/integration/test_import_workers.py
compares the two.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from admission_flow.engine.import_cells import Cell
from admission_flow.errors import WorkerLost

MIN_PARALLEL_ROWS = 5000
SLICE = 1000  # rows a worker checks per task: some 0.3 s of work, and its results are some 1.5 MB pickled
Row = tuple[int, Sequence[Cell]]
Check = Callable[[int, Sequence[Cell]], Any]  # (row number, cells) → the checked row

# What a forked worker checks: set in the parent just before the workers are forked, read by them.
_job: tuple[Check, Sequence[Row]] | None = None


def default_workers() -> int:
    """The processes an import checks rows with when the setting says 0: one per core, at most 4."""
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def parallel_possible() -> bool:
    """Whether worker processes may be forked here: the platform forks and this process runs no other thread."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def checked_rows(check: Check, rows: Sequence[Row], workers: int) -> Iterator[Any]:
    """``check(number, cells)`` of each row, in the rows' order: by ``workers`` forked processes when that is
    possible and worth it (see the module), else here, one after the other. What ``check`` returns must pickle."""
    if workers <= 1 or len(rows) < MIN_PARALLEL_ROWS or not parallel_possible():
        for number, cells in rows:
            yield check(number, cells)
        return
    yield from _in_workers(check, rows, workers)


def _in_workers(check: Check, rows: Sequence[Row], workers: int) -> Iterator[Any]:
    global _job
    _job = (check, rows)
    slices = iter(range(0, len(rows), SLICE))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        pending: deque[Future[list[Any]]] = deque()
        for start in slices:  # two slices per worker in flight: each has the next one queued when it finishes
            pending.append(pool.submit(_check_slice, start))
            if len(pending) == 2 * workers:
                break
        while pending:
            try:
                done = pending.popleft().result()
            except BrokenProcessPool:
                raise WorkerLost(
                    "a worker process of the import stopped before it answered (killed, or out of memory?); "
                    "nothing was imported: run it again, or with import_workers = 1 to check the rows in this "
                    "process"
                ) from None
            following = next(slices, None)
            if following is not None:
                pending.append(pool.submit(_check_slice, following))
            yield from done
    finally:
        _job = None
        pool.shutdown(wait=True, cancel_futures=True)


def _check_slice(start: int) -> list[Any]:
    """In a worker: rows ``start`` to ``start + SLICE`` of the job it was forked with, checked."""
    assert _job is not None, "an import worker runs only forked from an import"
    check, rows = _job
    return [check(number, cells) for number, cells in rows[start : start + SLICE]]


__all__ = ["MIN_PARALLEL_ROWS", "checked_rows", "default_workers", "parallel_possible"]
