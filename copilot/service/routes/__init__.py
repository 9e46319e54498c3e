"""The service's HTTP routes, one module per area (see docs/service.md for the table)."""

from __future__ import annotations

from fastapi import APIRouter

from copilot.service.routes import (
    auth,
    calls,
    compliance,
    flags,
    followups,
    labels,
    review,
    scorecards,
    suggestions,
    transcripts,
)

router = APIRouter(prefix="/v1")
for _module in (
    auth,
    compliance,
    suggestions,
    calls,
    review,
    followups,
    flags,
    labels,
    transcripts,
    scorecards,
):
    router.include_router(_module.router)
