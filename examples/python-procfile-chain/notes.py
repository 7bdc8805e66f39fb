"""Notes: a Flask app whose Procfile runs two steps before its server, on every start.

``upgrade-db`` creates the schema when it is missing (as ``flask db upgrade`` does) and
``compile-messages`` turns messages.txt into the messages.json the pages read (as ``flask
translate compile`` builds .mo files): both write files the server then needs, in its own
container. gunicorn has no bind: it listens on $PORT.
"""

import json
import sqlite3
from pathlib import Path

from flask import Flask, jsonify, request

HERE = Path(__file__).parent
DATABASE = HERE / "instance" / "notes.db"
MESSAGES = HERE / "messages.json"

app = Flask(__name__)


@app.cli.command("upgrade-db")
def upgrade_db() -> None:
    """Create the notes table if it is missing; safe to run on every start."""
    DATABASE.parent.mkdir(exist_ok=True)
    with sqlite3.connect(DATABASE) as db:
        db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)")


@app.cli.command("compile-messages")
def compile_messages() -> None:
    """Compile messages.txt (``key = text`` lines) into messages.json."""
    lines = (HERE / "messages.txt").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    MESSAGES.write_text(json.dumps({key.strip(): text.strip() for key, text in pairs}))


@app.get("/")
def index():
    messages = json.loads(MESSAGES.read_text())
    with sqlite3.connect(DATABASE) as db:
        notes = [text for (text,) in db.execute("SELECT text FROM notes ORDER BY id")]
    return jsonify(title=messages["title"], notes=notes or [messages["empty"]])


@app.post("/notes")
def add_note():
    text = (request.get_json(silent=True) or {}).get("text", "").strip()
    if not text:
        return jsonify(error="text is required"), 400
    with sqlite3.connect(DATABASE) as db:
        db.execute("INSERT INTO notes (text) VALUES (?)", (text,))
    return jsonify(text=text), 201
