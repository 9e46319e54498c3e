"""Per-org scorecards: checklist items (items.py) and matching what the rep said (matching.py)."""
