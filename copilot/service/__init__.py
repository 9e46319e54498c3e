"""The live service: FastAPI app, WebSockets, the call pipeline (see docs/service.md)."""
