from flask import Blueprint, abort, jsonify, request
from sqlalchemy import insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from notes.db import engine, notes

bp = Blueprint("notes", __name__)


@bp.get("/health")
def health():
    try:
        with engine().connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="database unavailable"), 503
    return jsonify(status="ok")


@bp.get("/notes")
def list_notes():
    with engine().connect() as conn:
        rows = conn.execute(select(notes.c.id, notes.c.body).order_by(notes.c.id)).all()
    return jsonify([{"id": r.id, "body": r.body} for r in rows])


@bp.post("/notes")
def add_note():
    body = (request.get_json(silent=True) or {}).get("body", "").strip()
    if not body:
        abort(400, "body is required")
    with engine().begin() as conn:
        note_id = conn.execute(insert(notes).values(body=body).returning(notes.c.id)).scalar_one()
    return jsonify(id=note_id, body=body), 201
