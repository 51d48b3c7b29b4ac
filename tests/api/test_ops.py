"""What operators and clients read without a token: ``/healthz``, ``/readyz``, ``/metrics``, the problem pages and
the OpenAPI document (whose routes the suite checks it covers); on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from apitools import ENDPOINTS, V1, Api, at_admission_decision, closed_port, enrol, metric, problem_of, served

from admission_flow.api import create_app
from admission_flow.api.problems import PROBLEMS
from admission_flow.flow import AdmissionFlow
from admission_flow.settings import Settings
from admission_flow.store.engine import normalise_url
from admission_flow.testing import ManualClock

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
EVENTS_ROUTE = f"{V1}/candidates/{{candidate_id}}/events"
OLDEST = "admission_flow_oldest_due_timer_age_seconds"


def test_the_openapi_document_lists_exactly_the_routes_this_suite_covers(api: Api) -> None:
    anonymous = api.client_with(None)
    document = anonymous.get("/openapi.json")
    assert document.status_code == 200
    routes = {(method.upper(), path) for path, item in document.json()["paths"].items() for method in item}
    assert routes == ENDPOINTS
    assert anonymous.get("/docs").status_code == 200


def test_health_and_readiness_of_a_current_database(api: Api) -> None:
    anonymous = api.client_with(None)
    health = anonymous.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = anonymous.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "revision": api.flow.database_revision()})
    assert ready.json()["revision"]


def test_readiness_is_503_for_a_database_not_upgraded_or_not_reachable_while_health_stays_200(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 1, 5, 2, 0, tzinfo=UTC))
    fresh = AdmissionFlow(
        Settings(database_url=f"sqlite:///{tmp_path / 'new.db'}", workflows_dir=WORKFLOWS), clock=clock
    )
    nowhere = normalise_url(f"postgresql://postgres@127.0.0.1:{closed_port()}/nothing")
    gone = AdmissionFlow(Settings(database_url=nowhere, workflows_dir=WORKFLOWS), clock=clock)
    with (
        fresh,
        gone,
        served(create_app(fresh)) as behind_url,
        served(create_app(gone)) as gone_url,
        httpx.Client(base_url=behind_url) as behind,
        httpx.Client(base_url=gone_url) as unreachable,
    ):
        not_upgraded = problem_of(behind.get("/readyz"), 503, "store_unavailable")
        assert (not_upgraded["revision"], not_upgraded["needed"]) == (None, fresh.schema_head())
        assert "admission-flow db upgrade" in not_upgraded["detail"]
        assert behind.get("/healthz").status_code == 200

        assert unreachable.get("/healthz").status_code == 200
        assert unreachable.get("/metrics").status_code == 200  # the counters are served without the database
        refused = unreachable.get(f"{V1}/orgs", headers={"Authorization": "Bearer af_" + "A" * 43})
        problem_of(refused, 503, "store_unavailable")
        down = problem_of(unreachable.get("/readyz"), 503, "store_unavailable")
        assert "database unreachable" in down["detail"]


def test_metrics_count_api_fires_and_refusals_and_age_the_oldest_due_timer(api: Api) -> None:
    at_admission_decision(api.flow, "an")  # its decision is reminded on 2026-01-14 and due on 2026-01-21
    enrol(api.flow, "bo")
    client, anonymous = api.client("ks.anmy", ["cell"]), api.client_with(None)
    scrape = anonymous.get("/metrics")
    assert scrape.status_code == 200 and scrape.headers["content-type"].startswith("text/plain")
    assert metric(scrape.text, OLDEST) == 0.0

    sent = [
        ({"trigger": "admit_to_sympathizer_list"}, {"Idempotency-Key": "once"}, 201),
        ({"trigger": "admit_to_sympathizer_list"}, {"Idempotency-Key": "once"}, 201),  # a replay: not counted again
        ({"trigger": "assign_helper"}, {}, 422),  # data_missing
        ({"trigger": "assign_helper"}, {}, 422),  # data_missing
        ({"trigger": "hold_ceremony"}, {}, 422),  # trigger_not_available
        ({"trigger": "assign_helper", "data": {"helper": "Lê Văn Ba"}}, {}, 201),
        ({"trigger": "assign_helper", "role": "candidate"}, {}, 403),  # not the token's role: never judged
    ]
    for body, headers, status in sent:
        assert client.post(f"{V1}/candidates/bo/events", json=body, headers=headers).status_code == status
    api.flow.fire("bo", "nominate_for_class", role="cell")  # not through the API: not counted

    text = anonymous.get("/metrics").text
    assert metric(text, "admission_flow_fires_total", trigger="admit_to_sympathizer_list") == 1
    assert metric(text, "admission_flow_fires_total", trigger="assign_helper") == 1
    assert metric(text, "admission_flow_fires_total", trigger="nominate_for_class") is None
    assert metric(text, "admission_flow_refusals_total", code="data_missing") == 2
    assert metric(text, "admission_flow_refusals_total", code="trigger_not_available") == 1
    requests = "admission_flow_http_request_duration_seconds_count"
    assert metric(text, requests, method="POST", route=EVENTS_ROUTE, status="201") == 3
    assert metric(text, requests, method="POST", route=EVENTS_ROUTE, status="422") == 3
    assert metric(text, requests, method="POST", route=EVENTS_ROUTE, status="403") == 1
    assert "/candidates/bo" not in text  # routes by template, never a candidate's id

    (reminder,) = [r for r in api.flow.upcoming_reminders(timedelta(days=30)) if r.kind == "reminder"]
    assert reminder.fire_at == datetime(2026, 1, 14, 1, 0, tzinfo=UTC)
    api.clock.set(reminder.fire_at - timedelta(seconds=1))
    assert metric(anonymous.get("/metrics").text, OLDEST) == 0.0
    api.clock.set(reminder.fire_at + timedelta(hours=1, seconds=30))
    assert metric(anonymous.get("/metrics").text, OLDEST) == 3630.0

    swept = api.flow.sweep()
    assert swept.messages == 1
    text = anonymous.get("/metrics").text
    assert metric(text, OLDEST) == 0.0
    assert metric(text, "admission_flow_outbox_messages", channel="email", status="pending") == 1


def test_every_problem_type_has_a_page(api: Api) -> None:
    anonymous = api.client_with(None)
    for code, (status, title, title_vi) in PROBLEMS.items():
        page = anonymous.get(f"{V1}/problems/{code}")
        assert page.status_code == 200, code
        assert page.json() == {"type": f"{V1}/problems/{code}", "status": status, "title": title, "title_vi": title_vi}
    assert {PROBLEMS[c][0] for c in ("unauthenticated", "forbidden", "not_found", "transition_refused")} == {
        401,
        403,
        404,
        422,
    }
    missing = problem_of(anonymous.get(f"{V1}/problems/no_such_problem"), 404, "not_found")
    assert "no_such_problem" in missing["detail"]
    problem_of(anonymous.get("/no/such/route"), 404, "not_found")
    problem_of(anonymous.put("/healthz"), 405, "method_not_allowed")
