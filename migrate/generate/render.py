"""The one Jinja2 environment that renders ``dockerfile_templates/``.

StrictUndefined turns a missing value into an error instead of an empty
string, and ``keep_trailing_newline`` keeps files byte-stable. Values from the
user's tree reach templates only through the quoting filters below, one per
target format, so that an app named ``x"; rm -rf /`` or an env value with a
newline cannot inject anything.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from migrate.errors import UserError

_SAFE_NAME = re.compile(r"[^a-z0-9-]+")
# Plain YAML scalars that can only read back as the same string: no indicators, no spaces.
_PLAIN_YAML = re.compile(r"[A-Za-z_./][A-Za-z0-9_./-]*")
_NUMBERISH = re.compile(r"[-+]?(\.?\d[\d._]*([eE][-+]?\d+)?|\.inf|\.nan)", re.IGNORECASE)
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", "."})


def templates_dir() -> Path:
    """The folder holding the templates (inside the installed package, or the source tree)."""
    try:
        packaged = resources.files("migrate.dockerfile_templates")
    except ModuleNotFoundError:  # a source checkout that was never installed
        return Path(__file__).resolve().parents[2] / "dockerfile_templates"
    return Path(str(packaged))


@cache
def environment() -> Any:
    """The shared Jinja2 environment (imported lazily: ``--help`` stays fast)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters.update(
        json=json_value,
        compose_json=compose_json,
        yaml=yaml_scalar,
        dockerfile_str=dockerfile_str,
        exec_form=exec_form,
        comment=comment,
        run_line=run_line,
        slug=slug,
        shell_join=shell_join,
        toml=toml_str,
    )
    return env


class RenderError(UserError):
    """A value from the source tree cannot be written safely into a generated file."""


def render(template: str, **context: Any) -> str:
    """Render one template with ``context``; unsafe values raise :class:`RenderError`."""
    try:
        result: str = environment().get_template(template).render(**context)
    except UnsafeValueError as exc:
        raise RenderError(f"cannot generate {template.rsplit('/', 1)[-1].removesuffix('.j2')}: {exc}") from None
    return result


class UnsafeValueError(ValueError):
    """Raised by a quoting filter for a value that has no safe form in its format."""


def json_value(value: Any) -> str:
    """Any value as a JSON literal (strings fully escaped)."""
    return json.dumps(value, ensure_ascii=False)


def toml_str(value: Any) -> str:
    """A TOML basic string that reads back as exactly ``value``: JSON's escapes are TOML's, but DEL must be escaped too."""
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def compose_json(value: Any) -> str:
    """A JSON literal compose reads back as ``value``: ``$`` is doubled, so compose leaves ``$VAR``
    for the container's shell instead of replacing it with the host's value when it reads the file."""
    return json_value(value).replace("$", "$$")


def yaml_scalar(value: Any) -> str:
    """A YAML scalar that reads back as exactly ``value``.

    JSON is a subset of YAML 1.2 flow syntax, so a JSON string literal is a
    safe double-quoted YAML scalar: quotes, backslashes, newlines and ``#``
    cannot escape it.
    """
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _PLAIN_YAML.fullmatch(text) and text.lower() not in _YAML_WORDS and not _NUMBERISH.fullmatch(text):
        return text  # readable, and provably a plain string scalar
    return json.dumps(text, ensure_ascii=False)


def dockerfile_str(value: Any) -> str:
    """A double-quoted Dockerfile word (ENV, LABEL, ARG values).

    Dockerfile lines cannot contain raw newlines; a value with one is
    rejected rather than silently changed.
    """
    text = str(value)
    if "\n" in text or "\r" in text:
        raise UnsafeValueError(f"a Dockerfile value contains a line break: {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def exec_form(argv: list[str]) -> str:
    """A JSON array for exec-form ``CMD``/``ENTRYPOINT``/``HEALTHCHECK`` (no shell involved)."""
    if not isinstance(argv, (list, tuple)) or not all(isinstance(a, str) for a in argv):
        raise UnsafeValueError(f"exec form needs a list of strings, got {argv!r}")
    return json.dumps(list(argv), ensure_ascii=False)


def run_line(value: Any) -> str:
    """A shell command for one ``RUN`` line: it is the app's own command, but one line only."""
    text = str(value)
    if "\n" in text or "\r" in text:
        raise UnsafeValueError(f"a build command contains a line break: {text!r}")
    return text


def shell_join(argv: Any) -> str:
    """An argv shown as the shell command that runs it (quotes kept: ``nginx -g 'daemon off;'``)."""
    import shlex

    return shlex.join(str(a) for a in argv)


def comment(value: Any) -> str:
    """Text safe inside a ``#`` comment: one line, control characters removed."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", str(value)).strip()


def slug(value: Any) -> str:
    """A lowercase name safe for images, compose services and volumes (``[a-z0-9-]``)."""
    text = _SAFE_NAME.sub("-", str(value).lower()).strip("-")
    return text or "app"
