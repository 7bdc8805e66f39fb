"""The wizard's answers, written into migrate.toml's ``[apps.NAME]`` tables without losing the user's comments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def updated_config(text: str, answers: Mapping[str, Mapping[str, Any]], ci: Mapping[str, str] | None = None) -> str:
    """``text`` (migrate.toml, possibly empty) with each app's answered keys set; every other line kept as it was.

    tomlkit edits the document in place, so the user's comments, key order and other keys survive
    a second run (tomllib only reads; a dump of a plain dict would drop every comment).
    """
    import tomlkit

    document = tomlkit.parse(text)
    apps = document.get("apps")
    if apps is None:
        apps = tomlkit.table(is_super_table=True)
        document["apps"] = apps
    for name, values in answers.items():
        table = apps.get(name)
        if table is None:
            table = tomlkit.table()
            apps[name] = table
        for key, value in values.items():
            table[key] = value
    if ci:
        section = document.get("ci")
        if section is None:
            section = tomlkit.table()
            document["ci"] = section
        for key, value in ci.items():
            section[key] = value
    return tomlkit.dumps(document)
