"""A Flask app factory that keeps its SQLite database in the instance folder, as Flask's tutorial does."""

import os
import sqlite3

from flask import Flask, g, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY=os.environ.get("SECRET_KEY", "dev"), DATABASE=os.path.join(app.instance_path, "links.sqlite"))
    # The instance folder sits beside the package: the app creates it at start-up.
    os.makedirs(app.instance_path, exist_ok=True)

    def db() -> sqlite3.Connection:
        if "db" not in g:
            g.db = sqlite3.connect(app.config["DATABASE"])
            g.db.execute("CREATE TABLE IF NOT EXISTS link (url TEXT NOT NULL)")
        return g.db

    @app.teardown_appcontext
    def close(_: object) -> None:
        connection = g.pop("db", None)
        if connection is not None:
            connection.close()

    @app.get("/")
    def index():
        return jsonify([row[0] for row in db().execute("SELECT url FROM link")])

    @app.post("/links")
    def add():
        db().execute("INSERT INTO link (url) VALUES (?)", (request.get_json()["url"],))
        db().commit()
        return {"ok": True}, 201

    return app
