"""MongoDB access: one client per process, created on first use."""

import os
from functools import lru_cache

from pymongo import MongoClient
from pymongo.database import Database


@lru_cache(maxsize=1)
def client() -> MongoClient:
    # Fail fast at start-up rather than on the first request.
    return MongoClient(os.environ["MONGODB_URL"], serverSelectionTimeoutMS=3000)


def database() -> Database:
    return client().get_default_database(default="inventory")
