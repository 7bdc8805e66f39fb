"""Environment variables a Node app declares in a validation schema rather than reads one by one.

Many Node apps name ``process.env`` once and validate the whole environment
against a schema; the variables then appear only as the schema's keys. Each
library has its own rule for "required", read from the field's expression:

- envalid ``cleanEnv(process.env, { PORT: port({ default: 3000 }), DATABASE_URL: url() })``:
  a field without ``default`` is required. ``devDefault`` applies only when
  ``NODE_ENV`` is set and not ``production``, so the variable stays required
  (production refuses to start without it) and the dev default is its default:
  compose, which runs the dev target, then gives it no made-up value.
- Zod ``z.object({...})`` parsed from ``process.env`` (``.parse``, ``.safeParse``),
  and t3-env ``createEnv({ server: {...}, client: {...}, shared: {...} })``:
  a field is optional with ``.optional()``, ``.nullish()``, ``.default(...)``
  or ``.catch(...)``. A field that picks its schema by a condition
  (``NODE_ENV === "production" ? z.string() : z.string().optional()``) is
  required when any branch is: production takes one of them.
- env-var ``env.get("X").required().asString()``: required with ``.required()``
  (not ``.required(false)``), optional otherwise; ``.default("v")`` gives the default.
- t3-env's ``skipValidation: !!process.env.SKIP_ENV_VALIDATION`` names the variable that turns
  the check off: :func:`skip_validation` finds it, so a build (``next build`` imports the env
  module) can run without the runtime's secrets.
- Joi ``Joi.object({...})`` (or ``.keys({...})``) validated against ``process.env``:
  keys are optional unless ``.required()`` (or the schema sets ``presence: "required"``
  and the key has neither ``.optional()`` nor ``.default(...)``).
- env-schema and ``@fastify/env``: a JSON schema ``{ required: [...], properties: {...} }``;
  a property is required when ``required`` names it and it has no ``default`` (env-schema
  fills defaults in before it validates).
- class-validator classes: upper-case properties with the library's checks, either read from the
  environment in their initializers (``@IsNotEmpty() public UTILS_SECRET = environment.UTILS_SECRET ?? ""``,
  through any name for it: Outline) or named after the variables (NestJS's documented
  ``@IsNumber() PORT: number`` class, given ``process.env`` by ``validateSync(plainToInstance(...))``).
  A property is optional with ``@IsOptional()``, ``?``, or a fallback its checks accept (``?? ""``
  fails ``@IsNotEmpty()``).

A required field is *needed*: the validator throws at start-up whatever other
reads of the variable say. Keys come from object literals, found with a small
scanner that knows JavaScript's strings, comments and regex literals.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from migrate.inspect.detectors.base import EnvRead
from migrate.profile import Evidence

_VALUE = r"(?:\"([^\"\n]*)\"|'([^'\n]*)'|`([^`$\n]*)`|(-?\d+(?:\.\d+)?|true|false))"
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_KEY = re.compile(r"\s*(?:\"([^\"\n]+)\"|'([^'\n]+)'|([A-Za-z_$][\w$]*))\s*:")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# After these, a ``/`` starts a regex literal rather than a division.
_REGEX_AFTER = frozenset("(,=:[!&|?{};+-*%<>~^")


#: The libraries' names :func:`needs_scan` looks for first; a file with none of them (nor ``process.env``) has no schema.
NEEDLES = ("cleanEnv", "createEnv", "env-var", "env-schema", "@fastify/env")


def needs_scan(text: str, may_name_process_env: bool = True) -> bool:
    """Cheap test: whether ``text`` may hold a schema this module reads.

    ``may_name_process_env`` False says the caller knows ``text`` has no ``process.env`` (it has no ``.env``).
    """
    for needle in NEEDLES:
        if needle in text:
            return True
    # Not among NEEDLES, which every JavaScript file is screened for: an environment class is named after
    # the environment or reads it (``class EnvironmentVariables``, ``environment.PORT``), so holds "env"
    # or "Env", which that screen looks for first.
    if "class-validator" in text:
        return True
    # An object schema given process.env: the file imports zod or joi (``.object`` alone is PropTypes.object too).
    return may_name_process_env and "process.env" in text and ".object" in text and ("zod" in text or "joi" in text or "Joi" in text)


def env_schemas(path: str, text: str) -> Iterator[EnvRead]:
    """Every variable declared by an envalid, Zod, t3-env, Joi, env-schema or class-validator schema in one JavaScript/TypeScript file."""
    code = _Code(text)
    if "cleanEnv" in text:
        yield from _envalid(path, code)
    if "createEnv" in text:
        yield from _t3_env(path, code)
    if "process.env" in text:
        yield from _validated_objects(path, code)
    if "env-var" in text:
        yield from _env_var(path, code)
    if "env-schema" in text or "@fastify/env" in text:
        yield from _json_schema(path, code)
    if "class-validator" in text:
        yield from _class_validator(path, code)


# ---------------------------------------------------------------- JavaScript literals


@dataclass(frozen=True)
class _Entry:
    """One ``key: value`` of an object literal; ``at`` is the key's offset in the file."""

    key: str
    at: int
    #: The value's code, comments removed (strings kept: defaults are read from it)...
    value: str
    #: ...and with the strings' insides blanked too (what the code does, not what a string says).
    code: str
    value_at: int


