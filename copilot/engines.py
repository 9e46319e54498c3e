"""Building the heavy engines from settings, once per process."""

from __future__ import annotations

from functools import lru_cache

from copilot.settings import Settings, get_settings
from speech.engine import SpeechEngine


def build_speech_engine(settings: Settings) -> SpeechEngine:
    return SpeechEngine(settings.speech)


@lru_cache(maxsize=1)
def speech_engine() -> SpeechEngine:
    """The process-wide speech engine: one copy of the Whisper weights for every call."""
    return build_speech_engine(get_settings())
