"""Configured paths that do not exist: a path named on purpose fails at once, the default one only warns."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from admission_flow.errors import ConfigurationError
from admission_flow.flow import AdmissionFlow
from admission_flow.notify.render import Renderer
from admission_flow.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory without config/ (as when a service embeds the package), and no config file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ADMISSION_FLOW_CONFIG", str(tmp_path / "absent.toml"))
    yield tmp_path


def flow_of(folder: Path, **settings: object) -> AdmissionFlow:
    url = f"sqlite:///{folder / 'flow.db'}"
    return AdmissionFlow(Settings(database_url=url, workflows_dir=ROOT / "workflows", **settings))  # type: ignore[arg-type]


def test_a_templates_dir_that_is_not_a_folder_is_refused_when_the_renderer_is_built(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"templates_dir .*missing: no such folder"):
        Renderer(tmp_path / "missing")


def test_a_flow_with_a_missing_templates_dir_is_refused_at_construction(elsewhere: Path) -> None:
    with pytest.raises(ConfigurationError, match="no such folder"):
        flow_of(elsewhere, templates_dir=elsewhere / "mail")


def test_a_calendar_file_named_on_purpose_must_exist(elsewhere: Path) -> None:
    flow = flow_of(elsewhere, calendar_file=elsewhere / "calendar-typo.toml")
    try:
        with pytest.raises(ConfigurationError, match=r"calendar_file .*calendar-typo.toml: no such file"):
            flow.calendar  # noqa: B018
    finally:
        flow.close()


def test_without_the_default_calendar_file_working_days_come_from_holidays_alone_with_a_warning(
    elsewhere: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flow = flow_of(elsewhere)
    try:
        with caplog.at_level(logging.WARNING, logger="admission_flow"):
            calendar = flow.calendar
        assert "no calendar overrides at config/calendar-vn.toml" in caplog.text
        assert calendar.is_working_day(date(2025, 9, 1)) is False  # National Day holiday, from the holidays package
    finally:
        flow.close()


def test_the_default_calendar_file_is_read_quietly_from_the_repository_root(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    flow = flow_of(tmp_path)
    try:
        with caplog.at_level(logging.WARNING, logger="admission_flow"):
            flow.calendar  # noqa: B018
        assert caplog.text == ""
    finally:
        flow.close()
