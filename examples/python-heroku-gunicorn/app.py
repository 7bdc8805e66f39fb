"""Guestbook: a Heroku-style Flask app. Gunicorn binds $PORT itself (no --bind in the Procfile)."""

from flask import Flask, jsonify, request

app = Flask(__name__)
_entries: list[str] = []


@app.get("/")
def index():
    return jsonify(entries=_entries)


@app.post("/entries")
def add_entry():
    text = (request.get_json(silent=True) or {}).get("text", "").strip()
    if not text:
        return jsonify(error="text is required"), 400
    _entries.append(text)
    return jsonify(entries=_entries), 201
