"""Orders service: create and list orders; every new order is published on Redis."""

import json
import os

import psycopg
import redis
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

DATABASE_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.getenv("REDIS_URL", "redis://localhost:6379/0")
EVENTS_CHANNEL = os.getenv("ORDERS_EVENTS_CHANNEL", "orders")

app = FastAPI(title="orders")
events = redis.Redis.from_url(REDIS_URL)


class NewOrder(BaseModel):
    sku: str
    quantity: int


def connect() -> psycopg.Connection:
    conn = psycopg.connect(DATABASE_URL, autocommit=True)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS orders (id SERIAL PRIMARY KEY, sku TEXT NOT NULL, quantity INT NOT NULL)"
    )
    return conn


@app.get("/health")
def health() -> dict:
    with connect() as conn:
        conn.execute("SELECT 1")
    return {"status": "ok"}


@app.post("/orders", status_code=201)
def create_order(order: NewOrder) -> dict:
    if order.quantity < 1:
        raise HTTPException(status_code=422, detail="quantity must be positive")
    with connect() as conn:
        row = conn.execute(
            "INSERT INTO orders (sku, quantity) VALUES (%s, %s) RETURNING id", (order.sku, order.quantity)
        ).fetchone()
    created = {"id": row[0], "sku": order.sku, "quantity": order.quantity}
    events.publish(EVENTS_CHANNEL, json.dumps(created))
    return created


@app.get("/orders")
def list_orders() -> list[dict]:
    with connect() as conn:
        rows = conn.execute("SELECT id, sku, quantity FROM orders ORDER BY id").fetchall()
    return [{"id": r[0], "sku": r[1], "quantity": r[2]} for r in rows]
