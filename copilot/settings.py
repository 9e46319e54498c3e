"""All configuration of the service, in one place, read from ``COPILOT_*`` variables.

Nested options use ``__``: ``COPILOT_SPEECH__DECODE__BEAM_SIZE=5``. Lists are JSON:
``COPILOT_VOCABULARY__COMPETITORS='["纷享销客", "销售易"]'``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from compliance.config import ComplianceConfig
from copilot.auth import AuthConfig
from copilot.crm.config import CrmConfig
from copilot.insights.config import InsightConfig
from copilot.privacy import PrivacyConfig
from copilot.service.config import ServiceConfig
from copilot.store.db import DatabaseConfig
from retrieval.config import RetrievalConfig
from speech.config import SpeechConfig


class VocabularySettings(BaseModel):
    """Names recognition should spell right; they bias Whisper through its prompt."""

    model_config = ConfigDict(extra="forbid")

    products: list[str] = Field(default_factory=list)
    competitors: list[str] = Field(default_factory=list)
    customers: list[str] = Field(default_factory=list)

    def hotwords(self) -> list[str]:
        return [*self.products, *self.competitors, *self.customers]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="COPILOT_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    environment: Literal["development", "test", "production"] = "development"
    speech: SpeechConfig = Field(default_factory=SpeechConfig)
    vocabulary: VocabularySettings = Field(default_factory=VocabularySettings)
    insights: InsightConfig = Field(default_factory=InsightConfig)
    compliance: ComplianceConfig = Field(default_factory=ComplianceConfig)
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    crm: CrmConfig = Field(default_factory=CrmConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` to re-read."""
    return Settings()
