"""Environment variables read in code and listed in example env files, per language idiom."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.inspect import envvars
from migrate.inspect.detectors.base import AppDir, EnvRead, Findings
from migrate.inspect.knowledge import is_secret_name
from migrate.inspect.tree import SourceTree
from migrate.profile import EnvVar, Evidence

MakeTree = Callable[[dict[str, str | bytes]], Path]


def scan(make_tree: MakeTree, files: dict[str, str | bytes], folder: str = ".") -> dict[str, EnvVar]:
    """The merged variables of the app in ``folder``, by name."""
    tree = SourceTree.scan(make_tree(files))
    found = Findings()
    envvars.scan(AppDir(tree, folder), found)
    return {v.name: v for v in envvars.collect(found)}


def one(make_tree: MakeTree, path: str, code: str) -> EnvVar:
    found = scan(make_tree, {path: code})
    assert len(found) == 1, found
    return next(iter(found.values()))


def shape(var: EnvVar) -> tuple[bool, str | None]:
    """``(required, default)``."""
    return var.required, var.default


# ---------------------------------------------------------------- Python
@pytest.mark.parametrize(
    ("code", "required", "default"),
    [
        ('os.environ["APP_MODE"]', True, None),
        ("environ['APP_MODE']", True, None),
        ('os.environ.get("APP_MODE")', False, None),
        ('os.environ.get("APP_MODE", "fast")', False, "fast"),
        ("os.getenv('APP_MODE', 'fast')", False, "fast"),
        ("os.getenv('APP_MODE', default='fast')", False, "fast"),
        ("int(os.getenv('APP_MODE', 3))", False, "3"),
        ('getenv("APP_MODE")', False, None),
        ('os.environ.setdefault("APP_MODE", "fast")', False, "fast"),
        ('env("APP_MODE")', True, None),
        ('env("APP_MODE", default="fast")', False, "fast"),
        ('env.bool("APP_MODE", default=False)', False, "False"),
        ("env.int('APP_MODE', 4)", False, "4"),
        ('env("APP_MODE", bool)', True, None),  # env()'s second argument is the cast, not a default
        ('config("APP_MODE")', True, None),
        ('config("APP_MODE", default="fast", cast=str)', False, "fast"),
        ('config("APP_MODE", cast=bool, default=True)', False, "True"),
        ('config("APP_MODE", "fast")', False, "fast"),
        # ``or`` a fallback (Flask's tutorials), across a line continuation too; a literal that only starts the value
        ("os.environ.get('APP_MODE') or 'fast'", False, "fast"),
        ("int(os.environ.get('APP_MODE') or 5000)", False, "5000"),
        ("os.environ.get('APP_MODE') or \\\n    'sqlite:///' + os.path.join(basedir, 'data.sqlite')", False, "sqlite:///…"),
        ("os.getenv('APP_MODE', 'fast-' + suffix)", False, "fast-…"),
        ("os.environ.get('APP_MODE') or fallback()", False, None),
    ],
)
def test_python_idioms(make_tree: MakeTree, code: str, required: bool, default: str | None) -> None:
    var = one(make_tree, "app/settings.py", f"import os\nX = {code}\n")
    assert var.name == "APP_MODE"
    assert shape(var) == (required, default)
    assert [str(e) for e in var.evidence] == ["app/settings.py:2: read in code"]


@pytest.mark.parametrize(
    ("code", "required"),
    [
        ('if "APP_MODE" in os.environ:\n    X = os.environ["APP_MODE"]\n', False),
        ('if "APP_MODE" not in os.environ:\n    pass\nelse:\n    X = os.environ["APP_MODE"]\n', False),
        ('X = "APP_MODE" in os.environ and os.environ["APP_MODE"]\n', False),
        # nested under a test of another variable: only needed when that feature is on
        ('if os.getenv("USE_S3"):\n    if True:\n        X = os.environ["APP_MODE"]\n', False),
        ('try:\n    X = os.environ["APP_MODE"]\nexcept KeyError:\n    X = None\n', False),
        ('def f():\n    if True:\n        return os.environ["APP_MODE"]\n', True),
        # a condition over several lines (bakerydemo's frontend cache)
        ('if (\n    "ZONE" in os.environ\n    or "TOKEN" in os.environ\n):\n    X = {"a": os.environ["APP_MODE"]}\n', False),
        ('if DEBUG:\n    X = os.environ["APP_MODE"]\n', True),
    ],
)
def test_python_guarded_reads_are_optional(make_tree: MakeTree, code: str, required: bool) -> None:
    found = scan(make_tree, {"settings.py": "import os\n" + code})
    assert found["APP_MODE"].required is required


def test_django_environ_implicit_names_and_scheme(make_tree: MakeTree) -> None:
    code = (
        "import environ\n\nenv = environ.Env(\n    DEBUG=(bool, False),\n    WORKERS=(int, 2),\n)\n"
        'DEBUG = env("DEBUG")\nDATABASES = {"default": env.db()}\nCACHES = {"default": env.cache_url()}\n'
    )
    found = scan(make_tree, {"settings.py": code})
    assert shape(found["DEBUG"]) == (False, "False")
    assert [str(e) for e in found["DEBUG"].evidence] == ["settings.py:4: default declared in environ.Env()", "settings.py:7: read in code"]
    assert shape(found["WORKERS"]) == (False, "2")
    assert shape(found["DATABASE_URL"]) == (True, None)
    assert found["DATABASE_URL"].secret
    assert shape(found["CACHE_URL"]) == (True, None)


def test_settings_attributes_are_not_env_reads(make_tree: MakeTree) -> None:
    assert scan(make_tree, {"a.py": "x = settings.env('NOT_ENV')\ny = self.config('ALSO_NOT')\n"}) == {}


# ---------------------------------------------------------------- JavaScript / TypeScript
@pytest.mark.parametrize(
    ("code", "required", "default"),
    [
        # undefined when unset: optional, unless the code asserts it is there
        ("const v = process.env.APP_MODE;", False, None),
        ("const v = process.env['APP_MODE'];", False, None),
        ("const v: string = process.env.APP_MODE!;", True, None),
        ("if (!process.env.APP_MODE) throw new Error('APP_MODE is required');", True, None),
        ("if (!process.env.APP_MODE) {\n  process.exit(1);\n}", True, None),
        # logged first, or guarded through the constant the value was copied into (TypeScript-Node-Starter)
        ("if (!process.env.APP_MODE) {\n  console.error('set APP_MODE');\n  process.exit(1);\n}", True, None),
        ('export const MODE = process.env["APP_MODE"];\nif (!MODE) {\n  logger.error("Set MODE.");\n  process.exit(1);\n}', True, None),
        ("const MODE: string | undefined = process.env.APP_MODE;\nif (!MODE) throw new Error('MODE');", True, None),
        ("const MODE = process.env.APP_MODE;\nif (!MODE) {\n  console.warn('no MODE');\n}\nprocess.exit(0);", False, None),
        ("const MODE = process.env.APP_MODE;\nif (!OTHER) process.exit(1);", False, None),
        ("if (process.env.APP_MODE !== 'x') {}", False, None),
        # express-session and jsonwebtoken throw without their secret
        ("app.use(session({ secret: process.env.APP_MODE, resave: false }));", True, None),
        ("app.use(session({\n  store: new RedisStore({ client }),\n  secret: process.env.APP_MODE,\n}));", True, None),
        ("const lastfm = new LastFmNode({ api_key: k, secret: process.env.APP_MODE });", False, None),
        ("const t = jwt.sign({ id }, process.env.APP_MODE, { expiresIn: '1h' });", True, None),
        ('const v = process.env["APP_MODE"] || "fast";', False, "fast"),
        ("const v = process.env.APP_MODE || 'fast';", False, "fast"),
        ("const v = process.env.APP_MODE ?? 3;", False, "3"),
        ("const v = process.env.APP_MODE || fallback;", False, None),
        ("const v = Number(process.env.APP_MODE) || 3000;", False, "3000"),
        ("const v = import.meta.env.APP_MODE;", False, None),
        ("const v = import.meta.env.APP_MODE ?? `fast`;", False, "fast"),
    ],
)
def test_javascript_idioms(make_tree: MakeTree, code: str, required: bool, default: str | None) -> None:
    var = one(make_tree, "src/config.ts", code + "\n")
    assert var.name == "APP_MODE"
    assert shape(var) == (required, default)


def test_javascript_destructuring(make_tree: MakeTree) -> None:
    code = "const {\n  PORT = 3000,\n  DATABASE_URL,\n  API_HOST: host = 'localhost',\n  ...rest\n} = process.env;\n"
    found = scan(make_tree, {"server.js": code})
    assert sorted(found) == ["API_HOST", "DATABASE_URL", "PORT"]
    assert shape(found["PORT"]) == (False, "3000")
    assert shape(found["DATABASE_URL"]) == (True, None)
    assert shape(found["API_HOST"]) == (False, "localhost")
    assert [str(e) for e in found["PORT"].evidence] == ["server.js:1: read in code"]


def test_destructuring_one_variables_value_is_not_env(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"a.js": "const { host, port } = process.env.REDIS_CONFIG;\n"})
    assert sorted(found) == ["REDIS_CONFIG"]


def test_vite_builtin_flags_are_not_variables(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"src/main.ts": "if (import.meta.env.DEV) {}\nconst u = import.meta.env.VITE_API_URL;\n"})
    assert sorted(found) == ["VITE_API_URL"]


# ---------------------------------------------------------------- Ruby
@pytest.mark.parametrize(
    ("code", "required", "default"),
    [
        ('ENV["APP_MODE"]', False, None),  # nil when unset
        ("ENV['APP_MODE'] || 'fast'", False, "fast"),
        ('ENV.fetch("APP_MODE")', True, None),
        ('ENV.fetch("APP_MODE", "fast")', False, "fast"),
        ('ENV.fetch("APP_MODE") { 5 }', False, "5"),
        ('ENV.fetch("APP_MODE") { |name| raise "#{name} missing" }', False, None),
    ],
)
def test_ruby_idioms(make_tree: MakeTree, code: str, required: bool, default: str | None) -> None:
    var = one(make_tree, "config/puma.rb", f"x = {code}\n")
    assert shape(var) == (required, default)


def test_rails_database_yml_erb(make_tree: MakeTree) -> None:
    yml = 'production:\n  url: <%= ENV["DATABASE_URL"] %>\n  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>\n'
    found = scan(make_tree, {"config/database.yml": yml})
    assert shape(found["DATABASE_URL"]) == (False, None)
    assert shape(found["RAILS_MAX_THREADS"]) == (False, "5")


# ---------------------------------------------------------------- Go
def test_go_getenv_with_empty_check_default(make_tree: MakeTree) -> None:
    code = 'package main\n\nfunc main() {\n\tport := os.Getenv("PORT")\n\tif port == "" {\n\t\tport = "8080"\n\t}\n}\n'
    var = one(make_tree, "main.go", code)
    assert shape(var) == (False, "8080")
    assert [str(e) for e in var.evidence] == ["main.go:4: read in code"]


def test_go_empty_check_must_be_on_the_same_variable(make_tree: MakeTree) -> None:
    code = 'dsn := os.Getenv("DATABASE_URL")\nport := os.Getenv("PORT")\nif port == "" {\n\tport = "8080"\n}\n'
    found = scan(make_tree, {"main.go": "package main\n" + code})
    assert shape(found["DATABASE_URL"]) == (False, None)
    assert shape(found["PORT"]) == (False, "8080")


@pytest.mark.parametrize(
    ("code", "required", "default"),
    [
        ('v := os.Getenv("APP_MODE")', False, None),  # "" when unset
        ('v := mustGetenv("APP_MODE")', True, None),
        ('v, ok := os.LookupEnv("APP_MODE")', False, None),
        ('v := cmp.Or(os.Getenv("APP_MODE"), "fast")', False, "fast"),
        ('v := getEnv("APP_MODE", "fast")', False, "fast"),
    ],
)
def test_go_idioms(make_tree: MakeTree, code: str, required: bool, default: str | None) -> None:
    var = one(make_tree, "cmd/api/main.go", f"package main\n\nfunc main() {{\n\t{code}\n}}\n")
    assert shape(var) == (required, default)


# ---------------------------------------------------------------- Java / Spring
@pytest.mark.parametrize(
    ("code", "required", "default"),
    [
        ('String v = System.getenv("APP_MODE");', False, None),  # null when unset
        ('String v = System.getenv().getOrDefault("APP_MODE", "fast");', False, "fast"),
        ('String v = Optional.ofNullable(System.getenv("APP_MODE")).orElse("fast");', False, "fast"),
        ('String v = Objects.requireNonNullElse(System.getenv("APP_MODE"), "fast");', False, "fast"),
        ('String v = System.getenv("APP_MODE");\nif (v == null) {\n  v = "fast";\n}', False, "fast"),
        ('@Value("${APP_MODE:fast}") String v;', False, "fast"),
        ('@Value("${APP_MODE}") String v;', True, None),
    ],
)
def test_java_idioms(make_tree: MakeTree, code: str, required: bool, default: str | None) -> None:
    var = one(make_tree, "src/main/java/App.java", f"class App {{\n{code}\n}}\n")
    assert shape(var) == (required, default)


def test_spring_placeholders_in_config(make_tree: MakeTree) -> None:
    files = {
        "src/main/resources/application.properties": "server.port=${PORT:8080}\nspring.datasource.password=${DB_PASSWORD:}\n",
        "src/main/resources/application.yml": "spring:\n  datasource:\n    url: ${JDBC_URL}\n",
    }
    found = scan(make_tree, files)
    assert shape(found["PORT"]) == (False, "8080")
    assert found["DB_PASSWORD"].secret and not found["DB_PASSWORD"].required
    assert shape(found["JDBC_URL"]) == (True, None)
    assert "server.port" not in found


# ---------------------------------------------------------------- PHP, C#, Rust
@pytest.mark.parametrize(
    ("path", "code", "required", "default"),
    [
        ("config/app.php", "<?php $v = env('APP_MODE');", False, None),  # Laravel's env() returns null
        ("config/app.php", "<?php $v = env('APP_MODE', 'fast');", False, "fast"),
        ("config/app.php", "<?php $v = env('APP_MODE', false);", False, "false"),
        ("index.php", "<?php $v = getenv('APP_MODE');", False, None),
        ("index.php", "<?php $v = $_ENV['APP_MODE'] ?? 'fast';", False, "fast"),
        ("index.php", "<?php $v = $_ENV['APP_MODE'];", False, None),
        ("Program.cs", 'var v = Environment.GetEnvironmentVariable("APP_MODE");', False, None),
        ("Program.cs", 'var v = Environment.GetEnvironmentVariable("APP_MODE") ?? "fast";', False, "fast"),
        ("Program.cs", 'var v = Environment.GetEnvironmentVariable("APP_MODE") ?? fallback;', False, None),
        ("Program.cs", 'var v = Environment.GetEnvironmentVariable("APP_MODE") ?? throw new InvalidOperationException("APP_MODE");', True, None),
        ("Program.cs", 'var v = Environment.GetEnvironmentVariable("APP_MODE")!;', True, None),
        ("Program.cs", 'if (Environment.GetEnvironmentVariable("APP_MODE") != null) { }', False, None),
        ("src/main.rs", 'let v = env::var("APP_MODE").expect("set APP_MODE");', True, None),
        ("src/main.rs", 'let v = std::env::var("APP_MODE").unwrap_or("fast".to_string());', False, "fast"),
        ("src/main.rs", 'let v = env::var("APP_MODE").unwrap_or_else(|_| "fast".into());', False, "fast"),
        ("src/main.rs", 'let v = env::var("APP_MODE").unwrap_or_default();', False, None),
        ("src/main.rs", 'let v = env::var("APP_MODE").ok();', False, None),
        ("src/main.rs", 'let v = env::var("APP_MODE")?;', True, None),
        ("src/main.rs", 'let v = env::var("APP_MODE").unwrap();', True, None),
        ("src/main.rs", 'if let Ok(v) = env::var("APP_MODE") {}', False, None),
        ("src/main.rs", 'let v = match env::var("APP_MODE") { Ok(v) => v, Err(_) => "x".into() };', False, None),
    ],
)
def test_php_csharp_rust_idioms(make_tree: MakeTree, path: str, code: str, required: bool, default: str | None) -> None:
    var = one(make_tree, path, code + "\n")
    assert var.name == "APP_MODE"
    assert shape(var) == (required, default)


def test_php_method_named_env_is_not_a_read(make_tree: MakeTree) -> None:
    assert scan(make_tree, {"a.php": "<?php $this->env('NOPE');"}) == {}


# ---------------------------------------------------------------- secrets
@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY", "DJANGO_SECRET_KEY", "DB_PASSWORD", "PGPASSWORD", "MYSQL_ROOT_PASSWORD", "SMTP_PASS",
        "GITHUB_TOKEN", "STRIPE_API_KEY", "OPENAI_APIKEY", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
        "JWT_PRIVATE_KEY", "ENCRYPTION_KEY", "SENTRY_DSN", "DATABASE_URL", "REDIS_URL", "MONGODB_URI",
        "CELERY_BROKER_URL", "SQLALCHEMY_DATABASE_URI", "APP_DB_URL", "CELERY_RESULT_BACKEND",
        "GOOGLE_APPLICATION_CREDENTIALS", "PASSWORD_SALT", "AZURE_STORAGE_CONNECTION_STRING",
    ],
)  # fmt: skip
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "PORT", "DEBUG", "APP_ENV", "LOG_LEVEL", "POSTGRES_HOST", "ALLOWED_HOSTS", "S3_BUCKET",
        "NEXT_PUBLIC_API_KEY", "VITE_STRIPE_KEY", "REACT_APP_TOKEN", "PUBLIC_SENTRY_DSN",
        "ACCESS_TOKEN_EXPIRE_MINUTES", "JWT_ALGORITHM", "TOKEN_TTL", "PASSWORD_RESET_TIMEOUT",
        "DB_PASSWORD_FILE", "API_KEY_HEADER", "CACHE_KEY_PREFIX", "TOKEN_URL",
    ],
)  # fmt: skip
def test_not_secret_names(name: str) -> None:
    assert not is_secret_name(name)


def test_secret_defaults_are_never_repeated(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"app.py": 'import os\nK = os.getenv("SECRET_KEY", "dev-only-insecure")\n'})
    assert found["SECRET_KEY"].secret
    assert found["SECRET_KEY"].default is None
    assert not found["SECRET_KEY"].required


def test_credentials_in_a_code_default_make_it_secret(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"app.py": 'import os\nU = os.getenv("STORE", "postgres://admin:hunter2@db/app")\n'})
    assert found["STORE"].secret and found["STORE"].default is None


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("postgresql://app:app@localhost:5432/app", True),
        ("redis://:s3cret@cache:6379/0", True),
        ("amqp://guest:guest@rabbit//", True),
        ("redis://cache:6379/0", False),
        ("https://example.com/a:b@c", False),
    ],
)
def test_credentials_in_example_values_make_it_secret(make_tree: MakeTree, value: str, secret: bool) -> None:
    found = scan(make_tree, {".env.example": f"UPSTREAM={value}\n"})
    assert found["UPSTREAM"].secret is secret


# ---------------------------------------------------------------- merging, example files, tests
def test_required_only_when_no_read_has_a_default(make_tree: MakeTree) -> None:
    files = {"a.py": 'import os\nos.environ["MODE"]\n', "b.py": 'import os\nos.environ.get("MODE", "x")\n'}
    found = scan(make_tree, files)
    assert shape(found["MODE"]) == (False, "x")
    assert [str(e) for e in found["MODE"].evidence] == ["a.py:2: read in code", "b.py:2: read in code"]


def test_code_beats_example_file_for_required_and_default(make_tree: MakeTree) -> None:
    files = {".env.example": "LOG_LEVEL=debug\n", "a.py": 'import os\nos.getenv("LOG_LEVEL", "INFO")\n'}
    assert shape(scan(make_tree, files)["LOG_LEVEL"]) == (False, "INFO")


def test_example_env_files(make_tree: MakeTree) -> None:
    example = (
        "# comment\n\nexport API_HOST=api.internal\nEMPTY=\nQUOTED='a b'  \n"
        'WITH_COMMENT=value # trailing\nlower_case=1\nnot a line\n'
    )
    found = scan(make_tree, {".env.sample": example})
    assert sorted(found) == ["API_HOST", "EMPTY", "QUOTED", "WITH_COMMENT", "lower_case"]
    assert not found["EMPTY"].required, "an example file lists a variable; it does not say the app fails without it"
    assert not found["API_HOST"].required
    assert found["API_HOST"].default is None, "an example value is not a default"
    assert [str(e) for e in found["API_HOST"].evidence] == [".env.sample:3: listed in example env file"]


def test_example_env_files_are_read_as_dotenv_reads_them(make_tree: MakeTree) -> None:
    example = 'CERT="-----BEGIN-----\nNOT_A_VAR=inside\n-----END-----"\nGREETING="say \\"hi\\""\n\n# note\nAFTER=1\n'
    found = scan(make_tree, {".env.example": example, "app.py": 'import os\nos.getenv("GREETING")\n'})
    assert sorted(found) == ["AFTER", "CERT", "GREETING"], "a multi-line value's lines are not variables"
    assert [str(e) for e in found["AFTER"].evidence] == [".env.example:7: listed in example env file"]
    found_raw = Findings()
    envvars.scan(AppDir(SourceTree.scan(make_tree({".env.example": example})), "."), found_raw)
    assert {r.name: r.example for r in found_raw.env_reads}["GREETING"] == 'say "hi"'


@pytest.mark.parametrize("name", envvars.EXAMPLE_ENV_FILES)
def test_every_example_file_name_is_read(make_tree: MakeTree, name: str) -> None:
    assert list(scan(make_tree, {name: "A_VAR=1\n"})) == ["A_VAR"]


def test_real_env_file_is_not_read(make_tree: MakeTree) -> None:
    assert scan(make_tree, {".env": "SECRET_KEY=real-secret\n"}) == {}


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_app.py", "test/helpers.py", "app/test_views.py", "app/views_test.py", "conftest.py",
        "polls/tests.py", "src/app.test.ts", "src/app.spec.js", "src/app.test.mjs", "__tests__/a.js",
        "spec/models/user_spec.rb", "main_test.go", "e2e/login.ts", "cypress/support.js", "testdata/x.go",
        "src/test/resources/application.yml", "tests/unit/deep/helpers.py", "web/__tests__/pages/home/a.jsx",
    ],
)  # fmt: skip
def test_test_files_are_skipped(make_tree: MakeTree, path: str) -> None:
    code = {
        ".py": 'import os\nos.environ["FROM_TEST"]\n',
        ".go": 'package x\nvar v = os.Getenv("FROM_TEST")\n',
        ".rb": 'ENV["FROM_TEST"]\n',
        ".yml": "x: ${FROM_TEST}\n",
    }.get(Path(path).suffix, "process.env.FROM_TEST\n")
    assert scan(make_tree, {path: code}) == {}


def test_files_that_only_look_like_tests_are_scanned(make_tree: MakeTree) -> None:
    assert "REAL" in scan(make_tree, {"latest_news.py": 'import os\nos.environ["REAL"]\n'})


def test_nested_apps_are_not_scanned(make_tree: MakeTree) -> None:
    tree = SourceTree.scan(make_tree({"a.py": 'os.environ["OUTER"]\n', "web/b.py": 'os.environ["INNER"]\n'}))
    found = Findings()
    envvars.scan(AppDir(tree, ".", nested=frozenset({"web"})), found)
    assert [r.name for r in found.env_reads] == ["OUTER"]


def test_collect_sorts_and_dedupes_evidence() -> None:
    found = Findings()
    ev = Evidence("a.py", 1, "read in code")
    found.env_reads += [EnvRead("B", ev), EnvRead("A", ev), EnvRead("B", ev)]
    result = envvars.collect(found)
    assert [v.name for v in result] == ["A", "B"]
    assert result[1].evidence == (ev,)


# ---------------------------------------------------------------- settings schemas
PYDANTIC = '''from typing import ClassVar, Optional
from pydantic import EmailStr, Field, PostgresDsn
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True)
    SECRET_KEY: str
    PROJECT_NAME: str = "app"
    FIRST_SUPERUSER: EmailStr
    DATABASE_URL: PostgresDsn
    SENTRY_DSN: str | None = None
    SMTP_HOST: Optional[str]
    WORKERS: int = Field(4, ge=1)
    api_token: str = Field(..., alias="UPSTREAM_TOKEN")
    tags: list[str] = Field(default_factory=list)
    VERSION: ClassVar[str] = "1"
    _cache: dict = {}


class WorkerSettings(BaseSettings):
    class Config:
        env_prefix = "WORKER_"

    queue: str
    concurrency: int = 2


class MoreSettings(Settings):
    EXTRA_FLAG: bool
'''


def test_pydantic_settings_fields(make_tree: MakeTree) -> None:
    # fastapi/full-stack-fastapi-template: SECRET_KEY, FIRST_SUPERUSER*, DATABASE_URL have no default.
    found = scan(make_tree, {"app/core/config.py": PYDANTIC})
    required = {n for n, v in found.items() if v.required}
    assert required == {"SECRET_KEY", "FIRST_SUPERUSER", "DATABASE_URL", "UPSTREAM_TOKEN", "WORKER_QUEUE", "EXTRA_FLAG"}
    assert shape(found["PROJECT_NAME"]) == (False, "app")
    assert shape(found["WORKERS"]) == (False, "4")
    assert shape(found["WORKER_CONCURRENCY"]) == (False, "2")
    assert not found["SENTRY_DSN"].required and not found["SMTP_HOST"].required and not found["TAGS"].required
    assert "VERSION" not in found and "_CACHE" not in found
    assert (found["FIRST_SUPERUSER"].shape, found["DATABASE_URL"].shape, found["WORKERS"].shape) == ("email", "dsn", "int")
    assert [str(e) for e in found["SECRET_KEY"].evidence] == ["app/core/config.py:8: pydantic-settings field Settings.SECRET_KEY"]


def test_pydantic_settings_prefix_in_a_dict_and_case_sensitivity(make_tree: MakeTree) -> None:
    code = (
        "from pydantic_settings import BaseSettings\n\nclass S(BaseSettings):\n"
        "    model_config = {'env_prefix': 'my_', 'case_sensitive': True}\n    Token: str\n"
    )
    assert list(scan(make_tree, {"s.py": code})) == ["my_Token"]


def test_a_module_that_does_not_parse_is_skipped(make_tree: MakeTree) -> None:
    assert scan(make_tree, {"s.py": "class S(BaseSettings:\n    X: str\n"}) == {}


CLAP = '''use clap::Parser;

#[derive(clap::Parser)]
pub struct Config {
    /// The connection URL for the database.
    #[clap(long, env)]
    pub database_url: String,

    /// Signs the login tokens.
    #[arg(long, env)]
    #[arg(hide_env_values = true)]
    pub hmac_key: String,

    #[arg(long, env = "APP_PORT", default_value_t = 8080)]
    port: u16,

    #[arg(long, env = "SENTRY_DSN")]
    sentry: Option<String>,

    #[arg(long, env)]
    verbose: bool,

    #[arg(long, help = "no env here")]
    name: String,

    #[arg(long, env, default_value = "info")]
    log_filter: String,
}
'''


def test_clap_arguments_from_the_environment(make_tree: MakeTree) -> None:
    # launchbadge/realworld-axum-sqlx: DATABASE_URL and HMAC_KEY come only through #[clap(long, env)].
    found = scan(make_tree, {"src/config.rs": CLAP})
    assert sorted(found) == ["APP_PORT", "DATABASE_URL", "HMAC_KEY", "LOG_FILTER", "SENTRY_DSN", "VERBOSE"]
    assert {n for n, v in found.items() if v.required} == {"DATABASE_URL", "HMAC_KEY"}
    assert shape(found["APP_PORT"]) == (False, "8080")
    assert shape(found["LOG_FILTER"]) == (False, "info")
    assert found["APP_PORT"].shape == "int"
    assert [str(e) for e in found["DATABASE_URL"].evidence] == ["src/config.rs:6: clap argument read from the environment"]


def test_prisma_schema_env(make_tree: MakeTree) -> None:
    schema = 'datasource db {\n  provider  = "postgresql"\n  url       = env("DATABASE_URL")\n  directUrl = env("DIRECT_URL")\n}\n'
    found = scan(make_tree, {"prisma/schema.prisma": schema})
    assert {n: v.required for n, v in found.items()} == {"DATABASE_URL": True, "DIRECT_URL": True}
    assert found["DATABASE_URL"].shape == "dsn"
    assert [str(e) for e in found["DATABASE_URL"].evidence] == ["prisma/schema.prisma:3: Prisma schema url"]


GO_TABLE = '''package config

var defaults = map[string]*option{
	"DATABASE_URL": {
		rawValue: "postgres://localhost/feeds",
		parsed:   []string{"x"},
	},
	"LISTEN_ADDR": &option{parsed: []string{"127.0.0.1:8080"}, rawValue: "127.0.0.1:8080"},
	"POLLING_FREQUENCY": {rawValue: "60"},
	"PORT": {rawValue: ""},
}

var methods = map[string]int{"GET": 1, "POST": 2, "PUT": 3, "DELETE": 4}
'''


def test_go_option_table_read_through_a_variable(make_tree: MakeTree) -> None:
    # miniflux/v2: options declared in a table, then read with os.Environ() in a loop.
    reader = 'package config\n\nimport "os"\n\nfunc parse() {\n\tfor _, line := range os.Environ() {\n\t\t_ = line\n\t}\n}\n'
    found = scan(make_tree, {"config/options.go": GO_TABLE, "config/parser.go": reader})
    assert sorted(found) == ["DATABASE_URL", "LISTEN_ADDR", "POLLING_FREQUENCY", "PORT"]
    assert shape(found["LISTEN_ADDR"]) == (False, "127.0.0.1:8080")
    assert shape(found["POLLING_FREQUENCY"]) == (False, "60")
    assert found["DATABASE_URL"].secret and not found["DATABASE_URL"].required
    assert [str(e) for e in found["LISTEN_ADDR"].evidence] == ["config/options.go:8: option table read from the environment"]


def test_go_table_without_a_dynamic_read_is_not_env(make_tree: MakeTree) -> None:
    reader = 'package config\n\nimport "os"\n\nvar p = os.Getenv("ONLY_THIS")\n'
    assert sorted(scan(make_tree, {"config/options.go": GO_TABLE, "config/parser.go": reader})) == ["ONLY_THIS"]


# ---------------------------------------------------------------- Node schema validators
ENVALID = """import { cleanEnv, str, port, url, bool, email } from 'envalid';

