"""``sign`` and ``verify``: the HMAC a webhook call carries, and the check receivers copy, at their edges."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from pathlib import Path
from typing import Any

import pytest

from admission_flow.services.webhooks import DEFAULT_TOLERANCE, sign, verify

SECRET = "s3cr3t-Ω"
BODY = '{"id":"a1","type":"event.recorded","data":{"full_name":"Nguyễn Văn An"}}'.encode()
SENT_AT = 1_767_578_400  # 2026-01-05 02:00 UTC


def test_the_signature_is_v1_and_the_hex_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1767578400." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, SENT_AT, BODY) == f"v1={expected}"
    assert sign(SECRET, str(SENT_AT), BODY) == sign(SECRET, SENT_AT, BODY)


def test_a_genuine_call_verifies() -> None:
    assert verify(SECRET, sign(SECRET, SENT_AT, BODY), str(SENT_AT), BODY, now=SENT_AT)


@pytest.mark.parametrize("late", [-DEFAULT_TOLERANCE, DEFAULT_TOLERANCE])
def test_a_timestamp_exactly_at_the_tolerance_is_still_accepted(late: float) -> None:
    assert verify(SECRET, sign(SECRET, SENT_AT, BODY), str(SENT_AT), BODY, now=SENT_AT + late)


@pytest.mark.parametrize("late", [-DEFAULT_TOLERANCE - 1, DEFAULT_TOLERANCE + 1, DEFAULT_TOLERANCE + 0.001])
def test_a_timestamp_beyond_the_tolerance_is_refused_even_with_a_good_signature(late: float) -> None:
    assert not verify(SECRET, sign(SECRET, SENT_AT, BODY), str(SENT_AT), BODY, now=SENT_AT + late)


def test_the_tolerance_can_be_narrowed() -> None:
    header = sign(SECRET, SENT_AT, BODY)
    assert verify(SECRET, header, str(SENT_AT), BODY, 10, now=SENT_AT + 10)
    assert not verify(SECRET, header, str(SENT_AT), BODY, 10, now=SENT_AT + 11)


def test_a_tampered_body_is_refused() -> None:
    header = sign(SECRET, SENT_AT, BODY)
    assert not verify(SECRET, header, str(SENT_AT), BODY.replace(b"a1", b"a2"), now=SENT_AT)
    assert not verify(SECRET, header, str(SENT_AT), BODY + b" ", now=SENT_AT)
    assert not verify(SECRET, header, str(SENT_AT), b"", now=SENT_AT)


def test_a_timestamp_other_than_the_signed_one_is_refused() -> None:
    header = sign(SECRET, SENT_AT, BODY)
    assert not verify(SECRET, header, str(SENT_AT + 1), BODY, now=SENT_AT)


def test_the_wrong_secret_is_refused() -> None:
    assert not verify("another", sign(SECRET, SENT_AT, BODY), str(SENT_AT), BODY, now=SENT_AT)
    assert not verify(SECRET, sign("another", SENT_AT, BODY), str(SENT_AT), BODY, now=SENT_AT)


@pytest.mark.parametrize("timestamp", ["", "abc", "-1767578400", "1767578400.0", " 1767578400", "١٧٦٧٥٧٨٤٠٠"])
def test_a_timestamp_that_is_not_plain_unix_seconds_is_refused(timestamp: str) -> None:
    assert not verify(SECRET, sign(SECRET, timestamp, BODY), timestamp, BODY, now=SENT_AT)


@pytest.mark.parametrize(
    "header",
    [
        "",
        "v1=",
        "v2={hex}",
        "{hex}",
        "V1={hex}",
        "v1={hex}0",
        "v1={hex_upper}",
    ],
)
def test_a_malformed_or_foreign_signature_header_is_refused(header: str) -> None:
    good = sign(SECRET, SENT_AT, BODY).removeprefix("v1=")
    text = header.format(hex=good, hex_upper=good.upper())
    assert not verify(SECRET, text, str(SENT_AT), BODY, now=SENT_AT)


def test_any_one_of_several_signatures_is_enough() -> None:
    good = sign(SECRET, SENT_AT, BODY)
    old = sign("the previous secret", SENT_AT, BODY)
    assert verify(SECRET, f"{old} {good}", str(SENT_AT), BODY, now=SENT_AT)
    assert verify(SECRET, f"{old},{good}", str(SENT_AT), BODY, now=SENT_AT)
    assert not verify(SECRET, f"{old} {old}", str(SENT_AT), BODY, now=SENT_AT)


def test_without_now_the_receivers_own_clock_is_used() -> None:
    fresh = int(time.time())
    assert verify(SECRET, sign(SECRET, fresh, BODY), str(fresh), BODY)
    assert not verify(SECRET, sign(SECRET, 1_000_000_000, BODY), "1000000000", BODY)


def test_the_verify_function_in_docs_webhooks_md_agrees_with_the_packages() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "webhooks.md").read_text(encoding="utf-8")
    (snippet,) = [block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def verify(" in block]
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # our own documentation
    copied = namespace["verify"]
    header = sign(SECRET, SENT_AT, BODY)
    for args in [
        (SECRET, header, str(SENT_AT), BODY),
        (SECRET, header, str(SENT_AT), BODY + b"x"),
        ("another", header, str(SENT_AT), BODY),
        (SECRET, header, "x", BODY),
    ]:
        for now in (SENT_AT, SENT_AT + DEFAULT_TOLERANCE, SENT_AT + DEFAULT_TOLERANCE + 1):
            assert copied(*args, now=now) == verify(*args, now=now)
    assert copied(SECRET, header, str(SENT_AT), BODY, now=SENT_AT)
