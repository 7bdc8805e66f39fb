"""A read-only catalogue, cached in Redis when REDIS_URL is set."""

from fastapi import APIRouter, HTTPException

from app.core.config import settings

router = APIRouter(prefix="/items", tags=["items"])

ITEMS = {1: "kettle", 2: "teapot", 3: "strainer"}

if settings.REDIS_URL:
    import redis

    cache = redis.Redis.from_url(settings.REDIS_URL)
else:
    cache = None


@router.get("/")
def list_items() -> dict[int, str]:
    return ITEMS


@router.get("/{item_id}")
def read_item(item_id: int) -> str:
    if cache is not None and (hit := cache.get(f"item:{item_id}")):
        return hit.decode()
    if item_id not in ITEMS:
        raise HTTPException(status_code=404, detail="no such item")
    if cache is not None:
        cache.set(f"item:{item_id}", ITEMS[item_id])
    return ITEMS[item_id]
