"""Board: a small Quart API (Flask's API, async views) with a health route."""

from quart import Quart, request

app = Quart(__name__)
_items: list[str] = []


@app.get("/health")
async def health():
    return {"status": "ok"}


@app.get("/items")
async def list_items():
    return {"items": _items}


@app.post("/items")
async def add_item():
    text = ((await request.get_json(silent=True)) or {}).get("text", "").strip()
    if not text:
        return {"error": "text is required"}, 400
    _items.append(text)
    return {"items": _items}, 201
