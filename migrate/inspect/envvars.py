"""Environment variables an app reads, found in its code and its example env files.

Each language has a few regular expressions for the idioms that read the
environment. A read *has a default* when the code supplies a fallback at the
read site (``os.getenv("X", "d")``, ``process.env.X || "d"``,
``ENV.fetch("X", "d")``, ``${X:d}``); a variable is *required* when no read of
it has one. Test files are not scanned: what tests read is not what runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from migrate.inspect.detectors.base import AppDir, EnvRead, Findings
from migrate.inspect.knowledge import is_secret_name
from migrate.inspect.prefilter import may_match, may_match_any, screen
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
    # ...and a positional default: ``env.bool("DEBUG", False)``, ``config("PORT", 8000)`` (not ``env()``/``env.list()``,
    # whose second argument is the cast).
    (rf"(?<![.\w])(?:env\.(?:str|bool|int|float|json|url|db_url|db|cache_url|cache|email_url|path)|config)\(\s*{_Q}([A-Z][A-Z0-9_]*){_Q}\s*(,\s*{_VALUE})", "call"),
    # django-environ's argument-less readers use a fixed variable: ``env.db()`` reads DATABASE_URL.
    (r"(?<![.\w])env\.(db|db_url|cache|cache_url|email|email_url|search_url)\(\s*\)", "environ-implicit"),
)
#: django-environ ``Env(DEBUG=(bool, False))``: defaults declared once, for every later ``env("DEBUG")``.
_ENVIRON_SCHEME = re.compile(r"\benviron\.Env\(|(?<![.\w])Env\(")
_ENVIRON_SCHEME_ITEM = re.compile(rf"\b([A-Z][A-Z0-9_]*)\s*=\s*\(\s*[\w.]+\s*,\s*{_VALUE}")
_ENVIRON_IMPLICIT = {"db": "DATABASE_URL", "db_url": "DATABASE_URL", "cache": "CACHE_URL", "cache_url": "CACHE_URL",
                     "email": "EMAIL_URL", "email_url": "EMAIL_URL", "search_url": "SEARCH_URL"}  # fmt: skip
# ``Number(process.env.PORT) || 3000`` and ``parseInt(process.env.PORT, 10) || 3000`` default too.
_JS_CONVERTED = r"(?:\s*(?:,\s*\d+\s*)?\))?"
_JS = _idioms(
    (rf"\bprocess\.env\.{_NAME}{_JS_CONVERTED}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
    (rf"\bprocess\.env\[\s*{_Q}{_NAME}{_Q}\s*\]{_JS_CONVERTED}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
    # Vite's built-in flags (import.meta.env.DEV...) are not environment variables.
    (rf"\bimport\.meta\.env\.(?!(?:MODE|BASE_URL|PROD|DEV|SSR)\b){_NAME}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
    (rf"\bBun\.env\.{_NAME}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
    (rf"\bDeno\.env\.get\(\s*{_Q}{_NAME}{_Q}\s*\)(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "fallback"),
)
# ``= process.env.CONFIG`` destructures one variable's value, not the environment.
_JS_DESTRUCTURE = re.compile(r"\{([^{}]*)\}\s*=\s*process\.env\b(?!\s*(?:\.|\[|\?\.))")
_RB = _idioms(
    (rf"\bENV\[\s*{_Q}{_NAME}{_Q}\s*\](\s*(?:\|\|)\s*{_VALUE}?)?", "fallback"),
    (rf"\bENV\.fetch\(\s*{_Q}{_NAME}{_Q}\s*(,\s*{_VALUE}?|\)\s*\{{\s*{_VALUE}?)?", "call"),
)
_GO = _idioms(
    (rf"\bos\.Getenv\(\s*\"{_NAME}\"\s*\)", "go"),
    (rf"\bos\.LookupEnv\(\s*\"{_NAME}\"\s*\)", "optional"),
    # The usual hand-written helper: ``getEnv("PORT", "8080")``.
    (rf"(?<![.\w])(?:getEnv|getEnvOrDefault|getEnvDefault|envOr|envOrDefault)\(\s*\"{_NAME}\"\s*(,\s*{_VALUE}?)?", "call"),
)
_JAVA = _idioms(
    (rf"\bSystem\.getenv\(\s*\"{_NAME}\"\s*\)", "go"),
    (rf"\bSystem\.getenv\(\)\.getOrDefault\(\s*\"{_NAME}\"(\s*,\s*{_VALUE}?)?", "call"),
)
# Spring placeholders in application.properties/yml and @Value: ${NAME} or ${NAME:default}
_SPRING = _idioms(
    (r"\$\{([A-Z][A-Z0-9_]*)(:([^}\n]*))?\}", "placeholder"),
)
_PHP = _idioms(
    (rf"(?<![>\w])env\(\s*{_Q}{_NAME}{_Q}\s*(,\s*{_VALUE}?)?", "call"),
    # ``getenv('X') ?: 'd'`` is plain PHP's default idiom (getenv returns false when unset).
    (rf"(?<![>\w])getenv\(\s*{_Q}{_NAME}{_Q}\s*\)(\s*(?:\?:|\?\?)\s*{_VALUE}?)?", "fallback"),
    (rf"\$_ENV\[\s*{_Q}{_NAME}{_Q}\s*\](\s*\?\?\s*{_VALUE}?)?", "fallback"),
)
_CS = _idioms(
    (rf"\bEnvironment\.GetEnvironmentVariable\(\s*\"{_NAME}\"\s*\)(\s*\?\?\s*{_VALUE}?)?", "fallback"),
)
# ``unwrap_or_else(|_| "d".into())``: the closure takes the error, so ``|_|`` as well as ``||``.
_RS = _idioms(
    (rf"\b(?:std::)?env::var\(\s*\"{_NAME}\"\s*\)(\s*\.\s*unwrap_or(?:_else)?\(\s*(?:\|_?\|\s*)?{_VALUE}?)?", "fallback"),
    (rf"\bdotenvy?::var\(\s*\"{_NAME}\"\s*\)(\s*\.\s*unwrap_or(?:_else)?\(\s*(?:\|_?\|\s*)?{_VALUE}?)?", "fallback"),
    # ``.unwrap_or_default()`` falls back to "", ``.ok()`` to None: both are optional reads.
    (rf"\b(?:std::)?env::var\(\s*\"{_NAME}\"\s*\)\s*\.\s*(?:unwrap_or_default|ok)\(\s*\)", "optional"),
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
    r"|(^|/)(test_[^/]*\.py|tests\.py|[^/]*_test\.(py|go)|[^/]*\.(test|spec)\.[cm]?[jt]sx?|[^/]*_spec\.rb|conftest\.py)$"
)


def scan(app: AppDir, found: Findings) -> None:
    """Add every environment read in ``app`` to ``found.env_reads``."""
    by_group = _sources_by_group(app)
    for group, (_suffixes, idioms) in enumerate(_BY_SUFFIX):
        for path in by_group[group]:
            _scan_file(app, path, idioms, _SCREENS[group], found)
    for path in by_group[len(_BY_SUFFIX)]:
        if "/resources/" in path or path.endswith(("config/database.yml", "config/cable.yml")):
            _scan_file(app, path, _YAML_IDIOMS, _SCREENS[-1], found)
    for name in EXAMPLE_ENV_FILES:
        if app.has(name):
            _scan_example(app, name, found)


_YAML_IDIOMS = _RB + _SPRING
#: For each group of _BY_SUFFIX, then the YAML configs: the substrings one of which any read contains.
_SCREENS = tuple(screen(tuple(i.pattern for i in idioms)) for _, idioms in _BY_SUFFIX) + (
    screen(tuple(i.pattern for i in _YAML_IDIOMS)),
)
#: File suffix -> its group: an index of _BY_SUFFIX, or len(_BY_SUFFIX) for the YAML configs.
_GROUP_OF_SUFFIX = {suffix: i for i, (suffixes, _) in enumerate(_BY_SUFFIX) for suffix in suffixes} | {
    suffix: len(_BY_SUFFIX) for suffix in _YAML_CONFIGS
}


def _sources_by_group(app: AppDir) -> list[list[str]]:
    """The app's non-test source files, in one walk, bucketed by idiom group (each in walk order).

    src/test/resources/application.yml is test configuration, like test code.
    """
    buckets: list[list[str]] = [[] for _ in range(len(_BY_SUFFIX) + 1)]
    skip = len(app.path) + 1 if app.path != "." else 0
    for path in app.source_files(_GROUP_OF_SUFFIX):
        dot = path.rfind(".")
        group = _GROUP_OF_SUFFIX.get(path[dot:]) if dot >= 0 else None
        if group is not None and not _TEST_PATH.search(path[skip:]):
            buckets[group].append(path)
    return buckets


def _scan_file(app: AppDir, path: str, idioms: tuple[_Idiom, ...], needles: tuple[str, ...] | None, found: Findings) -> None:
    text = app.tree.read_text(path)
    if not text:
        return
    # Most files read no variable: a few substring tests settle that before any regex runs.
    for idiom in idioms if may_match_any(needles, text) else ():
        if not may_match(idiom.pattern, text):
            continue
        for match in idiom.pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.env_reads.append(_read(idiom.mode, match, Evidence(path, line, "read in code"), text))
    if path.endswith(".py") and "Env(" in text:
        _environ_scheme(path, text, found)
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
    if mode == "environ-implicit":
        return EnvRead(_ENVIRON_IMPLICIT[name], evidence)
    return EnvRead(name, evidence, value, tail is not None and tail.strip() != "")


# ``cmp.Or(os.Getenv("X"), "d")`` (Go), ``Objects.requireNonNullElse(System.getenv("X"), "d")`` (Java)...
_WRAPPED_BEFORE = re.compile(r"(?:\bcmp\.Or|\brequireNonNullElse)\(\s*$")
_WRAPPED_AFTER = re.compile(r'^\s*,\s*(?:"([^"\n]*)"|(\d+))')
# ...and ``Optional.ofNullable(System.getenv("X")).orElse("d")``.
_OR_ELSE = re.compile(r'^\s*\)\s*\.orElse\(\s*(?:"([^"\n]*)"|(\d+))')
_ASSIGNED_TO = re.compile(r"(\w+)\s*:?=\s*$")


def _go_read(name: str, match: re.Match[str], evidence: Evidence, text: str) -> EnvRead:
    """``os.Getenv``/``System.getenv`` return ""/null: a default is a wrapper, or a check that follows.

    The check must be on the variable the read was assigned to: ``if port == "" { port = "8080" }``
    (Go) or ``if (port == null) { port = "8080"; }`` (Java).
    """
    before, after = text[max(0, match.start() - 80) : match.start()], text[match.end() : match.end() + 300]
    wrapped = (_WRAPPED_AFTER.match(after) if _WRAPPED_BEFORE.search(before) else None) or _OR_ELSE.match(after)
    if wrapped:
        return EnvRead(name, evidence, wrapped.group(1) if wrapped.group(1) is not None else wrapped.group(2), True)
    var = _ASSIGNED_TO.search(before)
    if var is not None:
        v = re.escape(var.group(1))
        check = re.search(rf'\bif\s*\(?\s*{v}\s*==\s*(?:""|null)[^{{\n]*\{{?\s*{v}\s*=\s*(?:"([^"\n]*)"|(\d+))', after)
        if check:
            return EnvRead(name, evidence, check.group(1) if check.group(1) is not None else check.group(2), True)
    return EnvRead(name, evidence)


def _environ_scheme(path: str, text: str, found: Findings) -> None:
    """Defaults declared in django-environ's ``Env(NAME=(cast, default))``."""
    for start in _ENVIRON_SCHEME.finditer(text):
        body = text[start.end() : start.end() + 2000].split("\n)")[0]
        for item in _ENVIRON_SCHEME_ITEM.finditer(body):
            value = next((g for g in item.groups()[1:] if g is not None), None)
            line = text.count("\n", 0, start.end() + item.start()) + 1
            found.env_reads.append(EnvRead(item.group(1), Evidence(path, line, "default declared in environ.Env()"), value, True))


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


# ``scheme://user:password@`` or ``scheme://:password@`` (Redis has no user name).
_CREDENTIALS_IN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]*:[^@\s/]+@", re.IGNORECASE)


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
        # A credential in a code default is as secret as one in an example file.
        secret = is_secret_name(name) or any(_CREDENTIALS_IN_URL.match(r.example or r.default or "") for r in reads)
        if secret:
            default = None  # never repeat a secret-looking literal from the source
        evidence = tuple(sorted({r.evidence for r in reads}))
        result.append(EnvVar(name, secret, required, default, evidence))
    return tuple(result)
