"""Environment variables an app reads, found in its code and its example env files.

Each language has a few regular expressions for the idioms that read the
environment. A read *has a default* when the code supplies a fallback at the
read site (``os.getenv("X", "d")``, ``process.env.X || "d"``,
``ENV.fetch("X", "d")``, ``${X:d}``). A variable is *required* only when the
app cannot start without it, so the rule is per idiom, by what the read does
when the variable is unset:

- it raises or refuses to boot: required. Python ``os.environ["X"]`` (KeyError),
  django-environ ``env("X")`` and decouple ``config("X")``, Ruby
  ``ENV.fetch("X")``, Rust ``env::var("X")`` followed by ``?``/``unwrap()``/
  ``expect()``, Spring ``${X}``, clap ``#[arg(env)]`` and pydantic-settings
  fields with neither a default nor ``Option``/``| None``, Prisma ``env("X")``,
  Node schema validators (envalid, Zod, t3-env, Joi, class-validator classes: see :mod:`js_env_schemas`);
- it yields null, false or "": optional, even with no default. PHP ``env()``
  (Laravel's returns null), ``getenv()`` and ``$_ENV``; Ruby ``ENV["X"]``;
  ``process.env.X`` (unless the code asserts it: ``process.env.X!`` or
  ``if (!process.env.X) throw``); Go ``os.Getenv``/``os.LookupEnv``; Java
  ``System.getenv``; C# ``GetEnvironmentVariable`` (unless ``?? throw``); Python ``os.getenv``;
- a raising read the code only reaches when the variable is set is optional:
  Python reads under ``if "X" in os.environ:`` (or any ``if`` that tests the
  environment) or in a ``try:`` block.

Variables the platform sets (systemd's ``NOTIFY_SOCKET``, ``HOME``, ``PATH``...)
are not app configuration and are never reported. Test files are not scanned:
what tests read is not what runs.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
from dataclasses import dataclass

from migrate.inspect import envschemas, js_env_schemas, readahead
from migrate.inspect.detectors.base import AppDir, EnvRead, Findings, parse_env_file
from migrate.inspect.knowledge import is_secret_name
from migrate.inspect.prefilter import Scan, cover, search
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
    arguments follow the name), ``fallback`` (a default follows as ``|| v`` / ``?? v``);
    ``call-optional`` and ``fallback-optional`` read the same way but yield
    null when unset, so they are optional with or without the default.
    """

    pattern: re.Pattern[str]
    mode: str


def _idioms(*pairs: tuple[str, str]) -> tuple[_Idiom, ...]:
    return tuple(_Idiom(re.compile(p), m) for p, m in pairs)


