"""The notes app, built by its factory."""

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.get("/")
    def index() -> dict[str, list[str]]:
        return {"notes": ["buy milk"]}

    return app