// Every variable is validated once, at start-up.
export const env = cleanEnv(process.env, {
  PORT: port({ default: 3000 }),
  DATABASE_URL: url(),
  'SESSION_SECRET': str({ desc: "signs cookies, with a comma, and a } brace" }),
  ADMIN_EMAIL: email({ devDefault: 'admin@example.com' }),
  LOG_LEVEL: str({ choices: ['debug', 'info'], default: 'info' }),
  SENTRY_DSN: str({ default: undefined }),
  FEATURE_X: bool({ default: false }),
  ...sharedSpecs,
});
"""


def test_envalid_clean_env(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"src/env.ts": ENVALID})
    assert sorted(found) == ["ADMIN_EMAIL", "DATABASE_URL", "FEATURE_X", "LOG_LEVEL", "PORT", "SENTRY_DSN", "SESSION_SECRET"]
    assert {n for n, v in found.items() if v.required} == {"ADMIN_EMAIL", "DATABASE_URL", "SESSION_SECRET"}
    assert shape(found["PORT"]) == (False, "3000") and found["PORT"].shape == "int"
    assert shape(found["LOG_LEVEL"]) == (False, "info") and found["LOG_LEVEL"].shape == "choice"
    assert shape(found["FEATURE_X"]) == (False, "false")
    assert shape(found["SENTRY_DSN"]) == (False, None)
    # devDefault applies only outside production: required there, and the dev value is its default.
    assert shape(found["ADMIN_EMAIL"]) == (True, "admin@example.com") and found["ADMIN_EMAIL"].shape == "email"
    assert found["DATABASE_URL"].shape == "url"
    assert [str(e) for e in found["SESSION_SECRET"].evidence] == ["src/env.ts:7: envalid cleanEnv() field"]


def test_envalid_schema_in_a_variable(make_tree: MakeTree) -> None:
    code = "const envalid = require('envalid');\nconst specs = {\n  API_KEY: envalid.str(),\n};\nmodule.exports = envalid.cleanEnv(process.env, specs);\n"
    found = scan(make_tree, {"config.js": code})
    assert {n: v.required for n, v in found.items()} == {"API_KEY": True}
    assert [str(e) for e in found["API_KEY"].evidence] == ["config.js:3: envalid cleanEnv() field"]


CLASS_VALIDATOR = """import { IsIn, IsNotEmpty, IsNumber, IsOptional, IsUrl, Length, IsHexadecimal } from "class-validator";
import environment from "./utils/environment";
import { IsDatabaseUrl } from "./validators";

