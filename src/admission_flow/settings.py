"""Configuration: defaults < ``config/admission_flow.toml`` (or ``$ADMISSION_FLOW_CONFIG``) < environment.

Environment variables use the prefix ``ADMISSION_FLOW_`` (``ADMISSION_FLOW_DATABASE_URL``...). Relative paths
are read from the current directory, which is the repository root for ``make demo``.
"""

from __future__ import annotations

import os
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

DEFAULT_CONFIG_FILE = Path("config/admission_flow.toml")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADMISSION_FLOW_", extra="forbid")

    database_url: str = Field(default="sqlite:///var/admission_flow.db", description="sqlite:///PATH or postgresql://")
    workflows_dir: Path = Field(default=Path("workflows"), description="folder of workflow YAML files")
    skip_broken_workflows: bool = Field(
        default=True,
        description="leave out a workflow file with problems (warning) instead of stopping every command; "
        "`validate` is always strict",
    )
    workflow_max_file_bytes: int = Field(default=4 * 1024 * 1024, ge=1, description="largest workflow file read")
    workflow_max_depth: int = Field(default=100, ge=8, description="levels of lists and mappings in a workflow file")
    workflow_max_nodes: int = Field(
        default=100_000, ge=1000, description="keys and values of a workflow file once YAML aliases are expanded"
    )
    workflow_max_number_chars: int = Field(default=100, ge=3, description="characters of one number in a workflow")
    upload_max_bytes: int = Field(default=1024 * 1024, ge=1, description="largest workflow upload checked (API)")
    upload_max_states: int = Field(default=200, ge=1, description="states of an uploaded workflow, after extends")
    upload_max_transitions: int = Field(default=1000, ge=1, description="transitions of an uploaded workflow")
    default_workflow: str = Field(default="standard", description="workflow new candidates start on (ID or ID@VERSION)")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="zone in which paper dates are read")
    calendar_file: Path = Field(default=Path("config/calendar-vn.toml"), description="extra days off / make-up days")
    reminder_time: time = Field(default=time(8, 0), description="local time at which reminders are sent")
    templates_dir: Path | None = Field(
        default=None, description="folder of e-mail templates overriding the shipped ones"
    )
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_sender: str = "admission-flow@localhost"
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 30.0
    delivery_max_attempts: int = Field(default=8, ge=1, description="then the message is marked dead")
    delivery_backoff_seconds: float = Field(default=60.0, gt=0, description="first retry delay; doubles each time")
    delivery_lease_seconds: float = Field(
        default=30.0, gt=0, description="how long a claimed message stays claimed (renewed while its run sends)"
    )
    delivery_batch: int = Field(default=100, ge=1, description="messages claimed at a time; deliver drains them all")
    sweep_batch: int = Field(default=500, ge=1)
    sweep_lease_seconds: float = Field(
        default=30.0, gt=0, description="SQLite sweep lease, renewed every batch; a dead holder's is taken at once"
    )
    sweep_max_rounds: int = Field(default=10, ge=1, description="sweeps over timers created by automatic events")
    sweep_interval_seconds: float = Field(default=60.0, gt=0, description="worker tick")
    token_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="how long a process trusts an API token it has looked up (a revocation elsewhere bites after this)",
    )
    import_workers: int = Field(
        default=0,
        ge=0,
        description="processes that check a bulk import's rows (forked, 5,000 rows or more, only in a process "
        "without other threads); 0: one per core, at most 4; 1: in the importing process",
    )
    # Targets and quotas (issue 10): the sourcing plan should hold 2 to 3 times the quota; outside is a warning.
    sourcing_plan_min_factor: float = Field(default=2.0, gt=0, description="sourcing plan at least this × the quota")
    sourcing_plan_max_factor: float = Field(default=3.0, gt=0, description="sourcing plan at most this × the quota")

    # ---- reports (docs/reports.md): which events and values the reports count
    report_count_admissions_by: Literal["decision", "ceremony"] = Field(
        default="decision", description="the date that counts as admitted: the decision's or the ceremony's"
    )
    report_tree: Literal["as_it_was", "as_it_is"] = Field(
        default="as_it_was", description="the organisation tree of a report: as it stood at the period's end, or now"
    )
    report_admission_trigger: str = "decide_admission"
    report_ceremony_trigger: str = "hold_ceremony"
    report_recognition_trigger: str = "decide_recognition"
    report_strike_off_trigger: str = "decide_strike_off"
    report_majority_ethnicity: str = Field(default="Kinh", description="every other ethnicity is a minority")
    report_no_religion: list[str] = Field(default=["", "none", "không"], description="religion values meaning none")
    report_student_occupations: list[str] = ["student"]
    report_enterprise_occupations: list[str] = ["enterprise_worker"]
    report_university_levels: list[str] = ["university", "postgraduate"]
    report_recognition_on_time_days: int = Field(
        default=90, ge=0, description="a recognition is on time up to this many days after probation ends"
    )
    report_upcoming_days: int = Field(default=30, ge=0, description="deadlines due within this many days")
    report_percent_decimals: int = Field(default=1, ge=0, le=4, description="decimal places of percentages")
    report_rounding: Literal["half_up", "down"] = Field(default="half_up", description="how percentages round")
    # The web dashboard (issue 11).
    web_secure_cookies: bool = Field(
        default=False, description="mark the dashboard's cookies Secure (set it when served over HTTPS)"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("ADMISSION_FLOW_CONFIG", DEFAULT_CONFIG_FILE))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=config_file))


def load_settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
