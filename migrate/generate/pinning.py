"""Pin base images by digest: ``python:3.12-slim`` -> ``python:3.12-slim@sha256:...``.

A tag can move; a digest cannot. Pinning is a pure rewrite of rendered files
given a ``{reference: digest}`` map; resolving digests needs a registry (or
the images present locally) and lives in :func:`migrate.containers.engine.resolve_digest`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrate.generate import GeneratedFile

# FROM <image> [AS name], and COPY --from=<image> (an image, unless it names an earlier stage).
_FROM = re.compile(r"^(FROM\s+)(?!--)(\S+)", re.MULTILINE | re.IGNORECASE)
_STAGE = re.compile(r"^FROM\s+\S+\s+AS\s+(\S+)", re.MULTILINE | re.IGNORECASE)
_COPY_FROM = re.compile(r"^(COPY\s+(?:--\S+\s+)*--from=)(\S+)", re.MULTILINE | re.IGNORECASE)
_COMPOSE_IMAGE = re.compile(r'^(\s+image:\s+"?)([^"\s]+)("?)$', re.MULTILINE)


def image_references(files: Iterable[GeneratedFile]) -> set[str]:
    """Every external image the generated files pull (base images and compose backing services)."""
    refs: set[str] = set()
    for file in files:
        if file.path.rsplit("/", 1)[-1] == "Dockerfile":
            stages = set(_STAGE.findall(file.content))
            refs.update(r for r in _FROM.findall(file.content) for r in [r[1]] if r not in stages and r != "scratch")
            refs.update(r[1] for r in _COPY_FROM.findall(file.content) if r[1] not in stages and not r[1].isdigit())
        elif file.output == "compose" and file.path == "compose.yaml":
            refs.update(m[1] for m in _COMPOSE_IMAGE.findall(file.content) if ":" in m[1] and not m[1].endswith(":dev"))
    return {r for r in refs if "@" not in r}


def pin(files: Iterable[GeneratedFile], digests: dict[str, str]) -> tuple[GeneratedFile, ...]:
    """The files with every reference in ``digests`` rewritten to ``ref@digest``."""
    from dataclasses import replace

    def sub(match: re.Match[str]) -> str:
        ref = match.group(2)
        tail = match.group(3) if match.re is _COMPOSE_IMAGE else ""
        return f"{match.group(1)}{ref}@{digests[ref]}{tail}" if ref in digests else match.group(0)

    pinned = []
    for file in files:
        content = file.content
        for pattern in (_FROM, _COPY_FROM, _COMPOSE_IMAGE):
            content = pattern.sub(sub, content)
        pinned.append(replace(file, content=content))
    return tuple(pinned)
