from fastapi.testclient import TestClient

from inventory_api.main import app


def test_unknown_route_is_404() -> None:
    assert TestClient(app).get("/nope").status_code == 404
