"""The ordered registry of ecosystems.

Order breaks ties between equally strong claims on one folder: a Rails or
Django app with a ``package.json`` for its assets is a Ruby or Python app.
Node comes after the server-side languages for that reason, and the plain
static site is the explicit fallback, last.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from migrate.inspect.detectors.base import Ecosystem

#: Modules of ``migrate.inspect.detectors`` defining ``ECOSYSTEM``, highest priority first.
ECOSYSTEM_MODULES: tuple[str, ...] = (
    "python",
    "ruby",
    "php",
    "java",
    "dotnet",
    "go",
    "rust",
    "deno",
    "node",
    "static",
)


@cache
def ecosystems() -> tuple[Ecosystem, ...]:
    """Every ecosystem detector, in priority order."""
    return tuple(import_module(f"{__name__}.{m}").ECOSYSTEM for m in ECOSYSTEM_MODULES)


#: What a framework correction says when the app has none of them (``[apps.NAME] framework = "none"``).
NO_FRAMEWORK = "none"


def frameworks_of(language: str | None = None) -> tuple[str, ...]:
    """The frameworks inspect knows for ``language`` (None: for every language), in its detection order."""
    return tuple(dict.fromkeys(f.name for e in ecosystems() if language in (None, e.language) for f in e.frameworks))
