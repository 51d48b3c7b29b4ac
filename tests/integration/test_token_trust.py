"""How long a process trusts an API token it looked up (settings.token_cache_seconds), on both databases."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from admission_flow.errors import Unauthenticated
from admission_flow.flow import AdmissionFlow
from admission_flow.samples import SAMPLE_ORGS
from admission_flow.testing import ManualClock


def _other_process(flow: AdmissionFlow, clock: ManualClock, **settings: object) -> AdmissionFlow:
    """A second flow on the same database, as another process would have."""
    return AdmissionFlow(flow.settings.model_copy(update=settings), clock=clock)


def test_a_revocation_bites_at_once_here_and_after_the_trust_period_elsewhere(
    flow: AdmissionFlow, clock: ManualClock
) -> None:
    for org in SAMPLE_ORGS:
        flow.add_org(**org)
    record, secret = flow.create_token(name="portal", org_id="ks", roles=["cell"])
    with _other_process(flow, clock, token_cache_seconds=0.2) as other:
        assert other.authenticate(secret).token_id == record.id  # now trusted by the other process
        assert flow.authenticate(secret).token_id == record.id
        flow.revoke_token(record.id)
        with pytest.raises(Unauthenticated):
            flow.authenticate(secret)  # the process that revoked stops at once
        assert other.authenticate(secret).token_id == record.id  # the other one still trusts it, for a moment
        time.sleep(0.25)
        with pytest.raises(Unauthenticated):
            other.authenticate(secret)


def test_expiry_is_checked_on_every_call_even_while_trusted(flow: AdmissionFlow, clock: ManualClock) -> None:
    flow.add_org(**SAMPLE_ORGS[0])
    _, secret = flow.create_token(name="x", org_id=SAMPLE_ORGS[0]["id"], expires_at=clock.now() + timedelta(minutes=5))
    flow.authenticate(secret)
    clock.advance(timedelta(minutes=5) - timedelta(microseconds=1))
    flow.authenticate(secret)  # one µs before it expires: still good
    clock.advance(timedelta(microseconds=1))
    with pytest.raises(Unauthenticated):
        flow.authenticate(secret)  # at its expiry: refused, though the lookup is still trusted


def test_no_trust_period_looks_up_every_time(flow: AdmissionFlow, clock: ManualClock) -> None:
    flow.add_org(**SAMPLE_ORGS[0])
    record, secret = flow.create_token(name="x", org_id=SAMPLE_ORGS[0]["id"])
    with _other_process(flow, clock, token_cache_seconds=0) as other:
        other.authenticate(secret)
        flow.revoke_token(record.id)
        with pytest.raises(Unauthenticated):
            other.authenticate(secret)  # looked up again: refused at once
