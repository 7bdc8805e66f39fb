"""Pinning images by digest rewrites exactly the external image references."""

from __future__ import annotations

from conftest import EXAMPLES

from migrate.generate import generate
from migrate.generate.pinning import image_references, pin
from migrate.inspect import inspect_tree

DIGEST = "sha256:" + "ab" * 32


def test_references_cover_base_images_and_services_but_not_stages_or_app_images() -> None:
    files = generate(inspect_tree(EXAMPLES / "microservices-shop"))
    refs = image_references(files)
    assert {"python:3.12-slim", "node:22-slim", "golang:1.22-bookworm", "debian:bookworm-slim", "postgres:16", "redis:7"} <= refs
    assert not {"base", "build", "runtime", "probe"} & refs
    assert not any(r.endswith(":dev") for r in refs)


def test_pin_rewrites_every_reference() -> None:
    files = generate(inspect_tree(EXAMPLES / "php-laravel"))
    refs = image_references(files)
    pinned = pin(files, {ref: DIGEST for ref in refs})
    assert image_references(pinned) == set()
    dockerfile = next(f.content for f in pinned if f.path == "Dockerfile")
    assert f"FROM php:8.3-apache-bookworm@{DIGEST} AS base" in dockerfile
    compose = next(f.content for f in pinned if f.path == "compose.yaml")
    assert f'postgres:16@{DIGEST}' in compose


def test_pin_without_digests_changes_nothing() -> None:
    files = generate(inspect_tree(EXAMPLES / "python-flask-postgres"))
    assert pin(files, {}) == files
