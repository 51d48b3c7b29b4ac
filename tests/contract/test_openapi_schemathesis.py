"""Schemathesis over the live server's own ``/openapi.json`` (issue 9, item 7).

A real uvicorn server (``conftest.live_api``: SQLite, and PostgreSQL when ``ADMISSION_FLOW_TEST_POSTGRES_URL`` is
set) answers every request schemathesis generates for every operation of the document, with a token holding every
person's role on the ``ks`` subtree. Each operation gets schemathesis' three phases — the document's examples, the
coverage phase (boundary and missing values, wrong types, undeclared methods, …) and ``MAX_EXAMPLES`` fuzzed cases,
positive and negative — from a fixed seed, so a run is repeatable. Positive fuzzed cases name a seeded candidate,
organisation, workflow, state, role or webhook in half the draws (``known_parameters``), so generated bodies
and filters reach the rules and the database instead of stopping at "not found".

Every response goes through schemathesis' default checks but two (``EXCLUDED``, with the reasons), among them
``not_a_server_error``, ``status_code_conformance``, ``content_type_conformance``, ``response_headers_conformance`` and
``response_schema_conformance``. A failing case does not stop its operation: every distinct failure (check and
status) is kept with schemathesis' report and ``curl`` reproduction, and the operation's subtest fails at the end
with all of them. The counts (operations, cases per phase, failures) are printed in pytest's terminal summary.

Schemathesis' pytest loader (``schemathesis.pytest.from_fixture``) cannot be used here: with pytest 9.2 it reads
``Function._nodeid``, which pytest removed; and it stops each operation at its first failure. So this test builds
the same per-operation Hypothesis tests (``schemathesis.pytest.lazy.get_all_tests``) and runs them itself.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from live_api import LiveApi
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi import checks

MAX_EXAMPLES = 25  # fuzzed cases per operation (the examples and coverage phases come on top)
SEED = 20260105  # schemathesis derives each operation's Hypothesis seed from it and the operation's label
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # Health checks judge the generator, not the API: a slow server or a large body must not stop the run.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
# Two default checks cannot judge this API, so they are left out; every other default check runs:
# * positive_data_acceptance expects every schema-valid request to succeed. Here many are refused by rules a JSON
#   schema cannot state, each with a problem the document declares: an Idempotency-Key reused with another body
#   (422), a cursor this API never gave out (400), votes whose in_favour + against exceed eligible (422), a token
#   with several roles that names none (400), text holding U+0000 in free-form attributes (400), a trigger no
#   workflow has (400), an event the rules refuse (422), ids that exist already (409).
# * ignored_auth resends a request without its credentials and expects 401; this harness adds the token to every
#   request it sends (schema.config headers), so that check would see the token again. tests/api/test_access.py
#   sends every endpoint without a token, with a revoked one and with an expired one instead.
EXCLUDED = [checks.positive_data_acceptance, checks.ignored_auth]
REPORT_LIMIT = 4000  # characters of schemathesis' report kept per distinct failure


@dataclass
class Finding:
    key: str  # failure code and title, and the status that came back
    report: str  # schemathesis' report: the failures, the response and the curl reproduction
    count: int = 1


@dataclass
class OperationRun:
    label: str
    phases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    findings: dict[str, Finding] = field(default_factory=dict)

    def record(self, key: str, report: str) -> None:
        if key in self.findings:
            self.findings[key].count += 1
        else:
            self.findings[key] = Finding(key, report[:REPORT_LIMIT])


def load_schema(api: LiveApi) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{api.base_url}/openapi.json")
    schema.config.update(headers={"Authorization": f"Bearer {api.token}"})
    schema.config.seed = SEED

    @schema.hook
    def flatmap_case(_: Any, case: schemathesis.Case) -> st.SearchStrategy[schemathesis.Case]:
        return known_parameters(case, api.known)

    return schema


def known_parameters(case: schemathesis.Case, known: dict[str, list[str | int]]) -> st.SearchStrategy[Any]:
    """A positive case as generated or, in half the draws, with its path and query parameters that name
    something (candidate, organisation, workflow, state, role, webhook) naming something seeded."""
    positive = case.meta is not None and case.meta.generation.mode == GenerationMode.POSITIVE
    path, query = dict(case.path_parameters or {}), dict(case.query or {})
    if not positive or not any(name in known for name in (*path, *query)):
        return st.just(case)

    def picks(values: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(
            {name: st.sampled_from(known[name]) if name in known else st.just(v) for name, v in values.items()}
        )

    def named(values: tuple[dict[str, Any], dict[str, Any]]) -> schemathesis.Case:
        if path:
            case.path_parameters = values[0]
        if query:
            case.query = values[1]
        return case

    return st.one_of(st.just(case), st.tuples(picks(path), picks(query)).map(named))


def check(run: OperationRun, case: schemathesis.Case) -> None:
    """Send the case, run every default check on the response, keep each distinct failure; never raise, so that
    one failure does not end the operation's run."""
    run.phases[case.meta.phase.name.value if case.meta is not None else "explicit"] += 1
    try:
        response = case.call(timeout=30)
    except Exception as exc:  # the server hung up or timed out: a finding too
        run.record(f"transport error {type(exc).__name__}", f"{exc}\n\n{case.as_curl_command()}")
        return
    run.statuses[response.status_code] += 1
    try:
        case.validate_response(response, excluded_checks=EXCLUDED)
    except FailureGroup as group:
        codes = ", ".join(sorted(f"{f.code} {f.title}" for f in group.exceptions))
        run.record(f"{codes} (status {response.status_code})", str(group))


