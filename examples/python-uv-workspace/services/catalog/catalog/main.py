from fastapi import FastAPI

app = FastAPI(title="catalog")
PRODUCTS = {1: "kettle", 2: "teapot"}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/products")
def products() -> dict[int, str]:
    return PRODUCTS
