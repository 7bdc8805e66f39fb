"""Waitlist: a small Flask app that collects sign-ups and emails a welcome note from a worker."""

import os

from flask import Flask, jsonify, request
from redis import Redis
from rq import Queue

from myapp import db


def create_app() -> Flask:
    """Build the Flask application."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    queue = Queue("emails", connection=Redis.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0")))

    @app.get("/health")
    def health():
        return jsonify(status="ok", database=db.ping())

    @app.get("/")
    def index():
        return jsonify(service="waitlist", signups=db.count_signups())

    @app.post("/signups")
    def signup():
        email = (request.get_json(silent=True) or {}).get("email", "").strip().lower()
        if "@" not in email:
            return jsonify(error="a valid email is required"), 400
        if db.add_signup(email):
            queue.enqueue("myapp.tasks.send_welcome_email", email)
        return jsonify(email=email), 201

    return app
