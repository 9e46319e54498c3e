"""Versioned LLM prompt templates (Markdown with a YAML header); see README.md."""

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