class _Code:
    """A JavaScript file's text with its strings, comments and regex literals located once.

    ``mask`` has every character inside a string, comment or regex literal replaced by a space, so
    brackets and commas found in it are the code's own; ``bare`` has only the comments blanked.
    Offsets are the same in all three.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.mask, self.bare = _mask(text)

    def close(self, open_at: int) -> int:
        """The offset of the bracket closing the one at ``open_at`` (the end of the text when unbalanced)."""
        depth = 0
        for i in range(open_at, len(self.mask)):
            char = self.mask[i]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
                if depth == 0:
                    return i
        return len(self.mask)

    def split(self, open_at: int) -> list[tuple[int, int]]:
        """``(start, end)`` of each top-level comma-separated part inside the bracket at ``open_at``."""
        end = self.close(open_at)
        parts, depth, start = [], 0, open_at + 1
        for i in range(open_at + 1, end):
            char = self.mask[i]
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth -= 1
            elif char == "," and depth == 0:
                parts.append((start, i))
                start = i + 1
        if self.mask[start:end].strip():
            parts.append((start, end))
        return parts

    def entries(self, open_at: int) -> list[_Entry]:
        """The ``key: value`` entries of the object literal whose ``{`` is at ``open_at`` (spreads skipped)."""
        result = []
        for start, end in self.split(open_at):
            key = _KEY.match(self.mask, start)
            if key is None:
                continue
            # The key's own text (the mask blanks quoted keys): read it where only comments are blanked.
            named = _KEY.match(self.bare, key.start())
            if named is None:
                continue
            name = next(g for g in named.groups() if g is not None)
            offset = named.start() + len(named.group(0)) - len(named.group(0).lstrip())
            value = slice(key.end(), end)
            result.append(_Entry(name, offset, self.bare[value].strip(), self.mask[value].strip(), key.end()))
        return result

    def line(self, offset: int) -> int:
        """The 1-based line of ``offset``."""
        return self.text.count("\n", 0, offset) + 1

    def next_code(self, offset: int) -> int:
        """The offset of the first character at or after ``offset`` that is not blank, a comment or a string's inside."""
        while offset < len(self.mask) and self.mask[offset].isspace():
            offset += 1
        return offset


def _mask(text: str) -> tuple[str, str]:
    """``text`` with the insides of strings, template literals, comments and regex literals blanked; and with only comments blanked."""
    out, bare = list(text), list(text)
    i, n, last = 0, len(text), "("
    while i < n:
        char = text[i]
        if char in "\"'`":
            j = i + 1
            while j < n and text[j] != char and (char == "`" or text[j] != "\n"):
                j += 2 if text[j] == "\\" else 1
            _blank(out, i + 1, min(j, n))
            i, last = j + 1, char
            continue
        if text.startswith("//", i) or text.startswith("/*", i):
            j = text.find("\n" if text[i + 1] == "/" else "*/", i + 2)
            j = n if j < 0 else j + (0 if text[i + 1] == "/" else 2)
            _blank(out, i, j)
            _blank(bare, i, j)
            i = j
            continue
        if char == "/" and last in _REGEX_AFTER:
            j, in_class = i + 1, False
            while j < n and text[j] != "\n" and (in_class or text[j] != "/"):
                in_class = (in_class or text[j] == "[") and text[j] != "]"
                j += 2 if text[j] == "\\" else 1
            _blank(out, i + 1, min(j, n))
            i, last = j + 1, "/"
            continue
        if not char.isspace():
            last = char
        i += 1
    return "".join(out), "".join(bare)


def _blank(out: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        if out[k] != "\n":
            out[k] = " "


def _resolve_object(code: _Code, offset: int, depth: int = 0) -> int | None:
    """The ``{`` of the object literal the expression at ``offset`` stands for, following a variable's declaration."""
    offset = code.next_code(offset)
    if offset < len(code.mask) and code.mask[offset] == "{":
        return offset
    name = _IDENT.match(code.mask, offset)
    if name is None or depth > 2:
        return None
    declared = re.search(rf"\b(?:const|let|var)\s+{re.escape(name.group(0))}\s*(?::[^=]*)?=\s*", code.mask)
    return _resolve_object(code, declared.end(), depth + 1) if declared else None


def _value(pattern: str, text: str) -> str | None:
    """The literal a ``pattern`` followed by a value (``default: 3000``) gives, unquoted."""
    match = re.search(pattern + _VALUE, text)
    return next((g for g in match.groups() if g is not None), None) if match else None


def _read(path: str, code: _Code, entry: _Entry, reason: str, field: tuple[bool, str | None, str | None, bool]) -> EnvRead | None:
    """An :class:`EnvRead` for a schema field ``(optional, default, shape, needed)``; None for a key no variable can have."""
    if not _ENV_NAME.fullmatch(entry.key):
        return None
    optional, default, shape, needed = field
    evidence = Evidence(path, code.line(entry.at), reason)
    return EnvRead(entry.key, evidence, default, optional, shape=shape, needed=needed)


# ---------------------------------------------------------------- envalid

_CLEAN_ENV = re.compile(r"\b(?:cleanEnv|customCleanEnv)\s*(?:<[^>()]*>)?\s*\(")
_ENVALID_SHAPES = {"bool": "bool", "num": "int", "port": "int", "url": "url", "email": "email", "host": None, "str": None, "json": None}


def _envalid(path: str, code: _Code) -> Iterator[EnvRead]:
    for call in _CLEAN_ENV.finditer(code.mask):
        args = code.split(call.end() - 1)
        schema = _resolve_object(code, args[1][0]) if len(args) > 1 else None
        for entry in code.entries(schema) if schema is not None else ():
            read = _read(path, code, entry, "envalid cleanEnv() field", _envalid_field(entry))
            if read is not None:
                yield read


def _envalid_field(entry: _Entry) -> tuple[bool, str | None, str | None, bool]:
    """``port({ default: 3000 })``: optional with a default; ``str({ devDefault: "x" })``: needed in production."""
    value, code = entry.value, entry.code
    validator = _IDENT.match(code)
    shape = _ENVALID_SHAPES.get(validator.group(0)) if validator else None
    shape = "choice" if re.search(r"\bchoices\s*:", code) else shape
    if re.search(r"(?<![\w$])default\s*:", code):
        return True, _value(r"(?<![\w$])default\s*:\s*", value), shape, False
    if re.search(r"\bdevDefault\s*:", code):
        return True, _value(r"\bdevDefault\s*:\s*", value), shape, True
    return False, None, shape, True


# ---------------------------------------------------------------- Zod and t3-env

_CREATE_ENV = re.compile(r"\bcreateEnv\s*\(")
_T3_GROUPS = ("server", "client", "shared")
_ZOD_OPTIONAL = re.compile(r"\.\s*(?:optional|nullish|default|catch|prefault)\s*\(|^\s*(?:\w+\s*\.\s*)?optional\s*\(")
_ZOD_SHAPES = (
    (re.compile(r"\.\s*url\s*\("), "url"),
    (re.compile(r"\.\s*email\s*\("), "email"),
    (re.compile(r"\.\s*(?:enum|nativeEnum|literal|union)\s*\("), "choice"),
    (re.compile(r"\.\s*(?:number|bigint)\s*\(|\.\s*int\s*\("), "int"),
    (re.compile(r"\.\s*(?:boolean|stringbool)\s*\("), "bool"),
)
# ``cond ? z.string() : z.string().optional()``: the schema is picked at start-up.
_TERNARY = re.compile(r"^[^?]*?\?\s*(.+?)\s*:\s*((?:\w+\s*\.|\w+\s*\().+)$", re.DOTALL)


_SKIP_READ = re.compile(r"\bprocess\s*\.\s*env\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*[\"'`]([A-Za-z_][A-Za-z0-9_]*)[\"'`]\s*\])")


def skip_validation(text: str) -> tuple[str, int] | None:
    """``(variable, line)`` of a t3-env ``createEnv({ skipValidation: !!process.env.X })``, or None.

    Setting X skips the schema check, which ``next build`` otherwise runs without the runtime's values.
    """
    if "skipValidation" not in text or "createEnv" not in text:
        return None
    code = _Code(text)
    for call in _CREATE_ENV.finditer(code.mask):
        args = code.split(call.end() - 1)
        options = _resolve_object(code, args[0][0]) if args else None
        for entry in code.entries(options) if options is not None else ():
            read = _SKIP_READ.search(entry.value) if entry.key == "skipValidation" else None
            if read is not None:
                return read.group(1) or read.group(2), code.line(entry.at)
    return None


def _t3_env(path: str, code: _Code) -> Iterator[EnvRead]:
    for call in _CREATE_ENV.finditer(code.mask):
        args = code.split(call.end() - 1)
        options = _resolve_object(code, args[0][0]) if args else None
        for group in code.entries(options) if options is not None else ():
            schema = _resolve_object(code, group.value_at) if group.key in _T3_GROUPS else None
            for entry in code.entries(schema) if schema is not None else ():
                read = _read(path, code, entry, f"t3-env createEnv() {group.key} variable", _zod_field(entry))
                if read is not None:
                    yield read


def _zod_field(entry: _Entry) -> tuple[bool, str | None, str | None, bool]:
    """A Zod (or Valibot) field: optional when it says so or has a default; else needed."""
    value, code = entry.value, entry.code
    ternary = _TERNARY.match(code)
    branches = [ternary.group(1), ternary.group(2)] if ternary else [value]
    optional = all(_ZOD_OPTIONAL.search(branch) for branch in branches)
    default = _value(r"\.\s*default\s*\(\s*", value) if optional else None
    shape = next((name for pattern, name in _ZOD_SHAPES if pattern.search(code)), None)
    return optional, default, shape, not optional


# ---------------------------------------------------------------- schemas validated against process.env

# ``schema.parse(process.env)``, ``.safeParse({ ...process.env })``, Joi's ``.validate(process.env)``, and
# ``.parse({ DATABASE_URL: process.env.DATABASE_URL })``: an object whose values are read from the environment.
_VALIDATE = re.compile(r"\.\s*(?:parse|safeParse|parseAsync|safeParseAsync|validate|validateAsync)\s*\(\s*(?=process\b|\{)")
_WHOLE_ENV = re.compile(r"process\s*\.\s*env\b(?!\s*\.|\s*\[)")
_ENV_IN_OBJECT = re.compile(r"\bprocess\s*\.\s*env\b")
_OBJECT_SCHEMA = re.compile(r"\b(?:z|zod|Joi|joi)\s*\.\s*(?:object|strictObject|looseObject)\s*\(")
_JOI_KEYS = re.compile(r"\s*\.\s*keys\s*\(")


def _validated_objects(path: str, code: _Code) -> Iterator[EnvRead]:
    """Object schemas whose ``parse``/``validate`` is given ``process.env``."""
    seen: set[int] = set()
    for call in _VALIDATE.finditer(code.mask):
        if not _given_the_environment(code, call.end()):
            continue
        schema = _schema_of(code, _receiver(code, call.start()))
        if schema is None or schema[0] in seen:
            continue
        seen.add(schema[0])
        at, joi = schema
        presence = joi and re.search(r"\bpresence\s*:\s*[\"']required", code.text) is not None
        reason = "Joi schema validated against process.env" if joi else "Zod schema parsed from process.env"
        for entry in code.entries(at):
            field = _joi_field(entry, presence) if joi else _zod_field(entry)
            read = _read(path, code, entry, reason, field)
            if read is not None:
                yield read


def _given_the_environment(code: _Code, argument: int) -> bool:
    """Whether the argument at ``argument`` is ``process.env`` or an object literal built from it."""
    if code.mask[argument] != "{":
        return _WHOLE_ENV.match(code.mask, argument) is not None
    return _ENV_IN_OBJECT.search(code.mask, argument, code.close(argument)) is not None


def _receiver(code: _Code, dot: int) -> int:
    """The start of the expression a method is called on: ``schema.prefs({...})`` before ``.validate(``."""
    i = dot
    while True:
        j = i
        while j > 0 and code.mask[j - 1].isspace():
            j -= 1
        if j > 0 and code.mask[j - 1] == ")":
            j = _open_of(code.mask, j - 1)
        k = j
        while k > 0 and (code.mask[k - 1].isalnum() or code.mask[k - 1] in "_$"):
            k -= 1
        if k == j and j == i:
            return i
        m = k
        while m > 0 and code.mask[m - 1].isspace():
            m -= 1
        if m > 0 and code.mask[m - 1] == "." and k < j:
            i = m - 1
            continue
        return k


def _open_of(mask: str, close_at: int) -> int:
    depth = 0
    for i in range(close_at, -1, -1):
        depth += {")": 1, "]": 1, "}": 1, "(": -1, "[": -1, "{": -1}.get(mask[i], 0)
        if depth == 0:
            return i
    return 0


def _schema_of(code: _Code, start: int, depth: int = 0) -> tuple[int, bool] | None:
    """``(offset of the object literal, is Joi)`` of the schema the expression at ``start`` builds."""
    schema = _OBJECT_SCHEMA.match(code.mask, code.next_code(start))
    if schema is not None:
        joi = schema.group(0).lower().startswith("joi")
        inner = code.next_code(schema.end())
        if code.mask[inner : inner + 1] == "{":
            return inner, joi
        keys = _JOI_KEYS.match(code.mask, code.close(schema.end() - 1) + 1)
        at = code.next_code(keys.end()) if keys else -1
        return (at, joi) if keys and code.mask[at : at + 1] == "{" else None
    name = _IDENT.match(code.mask, start)
    if name is None or depth > 2:
        return None
    declared = re.search(rf"\b(?:const|let|var)\s+{re.escape(name.group(0))}\s*(?::[^=]*)?=\s*", code.mask)
    return _schema_of(code, declared.end(), depth + 1) if declared else None


def _joi_field(entry: _Entry, presence_required: bool) -> tuple[bool, str | None, str | None, bool]:
    """Joi keys are optional unless ``.required()`` (or required by the schema's presence and not opted out)."""
    code = entry.code
    default = _value(r"\.\s*default\s*\(\s*", entry.value)
    if re.search(r"\.\s*required\s*\(", code):
        required = True
    else:
        required = presence_required and not re.search(r"\.\s*(?:optional|default|allow)\s*\(", code)
    shape = None
    for pattern, name in ((r"\.\s*valid\s*\(", "choice"), (r"\.\s*uri\s*\(", "url"), (r"\.\s*email\s*\(", "email"),
                          (r"\bJoi\s*\.\s*number\s*\(", "int"), (r"\bJoi\s*\.\s*boolean\s*\(", "bool")):  # fmt: skip
        if re.search(pattern, code):
            shape = name
            break
    return not required, default if not required else None, shape, required


# ---------------------------------------------------------------- env-var

# ``env.get("PORT").default("3000").asPortNumber()``: the chain always ends with an ``as*()`` converter.
_ENV_VAR_GET = re.compile(
    r"(?<![\w$])get\(\s*[\"'`]([A-Za-z_][A-Za-z0-9_]*)[\"'`]\s*\)"
    r"((?:\s*\.\s*(?:required|default|example|description|convertFromBase64)\s*\((?:[^()]|\([^()]*\))*\))*)"
    r"\s*\.\s*(as\w+)\s*\("
)
_ENV_VAR_SHAPES = (("asPortNumber", "int"), ("asInt", "int"), ("asFloat", "float"), ("asBool", "bool"),
                   ("asUrl", "url"), ("asEmail", "email"), ("asEnum", "choice"))  # fmt: skip


def _env_var(path: str, code: _Code) -> Iterator[EnvRead]:
    for match in _ENV_VAR_GET.finditer(code.bare):
        chain = match.group(2)
        default = _value(r"\.\s*default\s*\(\s*", chain)
        required = re.search(r"\.\s*required\s*\(\s*(?!false\b)", chain) is not None and default is None
        shape = next((name for prefix, name in _ENV_VAR_SHAPES if match.group(3).startswith(prefix)), None)
        evidence = Evidence(path, code.line(match.start()), "env-var read")
        yield EnvRead(match.group(1), evidence, default, not required, shape=shape, needed=required)


# ---------------------------------------------------------------- env-schema and @fastify/env

_PROPERTIES = re.compile(r"(?<![\w$.])properties\s*:\s*\{")
_JSON_SHAPES = {"number": "int", "integer": "int", "boolean": "bool"}


def _json_schema(path: str, code: _Code) -> Iterator[EnvRead]:
    """Each property of a JSON schema object (``{ required: [...], properties: {...} }``) in a file that uses env-schema."""
    for match in _PROPERTIES.finditer(code.mask):
        schema = _enclosing(code.mask, match.start())
        if schema is None:
            continue
        entries = {entry.key: entry for entry in code.entries(schema)}
        listed = entries.get("required")
        required = set(re.findall(r"[\"'`]([A-Za-z_][A-Za-z0-9_]*)[\"'`]", listed.value)) if listed is not None else set()
        for entry in code.entries(match.end() - 1):
            read = _read(path, code, entry, "env-schema property", _json_field(entry, entry.key in required))
            if read is not None:
                yield read


def _enclosing(mask: str, offset: int) -> int | None:
    """The offset of the ``{`` of the object literal around ``offset``, or None."""
    depth = 0
    for i in range(offset - 1, -1, -1):
        depth += {")": 1, "]": 1, "}": 1, "(": -1, "[": -1, "{": -1}.get(mask[i], 0)
        if depth < 0:
            return i if mask[i] == "{" else None
    return None


def _json_field(entry: _Entry, listed: bool) -> tuple[bool, str | None, str | None, bool]:
    """``{ type: 'number', default: 3306 }``: the default fills in, so only a listed key without one is required."""
    has_default = re.search(r"(?<![\w$])default\s*:", entry.code) is not None
    default = _value(r"(?<![\w$])default\s*:\s*", entry.value) if has_default else None
    kind = _value(r"(?<![\w$])type\s*:\s*", entry.value)
    shape = "choice" if re.search(r"\benum\s*:", entry.code) else _JSON_SHAPES.get(kind or "")
    required = listed and not has_default
    return not required, default, shape, required


# ---------------------------------------------------------------- class-validator

_CLASS = re.compile(r"(?<![\w$.])class\s+[A-Za-z_$][\w$]*[^{;=]*\{")
#: A class member: modifiers, the name, ``?``/``!``, a type, an initializer (in the mask: strings blanked).
_MEMBER = re.compile(
    r"(?:(?:public|private|protected|readonly|static|declare|override)\s+)*"
    r"([A-Za-z_$][\w$]*)\s*([?!])?\s*(?::[^=]*)?(?:=(.*))?", re.DOTALL)
_UPPER_NAME = re.compile(r"[A-Z][A-Z0-9]*_?[A-Z0-9_]*")
#: ``environment.SECRET_KEY``, ``process.env.PORT``, ``env["X"]``: an upper-case name read off an object.
_ENV_MEMBER = re.compile(r"(?<![\w$.])(?!this\b)([A-Za-z_$][\w$]*(?:\s*\.\s*env)?)\s*(?:\.\s*([A-Z][A-Z0-9_]*)\b|\[\s*[\"'`]([A-Z][A-Z0-9_]*)[\"'`]\s*\])")
#: Decorators that make a property optional; class-validator's own checks (a project's own decorators,
#: ``@IsDatabaseUrl()``, may let a missing value pass: they make a property neither required nor the environment's).
_CV_OPTIONAL = frozenset({"IsOptional", "ValidateIf", "Allow"})
_CV_CHECKS = frozenset({
    "IsDefined", "IsNotEmpty", "IsString", "IsNumber", "IsInt", "IsBoolean", "IsUrl", "IsEmail", "IsIn", "IsEnum",
    "IsHexadecimal", "IsPort", "IsFQDN", "IsIP", "IsUUID", "IsJSON", "IsNumberString", "IsBooleanString", "IsDateString",
    "IsPositive", "IsNegative", "IsAlphanumeric", "IsBase64", "IsMongoId", "Length", "MinLength", "MaxLength", "Min",
    "Max", "Matches", "Contains", "Equals", "NotEquals", "IsNotIn",
})
#: Checks that an empty string passes: a property that falls back to "" with only these is not required.
_CV_EMPTY_OK = frozenset({"IsString", "IsDefined", "MaxLength", "IsNotIn", "NotEquals"})
_CV_SHAPES = {"IsNumber": "int", "IsInt": "int", "IsPort": "int", "IsBoolean": "bool", "IsBooleanString": "bool",
              "IsUrl": "url", "IsEmail": "email", "IsIn": "choice", "IsEnum": "choice", "IsHexadecimal": "hex"}
#: After the first read: the closing brackets of a conversion (``toNumber(env.X)``), then ``??`` or ``||``.
_FALLBACK = re.compile(r"\s*\)*\s*(?:\?\?|\|\|)\s*")
_EMPTY_LITERAL = re.compile(r"(?<![\w$])(?:\"\"|''|``)")


def _class_validator(path: str, code: _Code) -> Iterator[EnvRead]:
    """The environment classes of a class-validator file: upper-case properties with checks.

    ``@IsNotEmpty() public UTILS_SECRET = environment.UTILS_SECRET ?? ""`` (an object of the
    environment's values, validated at start-up: Outline), or the NestJS documentation's
    ``@IsNumber() PORT: number;`` validated with ``validateSync(plainToInstance(...))``. A property is
    required when it has a check, neither ``@IsOptional()`` nor ``?``, and no default that passes its
    checks (``?? ""`` fails ``@IsNotEmpty()``); the variable is the one its initializer reads, else the
    property's name. Lower-case properties (data transfer objects) are not the environment's.
    """
    for match in _CLASS.finditer(code.mask):
        open_at = match.end() - 1
        for name_at, decorators, member in _members(code, open_at, code.close(open_at)):
            yield from _cv_property(path, code, name_at, decorators, member)


def _members(code: _Code, open_at: int, end: int) -> Iterator[tuple[int, list[str], slice]]:
    """``(offset, decorator names, member text span)`` of each member of the class body at ``open_at``."""
    mask, at, decorators = code.mask, open_at + 1, []
    while True:
        at = code.next_code(at)
        if at >= end:
            return
        if mask[at] == "@":
            name = _IDENT.match(mask, at + 1)
            if name is None:
                at += 1
                continue
            decorators.append(name.group(0))
            after = code.next_code(name.end())
            at = code.close(after) + 1 if after < end and mask[after] == "(" else name.end()
            continue
        stop = _member_end(mask, at, end)
        yield at, decorators, slice(at, stop)
        decorators = []
        if stop < end and mask[stop] == "{":  # a method, getter or static block: skip its body
            stop = code.close(stop)
        at = stop + 1


def _member_end(mask: str, start: int, end: int) -> int:
    """Where the member starting at ``start`` ends: its ``;``, the ``{`` of a method's body, or the line
    before the next decorator (members without semicolons)."""
    depth, i = 0, start
    while i < end:
        char = mask[i]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif depth == 0 and char in ";{":
            return i
        elif depth == 0 and char == "\n":
            following = i + 1
            while following < end and mask[following] in " \t\r\n":
                following += 1
            if following >= end or mask[following] == "@":
                return i
        i += 1
    return end


def _cv_property(path: str, code: _Code, at: int, decorators: list[str], span: slice) -> Iterator[EnvRead]:
    member = _MEMBER.fullmatch(code.mask[span].strip())
    if member is None or not _UPPER_NAME.fullmatch(member.group(1)):
        return
    checks = {d for d in decorators if d in _CV_CHECKS}
    text = code.bare[span].strip()
    initializer = text[member.start(3):] if member.group(3) is not None else ""
    reads = list(_ENV_MEMBER.finditer(initializer))
    if (initializer and not reads) or (not initializer and not checks):
        return  # a value of the code's own, or a property nothing marks as the environment's
    fallback = _FALLBACK.match(initializer, reads[0].end()) if reads else None
    default = None
    if fallback is not None:
        literal = re.match(_VALUE, initializer[fallback.end():])
        default = next((g for g in literal.groups() if g is not None), None) if literal else None
    # A fallback that can be "" (``env.URL ?? (env.HEROKU ? ... : "")``) fails a check that refuses it.
    empty = fallback is not None and _EMPTY_LITERAL.search(initializer, fallback.end()) is not None
    optional = (
        member.group(2) == "?" or any(d in _CV_OPTIONAL for d in decorators) or not checks
        or (fallback is not None and (not empty or checks <= _CV_EMPTY_OK))
    )
    shape = next((_CV_SHAPES[d] for d in decorators if d in _CV_SHAPES), None)
    evidence = Evidence(path, code.line(at), "class-validator property")
    names = [m.group(2) or m.group(3) for m in reads] or [member.group(1)]
    for index, name in enumerate(dict.fromkeys(names)):
        # A later name is a fallback spelling (``env.NEW ?? env.OLD``): never required on its own.
        first = index == 0
        yield EnvRead(name, evidence, default if first and default != "" else None, optional or not first,
                      shape=shape, needed=first and not optional)
