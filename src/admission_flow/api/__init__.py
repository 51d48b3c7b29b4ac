"""The REST API (FastAPI): ``create_app(flow)`` builds it; ``admission-flow serve`` runs it with uvicorn."""

from admission_flow.api.app import create_app

__all__ = ["create_app"]
