"""The cost model of the source scans: each file read once, and substring screens that never lose a match."""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from migrate.inspect import envschemas, envvars, health, inspect_tree, knowledge, listen, mounts, procfile, services
from migrate.inspect.detectors import deno, dotnet, go, java, node, php, python, ruby, rust, static
from migrate.inspect.detectors.base import AppDir, Findings
from migrate.inspect.prefilter import Needle, anchors, finditer, may_match, needles, passes, screen
from migrate.inspect.tree import SourceTree

MakeTree = Callable[[dict[str, str | bytes]], Path]
REPO = Path(__file__).resolve().parent.parent

# ---------------------------------------------------------------- needles
@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bprocess\.env\.([A-Z_]+)", ("process.env.",)),
        (r"(?:getenv|environ)\(\s*'", ("getenv", "environ")),
        (r"a?bcd+e", ("bc",)),  # the optional "a" is not required; "d+" breaks the run of literals
        (r"(?:os\.)?getenv\(", ("getenv(",)),
        (r"x(?:ab){2,}y", ("ab",)),
        (r"[abc]\d+", None),  # no literal at all
        (r"(?i:port)\s*=", None),  # case-insensitive literals are not needles; "=" is too short
        (r"ping|x", None),  # one branch without a needle: nothing is required
    ],
)
def test_needles_are_what_every_match_must_contain(pattern: str, expected: tuple[str, ...] | None) -> None:
    assert needles(re.compile(pattern)) == expected


def test_case_insensitive_patterns_have_no_needles() -> None:
    assert needles(re.compile(r"process\.env", re.IGNORECASE)) is None


def test_screen_keeps_the_fewest_needles() -> None:
    js = (re.compile(r"\bprocess\.env\.X"), re.compile(r"\bimport\.meta\.env\.X"), re.compile(r"\bBun\.env\.X"))
    assert screen(js) == (".env.X",)
    assert screen((re.compile(r"os\.environ\["), re.compile(r"(?<!\w)environ\["))) == ("environ[",)
    assert screen((re.compile(r"getenv"), re.compile(r"[a-z]+"))) is None


def _patterns(module: ModuleType) -> Iterator[re.Pattern[str]]:
    """Every compiled pattern a scanner module holds: module globals, idioms, class attributes, tables."""
    seen: list[object] = [vars(module)]
    while seen:
        value = seen.pop()
        if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
            yield value
        elif isinstance(value, dict):
            seen.extend(value.values())
        elif isinstance(value, (tuple, list)):
            seen.extend(value)
        elif isinstance(value, envvars._Idiom):
            seen.append(value.pattern)
        elif isinstance(value, type) and value.__module__ == module.__name__:
            seen.extend(v for k, v in vars(value).items() if not k.startswith("__"))


_MODULES = (envvars, envschemas, health, listen, mounts, services, knowledge, procfile, deno, dotnet, go, java, node, php, python, ruby, rust, static)
_SNIPPETS = """
const port = Number(process.env.PORT) || 3000; const { A = 1, B } = process.env; import.meta.env.VITE_X ?? "d"
Bun.env.TOKEN; Deno.env.get("KEY") || "x"; app.get("/health", h); router.get('/api/v1/healthz'); app.listen(8080)
server.listen({ port: 4000 }); new Server({ port: 5000 }); let PORT = 3000; createServer(app).listen(port)
os.environ["DATABASE_URL"]; environ['X']; os.getenv("SECRET_KEY", "d"); os.environ.get('A', default='b')
env("DEBUG", default=False); env.bool("DEBUG", False); config("PORT", 8000); env.db(); environ.Env(DEBUG=(bool, False))
@app.get("/ping") @router.api_route("/ready") path("health/", view) re_path(r"^healthz$", v) url(r'^up/$', v)
ENV["RAILS_ENV"] || "production"; ENV.fetch("PORT") { 3000 }; ENV.fetch("X", "y"); get '/health' do
os.Getenv("PORT"); os.LookupEnv("X"); getEnv("ADDR", ":8080"); mux.HandleFunc("GET /healthz", h); http.ListenAndServe(":8080", nil)
System.getenv("PORT"); System.getenv().getOrDefault("X", "1"); ${SERVER_PORT:8080} @GetMapping("/health")
env('APP_KEY'); getenv('X') ?: 'd'; $_ENV['DB'] ?? 'x'; Route::get('/up', fn () => 'ok');
Environment.GetEnvironmentVariable("ASPNETCORE_URLS") ?? "http://+:8080"; app.MapHealthChecks("/health");
std::env::var("PORT").unwrap_or_else(|_| "8080".into()); env::var("X").ok(); #[get("/health")]
"""


