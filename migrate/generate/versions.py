"""Pinned versions of everything generated files pull in, kept as data.

Base images are pinned to a version tag (never ``latest``); tools installed
during a build are pinned to an exact release so a rebuild next month gives
the same image. Bump them here, in one place.
"""

from __future__ import annotations

#: Runtime base images by language; ``{version}`` is the app's runtime version.
RUNTIME_IMAGES: dict[str, str] = {
    "python": "python:{version}-slim",
    "node": "node:{version}-slim",
    "go": "golang:{version}",
    "java": "eclipse-temurin:{version}-jre",
    "ruby": "ruby:{version}-slim",
    "php": "php:{version}-apache",
    "dotnet": "mcr.microsoft.com/dotnet/aspnet:{version}",
    "rust": "rust:{version}-slim",
    "deno": "denoland/deno:{version}",
}

#: Build tools pinned for reproducible images.
TOOLS: dict[str, str] = {
    "uv": "0.13.8",
    "poetry": "2.5.1",
    "poetry-plugin-export": "1.10.1",
    "pipenv": "2026.10.3",
    "pdm": "2.29.4",
    "gunicorn": "23.0.0",
    "uvicorn": "0.34.0",
    "pnpm": "9.15.0",
    "yarn": "1.22.22",
}

#: Backing services for local development: image pinned to a major (or minor) line.
SERVICE_IMAGES: dict[str, str] = {
    "postgres": "postgres:16",
    "mysql": "mysql:8.4",
    "redis": "redis:7",
    "mongodb": "mongo:7",
    "rabbitmq": "rabbitmq:3.13-management",
    "kafka": "apache/kafka:3.9.0",
    "elasticsearch": "docker.elastic.co/elasticsearch/elasticsearch:8.15.3",
}
