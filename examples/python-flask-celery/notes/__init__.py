"""Notes: store a note, and let the Celery worker count its words."""

import os

from flask import Flask, jsonify, request
from flask_migrate import Migrate

from notes.models import Note, db


def create_app() -> Flask:
    """Build the Flask application (Flask-Migrate's `flask db upgrade` builds the schema)."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    Migrate(app, db)

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    @app.get("/notes")
    def list_notes():
        notes = db.session.scalars(db.select(Note).order_by(Note.id)).all()
        return jsonify([note.to_json() for note in notes])

    @app.post("/notes")
    def add_note():
        from notes.tasks import count_words

        text = str((request.get_json(silent=True) or {}).get("text", "")).strip()
        if not text:
            return jsonify(error="text is required"), 400
        note = Note(text=text)
        db.session.add(note)
        db.session.commit()
        count_words.delay(note.id)
        return jsonify(note.to_json()), 201

    return app