_SOURCE_SUFFIXES = {
    ".py", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".go", ".rb", ".php", ".java", ".kt", ".cs", ".rs",
    ".properties", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".json", ".env", ".example", ".txt", ".html",
}  # fmt: skip


def _corpus() -> Iterator[str]:
    """Our snippets, and the source and config files of our examples (not their generated output)."""
    yield _SNIPPETS
    for path in sorted((REPO / "examples").rglob("*")):
        kept = path.suffix in _SOURCE_SUFFIXES and "generated" not in path.parts and path.stat().st_size < 50_000
        if kept and path.is_file():
            yield path.read_text(encoding="utf-8", errors="replace")


def test_every_match_of_every_scanner_pattern_contains_one_of_its_needles() -> None:
    """The screen may only skip work: a text it rules out must have no match (checked on our examples)."""
    patterns = {p for module in _MODULES for p in _patterns(module)}
    assert len(patterns) > 80  # the walk found the scanners' patterns
    texts = list(_corpus())
    screened = 0
    for pattern in patterns:
        found = needles(pattern)
        if found is None:
            continue
        screened += 1
        for text in texts:
            assert may_match(pattern, text) or pattern.search(text) is None, pattern.pattern
            for match in pattern.finditer(text):
                assert any(n in match.group(0) for n in found), (pattern.pattern, match.group(0), found)
    assert screened > 40


def _variants(text: str) -> Iterator[str]:
    """The text, and shapes of it that reach the search's other paths: folded case, non-ASCII, crowded needles."""
    yield text
    yield text.upper()  # literals that ignore case must still be found
    yield "\u017f\u212a " + text  # non-ASCII (long s, Kelvin sign): folding may not use str.lower()
    yield "\n".join(line + " " + line for line in text.splitlines())  # matches that touch


def test_the_anchored_search_finds_exactly_what_the_regex_finds() -> None:
    """finditer tries a pattern only where a needle lets a match start: the same matches, in the same order."""
    patterns = {p for module in _MODULES for p in _patterns(module)}
    texts = [*_variants(_SNIPPETS), *_corpus()]  # every shape of our snippets, and the examples as they are
    anchored = 0
    for pattern in patterns:
        anchored += anchors(pattern) is not None
        for text in texts:
            expected = [(m.span(), m.groups()) for m in pattern.finditer(text)]
            assert [(m.span(), m.groups()) for m in finditer(pattern, text)] == expected, pattern.pattern
    assert anchored > 60


def test_a_scan_of_several_patterns_finds_what_each_finds_alone() -> None:
    """The env idioms of each language share their needles' search; each idiom still gets exactly its own matches."""
    texts = [*_variants(_SNIPPETS), *_corpus()]
    # A JS file none of whose idioms' shared needles occurs is not searched for `{ A } = process.env` either.
    assert any(key in "process.env" for key in envvars._SCANS[1].keys)
    for scan in envvars._SCANS:
        assert scan.keys  # every language's idioms share needles
        for text in texts:
            expected = [[(m.span(), m.groups()) for m in p.finditer(text)] for p in scan.patterns]
            found = scan.finditer(text)
            if found is None:  # no shared needle: the idioms cannot match
                assert not any(expected)
                continue
            assert [[(m.span(), m.groups()) for m in matches] for matches in found] == expected
            # The sparse form envvars reads: only the patterns that match, by index, each with the same matches.
            sparse = [(i, [(m.span(), m.groups()) for m in matches]) for i, matches in scan.matches(text) or ()]
            assert sparse == [(i, e) for i, e in enumerate(expected) if e]


