"""One SQLAlchemy engine per app, and the notes table."""

from flask import Flask, current_app
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, create_engine, func
from sqlalchemy.engine import Engine

metadata = MetaData()

notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)


def _driver_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy needs the psycopg 3 dialect named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def init_app(app: Flask, database_url: str) -> None:
    engine = create_engine(_driver_url(database_url), pool_pre_ping=True)
    metadata.create_all(engine)
    app.extensions["engine"] = engine


def engine() -> Engine:
    return current_app.extensions["engine"]
