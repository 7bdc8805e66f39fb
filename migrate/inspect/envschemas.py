"""Environment variables declared in a settings schema rather than read one call at a time.

Some apps never name ``os.environ`` next to a variable: a library reads every
field of a declared schema from the environment. Each reader here turns one
such schema into :class:`EnvRead` facts, with the schema's own rule for
"required":

- pydantic-settings ``BaseSettings``: a field with no default and no ``None``
  in its type fails validation at start-up; ``env_prefix`` (``model_config`` or
  the v1 ``class Config``) and ``alias``/``validation_alias``/``env`` name it.
- clap (and structopt) ``#[arg(env)]``: a field with no ``default_value`` that
  is not ``Option<_>``, ``bool`` or ``Vec<_>`` is a required argument; ``env``
  alone names the variable after the field, upper-case.
- Prisma ``env("X")`` in ``schema.prisma``: the client refuses to start without it.
- Go option tables (miniflux): a map literal keyed by environment-style names,
  in an app that reads the environment through a variable (``os.Getenv(key)``,
  ``os.Environ()``): each key is a variable, its entry's value the default.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from migrate.inspect.detectors.base import EnvRead
from migrate.profile import Evidence

# ---------------------------------------------------------------- pydantic-settings

#: Annotation names -> the shape of the value they parse (see EnvVar.shape).
_PYDANTIC_SHAPES = {
    "EmailStr": "email", "NameEmail": "email", "HttpUrl": "url", "AnyUrl": "url", "AnyHttpUrl": "url",
    "int": "int", "float": "float", "bool": "bool", "Literal": "choice", "SecretStr": None, "str": None,
}  # fmt: skip


def pydantic_settings(path: str, text: str) -> Iterator[EnvRead]:
    """Fields of every ``BaseSettings`` subclass in a Python module."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    settings: set[str] = {"BaseSettings"}
    for node in module.body:
        if isinstance(node, ast.ClassDef) and any(_name(base) in settings for base in node.bases):
            settings.add(node.name)  # a subclass of a settings class is one too
            yield from _settings_fields(path, node)


def _settings_fields(path: str, cls: ast.ClassDef) -> Iterator[EnvRead]:
    prefix, case_sensitive = _settings_config(cls)
    for stmt in cls.body:
        if not isinstance(stmt, ast.AnnAssign) or not isinstance(stmt.target, ast.Name):
            continue
        field = stmt.target.id
        if field.startswith("_") or _name(stmt.annotation) == "ClassVar" or _is_subscript_of(stmt.annotation, "ClassVar"):
            continue
        alias, has_default, default = _field_value(stmt.value)
        name = alias or prefix + field
        name = name if case_sensitive else name.upper()
        optional = has_default or _allows_none(stmt.annotation)
        evidence = Evidence(path, stmt.lineno, f"pydantic-settings field {cls.name}.{field}")
        yield EnvRead(name, evidence, default, optional, shape=_shape(stmt.annotation))


def _settings_config(cls: ast.ClassDef) -> tuple[str, bool]:
    """``env_prefix`` and ``case_sensitive`` from ``model_config = SettingsConfigDict(...)`` or ``class Config``."""
    options: dict[str, object] = {}
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets):
            if isinstance(stmt.value, ast.Call):
                options.update({k.arg: _literal(k.value) for k in stmt.value.keywords if k.arg})
            elif isinstance(stmt.value, ast.Dict):
                pairs = zip(stmt.value.keys, stmt.value.values, strict=True)
                options.update({key: _literal(v) for k, v in pairs if isinstance(key := _literal(k), str)})
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            options.update({t.id: _literal(s.value) for s in stmt.body if isinstance(s, ast.Assign) for t in s.targets if isinstance(t, ast.Name)})
    prefix = options.get("env_prefix")
    return (prefix if isinstance(prefix, str) else ""), options.get("case_sensitive") is True