def test_a_gate_rules_out_a_text_in_one_pass_for_all_of_a_languages_idioms() -> None:
    """Go's idioms have five shared needles (``ust`` of ``mustGetenv`` among them): one ``nv`` pass rules a file out."""
    go_scan = envvars._SCANS[envvars._GROUP_OF_SUFFIX[".go"]]
    assert len(go_scan.keys) > 1 and go_scan.gate == "nv"
    assert go_scan.matches("func main() { trust := must(load()) }") == []  # holds "ust", not "nv"
    texts = [*_variants(_SNIPPETS), *_corpus()]
    for scan in envvars._SCANS:
        if scan.gate is None:
            continue
        for pattern in scan.patterns:
            for text in texts:
                assert all(scan.gate in m.group(0) for m in pattern.finditer(text)), pattern.pattern


def test_the_destructuring_screen_holds_every_destructuring_read() -> None:
    """``_JS_DESTRUCTURE`` runs only on text its screen finds; the screen's match is inside every one of its matches."""
    texts = [*_variants(_SNIPPETS), *_corpus(), "const {\n  A,\n  B = 2\n} =\n  process.env;\n", "({ X } = process.env)"]
    seen = 0
    for text in texts:
        for match in envvars._JS_DESTRUCTURE.finditer(text):
            seen += 1
            assert envvars._JS_DESTRUCTURE_SCREEN.search(match.group(0)) is not None
    assert seen >= 3


def test_a_js_file_without_env_needs_no_process_env_test() -> None:
    """The schema screen skips its ``process.env`` pass when the idioms' scan found no ``.env``: the same answer."""
    from migrate.inspect import js_env_schemas

    for text in [*_variants(_SNIPPETS), *_corpus(), "z.object({ A: z.string() })", "cleanEnv(x, {})"]:
        if ".env" not in text:
            assert js_env_schemas.needs_scan(text, False) == js_env_schemas.needs_scan(text)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bos\.getenv\(", (Needle("os.getenv(", False, 0, 0),)),
        # The optional words before "addr" bound where a match can start: 0 to 8 characters before it.
        (r"\b(?i:(?:default|listen)?_?addr|listen)\s*=", (Needle("addr", True, 0, 8), Needle("listen", True, 0, 0))),
        (r"(?:\w+_)?PORT\s*=", None),  # a needle any distance into a match anchors nothing
    ],
)
def test_anchors_say_where_a_needle_sits_in_every_match(pattern: str, expected: tuple[Needle, ...] | None) -> None:
    assert anchors(re.compile(pattern)) == expected


def test_every_literal_run_screens_a_text() -> None:
    cgo = re.compile(r'^import\s+"C"\s*$', re.MULTILINE)
    assert not may_match(cgo, 'package db\nimport (\n\t"fmt"\n)\n')  # "import" alone: no match possible
    assert may_match(cgo, 'import "C"\n')


def test_case_folding_needles_are_found_in_non_ascii_text() -> None:
    kelvin = re.compile(r"(?i)kelvin")
    assert [m.group(0) for m in finditer(kelvin, "\u212aELVIN and KeLvIn")] == ["\u212aELVIN", "KeLvIn"]
    addr = re.compile(r"\b(?i:listen_?addr)\s*=")  # a folded anchor ("addr"); an em dash before it
    text = "// caf\u00e9 \u2014 x\nLISTEN_ADDR = 1\nli\u017ftenAddr= 2"  # the long s matches "s" ignoring case
    assert [m.span() for m in finditer(addr, text)] == [m.span() for m in addr.finditer(text)] == [(12, 25), (28, 39)]