export class Environment {
  constructor() {
    void validate(this).then((errors) => { if (errors.length) process.exit(1); });
  }

  get isProduction() {
    return this.ENVIRONMENT === "production";
  }

  @IsIn(["development", "production", "test"])
  public ENVIRONMENT = environment.NODE_ENV ?? "production";

  @IsHexadecimal()
  @Length(64, 64, { message: `The SECRET_KEY must be exactly 64 hexadecimal characters (a; b)` })
  public SECRET_KEY = environment.SECRET_KEY ?? "";

  @IsNotEmpty()
  public REDIS_URL = environment.REDIS_URL;

  @IsOptional()
  @IsUrl()
  public DATABASE_READ_ONLY_URL = this.toOptionalString(
    environment.DATABASE_READ_ONLY_URL ?? environment.DATABASE_URL_READ_ONLY
  );

  @IsNumber()
  public PORT = this.toOptionalNumber(environment.PORT) ?? 3000;

  @IsNumber()
  public MAXIMUM_EXPORT_SIZE = this.toOptionalNumber(environment.MAXIMUM_EXPORT_SIZE) ?? os.totalmem();

  @IsUrl({ require_tld: false })
  public URL = environment.URL ?? (environment.HEROKU_APP_NAME ? `https://${environment.HEROKU_APP_NAME}.herokuapp.com` : "");

