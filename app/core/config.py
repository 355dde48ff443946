"""Settings: one place for everything that differs between a laptop, CI and production."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET_FILE_NAME = ".hph-secret"


class SettingsError(RuntimeError):
    """A setting is wrong; the message names the setting and the fix."""


class Settings(BaseSettings):
    """Application settings, read from ``HPH_*`` environment variables or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="HPH_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{(Path.cwd() / 'hph.db').as_posix()}",
        description="SQLAlchemy URL; a SQLite file under the working directory by default.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs CSRF tokens and session hashes; generated and stored when not given.",
    )
    data_dir: Path = Field(default_factory=Path.cwd, description="Where the secret file lives.")
    default_language: str = "nb"
    timezone: str = "Europe/Oslo"
    session_hours: float = Field(default=10.0, gt=0, description="Absolute session lifetime.")
    session_idle_minutes: float = Field(default=120.0, gt=0, description="Idle sign-out.")
    secure_cookies: bool = Field(default=False, description="Send cookies over HTTPS only.")
    suppression_threshold: int = Field(default=5, ge=1, description="Smallest count shown.")
    psfs_mic_mean: float = Field(default=2.0, gt=0, description="Minimal important change, mean.")
    psfs_mic_single: float = Field(default=3.0, gt=0, description="Minimal important change, one.")
    checklists_dir: Path = Field(default=REPO_ROOT / "checklists")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (addresses or CIDR networks, comma-separated) whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; nobody's by default.",
    )
    database_lock_timeout: float = Field(
        default=5.0,
        ge=0,
        description="Seconds a statement may wait for a lock before it fails (PostgreSQL; 0 = "
        "forever): a stuck transaction then costs one request an error, not the whole server.",
    )
    database_statement_timeout: float = Field(
        default=30.0, ge=0, description="Seconds a request's statement may run (0 = no limit)."
    )
    analysis_slots: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Charts, comparisons and exports one server worker works on at a time; the "
        "others wait, so that nurses' saves never queue behind them (app/core/analysis_limit.py).",
    )
    count_cache_rows: int = Field(
        default=200_000,
        ge=0,
        description="Count rows a server worker keeps of the counts it computed, reused while "
        "the counted teams' items are unchanged and no window closes (0 = none; "
        "app/measures/count_cache.py).",
    )
    analysis_wait_seconds: float = Field(
        default=10.0, ge=0, le=300, description="How long analysis waits for a slot before 503."
    )
    database_long_statement_timeout: float = Field(
        default=3600.0,
        ge=0,
        description="Seconds a statement of a long job may run: migrations, seeding, benches.",
    )
    smtp_url: str | None = Field(
        default=None,
        description="Where invitation e-mails go: smtp://[user:password@]host[:port], "
        "smtp+starttls://... or smtps://...; unset: the admin copies the link.",
    )
    smtp_from: str = Field(default="hph-tracker@localhost", description="The e-mails' sender.")

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("nb", "en"):
            raise ValueError("HPH_DEFAULT_LANGUAGE must be 'nb' or 'en'")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"HPH_TIMEZONE '{value}' is not a known time zone") from exc
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: str | list[str] | None) -> list[str]:
        entries = value.split(",") if isinstance(value, str) else list(value or [])
        networks: list[str] = []
        for entry in (str(item).strip() for item in entries):
            if not entry:
                continue
            try:
                networks.append(str(ipaddress.ip_network(entry, strict=False)))
            except ValueError as exc:
                raise ValueError(
                    f"HPH_TRUSTED_PROXIES: '{entry}' is not an address or a network; "
                    "write addresses or CIDR networks separated by commas, "
                    "e.g. 10.0.0.5,172.18.0.0/16"
                ) from exc
        return networks

    @property
    def zone(self) -> ZoneInfo:
        """The local time zone that periods and due dates are counted in."""
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        """Whether the database is the embedded SQLite default."""
        return self.database_url.startswith("sqlite")

    def resolved_secret_key(self) -> str:
        """Return the secret key, generating and storing one on first run when not given."""
        if self.secret_key:
            if len(self.secret_key) < 32:
                raise SettingsError(
                    "HPH_SECRET_KEY is shorter than 32 characters: set a longer random value "
                    "(for example the output of `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))'`) or unset it to have one generated."
                )
            return self.secret_key
        path = Path(self.data_dir) / SECRET_FILE_NAME
        if path.exists():
            stored = path.read_text(encoding="utf-8").strip()
            if len(stored) >= 32:
                return stored
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            generated = secrets.token_urlsafe(48)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(generated)
        except OSError as exc:
            raise SettingsError(
                f"No HPH_SECRET_KEY was given and {path} cannot be written ({exc.strerror}): "
                "set HPH_SECRET_KEY or HPH_DATA_DIR to a writable folder."
            ) from exc
        return generated


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the settings of this process (cached; tests clear the cache)."""
    return Settings()
