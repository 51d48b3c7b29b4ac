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
