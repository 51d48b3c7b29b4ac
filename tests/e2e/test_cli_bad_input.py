"""Bad input on the command line (issue 13): each is one clear line and the contract's exit code, no traceback,
and nothing is written."""

from __future__ import annotations

import pytest
from clitools import Run, as_json

CERTIFICATE = ("--role", "political_centre", "--document", "kind=awareness_certificate")


@pytest.fixture
def seeded(cli: Run) -> Run:
    """``nva`` in the awareness class: issuing the certificate projects a 60-month deadline."""
    cli("db", "upgrade")
    cli("org", "add", "ks.anmy", "--name", "Đảng ủy xã An Mỹ", "--kind", "grassroots_committee")
    cli("org", "add", "ks.anmy.ap1", "--name", "Chi bộ ấp An Phú", "--kind", "cell", "--parent", "ks.anmy")
    cli("candidate", "add", "nva", "--name", "Nguyễn Văn An", "--org", "ks.anmy.ap1", "--birth-date", "17/05/2000")
    cli("fire", "nva", "admit_to_sympathizer_list", "--role", "cell", "--on", "2026-01-10")
    cli("fire", "nva", "assign_helper", "--role", "cell", "--data", "helper=Lê Thị Cúc", "--on", "2026-01-11")
    cli("fire", "nva", "nominate_for_class", "--role", "cell", "--on", "2026-02-01")
    return cli


def refused(run: Run, *args: str, code: int = 2) -> str:
    """The one line on stderr of a refused command, after checking the exit code and that no traceback shows."""
    done = run(*args, expect=code)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def versions(run: Run) -> tuple[int, int]:
    shown = as_json(run("candidate", "show", "nva", "--json"))
    return shown["version"], len(as_json(run("history", "nva", "--json")))


def test_a_date_whose_deadline_falls_past_9999_is_one_clear_line(seeded: Run) -> None:
    line = refused(seeded, "fire", "nva", "issue_awareness_certificate", "--on", "9999-12-31", *CERTIFICATE)
    assert line.startswith("error (invalid_input): the deadline 'certificate_validity'")
    assert "9999-12-31" in line and "years 1 to 9999" in line
    assert versions(seeded) == (4, 4)


def test_empty_dates_repeated_data_keys_and_unknown_acting_orgs_are_refused(seeded: Run) -> None:
    empty = "error (invalid_input): empty date: give YYYY-MM-DD or DD/MM/YYYY (leave the option out for the default)"
    assert refused(seeded, "fire", "nva", "withdraw", "--on", "") == empty
    assert refused(seeded, "options", "nva", "--on", " ") == empty
    assert refused(seeded, "candidate", "add", "b", "--name", "B", "--org", "ks.anmy.ap1", "--birth-date", "") == empty
    line = refused(seeded, "fire", "nva", "withdraw", "--data", "reason=a", "--data", "reason=b")
    assert line == "error (invalid_input): --data gives the key 'reason' more than once: give each key once"
    line = refused(seeded, "fire", "nva", "withdraw", "--acting-org", "nosuch", code=3)
    assert line == "error (not_found): org 'nosuch' not found"
    refused(seeded, "options", "nva", "--acting-org", "nosuch", code=3)
    refused(seeded, "candidate", "show", "b", code=3)
    assert versions(seeded) == (4, 4)


def test_votes_that_cannot_be_are_refused_with_a_correct_message(seeded: Run) -> None:
    huge = "100000000000000000000000"
    for votes, message in [
        ("10/9", "--votes 10/9: 10 in favour is more than the 9 eligible full members"),
        ("5/0", "--votes 5/0: eligible (every full member of the voting body) must be at least 1"),
        ("-1/9", "--votes expects IN_FAVOUR/ELIGIBLE, whole numbers from 0 such as 6/9, got '-1/9'"),
        (f"{huge}/{huge}", f"--votes {huge}/{huge}: a count is at most 1,000,000"),
    ]:
        assert refused(seeded, "fire", "nva", "withdraw", "--votes", votes) == f"error (invalid_input): {message}"
    assert refused(seeded, "options", "nva", "--votes", "10/9").endswith("more than the 9 eligible full members")
    assert versions(seeded) == (4, 4)


def test_a_blank_name_or_one_with_control_characters_is_refused_and_whitespace_stripped(cli: Run) -> None:
    cli("db", "upgrade")
    cli("org", "add", "ks.anmy", "--name", "Đảng ủy xã An Mỹ", "--kind", "grassroots_committee")
    for name in ["   ", "\x1b[31mred", "An\nForged"]:
        line = refused(cli, "candidate", "add", "b", "--name", name, "--org", "ks.anmy")
        assert line.startswith("error (invalid_input): full_name: ")
        assert "\x1b" not in line  # the message never echoes what it refuses
        line = refused(cli, "org", "add", "ks.x", "--name", name, "--kind", "cell", "--parent", "ks.anmy")
        assert line.startswith("error (invalid_input): name: ")
    assert [o["id"] for o in as_json(cli("org", "list", "--json"))] == ["ks.anmy"]
    added = as_json(cli("candidate", "add", "b", "--name", "  Lê Thị Cúc \t", "--org", "ks.anmy", "--json"))
    assert added["full_name"] == "Lê Thị Cúc"
