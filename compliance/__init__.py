"""Compliance scanning of what reps write and say: rule packs, scanner, rewrite suggestions.

A library: it never imports the service (``copilot``) or ``speech``. In a notebook::

    from compliance import Scanner
    result = Scanner().scan("今天定下来我给您打五折。")
    result.compliant, [flag.rule_id for flag in result.flags]

Rules are YAML files, one per category, in ``compliance/rules/``; an organisation changes
them with an overrides file (``ComplianceConfig(overrides_path=...)``).
"""

from compliance.config import ComplianceConfig
from compliance.errors import ComplianceError, RulePackError
from compliance.models import CATEGORIES, Category, Flag, ScanResult, Severity
from compliance.scanner import Scanner
from compliance.store import RulePackStore

__all__ = [
    "CATEGORIES",
    "Category",
    "ComplianceConfig",
    "ComplianceError",
    "Flag",
    "RulePackError",
    "RulePackStore",
    "ScanResult",
    "Scanner",
    "Severity",
]
