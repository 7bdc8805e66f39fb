"""Schema migration, run by the Procfile's release phase before each deploy."""

from myapp.db import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS signups (
    id SERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def main() -> None:
    """Create the tables the app needs."""
    with connect() as conn, conn.cursor() as cur:
        cur.execute(SCHEMA)
    print("schema up to date")


if __name__ == "__main__":
    main()
