"""Settings of the monitor. Where it is served comes from the environment."""

import os
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.getenv("SECRET_KEY", "---")
DEBUG = os.getenv("DEBUG", "False") == "True"
SITE_ROOT = os.getenv("SITE_ROOT", "http://localhost:8000")

if v := os.getenv("ALLOWED_HOSTS"):
    # If ALLOWED_HOSTS is set in the environment, use it
    ALLOWED_HOSTS = v.split(",")
else:
    # Otherwise, the name of SITE_ROOT
    ALLOWED_HOSTS = [urlparse(SITE_ROOT).hostname or "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "monitor.urls"
WSGI_APPLICATION = "monitor.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.getenv("DB_NAME", str(BASE_DIR / "monitor.sqlite")),
    }
}

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
