"""Fires per second over HTTP on loopback, next to in-process fires of the same work in the same run (issue 9).

Run from the repository root::

    .venv/bin/python bench/api.py                                   # SQLite + PostgreSQL, 1,000 fires a path
    .venv/bin/python bench/api.py --db sqlite --events 1000
    .venv/bin/python bench/api.py --db sqlite --profile             # where a request's time goes on the server

The work is ``fire.py --mode internal``'s: ``assign_helper`` (role ``cell``, no state change, no timer statement
once warm) on candidates driven to ``probationary`` / ``sympathizer``, taken round-robin. Paths, per database:

* ``in-process`` — ``flow.fire(...)`` exactly as the route calls it (``within``, ``acting_org`` and ``token_id``
  of the token), in this process;
* ``HTTP`` — ``POST /api/v1/candidates/{id}/events`` with a bearer token, to uvicorn serving
  ``admission_flow.api.server.build(flow, tick=0)`` in another process (multiprocessing, spawn), from 1 client
  and from ``--clients`` clients (threads, one keep-alive ``http.client.HTTPConnection`` each, each on its own
  share of the candidates so that no two fire on the same one at once);
* ``HTTP + Idempotency-Key`` — 1 client, a fresh key per request (claim, fire, store the answer);
* ``HTTP GET /healthz`` — 1 client, no token, no database: the HTTP stack's own cost per request.

The paths alternate in ``--rounds`` chunks, the order reversed every round, after ``--warmup`` requests each.
``--profile`` then compares the server with and without its thread-pool hops and cProfiles the latter.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import importlib.util
import io
import json
import logging
import math
import multiprocessing
import os
import platform
import socket
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastapi
import psycopg
import sqlalchemy
import uvicorn
from common import COMMON_AREAS, LAST_AREAS, Areas, Breakdown, libpq_url, postgres_schema, print_profile, sqlite_url
from modes import ACTOR, FIRE_ON, HELPERS, ROLE, TRIGGER, WORKFLOWS, make_flow, populate

from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 0.5
TOKEN_ORG = "ks"  # the token's subtree: every sample cell is below it
EVENTS_ROUTE = "/api/v1/candidates/{candidate_id}/events"
HEALTHZ = "HTTP GET /healthz"  # the HTTP stack alone: no token, no database
BENCH_PREFIX = "/__bench/"  # the server process's own control routes (CPU time, profiler), outside the app


# ---------------------------------------------------------------------------- the server process


class BenchControl:
    """ASGI wrapper around the app, in the server process: ``GET /__bench/cpu`` (this process's CPU seconds),
    ``POST /__bench/profile/start`` and ``/stop`` (cProfile of the event loop thread, dumped to ``profile_path``).
    Everything else goes to the app untouched."""

    def __init__(self, app: Any, profile_path: str | None) -> None:
        self.app, self.profile_path = app, profile_path
        self.profiler: cProfile.Profile | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(BENCH_PREFIX):
            await self.app(scope, receive, send)
            return
        action = scope["path"][len(BENCH_PREFIX) :]
        body: dict[str, Any] = {}
        if action == "cpu":
            body = {"cpu": time.process_time()}
        elif action == "profile/start" and self.profile_path:
            self.profiler = cProfile.Profile()
            self.profiler.enable()
        elif action == "profile/stop" and self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(self.profile_path)
            self.profiler = None
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def run_inline() -> None:
    """Run what Starlette and FastAPI send to the thread pool (sync dependencies and endpoints) on the event loop
    thread instead: one thread does everything, so one cProfile sees it all. Only for ``--profile``; fine for
    one client at a time."""
    import anyio.to_thread

    async def inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]


def serve(url: str, port: int, profile_path: str | None) -> None:
    """The server process (spawned): the API over its own flow on ``url``, as ``admission-flow serve --tick 0``
    builds it, without access log."""
    from admission_flow.api.server import build

    logging.basicConfig(level=logging.WARNING)
    if profile_path:
        run_inline()
    flow = AdmissionFlow(Settings(database_url=url, workflows_dir=WORKFLOWS))
    app = BenchControl(build(flow, tick=0), profile_path)
    # Keep-alive connections idle while the other paths run their chunks must stay open (uvicorn's default: 5 s).
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, timeout_keep_alive=600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def server_process(url: str, profile_path: str | None = None) -> Iterator[int]:
    """Start the server in a spawned process, wait until it answers, yield its port; SIGTERM and join at the end."""
    port = free_port()
    process = multiprocessing.get_context("spawn").Process(
        target=serve, args=(url, port, profile_path), name="api-server"
    )
    process.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start")
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.join(30)
        if process.is_alive():
            process.kill()
            process.join()


# ---------------------------------------------------------------------------- clients and paths


@dataclass
class Sample:
    seconds: float
    latencies: list[float]  # seconds per request
    client_cpu: float = 0.0  # this process's CPU seconds during the chunk
    server_cpu: float = 0.0  # the server process's CPU seconds during the chunk (HTTP paths)
    server_app: tuple[float, int] = (0.0, 0)  # (seconds, requests) the app's middleware measured (HTTP paths)


class RoundRobin:
    """Candidate and helper of the next fire, cycling over ``ids``."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids, self.n = list(ids), 0

    def next(self) -> tuple[str, str]:
        i, self.n = self.n, self.n + 1
        return self.ids[i % len(self.ids)], HELPERS[(i // len(self.ids)) % len(HELPERS)]


class Client:
    """One keep-alive connection; ``fire`` sends one event and checks it was applied (201)."""

    def __init__(self, port: int, secret: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def fire(self, candidate_id: str, helper: str, key: str | None = None) -> None:
        body = json.dumps(
            {"trigger": TRIGGER, "on": FIRE_ON.isoformat(), "role": ROLE, "actor": ACTOR, "data": {"helper": helper}}
        ).encode()
        headers = self.headers if key is None else {**self.headers, "Idempotency-Key": key}
        self.conn.request("POST", f"/api/v1/candidates/{candidate_id}/events", body, headers)
        response = self.conn.getresponse()
        answer = response.read()
        if response.status != 201:
            raise RuntimeError(f"fire over HTTP answered {response.status}: {answer[:500]!r}")

    def get(self, path: str) -> bytes:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        return answer

    def post(self, path: str) -> bytes:
        self.conn.request("POST", path)
        response = self.conn.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path} answered {response.status}")
        return answer

    def close(self) -> None:
        self.conn.close()


def server_figures(control: Client, method: str, route: str, status: int) -> tuple[float, float, int]:
    """The server's CPU seconds, and the sum and count of the app's latency histogram for (method, route, status)."""
    cpu = json.loads(control.get(BENCH_PREFIX + "cpu"))["cpu"]
    total, count = 0.0, 0
    wanted = f'method="{method}",route="{route}",status="{status}"'
    for line in control.get("/metrics").decode().splitlines():
        if wanted in line:
            if line.startswith("admission_flow_http_request_duration_seconds_sum"):
                total = float(line.rsplit(" ", 1)[1])
            elif line.startswith("admission_flow_http_request_duration_seconds_count"):
                count = int(float(line.rsplit(" ", 1)[1]))
    return cpu, total, count


@dataclass
class Measured:
    name: str
    clients: int
    run: Callable[[int], Sample]  # n requests (fires), timed
    timings: list[Sample] = field(default_factory=list)


def in_process(flow: AdmissionFlow, token_id: int, rr: RoundRobin) -> Callable[[int], Sample]:
    def run(n: int) -> Sample:
        latencies = []
        cpu, start = time.process_time(), time.perf_counter()
        for _ in range(n):
            candidate_id, helper = rr.next()
            t = time.perf_counter()
            flow.fire(
                candidate_id,
                TRIGGER,
                on=FIRE_ON,
                actor=ACTOR,
                role=ROLE,
                data={"helper": helper},
                documents=[],
                votes=None,
                idempotency_key=None,
                expected_version=None,
                acting_org=TOKEN_ORG,
                within=TOKEN_ORG,
                token_id=token_id,
            )
            latencies.append(time.perf_counter() - t)
        return Sample(time.perf_counter() - start, latencies, time.process_time() - cpu)

    return run


def over_http(
    port: int, secret: str, ids: Sequence[str], clients: int, rr: RoundRobin, *, idempotent: bool = False
) -> tuple[Callable[[int], Sample], Callable[[], None]]:
    """``run(n)``: n fires over HTTP from ``clients`` threads (1: on the calling thread, sharing ``rr``), and a
    function closing the connections."""
    conns = [Client(port, secret) for _ in range(clients)]
    control = Client(port, secret)
    shares = [RoundRobin(ids[k::clients]) for k in range(clients)] if clients > 1 else [rr]

    def work(k: int, n: int, latencies: list[float]) -> None:
        conn, pick = conns[k], shares[k].next
        for _ in range(n):
            candidate_id, helper = pick()
            key = f"bench-{uuid.uuid4().hex}" if idempotent else None
            t = time.perf_counter()
            conn.fire(candidate_id, helper, key)
            latencies.append(time.perf_counter() - t)

    def run(n: int) -> Sample:
        before = server_figures(control, "POST", EVENTS_ROUTE, 201)
        per = [n // clients + (1 if k < n % clients else 0) for k in range(clients)]
        lists: list[list[float]] = [[] for _ in range(clients)]
        errors: list[BaseException] = []
        cpu = time.process_time()
        if clients == 1:
            start = time.perf_counter()
            work(0, n, lists[0])
        else:
            gate = threading.Barrier(clients + 1)

            def client(k: int) -> None:
                gate.wait()
                try:
                    work(k, per[k], lists[k])
                except BaseException as exc:  # reported after the join
                    errors.append(exc)

            threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
            for t in threads:
                t.start()
            gate.wait()
            start = time.perf_counter()
            for t in threads:
                t.join()
        seconds = time.perf_counter() - start
        client_cpu = time.process_time() - cpu
        if errors:
            raise errors[0]
        after = server_figures(control, "POST", EVENTS_ROUTE, 201)
        app = (after[1] - before[1], after[2] - before[2])
        return Sample(seconds, [x for xs in lists for x in xs], client_cpu, after[0] - before[0], app)

    def close() -> None:
        for c in (*conns, control):
            c.close()

    return run, close


def healthz(port: int, secret: str) -> tuple[Callable[[int], Sample], Callable[[], None]]:
    """``run(n)``: n ``GET /healthz`` from one client: no token, no database, the same HTTP stack (uvicorn, h11,
    Starlette, the metrics middleware, FastAPI, one thread-pool hop for the sync endpoint)."""
    conn, control = Client(port, secret), Client(port, secret)

    def run(n: int) -> Sample:
        before = server_figures(control, "GET", "/healthz", 200)
        latencies = []
        cpu, start = time.process_time(), time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            conn.get("/healthz")
            latencies.append(time.perf_counter() - t)
        seconds, client_cpu = time.perf_counter() - start, time.process_time() - cpu
        after = server_figures(control, "GET", "/healthz", 200)
        return Sample(
            seconds, latencies, client_cpu, after[0] - before[0], (after[1] - before[1], after[2] - before[2])
        )

    def close() -> None:
        conn.close()
        control.close()

    return run, close


# ---------------------------------------------------------------------------- the run


@dataclass
class Options:
    db: str
    postgres_url: str
    events: int
    warmup: int
    rounds: int
    candidates: int
    clients: int
    profile: bool
    profile_db: str
    profile_requests: int


@dataclass
class Row:
    database: str
    path: str
    clients: int
    requests: int
    seconds: float
    p50_us: float
    p99_us: float
    client_cpu_us: float
    server_cpu_us: float | None
    server_app_us: float | None
    ratio: float = 0.0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def summarise(database: str, path: Measured) -> Row:
    samples = path.timings
    requests = sum(len(s.latencies) for s in samples)
    latencies = [x for s in samples for x in s.latencies]
    app_seconds = sum(s.server_app[0] for s in samples)
    app_count = sum(s.server_app[1] for s in samples)
    http = path.name != "in-process"
    return Row(
        database,
        path.name,
        path.clients,
        requests,
        sum(s.seconds for s in samples),
        1e6 * percentile(latencies, 0.50),
        1e6 * percentile(latencies, 0.99),
        1e6 * sum(s.client_cpu for s in samples) / requests,
        1e6 * sum(s.server_cpu for s in samples) / requests if http else None,
        1e6 * app_seconds / app_count if http and app_count else None,
    )


@contextmanager
def fresh_database(database: str, opts: Options, workdir: Path) -> Iterator[str]:
    if database == "sqlite":
        yield sqlite_url(workdir / "api.db")
        return
    with postgres_schema(opts.postgres_url, "bench_api") as url:
        yield url


def time_calls(call: Callable[[], object], n: int) -> float:
    """Best of three: µs per call."""
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            call()
        best = min(best, time.perf_counter() - start)
    return 1e6 * best / n


@dataclass
class Result:
    rows: list[Row]
    authenticate_us: float  # flow.authenticate(secret) in-process, best of 3
    profile: str = ""  # what --profile printed, shown after the table


def bench_database(database: str, opts: Options, workdir: Path) -> Result:
    """Set-up, then every path in interleaved rounds against one server process; ``--profile`` afterwards."""
    with fresh_database(database, opts, workdir) as url:
        started = time.perf_counter()
        flow = make_flow(url)
        try:
            ids = populate(flow, opts.candidates)
            token, secret = flow.create_token(name="bench", org_id=TOKEN_ORG, roles=[ROLE])
            print(
                f"{database}: {len(ids)} candidates driven (half probationary, half sympathizer), token {token.id}"
                f" on {TOKEN_ORG} with role {ROLE} (set-up {time.perf_counter() - started:.1f}s)"
            )
            rr = RoundRobin(ids)
            with server_process(url) as port:
                one, close_one = over_http(port, secret, ids, 1, rr)
                many, close_many = over_http(port, secret, ids, opts.clients, rr)
                keyed, close_keyed = over_http(port, secret, ids, 1, rr, idempotent=True)
                health, close_health = healthz(port, secret)
                paths = [
                    Measured("in-process", 1, in_process(flow, token.id, rr)),
                    Measured("HTTP", 1, one),
                    Measured("HTTP", opts.clients, many),
                    Measured("HTTP + Idempotency-Key", 1, keyed),
                    Measured(HEALTHZ, 1, health),
                ]
                try:
                    interleave(paths, opts.events, opts.warmup, opts.rounds)
                finally:
                    for close in (close_one, close_many, close_keyed, close_health):
                        close()
            authenticate_us = time_calls(lambda: flow.authenticate(secret), 300)
        finally:
            flow.close()
        rows = [summarise(database, p) for p in paths]
        for row in rows:
            row.ratio = row.rate / rows[0].rate
        result = Result(rows, authenticate_us)
        if opts.profile and opts.profile_db == database:
            output = io.StringIO()
            with redirect_stdout(output):
                profile_server(url, secret, ids, opts.profile_requests, opts.rounds)
            result.profile = output.getvalue()
        return result


def interleave(paths: Sequence[Measured], events: int, warmup: int, rounds: int) -> None:
    """``warmup`` untimed requests per path, then ``events`` timed ones in ``rounds`` chunks, the order of the
    paths reversed every round."""
    for path in paths:
        path.run(warmup)
    chunks = [events // rounds + (r < events % rounds) for r in range(rounds)]
    for r, chunk in enumerate(chunks):
        for path in paths if r % 2 == 0 else reversed(paths):
            path.timings.append(path.run(chunk))


# ---------------------------------------------------------------------------- --profile

# Only synchronous functions: cProfile counts every resumption of a coroutine as a call and its cumulative time
# double-counts nested awaits, so async frames are left to the areas (own time) below.
BREAKDOWN: Breakdown = (
    ("uvicorn h11: bytes in → request events (data_received)", "uvicorn/protocols/http/h11_impl.py", "data_received"),
    ("FastAPI: sync dependencies and endpoint (run_endpoint_function)", "fastapi/routing.py", "run_endpoint_function"),
    ("security.caller → flow.authenticate", "admission_flow/api/security.py", "caller"),
    ("routes_candidates.fire (the endpoint, all below)", "admission_flow/api/routes_candidates.py", "fire"),
    ("  writes.answer_write", "admission_flow/api/writes.py", "answer_write"),
    ("    AdmissionFlow.fire", "admission_flow/flow.py", "fire"),
    ("    writes.json_response (FireResult → JSONResponse)", "admission_flow/api/writes.py", "json_response"),
    ("  EventIn.model_dump (the body as JSON for answer_write)", "pydantic/main.py", "model_dump"),
    ("prometheus observe / inc / labels", "prometheus_client/metrics.py", "observe|inc|labels"),
    ("socket send (responses)", "~", "send"),
    ("json.dumps (all)", "json/__init__.py", "dumps"),
    ("json.loads (all)", "json/__init__.py", "loads"),
)

AREAS: Areas = (
    ("uvicorn + h11 (HTTP server, pure-Python parser)", lambda k: "/uvicorn/" in k[0] or "/h11/" in k[0]),
    ("starlette", lambda k: "/starlette/" in k[0]),
    ("fastapi", lambda k: "/fastapi/" in k[0]),
    ("pydantic", lambda k: "/pydantic" in k[0]),
    ("asyncio / anyio (event loop, tasks)", lambda k: "/asyncio/" in k[0] or "/anyio/" in k[0] or "_asyncio" in k[2]),
    ("sockets / epoll (syscalls)", lambda k: k[0] == "~" and ("socket" in k[2] or "epoll" in k[2])),
    ("prometheus_client", lambda k: "/prometheus_client/" in k[0]),
    ("admission_flow.api", lambda k: "/admission_flow/api/" in k[0]),
    *COMMON_AREAS,
    ("transitions", lambda k: "/transitions/" in k[0]),
    *LAST_AREAS,
)


def profile_server(url: str, secret: str, ids: Sequence[str], requests: int, rounds: int) -> None:
    """Two more servers side by side: one as measured, one whose thread-pool work runs on the event loop thread
    (``run_inline``). First ``requests`` fires from 1 client on each, interleaved, unprofiled: the difference is
    what the thread pool's hops cost. Then cProfile ``requests`` fires on the inline one (one thread: one
    profile sees everything) and print where they went."""
    with tempfile.TemporaryDirectory(prefix="admission-flow-api-profile-") as tmp:
        dump = str(Path(tmp) / "server.prof")
        with server_process(url) as threaded_port, server_process(url, dump) as inline_port:
            rr = RoundRobin(ids)
            threaded_run, close_threaded = over_http(threaded_port, secret, ids, 1, rr)
            inline_run, close_inline = over_http(inline_port, secret, ids, 1, rr)
            paths = [Measured("thread pool", 1, threaded_run), Measured("inline", 1, inline_run)]
            try:
                interleave(paths, requests, max(200, requests // 2), rounds)
                client = Client(inline_port, secret)
                client.post(BENCH_PREFIX + "profile/start")
                for _ in range(requests):
                    client.fire(*rr.next())
                client.post(BENCH_PREFIX + "profile/stop")
                client.close()
            finally:
                close_threaded()
                close_inline()
        threaded, inline = (summarise("", p) for p in paths)
        print(
            f"\nThe same fires from 1 client, interleaved, to a server as measured ({threaded.rate:,.0f} fires/s,"
            f" {1e6 / threaded.rate:,.0f} µs each) and to one running the sync dependencies and the endpoint on the"
            f" event loop thread ({inline.rate:,.0f} fires/s, {1e6 / inline.rate:,.0f} µs each): the thread pool's"
            f" hops cost ≈ {1e6 / threaded.rate - 1e6 / inline.rate:,.0f} µs per request"
        )
        title = f"Profile of the server process (no thread pool) over {requests:,} fires from 1 client"
        print_profile(dump, requests, "request", title, BREAKDOWN, AREAS)  # type: ignore[arg-type]  # pstats reads the file


# ---------------------------------------------------------------------------- output


def print_table(results: dict[str, Result]) -> None:
    print(
        f"\n{'database':<11} {'path':<23} {'clients':>7} {'requests':>8} {'seconds':>7} {'fires/s':>8}"
        f" {'p50 µs':>7} {'p99 µs':>7} {'÷ in-proc':>9} {'srv cpu µs':>10} {'app µs':>7} {'cli cpu µs':>10}"
    )
    for result in results.values():
        for r in result.rows:
            server_cpu = "" if r.server_cpu_us is None else f"{r.server_cpu_us:,.0f}"
            app = "" if r.server_app_us is None else f"{r.server_app_us:,.0f}"
            ratio = "" if r.path == HEALTHZ else f"{r.ratio:.2f}"
            print(
                f"{r.database:<11} {r.path:<23} {r.clients:>7} {r.requests:>8,} {r.seconds:7.2f} {r.rate:8,.0f}"
                f" {r.p50_us:7,.0f} {r.p99_us:7,.0f} {ratio:>9} {server_cpu:>10} {app:>7} {r.client_cpu_us:10,.0f}"
            )
    for database, result in results.items():
        inproc, one, many, keyed, health = result.rows
        verdict = "meets" if one.ratio >= TARGET_RATIO else "below"
        per_request, fire = 1e6 / one.rate, 1e6 / inproc.rate
        app, health_app = one.server_app_us or 0.0, health.server_app_us or 0.0
        lines = [
            f"{database}: 1 client over HTTP = {one.ratio:.2f} × in-process ({verdict} the {TARGET_RATIO} target);"
            f" {many.clients} clients = {many.ratio:.2f} ×.",
            f"per request {per_request:,.0f} µs against {fire:,.0f} µs in-process: inside the app's metrics"
            f" middleware {app:,.0f} µs (flow.authenticate alone {result.authenticate_us:,.0f} µs in-process),"
            f" outside it (uvicorn/h11, asyncio, loopback, this client) {per_request - app:,.0f} µs;",
            f"GET /healthz (no token, no database) {1e6 / health.rate:,.0f} µs per request (app {health_app:,.0f} µs):"
            f" the HTTP stack's floor is {1e6 / health.rate / fire:.1f} × an in-process fire;",
            f"Idempotency-Key: +{1e6 / keyed.rate - per_request:,.0f} µs per request"
            f" ({keyed.rate / one.rate:.2f} × the rate without).",
        ]
        print("\n" + "\n  ".join(lines))


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both", help="default both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("ADMISSION_FLOW_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help=f"server and database; a fresh schema is created and dropped (default $ADMISSION_FLOW_TEST_POSTGRES_URL"
        f" or {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument("--events", type=int, default=1000, help="timed fires per path and database (1000)")
    parser.add_argument("--warmup", type=int, default=300, help="untimed fires per path first (300)")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved chunks per path (4)")
    parser.add_argument("--candidates", type=int, default=100, help="candidates fired round-robin (100)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients of the multi-client path (8)")
    parser.add_argument("--profile", action="store_true", help="afterwards, cProfile the server over 1-client fires")
    parser.add_argument("--profile-db", choices=("sqlite", "postgresql"), default="sqlite", help="default sqlite")
    parser.add_argument("--profile-requests", type=int, default=500, help="fires profiled (500)")
    ns = parser.parse_args(argv)
    if min(ns.events, ns.rounds, ns.candidates, ns.profile_requests) < 1 or ns.warmup < 0 or ns.clients < 2:
        parser.error("--events, --rounds, --candidates, --profile-requests ≥ 1; --warmup ≥ 0; --clients ≥ 2")
    if ns.candidates < ns.clients:
        parser.error("--candidates must be at least --clients (each client fires on its own candidates)")
    return Options(**vars(ns))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def stack() -> str:
    """What ``uvicorn.run`` picks with its defaults (``http="auto"``, ``loop="auto"``)."""
    http = "httptools" if importlib.util.find_spec("httptools") else "h11 (httptools not installed)"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio (uvloop not installed)"
    return f"{http}, {loop}"


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    databases = ["sqlite", "postgresql"] if opts.db == "both" else [opts.db]
    print(
        f"python {platform.python_version()}, FastAPI {fastapi.__version__}, uvicorn {uvicorn.__version__},"
        f" SQLAlchemy {sqlalchemy.__version__}, psycopg {psycopg.__version__}, SQLite {sqlite3.sqlite_version},"
        f" {os.cpu_count()} CPUs; uvicorn on {stack()};\n{opts.warmup} warm-up + {opts.events:,} timed fires per path"
        f" in {opts.rounds} interleaved rounds; trigger {TRIGGER}; load average {load()}"
    )
    results: dict[str, Result] = {}
    for database in databases:
        if database == "postgresql":
            with psycopg.connect(libpq_url(opts.postgres_url)) as conn:
                server = conn.execute("SHOW server_version").fetchone()
                sync = conn.execute("SHOW synchronous_commit").fetchone()
            print(f"postgresql {server[0] if server else '?'} (synchronous_commit={sync[0] if sync else '?'})")
        with tempfile.TemporaryDirectory(prefix="admission-flow-api-bench-") as workdir:
            results[database] = bench_database(database, opts, Path(workdir))
    print_table(results)
    for result in results.values():
        print(result.profile, end="")
    print(f"load average at the end: {load()}")
    summary = {
        "bench": "api",
        "events": opts.events,
        "clients": opts.clients,
        "results": [
            {
                "database": r.database,
                "path": r.path,
                "clients": r.clients,
                "requests": r.requests,
                "fires_per_s": round(r.rate, 1),
                "ratio_to_in_process": round(r.ratio, 3),
                "p50_us": round(r.p50_us, 1),
                "p99_us": round(r.p99_us, 1),
                "server_cpu_us": None if r.server_cpu_us is None else round(r.server_cpu_us, 1),
                "server_app_us": None if r.server_app_us is None else round(r.server_app_us, 1),
                "client_cpu_us": round(r.client_cpu_us, 1),
            }
            for result in results.values()
            for r in result.rows
        ],
        "authenticate_us": {db: round(result.authenticate_us, 1) for db, result in results.items()},
    }
    print(json.dumps(summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
