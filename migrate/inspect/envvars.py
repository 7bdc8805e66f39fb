"""Environment variables an app reads, found in its code and its example env files.

Each language has a few regular expressions for the idioms that read the
environment. A read *has a default* when the code supplies a fallback at the
read site (``os.getenv("X", "d")``, ``process.env.X || "d"``,
``ENV.fetch("X", "d")``, ``${X:d}``); a variable is *required* when no read of
it has one. Test files are not scanned: what tests read is not what runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from migrate.inspect.detectors.base import AppDir, EnvRead, Findings
from migrate.inspect.knowledge import is_secret_name
from migrate.profile import EnvVar, Evidence

_NAME = r"([A-Za-z_][A-Za-z0-9_]*)"
_Q = r"[\"']"
# A fallback value after a read: a quoted string, a number, or a bare word.
_VALUE = r"(?:\"([^\"\n]*)\"|'([^'\n]*)'|`([^`\n]*)`|(-?\d+(?:\.\d+)?|true|false|True|False|None|null))"


@dataclass(frozen=True)
class _Idiom:
    """One way a language reads the environment.

    ``mode``: ``required`` (no default possible at the site), ``optional``
    (the read yields null/empty), ``call`` (a default is given when more
    arguments follow the name), ``fallback`` (a default follows as ``|| v`` / ``?? v``).
    """

    pattern: re.Pattern[str]
    mode: str


def _idioms(*pairs: tuple[str, str]) -> tuple[_Idiom, ...]:
    return tuple(_Idiom(re.compile(p), m) for p, m in pairs)


_PY = _idioms(
    (rf"\bos\.environ\[\s*{_Q}{_NAME}{_Q}\s*\]", "required"),
    (rf"(?<![.\w])environ\[\s*{_Q}{_NAME}{_Q}\s*\]", "required"),
    (rf"\b(?:os\.environ\.get|os\.getenv|(?<![.\w])getenv)\(\s*{_Q}{_NAME}{_Q}\s*(,\s*(?:default\s*=\s*)?{_VALUE}?)?", "call-optional"),
    (rf"\bos\.environ\.setdefault\(\s*{_Q}{_NAME}{_Q}\s*(,\s*{_VALUE}?)?", "call-optional"),
    # django-environ ``env("X", default=...)``, python-decouple ``config("X", default=...)``
    (rf"(?<![.\w])(?:env(?:\.(?:str|bool|int|float|list|json|url|db_url|db|cache_url|cache|email_url))?|config)\(\s*{_Q}([A-Z][A-Z0-9_]*){_Q}\s*(,[^)\n]*?default\s*=\s*{_VALUE}?)?", "call"),
)
_JS = _idioms(
    (rf"\bprocess\.env\.{_NAME}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
    (rf"\bprocess\.env\[\s*{_Q}{_NAME}{_Q}\s*\](\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
    (rf"\bimport\.meta\.env\.{_NAME}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
    (rf"\bBun\.env\.{_NAME}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
    (rf"\bDeno\.env\.get\(\s*{_Q}{_NAME}{_Q}\s*\)(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
)
_JS_DESTRUCTURE = re.compile(r"\{([^{}]*)\}\s*=\s*process\.env\b")
_RB = _idioms(
    (rf"\bENV\[\s*{_Q}{_NAME}{_Q}\s*\](\s*(?:\|\|)\s*{_VALUE}?)?", "fallback"),
    (rf"\bENV\.fetch\(\s*{_Q}{_NAME}{_Q}\s*(,\s*{_VALUE}?|\)\s*\{{\s*{_VALUE}?)?", "call"),
)
_GO = _idioms(
    (rf"\bos\.Getenv\(\s*\"{_NAME}\"\s*\)", "go"),
    (rf"\bos\.LookupEnv\(\s*\"{_NAME}\"\s*\)", "optional"),
)
_JAVA = _idioms(
    (rf"\bSystem\.getenv\(\s*\"{_NAME}\"\s*\)", "go"),
)
# Spring placeholders in application.properties/yml and @Value: ${NAME} or ${NAME:default}
_SPRING = _idioms(
    (r"\$\{([A-Z][A-Z0-9_]*)(:([^}\n]*))?\}", "placeholder"),
)
_PHP = _idioms(
    (rf"(?<![>\w])(?:env|getenv)\(\s*{_Q}{_NAME}{_Q}\s*(,\s*{_VALUE}?)?", "call"),
    (rf"\$_ENV\[\s*{_Q}{_NAME}{_Q}\s*\](\s*\?\?\s*{_VALUE}?)?", "fallback"),
)
_CS = _idioms(
    (rf"\bEnvironment\.GetEnvironmentVariable\(\s*\"{_NAME}\"\s*\)(\s*\?\?\s*{_VALUE}?)?", "fallback"),
)
_RS = _idioms(
    (rf"\b(?:std::)?env::var\(\s*\"{_NAME}\"\s*\)(\s*\.\s*unwrap_or(?:_else)?\(\s*(?:\|\|\s*)?{_VALUE}?)?", "fallback"),
    (rf"\bdotenvy?::var\(\s*\"{_NAME}\"\s*\)(\s*\.\s*unwrap_or(?:_else)?\(\s*(?:\|\|\s*)?{_VALUE}?)?", "fallback"),
)

_BY_SUFFIX: tuple[tuple[tuple[str, ...], tuple[_Idiom, ...]], ...] = (
    ((".py",), _PY),
    ((".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx", ".vue", ".svelte", ".astro"), _JS),
    ((".rb", ".rake", ".ru"), _RB),
    ((".go",), _GO),
    ((".java", ".kt", ".kts", ".scala", ".groovy"), _JAVA + _SPRING),
    ((".properties",), _SPRING),
    ((".php",), _PHP),
    ((".cs", ".fs"), _CS),
    ((".rs",), _RS),
)
_YAML_CONFIGS = (".yml", ".yaml")  # Spring application.yml and Rails database.yml

#: Example env files, documented variables with placeholder values.
EXAMPLE_ENV_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", ".env.defaults", "example.env", "env.example", "sample.env")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")

_TEST_PATH = re.compile(
    r"(^|/)(tests?|__tests__|spec|specs|testdata|fixtures|e2e|cypress|playwright)(/|$)"
    r"|(^|/)(test_[^/]*\.py|[^/]*_test\.(py|go)|[^/]*\.(test|spec)\.[jt]sx?|[^/]*_spec\.rb|conftest\.py)$"
)


def scan(app: AppDir, found: Findings) -> None:
    """Add every environment read in ``app`` to ``found.env_reads``."""
    for suffixes, idioms in _BY_SUFFIX:
        for path in app.source_files(suffixes):
            if not _TEST_PATH.search(path[len(app.path) + 1 :] if app.path != "." else path):
                _scan_file(app, path, idioms, found)
    for path in app.source_files(_YAML_CONFIGS):
        if "/resources/" in path or path.endswith(("config/database.yml", "config/cable.yml")):
            _scan_file(app, path, _RB + _SPRING, found)
    for name in EXAMPLE_ENV_FILES:
        if app.has(name):
            _scan_example(app, name, found)


def _scan_file(app: AppDir, path: str, idioms: Iterable[_Idiom], found: Findings) -> None:
    text = app.tree.read_text(path)
    if not text:
        return
    for idiom in idioms:
        for match in idiom.pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.env_reads.append(_read(idiom.mode, match, Evidence(path, line, "read in code"), text))
    if "process.env" in text:
        for match in _JS_DESTRUCTURE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            for part in match.group(1).split(","):
                name, _, default = part.partition("=")
                name = name.split(":")[0].strip()
                if re.fullmatch(_NAME, name):
                    value = default.strip().strip("'\"`") or None
                    ev = Evidence(path, line, "read in code")
                    found.env_reads.append(EnvRead(name, ev, value, bool(default.strip())))


def _read(mode: str, match: re.Match[str], evidence: Evidence, text: str) -> EnvRead:
    name = match.group(1)
    groups = match.groups()[1:]
    tail = next((g for g in groups if g is not None), None)  # the fallback clause, if any
    value = next((g for g in groups[1:] if g is not None), None) if tail else None
    if mode == "required":
        return EnvRead(name, evidence)
    if mode == "optional":
        return EnvRead(name, evidence, None, True)
    if mode == "call-optional":  # os.getenv("X") yields None: optional even without a default
        return EnvRead(name, evidence, value, True)
    if mode == "go":
        return _go_read(name, match, evidence, text)
    if mode == "placeholder":
        return EnvRead(name, evidence, match.group(3), match.group(2) is not None)
    return EnvRead(name, evidence, value, tail is not None and tail.strip() != "")


_GO_EMPTY_CHECK = re.compile(r'==\s*""\s*\{\s*\n?\s*\w+\s*=\s*(?:"([^"\n]*)"|(\d+))')


def _go_read(name: str, match: re.Match[str], evidence: Evidence, text: str) -> EnvRead:
    """``os.Getenv`` returns "": a default is the ``if v == "" { v = "d" }`` that follows."""
    window = text[match.end() : match.end() + 200]
    fallback = _GO_EMPTY_CHECK.search(window)
    if fallback:
        return EnvRead(name, evidence, fallback.group(1) or fallback.group(2), True)
    return EnvRead(name, evidence)


def _scan_example(app: AppDir, name: str, found: Findings) -> None:
    text = app.read(name)
    if text is None:
        return
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _ENV_LINE.match(raw)
        if not match or raw.lstrip().startswith("#"):
            continue
        value = match.group(2)
        if value[:1] in "\"'" and value[-1:] == value[:1] and len(value) > 1:
            value = value[1:-1]
        else:
            value = value.split(" #")[0].strip()
        ev = Evidence(app.rel(name), number, "listed in example env file")
        found.env_reads.append(EnvRead(match.group(1), ev, example=value))


_CREDENTIALS_IN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]+:[^@\s]+@", re.IGNORECASE)


def collect(found: Findings) -> tuple[EnvVar, ...]:
    """Merge the reads of each variable into one :class:`EnvVar`, sorted by name."""
    by_name: dict[str, list[EnvRead]] = {}
    for read in found.env_reads:
        by_name.setdefault(read.name, []).append(read)
    result = []
    for name in sorted(by_name):
        reads = by_name[name]
        in_code = [r for r in reads if r.example is None]
        examples = [r for r in reads if r.example is not None]
        if in_code:
            required = not any(r.has_default for r in in_code)
            default = next((r.default for r in in_code if r.default is not None), None)
        else:
            required = not examples[0].example
            default = None
        secret = is_secret_name(name) or any(_CREDENTIALS_IN_URL.match(r.example or "") for r in examples)
        if secret:
            default = None  # never repeat a secret-looking literal from the source
        evidence = tuple(sorted({r.evidence for r in reads}))
        result.append(EnvVar(name, secret, required, default, evidence))
    return tuple(result)
