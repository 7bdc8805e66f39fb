"""Runs against SQLite so it needs no database server; the health check and routes are the same."""

import pytest

from notes import create_app


@pytest.fixture
def client(tmp_path):
    app = create_app(f"sqlite:///{tmp_path / 'notes.db'}")
    app.config["TESTING"] = True
    return app.test_client()


def test_health_queries_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_notes_round_trip(client):
    created = client.post("/notes", json={"body": "buy milk"})
    assert created.status_code == 201
    assert client.get("/notes").get_json() == [{"id": created.get_json()["id"], "body": "buy milk"}]


def test_empty_note_is_rejected(client):
    assert client.post("/notes", json={"body": "  "}).status_code == 400
