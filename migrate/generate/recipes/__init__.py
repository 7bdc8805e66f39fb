"""Per-language recipes: an :class:`~migrate.profile.AppProfile` in, a :class:`ContainerPlan` out.

One module per language, each with ``plan(app)``; this module picks the
module by the app's language and owns the per-language ``.dockerignore``
additions.
"""

from __future__ import annotations

from importlib import import_module

from migrate.errors import UserError
from migrate.generate.plan import ContainerPlan
from migrate.profile import AppProfile

#: language -> recipe module under migrate.generate.recipes
RECIPES: dict[str, str] = {
    "python": "python",
    "node": "node",
    "go": "go",
    "rust": "rust",
    "java": "java",
    "dotnet": "dotnet",
    "static": "static",
    "deno": "deno",
    "ruby": "ruby",
    "php": "php",
}

#: Build context entries that are local artefacts of each ecosystem, never source.
DOCKERIGNORE: dict[str, tuple[str, ...]] = {
    "python": ("__pycache__", "*.py[cod]", ".venv", "venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", "*.egg-info", "dist", "build"),
    "node": ("**/node_modules", "**/npm-debug.log*", "**/yarn-error.log*", ".pnpm-store", "**/.next", "**/.nuxt", "**/.output", "**/.svelte-kit", "**/.turbo", ".yarn/cache", ".yarn/unplugged", ".yarn/install-state.gz", ".pnp.*", "dist", "build"),
    "go": ("bin",),
    "java": ("target", "*/target", "*/*/target", "build", "*/build", "*/*/build", ".gradle", "*/.gradle", "*/*/.gradle"),
    "ruby": (".bundle", "vendor/bundle", "log", "tmp", "storage", "node_modules", "public/assets"),
    "php": ("vendor", "node_modules", "storage/logs", "storage/framework/cache", "bootstrap/cache/*.php", "public/hot"),
    "dotnet": ("**/bin", "**/obj", "*.user", "**/*.user"),
    "rust": ("target",),
    "deno": ("node_modules",),
    "static": ("node_modules",),
}


class UnsupportedAppError(UserError):
    """No recipe can containerise this app (an unknown language)."""


def plan_for(app: AppProfile) -> ContainerPlan:
    """The container plan of ``app``, from its language's recipe."""
    language = app.language.value
    if language not in RECIPES:
        raise UnsupportedAppError(
            f"{app.path}: cannot generate container files for language {language or 'unknown'!r}",
            hint="run `migrate inspect` to see what was detected; use --app to skip this app",
        )
    module = import_module(f"{__name__}.{RECIPES[language]}")
    result: ContainerPlan = module.plan(app)
    return _with_release_note(app, result)


def _with_release_note(app: AppProfile, plan: ContainerPlan) -> ContainerPlan:
    """Every language's release step (migrations...) is a one-off task, said once for all recipes."""
    from dataclasses import replace

    release = app.detail("release_command")
    if not release:
        return plan
    note = f"Run {release} once per deploy before the new version starts (a one-off task), not in CMD."
    return replace(plan, notes=(*plan.notes, note))


def dockerignore_patterns(app: AppProfile) -> tuple[str, ...]:
    """The language-specific ``.dockerignore`` lines for ``app``."""
    return DOCKERIGNORE.get(app.language.value or "", ())
