from fastapi import FastAPI

app = FastAPI(title="orders")
ORDERS: list[dict[str, int]] = []


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/orders")
def place(product: int) -> dict[str, int]:
    ORDERS.append({"product": product})
    return {"id": len(ORDERS)}
