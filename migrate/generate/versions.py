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
    "go": "golang:{version}-bookworm",
    "java": "eclipse-temurin:{version}-jre",
    "ruby": "ruby:{version}-slim-bookworm",
    "php": "php:{version}-apache-bookworm",
    "dotnet": "mcr.microsoft.com/dotnet/aspnet:{version}",
    "rust": "rust:{version}-slim-bookworm",
    "deno": "denoland/deno:debian-{version}",
}

#: Java build images: Maven's and Gradle's official ones, or the JDK alone when the project has a wrapper.
JAVA_BUILD_IMAGES: dict[str, str] = {"maven": "maven:3.9.9-eclipse-temurin-{java}", "gradle": "gradle:8.10.2-jdk{java}", "wrapper": "eclipse-temurin:{java}-jdk"}

#: The .NET SDK image that restores and publishes (the app ships on RUNTIME_IMAGES["dotnet"]).
DOTNET_SDK_IMAGE = "mcr.microsoft.com/dotnet/sdk:{version}"

#: The final stage of compiled apps (Go, Rust): glibc, a shell for the dev target, nothing else.
DEBIAN_RUNTIME_IMAGE = "debian:bookworm-slim"

#: The non-root static file server (static sites, SPA builds): Debian-based, ships curl.
WEB_SERVER_IMAGE = "nginxinc/nginx-unprivileged:1.27-bookworm"

#: Build images of static-site generators (the site ships on WEB_SERVER_IMAGE).
STATIC_BUILD_IMAGES: dict[str, str] = {"hugo": "golang:1.24-bookworm", "jekyll": "ruby:3.3-bookworm", "mkdocs": "python:3.12-slim"}

#: Deno images are tagged by full release only: the release used when a tree pins just a major (or nothing).
DENO_RELEASES: dict[str, str] = {"1": "1.46.3", "2": "2.6.3"}

#: What the official node images carry besides node and npm (nodejs/docker-node): yarn 1 (links
#: /usr/local/bin/yarn and yarnpkg into /opt/yarn-v1.22.22) through Node 25, stripped from 26 on.
NODE_IMAGE_LAST_YARN1_MAJOR = 25
#: Node bundles corepack (/usr/local/bin/corepack) from 16.9 and 14.19 through 24; Node 25 dropped it.
NODE_COREPACK_FIRST: dict[int, tuple[int, int]] = {14: (14, 19), 16: (16, 9)}
NODE_COREPACK_LAST_MAJOR = 24
#: The first release of each line whose bundled corepack (0.31+) knows npm's 2025 signing keys:
#: an older one refuses pnpm and yarn releases signed since. Lines not named here need a newer one.
NODE_COREPACK_CURRENT_KEYS: dict[int, tuple[int, ...]] = {20: (20, 19, 0), 22: (22, 14, 0), 23: (23, 7, 0), 24: (24,)}

#: Build tools pinned for reproducible images.
TOOLS: dict[str, str] = {
    "uv": "0.13.8",
    "poetry": "2.5.1",
    "poetry-plugin-export": "1.10.1",
    "pipenv": "2026.10.3",
    "pdm": "2.29.4",
    # pdm's HTTP cache, pinned as pdm 2.29.4's "locked" extra pins it: hishel 2.0 breaks every pdm download.
    "hishel": "1.4.0",
    "gunicorn": "23.0.0",
    "uvicorn": "0.34.0",
    "hypercorn": "0.18.0",
    "pnpm": "9.15.0",
    "yarn": "1.22.22",
    "yarn-berry": "4.18.1", "corepack": "0.36.0", "bun": "1.4.5",
    "composer": "2.8", "xdebug": "3.4.1", "phpredis": "6.1.0", "apcu": "5.1.24", "rerun": "0.14.0",
    "hugo": "0.152.2", "jekyll": "4.4.1", "mkdocs": "1.6.1",
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

#: Servers whose client library only speaks to the same major version: image by the client's major.
SERVICE_IMAGES_BY_MAJOR: dict[str, dict[str, str]] = {
    "elasticsearch": {
        "5": "docker.elastic.co/elasticsearch/elasticsearch:5.6.16",
        "6": "docker.elastic.co/elasticsearch/elasticsearch:6.8.23",
        "7": "docker.elastic.co/elasticsearch/elasticsearch:7.17.25",
        "8": "docker.elastic.co/elasticsearch/elasticsearch:8.15.3",
    },
}
