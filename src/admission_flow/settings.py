"""Configuration: defaults < ``config/admission_flow.toml`` (or ``$ADMISSION_FLOW_CONFIG``) < environment.

Environment variables use the prefix ``ADMISSION_FLOW_`` (``ADMISSION_FLOW_DATABASE_URL``...). Relative paths
are read from the current directory, which is the repository root for ``make demo``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
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
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_sender: str = "admission-flow@localhost"

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