def test_the_fold_is_what_the_regex_matches_ignoring_case() -> None:
    """Each character a case-ignoring regex matches to an ASCII letter is folded to that letter, one for one."""
    from migrate.inspect import prefilter

    every = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)
    folded = prefilter._fold(every)
    assert len(folded) == len(every)  # positions hold
    letters = re.compile(r"(?i)[a-z]")
    for char, out in zip(every, folded, strict=True):
        if letters.fullmatch(char) is not None:
            assert "a" <= out <= "z" and re.fullmatch("(?i)" + out, char) is not None, hex(ord(char))
        else:
            assert not ("a" <= out <= "z"), hex(ord(char))  # no candidate the regex could not take


def test_a_crowded_needle_gives_the_regex_its_own_scan() -> None:
    pattern = re.compile(r"\benv\(\s*'([A-Z]+)'")
    text = "env env env " * 500 + "env('X') env( 'Y')"
    assert [m.group(1) for m in finditer(pattern, text)] == ["X", "Y"]


# ---------------------------------------------------------------- each file read once
def test_inspect_reads_each_source_file_once(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    """Env vars, ports, health routes and services all scan the same sources through one cached read."""
    files: dict[str, str | bytes] = {
        "package.json": '{"name": "api", "scripts": {"start": "node src/main.js"}, "dependencies": {"express": "^4"}}',
        "src/main.js": 'const app = require("express")();\napp.get("/healthz", (q, s) => s.send("ok"));\n'
        "app.listen(Number(process.env.PORT) || 3000);\n",
    }
    for i in range(40):
        files[f"src/modules/m{i}.ts"] = f'import x from "./x";\nexport const v{i} = process.env.VALUE_{i % 5} ?? "{i}";\n'
    reads: Counter[str] = Counter()
    original = SourceTree._read_bytes

    def counting(self: SourceTree, rel: str, warn: Callable[[str], None]) -> bytes | None:
        reads[rel] += 1
        return original(self, rel, warn)

    monkeypatch.setattr(SourceTree, "_read_bytes", counting)
    app = inspect_tree(make_tree(files)).apps[0]
    assert (app.port.value, app.health_path.value) == (3000, "/healthz")
    assert {v.name for v in app.env} >= {"PORT", "VALUE_0", "VALUE_4"}
    assert reads and max(reads.values()) == 1, reads.most_common(3)
    assert all(f"src/modules/m{i}.ts" in reads for i in range(40))


def test_a_mount_search_parses_only_the_python_modules_on_its_way(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    """A FastAPI app of many router modules: the health route's mounts need main, api and health, not every router."""
    files: dict[str, str | bytes] = {
        "app/main.py": 'from fastapi import FastAPI\nfrom app.api import api_router\n\napp = FastAPI()\n'
        'app.include_router(api_router, prefix="/api")\n',
        "app/api.py": 'from fastapi import APIRouter\nfrom app.routes import health\n\napi_router = APIRouter()\n'
        'api_router.include_router(health.router, prefix="/utils")\n',
        "app/routes/health.py": 'from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get("/health")\ndef h() -> str:\n    return "ok"\n',
    }
    for i in range(30):
        files[f"app/routes/r{i}.py"] = f'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/r{i}")\n\n\n@router.get("/")\ndef items() -> list[int]:\n    return []\n'
    parsed: Counter[str] = Counter()
    original = mounts.ast.parse

    def counting(source: str, filename: str = "<unknown>", *args: object, **kwargs: object) -> object:
        parsed[filename] += 1
        return original(source, filename, *args, **kwargs)  # type: ignore[call-overload]

    tree = SourceTree.scan(make_tree(files))
    monkeypatch.setattr(mounts.ast, "parse", counting)
    found = Findings()
    health.detect(AppDir(tree, "."), found)
    assert found.get("health_path") == "/api/utils/health"
    assert set(parsed) == {"app/main.py", "app/api.py", "app/routes/health.py"}, parsed


@pytest.mark.parametrize("pattern", ["*.csproj", "*.tar.gz", "*proj", "*", "Dockerfile*", "*.[ch]", "*.sln", "*.x"])
def test_glob_by_extension_is_fnmatch(make_tree: MakeTree, pattern: str) -> None:
    """The extension index behind AppDir.glob gives what fnmatch gives, in the same order."""
    names = ["a.csproj", "b.CSPROJ", ".csproj", "c.csproj.bak", "x.tar.gz", "y.gz", "Dockerfile", "Dockerfile.dev", "m.c", "m.h", "sln", "a.sln"]
    tree = SourceTree.scan(make_tree({f"app/{n}": "x" for n in names}))
    assert AppDir(tree, "app").glob(pattern) == fnmatch.filter(sorted(names), pattern)


@pytest.mark.parametrize(
    "name",
    ["test_app.py", "tests.py", "app_test.py", "main_test.go", "a.test.ts", "a.spec.mjs", "b.spec.jsx", "user_spec.rb", "conftest.py",
     "app.py", "latest.py", "contest.py", "spec.rb", "Test_app.py", "a.Test.js", "x.test.tsx.bak", "testing.go", "inspect.py"],
)  # fmt: skip
def test_the_test_name_screen_is_the_test_name_regex(name: str) -> None:
    """Test file names are screened by ``test``/``spec`` before the regex: the same verdict for every name."""
    assert envvars._is_test_name(name) is (envvars._TEST_NAME.fullmatch(name) is not None)


def test_the_go_port_gate_is_held_by_every_match_it_guards() -> None:
    """The Go port search skips a pattern on a file without ``:NNNN"`` only if that pattern cannot match there."""
    texts = [*_variants(_SNIPPETS), *_corpus(), 'addr := "localhost:8080"', 'srv := &http.Server{Addr: ":9000"}']
    gated = [(pattern, gate) for pattern, _reason, gate in go._PORT_PATTERNS if gate is not None]
    assert len(gated) == 3
    seen = 0
    for pattern, gate in gated:
        for text in texts:
            for match in pattern.finditer(text):
                seen += 1
                assert gate.search(match.group(0)) is not None, (pattern.pattern, match.group(0))
    assert seen >= 3


def test_a_cover_holds_a_string_of_every_needle() -> None:
    """A text without any string of the cover holds none of the needles it covers."""
    from migrate.inspect.prefilter import cover

    assert cover((".env", "cleanEnv", "createEnv", "env-var", "env-schema", "@fastify/env")) == ("env", "Env")
    assert cover(("os.Getenv(", "os.LookupEnv(", "getEnv", "envOr")) == ("nv",)
    assert cover(("aXYb", "cXYd", "eXYf")) == ("XY",)  # one short pass rather than three
    for needles_ in [("BaseSettings", "Env(", "env", "config"), ("ab",), ("${", "System.getenv(")]:
        assert all(any(part in n for part in cover(needles_)) for n in needles_)


def test_a_file_the_env_screen_rules_out_has_no_env_read(make_tree: MakeTree, monkeypatch: pytest.MonkeyPatch) -> None:
    """envvars hands a file to its scanners only when it holds a string of its group's cover, and loses nothing."""
    texts = [*_variants(_SNIPPETS), *_corpus(), "const s = cleanEnv(x, {})", "class S(BaseSettings):\n    a: str\n"]
    for group, (suffixes, idioms) in enumerate(envvars._BY_SUFFIX):
        for text in texts:
            if passes(envvars._NEEDED[group].needles, text):
                continue
            found = Findings()
            envvars._scan_file("x" + suffixes[0], text, idioms, envvars._SCANS[group], found)
            assert not found.env_reads and not found.details, (suffixes[0], text[:80])
    # ...and a file without them is not scanned at all (not even for the idioms' own needles).
    root = make_tree({"package.json": '{"name": "a", "scripts": {"start": "node a.js"}}', "a.js": "const x = 1;\n", "b.js": "process.env.A\n"})
    scanned: list[str] = []
    original = envvars._scan_file
    monkeypatch.setattr(envvars, "_scan_file", lambda path, *rest: (scanned.append(path), original(path, *rest))[1])
    inspect_tree(root)
    assert scanned == ["b.js"]
