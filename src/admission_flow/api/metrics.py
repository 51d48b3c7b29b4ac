"""Prometheus metrics of one app (a registry of its own, so several apps in one process never collide).

Counted as they happen: HTTP requests and their latency by route template (never by raw path, which would
name candidates), fires and refusals by reason code. Read from the database at each scrape: the age of the
oldest due timer the sweep has not yet turned into a message or an event, and the outbox backlog and failures
by channel (pending, sending, dead; pending after a failed attempt).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from admission_flow.errors import AdmissionFlowError
from admission_flow.flow import AdmissionFlow

CHANNELS = ("email", "webhook")  # always reported, at 0 when empty, so alerts see the series
STATUSES = ("pending", "sending", "dead")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class DatabaseFigures(Collector):
    def __init__(self, flow: AdmissionFlow) -> None:
        self._flow = flow

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            figures = self._flow.figures()
        except AdmissionFlowError:
            return  # the database is down: /readyz says so; the counters are still served
        oldest: datetime | None = figures["oldest_due_timer"]
        age = 0.0 if oldest is None else max(0.0, (self._flow.clock.now() - oldest).total_seconds())
        yield GaugeMetricFamily(
            "admission_flow_oldest_due_timer_age_seconds",
            "How long the oldest due timer has waited for a sweep (0 when none is due).",
            value=age,
        )
        backlog = GaugeMetricFamily(
            "admission_flow_outbox_messages",
            "Outbox messages not yet sent, by channel and status.",
            labels=["channel", "status"],
        )
        counts = {(channel, status): n for channel, status, n in figures["outbox"]}
        for channel, status in sorted({*counts, *((c, s) for c in CHANNELS for s in STATUSES)}):
            backlog.add_metric([channel, status], counts.get((channel, status), 0))
        yield backlog
        failing = GaugeMetricFamily(
            "admission_flow_outbox_failing_messages",
            "Pending outbox messages whose last attempt failed, by channel.",
            labels=["channel"],
        )
        failing_by = dict(figures["outbox_failing"])
        for channel in sorted({*failing_by, *CHANNELS}):
            failing.add_metric([channel], failing_by.get(channel, 0))
        yield failing


class Metrics:
    def __init__(self, flow: AdmissionFlow) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "admission_flow_http_request_duration_seconds",
            "HTTP request latency by method, route and status.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.fires = Counter(
            "admission_flow_fires", "Events applied through the API, by trigger.", ["trigger"], registry=self.registry
        )
        self.refusals = Counter(
            "admission_flow_refusals",
            "Refused events through the API, by reason code (one refusal may count several codes).",
            ["code"],
            registry=self.registry,
        )
        self.figures = DatabaseFigures(flow)
        self.registry.register(self.figures)

    def exposition(self) -> bytes:
        """The Prometheus text. Under ``serve --workers N`` (``PROMETHEUS_MULTIPROC_DIR`` set) the counters and
        latencies are summed over every worker process, so any process answers for all of them."""
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        registry.register(self.figures)
        return generate_latest(registry)