def test_every_operation_conforms_to_the_openapi_document(
    live_api: LiveApi, subtests: pytest.Subtests, contract_runs: list[str]
) -> None:
    schema = load_schema(live_api)
    started = time.perf_counter()
    runs: list[OperationRun] = []
    schema_errors: list[str] = []

    def check_case(case: schemathesis.Case) -> None:
        check(runs[-1], case)

    for result in get_all_tests(schema=schema, test_func=check_case, settings=SETTINGS, given_kwargs={}):
        if not isinstance(result, Ok):
            schema_errors.append(str(result.err()))
            continue
        operation, hypothesis_test = result.ok()
        runs.append(OperationRun(operation.label))
        with subtests.test(msg=operation.label):
            hypothesis_test()
            if runs[-1].findings:
                pytest.fail(failure_report(runs[-1]), pytrace=False)

    seconds = time.perf_counter() - started
    contract_runs.append(summary(live_api.database, runs, schema_errors, seconds))
    for run in runs:
        contract_runs.append(f"    {run_line(run)}")
    assert not schema_errors, "\n\n".join(schema_errors)
    assert runs, "the document has no operations"


def failure_report(run: OperationRun) -> str:
    parts = [f"{run.label}: {len(run.findings)} distinct failure(s) in {sum(run.phases.values())} cases"]
    for finding in run.findings.values():
        parts.append(f"--- {finding.key} — {finding.count} case(s)\n{finding.report}")
    return "\n\n".join(parts)


def run_line(run: OperationRun) -> str:
    phases = ", ".join(f"{name} {n}" for name, n in sorted(run.phases.items()))
    statuses = " ".join(f"{code}×{n}" for code, n in sorted(run.statuses.items()))
    failed = f" — FAILED: {'; '.join(run.findings)}" if run.findings else ""
    return f"{run.label:<48} {sum(run.phases.values()):4} cases ({phases}); {statuses}{failed}"


def summary(database: str, runs: list[OperationRun], schema_errors: list[str], seconds: float) -> str:
    cases = sum(sum(r.phases.values()) for r in runs)
    phases: Counter[str] = Counter()
    for r in runs:
        phases.update(r.phases)
    by_phase = ", ".join(f"{name} {n}" for name, n in sorted(phases.items()))
    failing = sum(1 for r in runs if r.findings)
    distinct = sum(len(r.findings) for r in runs)
    return (
        f"{database}: {len(runs)} operations, {cases} cases ({by_phase}) in {seconds:.1f}s;"
        f" {failing} operations failing with {distinct} distinct failures; {len(schema_errors)} schema errors"
    )
