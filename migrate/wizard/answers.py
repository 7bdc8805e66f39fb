"""The wizard's answers, written into migrate.toml's tables (``[apps.NAME]``, ``[ci]``, ``[project]``, ``[deploy]``)
without losing the user's comments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def updated_config(text: str, answers: Mapping[str, Mapping[str, Any]], ci: Mapping[str, str] | None = None,
                   sections: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """``text`` (migrate.toml, possibly empty) with each app's answered keys set (a key answered None is removed:
    the correction it held is no longer wanted); every other line kept as it was.

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
            if all(value is None for value in values.values()):
                continue
            table = tomlkit.table()
            apps[name] = table
        for key, value in values.items():
            if value is not None:
                table[key] = value
            elif key in table:
                del table[key]
    for name, values in {**({"ci": ci} if ci else {}), **(sections or {})}.items():
        section = document.get(name)
        if section is None:
            section = tomlkit.table()
            document[name] = section
        for key, value in values.items():
            if value is not None:
                section[key] = value
            elif key in section:  # answered empty: the earlier setting is no longer wanted
                del section[key]
    return tomlkit.dumps(document)