  @IsDatabaseUrl()
  public DATABASE_URL = this.toOptionalString(environment.DATABASE_URL);

  @IsNumber()
  public RATE_LIMITER_REQUESTS = 1000;

  @IsString()
  public APP_NAME = "Outline"
}
"""

NEST_CONFIG = """import { plainToInstance } from 'class-transformer';
import { IsEnum, IsNumber, IsOptional, IsString, Max, Min, validateSync } from 'class-validator';

class EnvironmentVariables {
  @IsEnum(Environment)
  NODE_ENV: Environment

  @IsNumber()
  @Min(0)
  @Max(65535)
  PORT: number

  @IsString()
  DATABASE_HOST!: string;

  @IsOptional()
  @IsString()
  SENTRY_DSN: string;

  @IsString()
  CACHE_PREFIX?: string;
}

class CreateNoteDto {
  @IsString()
  title: string;

  @IsString()
  TITLE_CASE_LABEL = "x";
}

export function validate(config: Record<string, unknown>) {
  const validated = plainToInstance(EnvironmentVariables, config, { enableImplicitConversion: true });
  const errors = validateSync(validated, { skipMissingProperties: false });
  if (errors.length > 0) throw new Error(errors.toString());
  return validated;
}
"""


def test_class_validator_environment_class_read_through_an_alias(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"server/env.ts": CLASS_VALIDATOR})
    assert sorted(found) == ["DATABASE_READ_ONLY_URL", "DATABASE_URL", "DATABASE_URL_READ_ONLY", "HEROKU_APP_NAME",
                             "MAXIMUM_EXPORT_SIZE", "NODE_ENV", "PORT", "REDIS_URL", "SECRET_KEY", "URL"]
    # Required: a check that a missing value (or the "" it falls back to) fails, and no @IsOptional().
    assert {n for n, v in found.items() if v.required} == {"SECRET_KEY", "REDIS_URL", "URL"}
    assert shape(found["NODE_ENV"]) == (False, "production") and found["NODE_ENV"].shape == "choice"
    assert shape(found["PORT"]) == (False, "3000") and found["PORT"].shape == "int"
    assert shape(found["MAXIMUM_EXPORT_SIZE"]) == (False, None)  # falls back to code: optional, no default known
    assert shape(found["SECRET_KEY"]) == (True, None) and found["SECRET_KEY"].shape == "hex"
    # Only the project's own check: what it lets through is not known, so not required.
    assert shape(found["DATABASE_URL"]) == (False, None)
    assert [str(e) for e in found["SECRET_KEY"].evidence] == ["server/env.ts:19: class-validator property"]


def test_class_validator_nest_configuration_class(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"src/env.validation.ts": NEST_CONFIG})
    # Upper-case properties with checks; a DTO's lower-case fields and a value of the code's own are not the environment.
    assert sorted(found) == ["CACHE_PREFIX", "DATABASE_HOST", "NODE_ENV", "PORT", "SENTRY_DSN"]
    assert {n for n, v in found.items() if v.required} == {"DATABASE_HOST", "NODE_ENV", "PORT"}
    assert found["PORT"].shape == "int" and found["NODE_ENV"].shape == "choice"
    assert [str(e) for e in found["PORT"].evidence] == ["src/env.validation.ts:11: class-validator property"]


ZOD = """import { z } from "zod";

