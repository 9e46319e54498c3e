"""Versioned LLM prompt templates (Markdown with a YAML header); see README.md."""
