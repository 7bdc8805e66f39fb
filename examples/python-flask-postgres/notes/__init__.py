"""A small notes service: Flask, SQLAlchemy Core and PostgreSQL."""

import logging
import os

from flask import Flask

from notes import db
from notes.routes import bp


def create_app(database_url: str | None = None) -> Flask:
    """Build the app; tests pass their own database URL."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY")
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    db.init_app(app, database_url or os.environ["DATABASE_URL"])
    app.register_blueprint(bp)
    return app