const EnvSchema = z.object({
  DATABASE_URL: z.string().url(),
  PORT: z.coerce.number().default(3000),
  REDIS_URL: z.string().optional(), // a cache, when there is one
  NODE_ENV: z.enum(["development", "production"]).default("production"),
  JWT_SECRET: z.string().min(32).regex(/^[a-z0-9/'"]+$/),
  ADMIN_EMAIL: z.string().email().nullish(),
  nested: z.object({ inner: z.string() }),
});

export const env = EnvSchema.parse(process.env);
"""


def test_zod_object_parsed_from_process_env(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"src/env.ts": ZOD})
    assert sorted(found) == ["ADMIN_EMAIL", "DATABASE_URL", "JWT_SECRET", "NODE_ENV", "PORT", "REDIS_URL", "nested"]
    assert {n for n, v in found.items() if v.required} == {"DATABASE_URL", "JWT_SECRET", "nested"}
    assert shape(found["PORT"]) == (False, "3000") and found["PORT"].shape == "int"
    assert shape(found["NODE_ENV"]) == (False, "production") and found["NODE_ENV"].shape == "choice"
    assert found["DATABASE_URL"].shape == "url" and found["ADMIN_EMAIL"].shape == "email"
    assert [str(e) for e in found["JWT_SECRET"].evidence] == ["src/env.ts:8: Zod schema parsed from process.env"]


def test_zod_inline_safe_parse_of_a_spread_env(make_tree: MakeTree) -> None:
    code = 'import { z } from "zod";\nconst parsed = z\n  .object({ API_TOKEN: z.string(), DEBUG: z.coerce.boolean().optional() })\n  .safeParse({ ...process.env });\n'
    found = scan(make_tree, {"env.mjs": code})
    assert {n: v.required for n, v in found.items()} == {"API_TOKEN": True, "DEBUG": False}
    assert found["DEBUG"].shape == "bool"


def test_zod_object_parsed_from_an_object_of_env_reads(make_tree: MakeTree) -> None:
    code = (
        'import { z } from "zod";\nconst Env = z.object({\n  DATABASE_URL: z.string().url(),\n  PORT: z.coerce.number().default(8080),\n});\n'
        "export const env = Env.parse({\n  DATABASE_URL: process.env.DATABASE_URL,\n  PORT: process.env.PORT,\n});\n"
    )
    found = scan(make_tree, {"src/env.ts": code})
    assert {n: v.required for n, v in found.items()} == {"DATABASE_URL": True, "PORT": False}
    assert shape(found["PORT"]) == (False, "8080")


def test_a_zod_object_not_given_process_env_is_not_env(make_tree: MakeTree) -> None:
    code = 'import { z } from "zod";\nconst Body = z.object({ TITLE: z.string() });\nexport const port = process.env.PORT || 3000;\nBody.parse(req.body);\n'
    assert sorted(scan(make_tree, {"routes.ts": code})) == ["PORT"]


T3_ENV = """import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

export const env = createEnv({
  server: {
    DATABASE_URL: z.string().url(),
    AUTH_SECRET:
      process.env.NODE_ENV === "production"
        ? z.string()
        : z.string().optional(),
    NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  },
  client: {
    // NEXT_PUBLIC_CLIENTVAR: z.string(),
    NEXT_PUBLIC_API_URL: z.string().url(),
  },
  runtimeEnv: {
    DATABASE_URL: process.env.DATABASE_URL,
    AUTH_SECRET: process.env.AUTH_SECRET,
    NODE_ENV: process.env.NODE_ENV,
    NEXT_PUBLIC_API_URL: process.env.NEXT_PUBLIC_API_URL,
  },
  skipValidation: !!process.env.SKIP_ENV_VALIDATION,
});
"""


def test_t3_env_create_env(make_tree: MakeTree) -> None:
    found = scan(make_tree, {"src/env.js": T3_ENV})
    assert sorted(found) == ["AUTH_SECRET", "DATABASE_URL", "NEXT_PUBLIC_API_URL", "NODE_ENV", "SKIP_ENV_VALIDATION"]
    # runtimeEnv reads each one with process.env.X (optional alone): the schema says they are needed.
    assert {n for n, v in found.items() if v.required} == {"AUTH_SECRET", "DATABASE_URL", "NEXT_PUBLIC_API_URL"}
    assert shape(found["NODE_ENV"]) == (False, "development")
    assert [str(e) for e in found["DATABASE_URL"].evidence] == [
        "src/env.js:6: t3-env createEnv() server variable",
        "src/env.js:18: read in code",
    ]


JOI = """const Joi = require('joi');

const envVarsSchema = Joi.object()
  .keys({
    NODE_ENV: Joi.string().valid('production', 'development').required(),
    PORT: Joi.number().default(3000),
    MONGODB_URL: Joi.string().required().description('Mongo DB url'),
    SMTP_HOST: Joi.string().description('server that will send the emails'),
  })
  .unknown();

const { value: envVars, error } = envVarsSchema.prefs({ errors: { label: 'key' } }).validate(process.env);
"""


def test_joi_schema_validated_against_process_env(make_tree: MakeTree) -> None:
    # hagopj13/node-express-boilerplate: src/config/config.js
    found = scan(make_tree, {"src/config/config.js": JOI})
    assert sorted(found) == ["MONGODB_URL", "NODE_ENV", "PORT", "SMTP_HOST"]
    assert {n for n, v in found.items() if v.required} == {"MONGODB_URL", "NODE_ENV"}
    assert shape(found["PORT"]) == (False, "3000") and found["PORT"].shape == "int"
    assert found["NODE_ENV"].shape == "choice"
    assert [str(e) for e in found["MONGODB_URL"].evidence] == ["src/config/config.js:7: Joi schema validated against process.env"]


def test_joi_presence_required(make_tree: MakeTree) -> None:
    code = (
        "import Joi from 'joi';\nconst schema = Joi.object({\n  A_KEY: Joi.string(),\n  B_KEY: Joi.string().optional(),\n"
        "  C_KEY: Joi.number().default(5),\n}).options({ presence: 'required', allowUnknown: true });\n"
        "const { error, value } = schema.validate(process.env);\n"
    )
    found = scan(make_tree, {"env.js": code})
    assert {n: v.required for n, v in found.items()} == {"A_KEY": True, "B_KEY": False, "C_KEY": False}


@pytest.mark.parametrize(
    ("path", "code"),
    [
        # t3-oss/create-t3-turbo's env.ts keeps an example client variable commented out.
        ("src/env.ts", "export const env = {\n  // NEXT_PUBLIC_CLIENTVAR: process.env.NEXT_PUBLIC_CLIENTVAR,\n  KEPT: process.env.KEPT,\n};\n"),
        ("src/env.ts", "/**\n * Reads process.env.NEXT_PUBLIC_CLIENTVAR when set.\n */\nconst kept = process.env.KEPT;\n"),
        ("settings.py", "import os\n# SECRET = os.environ['NEXT_PUBLIC_CLIENTVAR']\nKEPT = os.getenv('KEPT')\n"),
        ("config/app.php", "<?php\n# 'x' => env('NEXT_PUBLIC_CLIENTVAR'),\nreturn ['kept' => env('KEPT')];\n"),
        ("main.go", 'package main\n\nimport "os"\n\n// os.Getenv("NEXT_PUBLIC_CLIENTVAR") is read by the old client.\nvar kept = os.Getenv("KEPT")\n'),
    ],
)
def test_commented_out_reads_are_not_reads(make_tree: MakeTree, path: str, code: str) -> None:
    assert sorted(scan(make_tree, {path: code})) == ["KEPT"]


def test_a_javascript_private_field_is_not_a_comment(make_tree: MakeTree) -> None:
    code = "class Server {\n  #port = process.env.APP_PORT ?? 3000;\n}\n"
    assert shape(scan(make_tree, {"server.js": code})["APP_PORT"]) == (False, "3000")


def test_env_var_library_reads(make_tree: MakeTree) -> None:
    code = (
        "const env = require('env-var');\n"
        "const port = env.get('PORT').default('3000').asPortNumber();\n"
        "const db = env.get('DATABASE_URL').required().asUrlString();\n"
        "const debug = env.get('DEBUG_SQL').asBool();\n"
        "const key = env\n  .get('API_KEY')\n  .required(false)\n  .asString();\n"
        "const headers = req.get('X_HEADER').asString;\n"
    )
    found = scan(make_tree, {"src/config.js": code})
    assert {n: v.required for n, v in found.items()} == {"API_KEY": False, "DATABASE_URL": True, "DEBUG_SQL": False, "PORT": False}
    assert shape(found["PORT"]) == (False, "3000") and found["PORT"].shape == "int"
    assert found["DATABASE_URL"].shape == "url" and found["DEBUG_SQL"].shape == "bool"
    assert [str(e) for e in found["DATABASE_URL"].evidence] == ["src/config.js:3: env-var read"]


def test_env_schema_json_schema_required_without_default(make_tree: MakeTree) -> None:
    """@fastify/env (env-schema): listed in ``required`` with no ``default`` is required; a default fills in."""
    code = (
        "import env from '@fastify/env'\n"
        "const schema = {\n  type: 'object',\n  required: ['DB_HOST', 'DB_PORT', 'COOKIE_SECRET'],\n  properties: {\n"
        "    DB_HOST: { type: 'string', default: 'localhost' },\n    DB_PORT: { type: 'number', default: 3306 },\n"
        "    COOKIE_SECRET: { type: 'string' },\n    RATE_LIMIT_MAX: { type: 'number' },\n"
        "    // a comment with required: ['X']\n    SECURED: { type: 'boolean', default: true }\n  }\n}\n"
        "export default fp(async (app) => { await app.register(env, { schema, dotenv: false }) })\n"
    )
    found = scan(make_tree, {"src/plugins/env.ts": code})
    assert {name: shape(var) for name, var in found.items()} == {
        "DB_HOST": (False, "localhost"), "DB_PORT": (False, "3306"), "COOKIE_SECRET": (True, None),
        "RATE_LIMIT_MAX": (False, None), "SECURED": (False, "true"),
    }
    assert found["COOKIE_SECRET"].evidence[0].line == 8 and found["DB_PORT"].shape == "int"
