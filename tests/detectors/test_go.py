"""The Go ecosystem: go.mod/go.work, main packages, versions, dependencies, frameworks, ports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import evidence, only_app
from conftest import inspect_files as inspect

MakeTree = Callable[[dict[str, str | bytes]], Path]

GO_MOD = "module example.com/hello\n\ngo 1.22\n"
MAIN = 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hi")\n}\n'


def http_main(listen: str = 'http.ListenAndServe(":9000", nil)', imports: str = '"net/http"') -> str:
    return f"package main\n\nimport (\n\t{imports}\n)\n\nfunc main() {{\n\t{listen}\n}}\n"


# ---------------------------------------------------------------- layouts and commands
def test_root_main_net_http(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"go.mod": GO_MOD, "main.go": http_main()})
    assert app.name == "hello"
    assert app.language.value == "go"
    assert app.framework.value == "net-http"
    assert evidence(app, "framework") == ["main.go:8: net/http server"]
    assert app.build_command.value == 'CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hello .'
    assert app.start_command.value == "/out/hello"
    assert app.detail("binary") == "hello"
    assert app.detail("main_package") == "."
    assert app.package_manager.value == "go"
    assert evidence(app, "package_manager") == ["go.mod:1: Go modules"]
    assert app.detail("install_command") == "go mod download"
    assert app.port.value == 9000 and not app.port.is_default
    assert evidence(app, "port") == ["main.go:8: listen address in code"]
    assert warnings == []


def test_major_version_suffix_is_not_the_binary_name(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {"go.mod": "module github.com/acme/tool/v2\n\ngo 1.22\n", "main.go": MAIN})
    assert app.detail("binary") == "tool"
    assert app.start_command.value == "/out/tool"


def test_cmd_layout_prefers_server_and_warns_about_the_rest(make_tree: MakeTree) -> None:
    app, warnings = only_app(
        make_tree,
        {"go.mod": "module example.com/shop\n\ngo 1.22\n", "cmd/migrate/main.go": MAIN, "cmd/server/main.go": http_main()},
    )
    assert app.build_command.value == 'CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/server ./cmd/server'
    assert app.start_command.value == "/out/server"
    assert evidence(app, "start_command") == ["cmd/server/main.go:1: package main"]
    assert app.detail("main_package") == "./cmd/server"
    assert app.processes == ()
    assert warnings == [".: several main packages: starting ./cmd/server; not built or run: ./cmd/migrate"]


def test_cmd_named_like_the_module_wins(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"go.mod": "module example.com/shop\n", "cmd/admin/main.go": MAIN, "cmd/api/main.go": MAIN, "cmd/shop/main.go": MAIN}
    app, _ = only_app(make_tree, files)
    assert app.detail("binary") == "shop"


def test_cmd_without_a_preferred_name_takes_the_first(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"go.mod": GO_MOD, "cmd/alpha/main.go": MAIN, "cmd/beta/main.go": MAIN})
    assert app.detail("binary") == "alpha"
    assert any("not built or run: ./cmd/beta" in w for w in warnings)


def test_main_directly_in_cmd(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {"go.mod": GO_MOD, "cmd/main.go": MAIN})
    assert app.detail("main_package") == "./cmd"
    assert app.build_command.value is not None and app.build_command.value.endswith("-o /out/hello ./cmd")


def test_worker_main_becomes_a_process_and_is_built(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"go.mod": GO_MOD, "cmd/api/main.go": http_main(), "cmd/worker/main.go": MAIN}
    app, warnings = only_app(make_tree, files)
    assert app.build_command.value == 'CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/api ./cmd/worker'
    assert app.start_command.value == "/out/api"
    assert {p.name: p.command for p in app.processes} == {"worker": "/out/worker"}
    assert [str(e) for e in app.processes[0].evidence] == ["cmd/worker/main.go:1: package main"]
    assert not any("several main packages" in w for w in warnings)


def test_test_files_and_ignored_files_are_not_main_packages(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {
        "go.mod": GO_MOD,
        "lib.go": "package hello\n",
        "main_test.go": "package main\n",
        "gen.go": "//go:build ignore\n\npackage main\n\nfunc main() {}\n",
    }
    app, warnings = only_app(make_tree, files)
    assert app.start_command.value is None
    assert app.framework.value is None
    assert any("no package main" in w for w in warnings)


def test_cgo_keeps_cgo_enabled_and_warns(make_tree: MakeTree) -> None:
    code = 'package main\n\n// #include <stdio.h>\nimport "C"\n\nfunc main() {}\n'
    app, warnings = only_app(make_tree, {"go.mod": GO_MOD, "main.go": code})
    assert app.build_command.value is not None and app.build_command.value.startswith("CGO_ENABLED=1 go build")
    assert app.detail("cgo") == "true"
    assert any("uses cgo (main.go:4" in w for w in warnings)


# ---------------------------------------------------------------- runtime version
@pytest.mark.parametrize(
    ("files", "version", "why", "is_default"),
    [
        ({"go.mod": "module m\n\ngo 1.22.1\n\ntoolchain go1.23.4\n"}, "1.23.4", "go.mod:5: toolchain go1.23.4", False),
        ({"go.mod": "module m\n\ngo 1.22\n\ntoolchain default\n"}, "1.22", "go.mod:3: go 1.22 directive", False),
        ({"go.mod": "module m\n\ngo 1.21.5\n"}, "1.21.5", "go.mod:3: go 1.21.5 directive", False),
        ({"go.mod": "module m\n", ".tool-versions": "nodejs 20.1.0\ngolang 1.21.3\n"}, "1.21.3", ".tool-versions:2: pins Go 1.21.3", False),
        ({"go.mod": "module m\n"}, "1.24", ".: no Go version pinned; using 1.24", True),
    ],
)
def test_runtime_version_sources(make_tree: MakeTree, files: dict[str, str | bytes], version: str, why: str, is_default: bool) -> None:
    app, _ = only_app(make_tree, {**files, "main.go": MAIN})
    assert app.runtime_version.value == version
    assert evidence(app, "runtime_version") == [why]
    assert app.runtime_version.is_default is is_default


# ---------------------------------------------------------------- dependencies and services
def test_requires_single_line_and_block_form_skip_indirect(make_tree: MakeTree) -> None:
    go_mod = (
        "module example.com/hello\n\ngo 1.22\n\n"
        "require github.com/redis/go-redis/v9 v9.5.1\n\n"
        "require (\n"
        "\tgithub.com/jackc/pgx/v5 v5.7.1\n"
        "\tgithub.com/go-sql-driver/mysql v1.8.1 // indirect\n"
        ")\n"
    )
    app, _ = only_app(make_tree, {"go.mod": go_mod, "go.sum": "", "main.go": MAIN})
    assert [s.kind for s in app.backing_services] == ["postgres", "redis"]
    by_kind = {s.kind: [str(e) for e in s.evidence] for s in app.backing_services}
    assert by_kind["redis"] == ["go.mod:5: dependency 'github.com/redis/go-redis/v9'"]
    assert by_kind["postgres"] == ["go.mod:8: dependency 'github.com/jackc/pgx/v5'"]


def test_missing_go_sum_is_a_warning_not_a_failure(make_tree: MakeTree) -> None:
    go_mod = "module m\n\ngo 1.22\n\nrequire github.com/lib/pq v1.10.9\n"
    app, warnings = only_app(make_tree, {"go.mod": go_mod, "main.go": MAIN})
    assert app.start_command.value == "/out/m"
    assert any("no go.sum" in w for w in warnings)
    # make_tree writes into the same folder: this adds a go.sum to the tree above.
    _, with_sum = only_app(make_tree, {"go.sum": "github.com/lib/pq v1.10.9 h1:x=\n"})
    assert not any("no go.sum" in w for w in with_sum)


def test_malformed_go_mod_warns_and_does_not_crash(make_tree: MakeTree) -> None:
    go_mod = "module example.com/hello\n\ngo 1.22\n\nthis is not go.mod\nrequire (\n\tgithub.com/lib/pq\n"
    app, warnings = only_app(make_tree, {"go.mod": go_mod, "main.go": MAIN})
    assert app.language.value == "go"
    assert app.runtime_version.value == "1.22"
    assert ".: go.mod:5: malformed line, ignored" in warnings
    assert ".: go.mod:7: malformed line, ignored" in warnings


def test_go_mod_without_module_directive(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"go.mod": "go 1.22\n", "main.go": MAIN})
    assert app.name == "tree"  # the folder's name, as nothing better is known
    assert ".: go.mod: malformed, no module directive" in warnings


def test_binary_go_mod_is_ignored_without_crash(make_tree: MakeTree) -> None:
    app, _ = only_app(make_tree, {"go.mod": b"\x00\x01\x02", "main.go": MAIN})
    assert app.language.value == "go"
    assert app.runtime_version.is_default


# ---------------------------------------------------------------- frameworks and ports
def gin_mod(module: str) -> str:
    return f"module example.com/svc\n\ngo 1.22\n\nrequire {module} v1.0.0\n"


@pytest.mark.parametrize(
    ("module", "code", "framework", "port", "port_why"),
    [
        ("github.com/gin-gonic/gin", 'r := gin.Default()\n\tr.Run(":9090")', "gin", 9090, "main.go:9: listen address in code"),
        ("github.com/labstack/echo/v4", 'e := echo.New()\n\te.Logger.Fatal(e.Start(":1323"))', "echo", 1323, "main.go:9: listen address in code"),
        ("github.com/gofiber/fiber/v2", 'app := fiber.New()\n\tapp.Listen(":3000")', "fiber", 3000, "main.go:9: listen address in code"),
        ("github.com/go-chi/chi/v5", 'r := chi.NewRouter()\n\tsrv := &http.Server{Addr: "0.0.0.0:7000", Handler: r}\n\tsrv.ListenAndServe()', "chi", 7000, "main.go:9: http.Server Addr"),
        ("github.com/gorilla/mux", 'addr := flag.String("addr", ":8181", "listen address")\n\thttp.ListenAndServe(*addr, mux.NewRouter())', "gorilla-mux", 8181, "main.go:8: listen flag default"),
        ("github.com/gorilla/mux", 'flag.StringVar(&cfg.addr, "http-listenAddr", ":8282", "")\n\thttp.ListenAndServe(cfg.addr, nil)', "gorilla-mux", 8282, "main.go:8: listen flag default"),
    ],
)
def test_frameworks_and_ports_from_code(make_tree: MakeTree, module: str, code: str, framework: str, port: int, port_why: str) -> None:
    app, _ = only_app(make_tree, {"go.mod": gin_mod(module), "go.sum": "", "main.go": http_main(code, "")})
    assert app.framework.value == framework
    assert evidence(app, "framework") == [f"go.mod:5: requires {module} v1.0.0"]
    assert app.port.value == port and not app.port.is_default
    assert evidence(app, "port") == [port_why]


def test_framework_without_port_in_code_defaults_to_8080(make_tree: MakeTree) -> None:
    code = "r := mux.NewRouter()\n\thttp.ListenAndServe(addr(), r)"
    app, _ = only_app(make_tree, {"go.mod": gin_mod("github.com/gorilla/mux"), "go.sum": "", "main.go": http_main(code, "")})
    assert app.port.value == 8080 and app.port.is_default
    assert evidence(app, "port") == [".: no listen address in code; assuming 8080"]
    assert "port" in app.to_json()["defaults"]


def test_gin_run_without_address_reads_port(make_tree: MakeTree) -> None:
    code = 'package main\n\nimport "github.com/gin-gonic/gin"\n\nfunc main() {\n\tr := gin.Default()\n\tr.GET("/health", ok)\n\tr.Run()\n}\n'
    app, _ = only_app(make_tree, {"go.mod": gin_mod("github.com/gin-gonic/gin"), "go.sum": "", "main.go": code})
    assert app.port.value == 8080 and not app.port.is_default
    assert evidence(app, "port") == ["main.go:8: gin's Run() reads PORT, default 8080"]
    assert [(v.name, v.required, v.default) for v in app.env] == [("PORT", False, "8080")]
    assert app.health_path.value == "/health"


def test_port_env_idiom_beats_the_framework_default(make_tree: MakeTree) -> None:
    code = 'port := os.Getenv("PORT")\n\tif port == "" {\n\t\tport = "4000"\n\t}\n\thttp.ListenAndServe(":"+port, chi.NewRouter())'
    app, _ = only_app(make_tree, {"go.mod": gin_mod("github.com/go-chi/chi/v5"), "go.sum": "", "main.go": http_main(code, "")})
    assert app.port.value == 4000 and not app.port.is_default
    assert evidence(app, "port") == ["main.go:8: read in code"]


def test_addresses_of_other_services_are_not_the_port(make_tree: MakeTree) -> None:
    code = 'rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})\n\tdbAddr := "db:5432"\n\thttp.ListenAndServe(addr(), nil)'
    app, warnings = only_app(make_tree, {"go.mod": GO_MOD, "main.go": http_main(code)})
    assert app.port.value == 8080 and app.port.is_default
    assert not any("listens on" in w for w in warnings)


def test_listen_address_variable(make_tree: MakeTree) -> None:
    code = 'const listenAddr = "0.0.0.0:8443"\n\thttp.ListenAndServe(listenAddr, nil)'
    app, _ = only_app(make_tree, {"go.mod": GO_MOD, "main.go": http_main(code)})
    assert app.port.value == 8443
    assert evidence(app, "port") == ["main.go:8: listen address in code"]


def test_listening_on_loopback_is_a_warning(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"go.mod": GO_MOD, "main.go": http_main('http.ListenAndServe("localhost:8080", nil)')})
    assert app.port.value == 8080
    assert any("listens on localhost (main.go:8)" in w for w in warnings)


def test_port_in_a_test_file_is_not_the_app_port(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {
        "go.mod": GO_MOD,
        "main.go": http_main("http.ListenAndServe(addr(), nil)"),
        "main_test.go": 'package main\n\nfunc TestX() { http.ListenAndServe(":5555", nil) }\n',
    }
    app, _ = only_app(make_tree, files)
    assert app.port.value == 8080 and app.port.is_default


def test_program_without_http_has_no_framework_and_unknown_port(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"go.mod": GO_MOD, "main.go": MAIN})
    assert app.framework.value is None
    assert app.start_command.value == "/out/hello"
    assert app.port.value is None
    assert ".: could not tell which port it listens on" in warnings


@pytest.mark.parametrize(
    ("route", "path"),
    [
        ('http.HandleFunc("/healthz", health)', "/healthz"),
        ('mux.HandleFunc("GET /healthz", health)', "/healthz"),
        ('r.GET("/health", health)', "/health"),
        ('r.Get("/ping", health)', "/ping"),
    ],
)
def test_health_routes(make_tree: MakeTree, route: str, path: str) -> None:
    code = http_main(f'{route}\n\thttp.ListenAndServe(":8080", nil)')
    app, _ = only_app(make_tree, {"go.mod": GO_MOD, "main.go": code})
    assert app.health_path.value == path
    assert evidence(app, "health_path") == [f"main.go:8: route {path}"]


# ---------------------------------------------------------------- discovery
def test_go_work_members_are_apps_and_libraries_are_reported(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {
        "go.work": "go 1.22\n\nuse (\n\t./api\n\t./lib // shared code\n)\n",
        "api/go.mod": "module example.com/api\n\ngo 1.22\n",
        "api/main.go": http_main(),
        "lib/go.mod": "module example.com/lib\n\ngo 1.22\n",
        "lib/lib.go": "package lib\n",
    }
    result = inspect(make_tree, files)
    assert [(a.path, a.name) for a in result.apps] == [("api", "api")]
    assert "lib: a library of the workspace at ., not an app" in result.warnings


def test_go_work_single_use_line(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"go.work": "go 1.22\nuse ./svc\n", "svc/go.mod": "module svc\n", "svc/main.go": http_main()}
    result = inspect(make_tree, files)
    assert [a.path for a in result.apps] == ["svc"]


def test_go_work_using_the_root_keeps_the_root_an_app(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"go.work": "go 1.22\n\nuse (\n\t.\n\t./tools\n)\n", "go.mod": GO_MOD, "main.go": http_main(), "tools/go.mod": "module tools\n"}
    result = inspect(make_tree, files)
    assert [a.path for a in result.apps] == ["."]


def test_nested_library_module_belongs_to_the_app(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"go.mod": GO_MOD, "main.go": http_main(), "pkg/client/go.mod": "module example.com/hello/client\n"}
    result = inspect(make_tree, files)
    assert [a.path for a in result.apps] == ["."]


def test_library_module_alone_is_not_runnable(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"go.mod": GO_MOD, "hello.go": "package hello\n"})
    assert app.language.value == "go"
    assert app.start_command.value is None and app.build_command.value is None
    assert any("a library, not an app" in w for w in warnings)


def test_no_package_main_no_claim(make_tree: MakeTree) -> None:
    # A main package without go.mod is an app (tests/test_manifestless.py); a library file is not.
    result = inspect(make_tree, {"util.go": "package util\n\nfunc Add(a, b int) int { return a + b }\n", "README.md": "hi"})
    assert result.apps == ()


def test_a_listen_call_in_a_later_file_beats_an_addr_variable_in_an_earlier_one(make_tree: MakeTree) -> None:
    """The port patterns rank (listen call, http.Server Addr, flag, addr variable): the best kind wins, wherever it is."""
    files = {
        "go.mod": GO_MOD,
        "a_config.go": 'package main\n\nvar listenAddr = "0.0.0.0:7001"\n',
        "b_flags.go": 'package main\n\nimport "flag"\n\nvar port = flag.Int("port", 7002, "")\n',
        "main.go": http_main('http.ListenAndServe(":7003", nil)'),
        "main_test.go": 'package main\n\nfunc x() { http.ListenAndServe(":7004", nil) }\n',
    }
    app, _ = only_app(make_tree, files)
    assert app.port.value == 7003 and evidence(app, "port") == ["main.go:8: listen address in code"]
    # No listen call: the flag (third rank) beats the addr variable of an earlier file.
    files |= {"go.mod": gin_mod("github.com/gorilla/mux"), "go.sum": "", "main.go": http_main("run()")}
    app, _ = only_app(make_tree, files)
    assert app.port.value == 7002 and evidence(app, "port") == ["b_flags.go:5: listen flag default"]
