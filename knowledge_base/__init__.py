"""The approved sales content: scripts, cases, battlecards, questions and phrasings.

The YAML files beside this module are data, installed with the package so that a
non-editable install finds them too.
"""

from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent
COMPETITORS_FILE = CONTENT_DIR / "competitors.yaml"
