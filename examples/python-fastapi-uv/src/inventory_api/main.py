"""HTTP API for stock levels."""

import os

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from pymongo.errors import PyMongoError

from inventory_api.db import database

APP_ENV = os.getenv("APP_ENV", "development")

app = FastAPI(title="inventory-api", docs_url=None if APP_ENV == "production" else "/docs")


class StockLevel(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=0)


@app.get("/health")
def health() -> dict[str, str]:
    try:
        database().command("ping")
    except PyMongoError as exc:
        raise HTTPException(status_code=503, detail="database unavailable") from exc
    return {"status": "ok", "env": APP_ENV}


@app.get("/stock/{sku}")
def get_stock(sku: str) -> StockLevel:
    doc = database().stock.find_one({"sku": sku}, {"_id": 0})
    if doc is None:
        raise HTTPException(status_code=404, detail="unknown sku")
    return StockLevel(**doc)


@app.put("/stock/{sku}")
def set_stock(sku: str, level: StockLevel) -> StockLevel:
    if level.sku != sku:
        raise HTTPException(status_code=400, detail="sku in path and body differ")
    database().stock.update_one({"sku": sku}, {"$set": level.model_dump()}, upsert=True)
    return level
