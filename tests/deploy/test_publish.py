"""Which stage `migrate deploy` builds: the generated Dockerfiles' `production`, else the last one (a user's Dockerfile)."""

from __future__ import annotations

from migrate.deploy.publish import STAGE, build_stage
from migrate.generate.plan import UNKNOWN_START


def test_generated_dockerfiles_build_their_production_stage() -> None:
    text = "FROM python:3.12-slim AS runtime\nCMD [\"app\"]\n\nFROM runtime AS dev\n\nfrom runtime as Production\n"
    assert build_stage(text) == STAGE


def test_a_dockerfile_without_a_production_stage_builds_to_its_last_stage() -> None:
    assert build_stage("FROM node:22-slim AS build\nRUN npm ci\nFROM node:22-slim\nCMD [\"node\", \"server.js\"]\n") is None
    assert build_stage("FROM debian:bookworm-slim\n# production is a word in a comment\n") is None


def test_the_unknown_start_check_follows_the_stage_deploy_builds() -> None:
    from migrate.containers.targets import effective_cmd, last_stage

    user = f"FROM x AS base\nCMD [\"sh\", \"-c\", \"echo '{UNKNOWN_START}'\"]\nFROM base AS app\nCMD [\"./serve\"]\n"
    assert build_stage(user) is None and last_stage(user) == "app"
    assert effective_cmd(user, last_stage(user)) == 'CMD ["./serve"]'