_PY = _idioms(
    (rf"\bos\.environ\[\s*{_Q}{_NAME}{_Q}\s*\]", "python-index"),
    (rf"(?<![.\w])environ\[\s*{_Q}{_NAME}{_Q}\s*\]", "python-index"),
    # ...and ``os.environ.get("X") or "default"`` (Flask's tutorials: ``or 'sqlite:///' + path``, a line continuation between).
    (rf"\b(?:os\.environ\.get|os\.getenv|(?<![.\w])getenv)\(\s*{_Q}{_NAME}{_Q}\s*"
     rf"(,\s*(?:default\s*=\s*)?{_VALUE}?|\)\s*or[ \t]*(?:\\[ \t]*\n\s*)?{_VALUE})?", "call-optional"),
    (rf"\bos\.environ\.setdefault\(\s*{_Q}{_NAME}{_Q}\s*(,\s*{_VALUE}?)?", "call-optional"),
    # ``if "X" in os.environ:`` tests the variable: whatever it guards runs only when it is set.
    (rf"{_Q}{_NAME}{_Q}\s+(?:not\s+)?in\s+(?:os\.)?environ\b", "optional"),
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
    (rf"\bprocess\.env\.{_NAME}{_JS_CONVERTED}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "js"),
    (rf"\bprocess\.env\[\s*{_Q}{_NAME}{_Q}\s*\]{_JS_CONVERTED}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "js"),
    # Vite's built-in flags (import.meta.env.DEV...) are not environment variables.
    (rf"\bimport\.meta\.env\.(?!(?:MODE|BASE_URL|PROD|DEV|SSR)\b){_NAME}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "js"),
    (rf"\bBun\.env\.{_NAME}(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "js"),
    (rf"\bDeno\.env\.get\(\s*{_Q}{_NAME}{_Q}\s*\)(\s*(?:\|\||\?\?)\s*{_VALUE}?)?", "js"),
)
# ``= process.env.CONFIG`` destructures one variable's value, not the environment.
_JS_DESTRUCTURE = re.compile(r"\{([^{}]*)\}\s*=\s*process\.env\b(?!\s*(?:\.|\[|\?\.))")
#: What every match of ``_JS_DESTRUCTURE`` holds, as a regex that begins with a literal (``re`` then skips to
#: each ``}``): the full pattern tries every ``{`` and backtracks over the whole object literal after it
#: (``module.exports = {...};``, ~8 us a config module), this one fails at once where no ``= process.env`` follows.
_JS_DESTRUCTURE_SCREEN = re.compile(r"\}\s*=\s*process\.env\b")
_RB = _idioms(
    (rf"\bENV\[\s*{_Q}{_NAME}{_Q}\s*\](\s*(?:\|\|)\s*{_VALUE}?)?", "fallback-optional"),
    (rf"\bENV\.fetch\(\s*{_Q}{_NAME}{_Q}\s*(,\s*{_VALUE}?|\)\s*\{{\s*{_VALUE}?)?", "call"),
)
_GO = _idioms(
    (rf"\bos\.Getenv\(\s*\"{_NAME}\"\s*\)", "go"),
    (rf"\bos\.LookupEnv\(\s*\"{_NAME}\"\s*\)", "optional"),
    # The usual hand-written helper: ``getEnv("PORT", "8080")``.
    (rf"(?<![.\w])(?:getEnv|getEnvOrDefault|getEnvDefault|envOr|envOrDefault)\(\s*\"{_NAME}\"\s*(,\s*{_VALUE}?)?", "call-optional"),
    # ``mustGetenv("X")`` (Google's samples) panics when the variable is unset.
    (rf"(?<![.\w])[mM]ust(?:Get)?[eE]nv\w*\(\s*\"{_NAME}\"\s*\)", "required"),
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
    # Laravel's ``env('X')`` returns null when X is unset.
    (rf"(?<![>\w])env\(\s*{_Q}{_NAME}{_Q}\s*(,\s*{_VALUE}?)?", "call-optional"),
    # ``getenv('X') ?: 'd'`` is plain PHP's default idiom (getenv returns false when unset).
    (rf"(?<![>\w])getenv\(\s*{_Q}{_NAME}{_Q}\s*\)(\s*(?:\?:|\?\?)\s*{_VALUE}?)?", "fallback-optional"),
    # An unset ``$_ENV['X']`` is null (with a warning), not an error.
    (rf"\$_ENV\[\s*{_Q}{_NAME}{_Q}\s*\](\s*\?\?\s*{_VALUE}?)?", "fallback-optional"),
)
_CS = _idioms(
    (rf"\bEnvironment\.GetEnvironmentVariable\(\s*\"{_NAME}\"\s*\)(\s*\?\?\s*{_VALUE})?", "csharp"),
)
# ``unwrap_or_else(|_| "d".into())``: the closure takes the error, so ``|_|`` as well as ``||``.
_RS = _idioms(
    (rf"\b(?:std::)?env::var\(\s*\"{_NAME}\"\s*\)(\s*\.\s*unwrap_or(?:_else)?\(\s*(?:\|_?\|\s*)?{_VALUE}?)?", "rust"),
    (rf"\bdotenvy?::var\(\s*\"{_NAME}\"\s*\)(\s*\.\s*unwrap_or(?:_else)?\(\s*(?:\|_?\|\s*)?{_VALUE}?)?", "rust"),
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

_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testdata", "fixtures", "e2e", "cypress", "playwright"})
_TEST_NAME = re.compile(r"test_[^/]*\.py|tests\.py|[^/]*_test\.(py|go)|[^/]*\.(test|spec)\.[cm]?[jt]sx?|[^/]*_spec\.rb|conftest\.py")


def scan(app: AppDir, found: Findings) -> None:
    """Add every environment read in ``app`` to ``found.env_reads``."""
    by_group = _sources_by_group(app)
    for group, (_suffixes, idioms) in enumerate(_BY_SUFFIX):
        # One screen for every test _scan_file makes: most files hold none of its few strings.
        screen, scan = _NEEDED[group], _SCANS[group]
        ahead = app.tree.ahead if screen.bit else None
        if ahead is None:
            for path, text in app.tree.passing(by_group[group], screen.needles):
                if text:
                    _scan_file(path, text, idioms, scan, found)
            continue
        for path in by_group[group]:
            done = ahead.result(path, screen.bit)
            if done is not None:  # scanned by the read-ahead child (_packed_scan)
                _unpack(done, found)  # type: ignore[arg-type]
                continue
            for _path, text in app.tree.passing((path,), screen.needles, screen.bit):
                if text:
                    _scan_file(path, text, idioms, scan, found)
    for path in app.source_files((".prisma",)):
        found.env_reads.extend(envschemas.prisma_schema(path, app.tree.read_text(path) or ""))
    _go_option_tables(app, by_group[_GROUP_OF_SUFFIX[".go"]], found)
    for path in by_group[len(_BY_SUFFIX)]:
        if "/resources/" in path or path.endswith(("config/database.yml", "config/cable.yml")):
            config = app.tree.read_text(path)
            if config:
                _scan_file(path, config, _YAML_IDIOMS, _SCANS[-1], found)
    for name in EXAMPLE_ENV_FILES:
        if app.has(name):
            _scan_example(app, name, found)


#: An EnvRead as plain values for the trip from the read-ahead child: (name, evidence path, line, reason, default,
#: has_default, example, shape, needed). Tuples of strings load ~3x faster than pickled dataclasses.
_PackedRead = tuple[str, str, int | None, str, str | None, bool, str | None, str | None, bool]
_Packed = tuple[tuple[_PackedRead, ...], tuple[tuple[str, str], ...]]


def _packed_scan(idioms: tuple[_Idiom, ...], scan: Scan, path: str, text: str) -> _Packed:
    """What :func:`_scan_file` adds for one file, as plain values: its reads, and its details in order."""
    scratch = Findings()
    _scan_file(path, text, idioms, scan, scratch)
    return tuple(_pack(r) for r in scratch.env_reads), tuple(scratch.details.items())


def _pack(read: EnvRead) -> _PackedRead:
    return (read.name, read.evidence.path, read.evidence.line, read.evidence.reason, read.default, read.has_default,
            read.example, read.shape, read.needed)


def _unpack(packed: _Packed, found: Findings) -> None:
    """Add to ``found`` what :func:`_packed_scan` gave, as :func:`_scan_file` would have added it."""
    reads, details = packed
    found.env_reads.extend(
        EnvRead(name, Evidence(path, line, reason), default, has_default, example, shape, needed)
        for name, path, line, reason, default, has_default, example, shape, needed in reads
    )
    for key, value in details:
        found.detail(key, value)  # first value wins, as when _scan_file sets it


_YAML_IDIOMS = _RB + _SPRING
#: For each group of _BY_SUFFIX, then the YAML configs: its idioms, searched together (their shared needles found once).
_SCANS = tuple(Scan(tuple(i.pattern for i in idioms)) for _, idioms in _BY_SUFFIX) + (Scan(tuple(i.pattern for i in _YAML_IDIOMS)),)
#: The strings _scan_file looks for beyond its group's idioms, by a suffix of the group: settings schemas
#: (pydantic ``BaseSettings``, django-environ ``Env(``, clap's ``env``) and the Node schema libraries.
_EXTRA_NEEDLES = {".py": ("BaseSettings", "Env("), ".rs": ("env",), ".js": js_env_schemas.NEEDLES}
#: For each group of _BY_SUFFIX: strings one of which a file holds if _scan_file can find anything in it (a
#: :func:`cover` of the idioms' shared needles, or their gate, and the extras). ``.env`` and the schema
#: libraries' names give ``env`` and ``Env``: two passes over a JavaScript file that holds neither, not six.
#: Registered for read-ahead (migrate/inspect/readahead.py): the scan is a full pass over the app's files, and
#: the child scans the files it read that pass (_packed_scan): this pass takes their reads as they are.
_NEEDED = tuple(
    readahead.register(
        suffixes,
        (cover(((scan.gate,) if scan.gate is not None else scan.keys) + _EXTRA_NEEDLES.get(suffixes[0], ())),)
        if scan.keys
        else (("",),),  # idioms without shared needles: every file is scanned ("" is in every text)
        functools.partial(_packed_scan, idioms, scan),
    )
    for (suffixes, idioms), scan in zip(_BY_SUFFIX, _SCANS[: len(_BY_SUFFIX)], strict=True)
)
#: File suffix -> its group: an index of _BY_SUFFIX, or len(_BY_SUFFIX) for the YAML configs.
_GROUP_OF_SUFFIX = {suffix: i for i, (suffixes, _) in enumerate(_BY_SUFFIX) for suffix in suffixes} | {
    suffix: len(_BY_SUFFIX) for suffix in _YAML_CONFIGS
}


def _is_test_name(name: str) -> bool:
    """Whether a file name is a test's; every name ``_TEST_NAME`` matches holds ``test`` or ``spec``."""
    return ("test" in name or "spec" in name) and _TEST_NAME.fullmatch(name) is not None


def _sources_by_group(app: AppDir) -> list[list[str]]:
    """The app's non-test source files, in one walk, bucketed by idiom group (each in walk order).

    A file is a test by its name or by a folder of the app above it (src/test/resources/application.yml
    is test configuration, like test code): the folder is judged once for all its files.
    """
    buckets: list[list[str]] = [[] for _ in range(len(_BY_SUFFIX) + 1)]
    in_tests: dict[str, bool] = {app.path: False}
    last_folder, skipped = "", False
    for folder, name, path in app.tree.listing(app.path, prune=app.nested):
        if folder != last_folder:  # a folder's files come together: judge it once
            last_folder, skipped = folder, _in_test_folder(folder, in_tests)
        if skipped:
            continue
        dot = name.rfind(".")
        group = _GROUP_OF_SUFFIX.get(name[dot:]) if dot >= 0 else None
        if group is not None and not _is_test_name(name):
            buckets[group].append(path)
    return buckets


def _in_test_folder(folder: str, known: dict[str, bool]) -> bool:
    """Whether ``folder`` or a folder above it (up to one ``known`` already) is a test folder; remembered in ``known``."""
    found = known.get(folder)
    if found is None:
        parent, _, name = folder.rpartition("/")
        found = known[folder] = _in_test_folder(parent or ".", known) or name in _TEST_DIRS
    return found


def _go_option_tables(app: AppDir, sources: list[str], found: Findings) -> None:
    """Option tables count only in an app that reads the environment through a variable.

    ``sources``: the app's non-test Go files, in walk order (from :func:`_sources_by_group`).
    """
    texts = {p: app.tree.read_text(p) or "" for p in sources}
    if any(search(envschemas.GO_DYNAMIC_READ, text) for text in texts.values()):
        for path, text in texts.items():
            found.env_reads.extend(envschemas.go_option_table(path, text))


def _scan_file(path: str, text: str, idioms: tuple[_Idiom, ...], scan: Scan, found: Findings) -> None:
    # Settings schemas declare variables that no read names: pydantic-settings fields, clap's #[arg(env)].
    if path.endswith(".py") and "BaseSettings" in text:
        found.env_reads.extend(envschemas.pydantic_settings(path, text))
    if path.endswith(".rs") and "env" in text:
        found.env_reads.extend(envschemas.clap_args(path, text))
    # Most files read no variable: the idioms' shared needles are found once, and a regex runs only where one is.
    found_by_idiom = scan.matches(text)
    # None: no ".env" in a JavaScript file, so no "process.env" for a schema to validate (one pass the fewer).
    if idioms is _JS and js_env_schemas.needs_scan(text, found_by_idiom is not None):  # envalid, Zod, t3-env, Joi, env-schema, class-validator
        found.env_reads.extend(js_env_schemas.env_schemas(path, text))
        skip = js_env_schemas.skip_validation(text)
        if skip is not None:
            # The variable that lets a build import the env module without the runtime's values: "NAME file:line".
            found.detail("skip_env_validation", f"{skip[0]} {path}:{skip[1]}")
    hash_comments = path.endswith(_HASH_COMMENTED)
    for index, matches in found_by_idiom or ():
        mode = idioms[index].mode
        for match in matches:
            if is_commented_out(text, match.start(), hash_comments):
                continue
            line = text.count("\n", 0, match.start()) + 1
            found.env_reads.append(_read(mode, match, Evidence(path, line, "read in code"), text))
    if path.endswith(".py") and "Env(" in text:
        _environ_scheme(path, text, found)
    # Only JavaScript reads process.env; a file without the idioms' ".env" has none.
    if idioms is _JS and found_by_idiom is not None and _JS_DESTRUCTURE_SCREEN.search(text):
        for match in _JS_DESTRUCTURE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            for part in match.group(1).split(","):
                name, _, default = part.partition("=")
                name = name.split(":")[0].strip()
                if re.fullmatch(_NAME, name):
                    value = default.strip().strip("'\"`") or None
                    ev = Evidence(path, line, "read in code")
                    found.env_reads.append(EnvRead(name, ev, value, bool(default.strip())))


#: Files where ``#`` starts a comment (elsewhere it starts JavaScript private fields, C# directives, Rust attributes).
_HASH_COMMENTED = (".py", ".rb", ".rake", ".ru", ".php", ".yml", ".yaml", ".properties")


def is_commented_out(text: str, offset: int, hash_comments: bool) -> bool:
    """Whether the read at ``offset`` is on a comment line: ``// NEXT_PUBLIC_X: process.env.NEXT_PUBLIC_X``.

    A commented-out read is what the app used to do, or could do (create-t3-turbo's env template), not what it does.
    """
    head = text[text.rfind("\n", 0, offset) + 1 : offset].lstrip()
    return head.startswith(("//", "/*", "*")) or (hash_comments and head.startswith("#"))


def _read(mode: str, match: re.Match[str], evidence: Evidence, text: str) -> EnvRead:
    groups = match.groups()
    name = groups[0]
    # The fallback clause, if any (the first group set after the name), and its value (the first group set after
    # the clause's: every idiom's clause group holds its value groups). Plain loops: this runs for every read,
    # thousands in a large app, where generators cost more than the match.
    tail = value = None
    for group in groups[1:]:
        if group is not None:
            tail = group
            break
    if tail:
        for group in groups[2:]:
            if group is not None:
                value = group
                break
        if value is not None and _CONCATENATED.match(text, match.end()):
            value += "…"  # only the start of the default: "sqlite:///" + os.path.join(...)
    if mode == "required":
        return EnvRead(name, evidence)
    if mode == "optional":
        return EnvRead(name, evidence, None, True)
    if mode in ("call-optional", "fallback-optional"):  # os.getenv("X") yields None: optional even without a default
        return EnvRead(name, evidence, value, True)
    if mode == "python-index":
        return EnvRead(name, evidence, None, _python_guarded(text, match.start()))
    if mode == "js":
        return EnvRead(name, evidence, value, tail is not None or not _js_asserted(text, match))
    if mode == "csharp":  # null when unset: optional unless the code asserts it
        return EnvRead(name, evidence, value, tail is not None or not _CS_ASSERTED.match(text, match.end()))
    if mode == "rust":
        return EnvRead(name, evidence, value, tail is not None or not _RUST_FAILS.match(text, match.end()))
    if mode == "go":
        return _go_read(name, match, evidence, text)
    if mode == "placeholder":
        return EnvRead(name, evidence, match.group(3), match.group(2) is not None)
    if mode == "environ-implicit":
        return EnvRead(_ENVIRON_IMPLICIT[name], evidence)
    return EnvRead(name, evidence, value, tail is not None and tail.strip() != "")


#: A default literal that is only the start of the value: ``"sqlite:///" + path``.
_CONCATENATED = re.compile(r"[ \t]*\+")


def _python_guarded(text: str, offset: int) -> bool:
    """Whether the read at ``offset`` only runs when the variable may be set.

    True when the read is on a line that tests the environment
    (``"X" in os.environ and os.environ["X"]``), or inside a block that does
    (``if "X" in os.environ:``, ``if os.getenv("FEATURE"):``, conditions over
    several lines too), or inside ``try:``.
    """
    start = text.rfind("\n", 0, offset) + 1
    if _PY_ENV_TEST.search(text[start:offset]):
        return True
    line = text.count("\n", 0, offset) + 1
    return any(first <= line <= last for first, last in _python_guarded_lines(text))


_PY_ENV_TEST = re.compile(r"\bin\s+(?:os\.)?environ\b|\bgetenv\(|environ\.get\(")


@functools.lru_cache(maxsize=4)
def _python_guarded_lines(text: str) -> tuple[tuple[int, int], ...]:
    """Line ranges of the bodies of ``if``/``while`` blocks that test the environment, and of ``try:`` blocks."""
    try:
        module = ast.parse(text)
    except (SyntaxError, ValueError):
        return ()
    ranges = []
    for node in ast.walk(module):
        if isinstance(node, (ast.If, ast.While)) and _PY_ENV_TEST.search(ast.unparse(node.test)):
            ranges.append((node.body[0].lineno, node.end_lineno or node.lineno))  # the else branch too
        elif isinstance(node, ast.Try):
            ranges.append((node.body[0].lineno, node.body[-1].end_lineno or node.lineno))
    return tuple(ranges)


# ``if (!process.env.X) throw ...`` and TypeScript's ``process.env.X!`` say the app cannot run without X.
_JS_GUARD_BEFORE = re.compile(r"\bif\s*\(\s*!\s*$")
# The guarded block may log first: ``{ logger.error("set X"); process.exit(1); }``.
_JS_STOPS = r"\s*\)?\s*(?:\{[^{}]{0,300}?)?(?<![\w$.])(?:throw\b|process\.exit\()"
_JS_GUARD_AFTER = re.compile(_JS_STOPS)
# ``const SECRET = process.env.SECRET;`` ... ``if (!SECRET) { ...; process.exit(1) }``: the guard is on the copy.
_JS_ASSIGNED = re.compile(r"\b(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*[\w$|<> ]+)?=\s*$")
_JS_NON_NULL = re.compile(r"!(?!=)")
# Libraries that throw without the value: express-session/cookie-session ``secret:``, passport-jwt
# ``secretOrKey:``, jsonwebtoken ``jwt.sign(payload, secret)`` ("secretOrPrivateKey must have a value").
_JS_SECRET_ARGUMENT = re.compile(
    r"(?:\b(?:session|cookieSession|expressSession)\(\s*\{(?:[^{}]|\{[^{}]*\})*\bsecret\s*:|\bsecretOrKey\s*:|\bjwt\.(?:sign|verify)\([^()]*,)\s*$"
)


def _js_asserted(text: str, match: re.Match[str]) -> bool:
    """Whether the code cannot run without the variable (a ``process.env`` read is otherwise optional)."""
    if _JS_NON_NULL.match(text, match.end()):
        return True
    before = text[max(0, match.start() - 300) : match.start()]
    # Through the needles (``secret``, ``jwt.``, ``if``): a regex search tries every one of the 300 positions.
    if search(_JS_SECRET_ARGUMENT, before):
        return True
    if _JS_GUARD_AFTER.match(text, match.end()) and search(_JS_GUARD_BEFORE, before):
        return True
    assigned = _JS_ASSIGNED.search(before[-120:])
    if assigned is None:
        return False
    guard = re.compile(rf"\bif\s*\(\s*!\s*{re.escape(assigned.group(1))}{_JS_STOPS}")
    return guard.search(text, match.end()) is not None


#: C#'s ``?? throw new ...`` and the null-forgiving ``!`` say the code cannot run without the value.
_CS_ASSERTED = re.compile(r"\s*(?:\?\?\s*throw\b|!(?!=))")

#: ``env::var("X")?``, ``.unwrap()``, ``.expect(...)``: the Result's error stops the app. Anything else
#: (``.ok()``, ``if let Ok(v) = env::var(...)``, ``match``, ``.unwrap_or_default()``) handles it.
_RUST_FAILS = re.compile(r"\s*(?:\?|\.\s*(?:unwrap|expect)\()")


# ``cmp.Or(os.Getenv("X"), "d")`` (Go), ``Objects.requireNonNullElse(System.getenv("X"), "d")`` (Java)...
_WRAPPED_BEFORE = re.compile(r"(?:\bcmp\.Or|\brequireNonNullElse)\(\s*$")
_WRAPPED_AFTER = re.compile(r'^\s*,\s*(?:"([^"\n]*)"|(\d+))')
# ...and ``Optional.ofNullable(System.getenv("X")).orElse("d")``.
_OR_ELSE = re.compile(r'^\s*\)\s*\.orElse\(\s*(?:"([^"\n]*)"|(\d+))')
_ASSIGNED_TO = re.compile(r"(\w+)\s*:?=\s*$")


def _go_read(name: str, match: re.Match[str], evidence: Evidence, text: str) -> EnvRead:
    """``os.Getenv``/``System.getenv`` return ""/null (optional): a default is a wrapper, or a check that follows.

    The check must be on the variable the read was assigned to: ``if port == "" { port = "8080" }``
    (Go) or ``if (port == null) { port = "8080"; }`` (Java).
    """
    before, after = text[max(0, match.start() - 80) : match.start()], text[match.end() : match.end() + 300]
    wrapped = (_WRAPPED_AFTER.match(after) if search(_WRAPPED_BEFORE, before) else None) or _OR_ELSE.match(after)
    if wrapped:
        return EnvRead(name, evidence, wrapped.group(1) if wrapped.group(1) is not None else wrapped.group(2), True)
    var = _ASSIGNED_TO.search(before)
    if var is not None:
        v = re.escape(var.group(1))
        check = re.search(rf'\bif\s*\(?\s*{v}\s*==\s*(?:""|null)[^{{\n]*\{{?\s*{v}\s*=\s*(?:"([^"\n]*)"|(\d+))', after)
        if check:
            return EnvRead(name, evidence, check.group(1) if check.group(1) is not None else check.group(2), True)
    return EnvRead(name, evidence, None, True)  # "" / null when unset: the app decides what that means


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
    for var, value, line in parse_env_file(text):
        ev = Evidence(app.rel(name), line, "listed in example env file")
        found.env_reads.append(EnvRead(var, ev, example=value))


#: Set by the platform that starts the process, never by whoever configures the app: systemd's
#: socket activation and watchdog, the login session, locale, temp folders, CI runners, and the
#: container orchestrators' own metadata. They are not app configuration: never reported, never given values.
PLATFORM_VARIABLES = frozenset(
    {
        "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
        "INVOCATION_ID", "JOURNAL_STREAM", "RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CACHE_DIRECTORY",
        "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY", "CREDENTIALS_DIRECTORY", "MAINPID", "MANAGERPID",
        "HOME", "PATH", "USER", "USERNAME", "LOGNAME", "SHELL", "PWD", "OLDPWD", "SHLVL", "TERM", "COLORTERM",
        "HOSTNAME", "TZ", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TMPDIR", "TEMP", "TMP",
        "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME",
        "CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "TRAVIS", "JENKINS_URL",
        "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "ECS_CONTAINER_METADATA_URI",
        "ECS_CONTAINER_METADATA_URI_V4", "AWS_EXECUTION_ENV", "DYNO",
    }
)  # fmt: skip

#: npm and the other package managers set these for the scripts they run (``npm_lifecycle_event``,
#: ``npm_package_version``, ``npm_config_*``): the runner's, not the app's configuration.
_PACKAGE_RUNNER_PREFIX = "npm_"

# ``scheme://user:password@`` or ``scheme://:password@`` (Redis has no user name).
_CREDENTIALS_IN_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s:@]*:[^@\s/]+@", re.IGNORECASE)


#: Evidence's own order (path, line, reason) as a key: the dataclass's __lt__ is Python code, and a
#: variable read in hundreds of files sorts its evidence with thousands of comparisons.
_EVIDENCE_ORDER = operator.attrgetter("path", "line", "reason")


def collect(found: Findings) -> tuple[EnvVar, ...]:
    """Merge the reads of each variable into one :class:`EnvVar`, sorted by name."""
    by_name: dict[str, list[EnvRead]] = {}
    for read in found.env_reads:
        if read.name not in PLATFORM_VARIABLES and not read.name.startswith(_PACKAGE_RUNNER_PREFIX):
            by_name.setdefault(read.name, []).append(read)
    result = []
    for name in sorted(by_name):
        reads = by_name[name]
        # An example file documents a variable; it does not say the app fails without it, and a
        # made-up value could switch a feature on (fake PLAID_CLIENT_ID + PLAID_SECRET enable Plaid).
        in_code = [r for r in reads if r.example is None]
        required = bool(in_code) and (any(r.needed for r in in_code) or not any(r.has_default for r in in_code))
        default = next((r.default for r in in_code if r.default is not None), None)
        # A credential in a code default is as secret as one in an example file.
        secret = is_secret_name(name) or any(_CREDENTIALS_IN_URL.match(r.example or r.default or "") for r in reads)
        if secret:
            default = None  # never repeat a secret-looking literal from the source
        evidence = tuple(sorted({r.evidence for r in reads}, key=_EVIDENCE_ORDER))
        shape = next((r.shape for r in reads if r.shape is not None), None)
        result.append(EnvVar(name, secret, required, default, evidence, shape))
    return tuple(result)