def _field_value(value: ast.expr | None) -> tuple[str | None, bool, str | None]:
    """``(alias, has_default, default)`` of a field's assigned value (``= 5``, ``= Field(...)``)."""
    if value is None:
        return None, False, None
    if isinstance(value, ast.Call) and _name(value.func) == "Field":
        keywords = {k.arg: k.value for k in value.keywords if k.arg}
        alias = next((v for k in ("validation_alias", "alias", "env") if isinstance(v := _literal(keywords.get(k)), str)), None)
        positional = value.args[0] if value.args else keywords.get("default")
        has_default = "default_factory" in keywords or (positional is not None and not _is_ellipsis(positional))
        return alias, has_default, _text(positional) if has_default and positional is not None else None
    if _is_ellipsis(value):
        return None, False, None
    return None, True, _text(value)


def _allows_none(annotation: ast.expr) -> bool:
    """``X | None``, ``Optional[X]``, ``Union[X, None]``."""
    if isinstance(annotation, ast.BinOp):
        return _allows_none(annotation.left) or _allows_none(annotation.right)
    if isinstance(annotation, ast.Constant):
        return annotation.value is None
    if isinstance(annotation, ast.Subscript) and _name(annotation.value) in ("Optional", "Union"):
        inner = annotation.slice
        return _name(annotation.value) == "Optional" or any(_allows_none(e) for e in getattr(inner, "elts", [inner]))
    return False


def _shape(annotation: ast.expr) -> str | None:
    if isinstance(annotation, ast.BinOp):  # X | None: the shape of X
        return _shape(annotation.left) if not _allows_none(annotation.left) else _shape(annotation.right)
    if isinstance(annotation, ast.Subscript):
        if _name(annotation.value) == "Optional":
            return _shape(annotation.slice)
        return _PYDANTIC_SHAPES.get(_name(annotation.value) or "")
    name = _name(annotation) or ""
    return "dsn" if name.endswith("Dsn") else _PYDANTIC_SHAPES.get(name)


