"""Postgres access with psycopg2: one short-lived connection per call keeps the example simple."""

import os
from contextlib import contextmanager

import psycopg2


@contextmanager
def connect():
    """A connection that commits on success and always closes."""
    conn = psycopg2.connect(os.environ["DATABASE_URL"])
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def ping() -> bool:
    """Whether the database answers."""
    try:
        with connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
        return True
    except psycopg2.Error:
        return False


def add_signup(email: str) -> bool:
    """Store a sign-up; False if the address was already on the list."""
    with connect() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO signups (email) VALUES (%s) ON CONFLICT (email) DO NOTHING", (email,))
        return cur.rowcount == 1


def count_signups() -> int:
    """How many people are on the list."""
    with connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM signups")
        return cur.fetchone()[0]