def _name(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_subscript_of(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Subscript) and _name(node.value) == name


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _literal(node: ast.expr | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def _text(node: ast.expr) -> str | None:
    """A default as text when it is a plain literal (``"x"``, ``5``, ``True``); None for expressions."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool)):
        return str(node.value)
    return None


# ---------------------------------------------------------------- clap / structopt

_CLAP_ATTR = re.compile(r"#\[\s*(?:arg|clap|structopt)\s*\(")
# After the attribute: doc comments, comments and other attributes, then ``pub name: Type``.
_CLAP_FIELD = re.compile(r"\s*\](?:\s+|//[^\n]*|#\[[^\]]*\])*\s*(?:pub(?:\([^)]*\))?\s+)?([a-z_][a-z0-9_]*)\s*:\s*([^\n]+)")
_CLAP_ENV = re.compile(r"(?<![\w.])env\s*(?:=\s*\"([A-Za-z_][A-Za-z0-9_]*)\")?(?=\s*[,)]|\s*$)")
_CLAP_DEFAULT = re.compile(r"\bdefault_values?(?:_t|_os_t|_ifs?)?\s*=\s*(?:\"([^\"\n]*)\"|([\w.:-]+))")
_RUST_SHAPES = {"bool": "bool", "Url": "url", "SocketAddr": "address", "IpAddr": "address"}


def clap_args(path: str, text: str) -> Iterator[EnvRead]:
    """Fields of clap/structopt structs that can be set from the environment."""
    for attr in _CLAP_ATTR.finditer(text):
        args = _balanced(text, attr.end() - 1)
        if args is None:
            continue
        env = _CLAP_ENV.search(args)
        field = _CLAP_FIELD.match(text, attr.end() + len(args) + 1)  # just past the closing parenthesis
        if env is None or field is None:
            continue
        kind = field.group(2).strip().rstrip(",").strip()
        default = _CLAP_DEFAULT.search(args)
        value = (default.group(1) if default.group(1) is not None else default.group(2)) if default else None
        optional = default is not None or kind.startswith(("Option<", "Vec<", "bool")) or re.search(r"\brequired\s*=\s*false\b", args) is not None
        line = text.count("\n", 0, attr.start()) + 1
        base = re.sub(r"<.*", "", kind).rsplit("::", 1)[-1]
        shape = _RUST_SHAPES.get(base) or ("int" if re.fullmatch(r"[iu](?:8|16|32|64|128|size)", base) else None)
        yield EnvRead(env.group(1) or field.group(1).upper(), Evidence(path, line, "clap argument read from the environment"), value, optional, shape=shape)


def _balanced(text: str, open_at: int) -> str | None:
    """The text inside the parentheses that open at ``open_at`` (string literals may hold parentheses)."""
    depth, i, quoted = 0, open_at, False
    while i < len(text):
        char = text[i]
        if quoted:
            quoted = char != '"' or text[i - 1] == "\\"
        elif char == '"':
            quoted = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : i]
        i += 1
    return None


# ---------------------------------------------------------------- Prisma

_PRISMA_ENV = re.compile(r"^\s*(\w+)\s*=\s*env\(\s*\"([A-Za-z_][A-Za-z0-9_]*)\"\s*\)", re.MULTILINE)


def prisma_schema(path: str, text: str) -> Iterator[EnvRead]:
    """``url = env("DATABASE_URL")``: a connection string Prisma needs before it can start."""
    for match in _PRISMA_ENV.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        shape = "dsn" if match.group(1).lower().endswith("url") else None
        yield EnvRead(match.group(2), Evidence(path, line, f"Prisma schema {match.group(1)}"), shape=shape)


# ---------------------------------------------------------------- Go option tables

_GO_MAP = re.compile(r"\bmap\[string\][\w.*\[\]]*\s*\{")
_GO_KEY = re.compile(r'^\s*"([A-Z][A-Z0-9_]+)"\s*:\s*', re.MULTILINE)
#: The environment read through a variable, as an option table is: ``os.Getenv(key)``, ``os.Environ()``.
GO_DYNAMIC_READ = re.compile(r"\bos\.(?:Environ\(\s*\)|(?:Getenv|LookupEnv)\(\s*[a-zA-Z_][\w.]*\s*\))")
_GO_STRING_ENTRY = re.compile(r'\s*"([^"\n]*)"')
_GO_STRUCT_ENTRY = re.compile(r"\s*&?[\w.]*\s*\{")
_GO_DEFAULT_FIELD = re.compile(r'\b(?:[rR]awValue|[dD]efault(?:Value)?|[vV]alue)\s*:\s*"([^"\n]*)"')


def go_option_table(path: str, text: str) -> Iterator[EnvRead]:
    """Keys of a map literal that look like environment variables.

    The table must have three or more ``A_B``-style keys (a map of ``"GET"``/``"POST"`` is not one).
    """
    for table in _GO_MAP.finditer(text):
        body = _braced(text, table.end() - 1)
        keys = [k for k in _GO_KEY.finditer(body) if _depth(body, k.start()) == 0]
        if sum("_" in k.group(1) for k in keys) < 3:
            continue
        offset = table.end()
        for key in keys:
            value = _go_default(body, key.end())
            line = text.count("\n", 0, offset + key.start(1)) + 1
            yield EnvRead(key.group(1), Evidence(path, line, "option table read from the environment"), value, True)


def _go_default(body: str, offset: int) -> str | None:
    """An entry's default: the entry itself when a string, else its ``default:``/``rawValue:`` field."""
    plain = _GO_STRING_ENTRY.match(body, offset)
    if plain:
        return plain.group(1)
    struct = _GO_STRUCT_ENTRY.match(body, offset)  # {...} or &configValue{...}
    field = _GO_DEFAULT_FIELD.search(_braced(body, struct.end() - 1)) if struct else None
    return field.group(1) if field else None


def _braced(text: str, open_at: int) -> str:
    """The text inside the braces that open at ``open_at`` (to the end when unbalanced)."""
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[open_at + 1 : i]
    return text[open_at + 1 :]


def _depth(body: str, offset: int) -> int:
    return body.count("{", 0, offset) - body.count("}", 0, offset)
