"""The Rust ecosystem: Cargo packages and workspaces, binaries, versions, features, frameworks, ports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import evidence, only_app
from conftest import inspect_files as inspect

MakeTree = Callable[[dict[str, str | bytes]], Path]

MAIN = 'fn main() {\n    println!("hi");\n}\n'


def cargo(name: str = "app", deps: str = "", extra: str = "") -> str:
    return f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{extra}\n[dependencies]\n{deps}'


def server(body: str) -> str:
    return f"#[tokio::main]\nasync fn main() {{\n    {body}\n}}\n"


# ---------------------------------------------------------------- binaries and commands
def test_binary_crate_with_lockfile(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"Cargo.toml": cargo("hello"), "Cargo.lock": "version = 3\n", "src/main.rs": MAIN}
    app, warnings = only_app(make_tree, files)
    assert app.name == "hello"
    assert app.language.value == "rust"
    assert evidence(app, "language") == ["src/main.rs:1: binary crate root"]
    assert app.package_manager.value == "cargo"
    assert evidence(app, "package_manager") == ["Cargo.lock: Cargo lockfile"]
    assert app.detail("install_command") == "cargo fetch --locked"
    assert app.build_command.value == "cargo build --release --locked"
    assert app.start_command.value == "./target/release/hello"
    assert app.detail("binary") == "hello"
    assert app.framework.value is None
    assert ".: could not tell which port it listens on" in warnings
    assert not any("Cargo.lock" in w for w in warnings)


def test_without_lockfile_nothing_is_locked_and_it_warns(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"Cargo.toml": cargo("hello"), "src/main.rs": MAIN})
    assert app.detail("install_command") == "cargo fetch"
    assert app.build_command.value == "cargo build --release"
    assert evidence(app, "package_manager") == ["Cargo.toml:1: Cargo manifest"]
    assert any("no Cargo.lock" in w for w in warnings)


def test_bin_table_names_the_binary(make_tree: MakeTree) -> None:
    manifest = cargo("my-crate") + '\n[[bin]]\nname = "serve"\npath = "src/serve.rs"\n'
    app, _ = only_app(make_tree, {"Cargo.toml": manifest, "src/serve.rs": MAIN})
    assert app.start_command.value == "./target/release/serve"
    assert evidence(app, "start_command") == ["Cargo.toml:9: [[bin]] serve"]


def test_several_binaries_worker_process_and_warning(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {
        "Cargo.toml": cargo("shop"),
        "src/main.rs": MAIN,
        "src/bin/worker.rs": MAIN,
        "src/bin/seed/main.rs": MAIN,
    }
    app, warnings = only_app(make_tree, files)
    assert app.start_command.value == "./target/release/shop"
    assert app.build_command.value == "cargo build --release --bin shop --bin worker"
    assert {p.name: p.command for p in app.processes} == {"worker": "./target/release/worker"}
    assert ".: several binaries: starting shop; not built or run: seed" in warnings


def test_default_run_chooses_the_binary(make_tree: MakeTree) -> None:
    manifest = cargo("tools", extra='default-run = "api"\n')
    app, _ = only_app(make_tree, {"Cargo.toml": manifest, "src/bin/api.rs": MAIN, "src/bin/cli.rs": MAIN})
    assert app.detail("binary") == "api"
    assert app.build_command.value == "cargo build --release --bin api"


def test_library_crate_is_not_an_app(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"Cargo.toml": cargo("util"), "src/lib.rs": "pub fn f() {}\n"})
    assert app.start_command.value is None and app.framework.value is None
    assert any("no binary target" in w for w in warnings)


def test_no_cargo_toml_no_claim(make_tree: MakeTree) -> None:
    assert inspect(make_tree, {"src/main.rs": MAIN}).apps == ()


def test_malformed_cargo_toml_warns_and_does_not_crash(make_tree: MakeTree) -> None:
    result = inspect(make_tree, {"Cargo.toml": "[package\nname = ", "src/main.rs": MAIN})
    app = result.apps[0]
    assert app.language.value == "rust"
    assert app.start_command.value == "./target/release/tree"  # the folder's name: the manifest could not say
    assert any("Cargo.toml: malformed TOML" in w for w in result.warnings)
    assert ".: Cargo.toml: could not be read; Rust facts are guesses" in result.warnings


def test_manifest_with_wrong_types_does_not_crash(make_tree: MakeTree) -> None:
    manifest = '[package]\nname = 7\nrust-version = 1.7\ndefault-run = []\n\ndependencies = "x"\nbin = "y"\n'
    app, _ = only_app(make_tree, {"Cargo.toml": manifest, "src/main.rs": MAIN})
    assert app.language.value == "rust"
    assert app.runtime_version.is_default
    assert app.start_command.value is None  # no name for the binary: unknown, not a guess


# ---------------------------------------------------------------- runtime version
@pytest.mark.parametrize(
    ("files", "version", "why", "is_default"),
    [
        ({"rust-toolchain.toml": '[toolchain]\nchannel = "1.79.0"\n'}, "1.79.0", "rust-toolchain.toml:2: toolchain channel '1.79.0'", False),
        ({"rust-toolchain": "1.80.1\n"}, "1.80.1", "rust-toolchain:1: toolchain channel '1.80.1'", False),
        ({"rust-toolchain": '[toolchain]\nchannel = "1.81"\n'}, "1.81", "rust-toolchain:2: toolchain channel '1.81'", False),
        (
            {"rust-toolchain.toml": '[toolchain]\nchannel = "stable"\n'},
            "1.85",
            "rust-toolchain.toml:2: toolchain channel 'stable' (the newest release); using 1.85",
            True,
        ),
        ({"Cargo.toml": cargo("app", extra='rust-version = "1.75"\n')}, "1.75", "Cargo.toml:5: rust-version '1.75'", False),
        ({".tool-versions": "rust 1.83.0\n"}, "1.83.0", ".tool-versions:1: pins Rust 1.83.0", False),
        ({}, "1.85", ".: no Rust version pinned; using 1.85", True),
    ],
)
def test_runtime_version_sources(make_tree: MakeTree, files: dict[str, str | bytes], version: str, why: str, is_default: bool) -> None:
    app, _ = only_app(make_tree, {"Cargo.toml": cargo("app"), "src/main.rs": MAIN, **files})
    assert app.runtime_version.value == version
    assert evidence(app, "runtime_version") == [why]
    assert app.runtime_version.is_default is is_default


def test_toolchain_file_beats_rust_version(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {
        "Cargo.toml": cargo("app", extra='rust-version = "1.70"\n'),
        "rust-toolchain.toml": '[toolchain]\nchannel = "1.82.0"\n',
        "src/main.rs": MAIN,
    }
    app, _ = only_app(make_tree, files)
    assert app.runtime_version.value == "1.82.0"


def test_nightly_channel_is_kept_with_a_warning(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"Cargo.toml": cargo(), "src/main.rs": MAIN, "rust-toolchain.toml": '[toolchain]\nchannel = "nightly-2024-05-01"\n'}
    app, warnings = only_app(make_tree, files)
    assert app.runtime_version.value == "nightly-2024-05-01" and not app.runtime_version.is_default
    assert any("'nightly-2024-05-01' is not a release" in w for w in warnings)


def test_toolchain_file_without_channel_warns(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {"Cargo.toml": cargo(), "src/main.rs": MAIN, "rust-toolchain.toml": '[toolchain]\ncomponents = ["clippy"]\n'}
    app, warnings = only_app(make_tree, files)
    assert app.runtime_version.is_default
    assert ".: rust-toolchain.toml: no toolchain channel found" in warnings


# ---------------------------------------------------------------- dependencies and services
@pytest.mark.parametrize(
    ("deps", "services"),
    [
        ('sqlx = { version = "0.8", features = ["runtime-tokio", "postgres"] }\n', ["postgres"]),
        ('sqlx = { version = "0.8", features = ["mysql"] }\n', ["mysql"]),
        ('sqlx = { version = "0.8", features = ["sqlite"] }\n', []),
        ('diesel = { version = "2", features = ["postgres"] }\n', ["postgres"]),
        ('sea-orm = { version = "1", features = ["sqlx-postgres", "runtime-tokio-rustls"] }\n', ["postgres"]),
        ('pg = { package = "tokio-postgres", version = "0.7" }\n', ["postgres"]),
        ('redis = "0.27"\nlapin = "2"\n', ["rabbitmq", "redis"]),
        ('[dependencies.mongodb]\nversion = "3"\n', ["mongodb"]),
    ],
)
def test_dependencies_and_features_give_services(make_tree: MakeTree, deps: str, services: list[str]) -> None:
    app, _ = only_app(make_tree, {"Cargo.toml": cargo("app", deps), "src/main.rs": MAIN})
    assert [s.kind for s in app.backing_services] == services


def test_feature_service_evidence_points_at_the_dependency_line(make_tree: MakeTree) -> None:
    deps = 'serde = "1"\nsqlx = { version = "0.8", features = ["postgres"] }\n'
    app, _ = only_app(make_tree, {"Cargo.toml": cargo("app", deps), "src/main.rs": MAIN})
    assert [str(e) for e in app.backing_services[0].evidence] == ["Cargo.toml:8: dependency 'sqlx/postgres'"]


def test_dev_and_build_dependencies_are_not_runtime(make_tree: MakeTree) -> None:
    manifest = cargo("app") + '\n[dev-dependencies]\nredis = "0.27"\n\n[build-dependencies]\npostgres = "0.19"\n'
    app, _ = only_app(make_tree, {"Cargo.toml": manifest, "src/main.rs": MAIN})
    assert app.backing_services == ()


def test_target_specific_dependencies_count(make_tree: MakeTree) -> None:
    manifest = cargo("app") + "\n[target.'cfg(unix)'.dependencies]\nredis = \"0.27\"\n"
    app, _ = only_app(make_tree, {"Cargo.toml": manifest, "src/main.rs": MAIN})
    assert [s.kind for s in app.backing_services] == ["redis"]


# ---------------------------------------------------------------- frameworks and ports
@pytest.mark.parametrize(
    ("dep", "code", "framework", "port", "port_why"),
    [
        ("actix-web", 'HttpServer::new(|| App::new()).bind(("0.0.0.0", 8080))?.run().await', "actix", 8080, "src/main.rs:3: listen address in code"),
        ("axum", 'let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await.unwrap();', "axum", 3000, "src/main.rs:3: listen address in code"),
        ("axum", "let addr = SocketAddr::from(([0, 0, 0, 0], 4000));", "axum", 4000, "src/main.rs:3: listen address in code"),
        ("warp", "warp::serve(routes).run(([0, 0, 0, 0], 3030)).await;", "warp", 3030, "src/main.rs:3: listen address in code"),
        ("poem", 'Server::new(TcpListener::bind("0.0.0.0:3001")).run(app).await', "poem", 3001, "src/main.rs:3: listen address in code"),
        ("axum", 'let addr: SocketAddr = "0.0.0.0:5050".parse().unwrap();', "axum", 5050, "src/main.rs:3: listen address in code"),
        ("axum", 'let port: u16 = env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5000);', "axum", 5000, "src/main.rs:3: PORT default in code"),
    ],
)
def test_frameworks_and_ports_from_code(make_tree: MakeTree, dep: str, code: str, framework: str, port: int, port_why: str) -> None:
    files: dict[str, str | bytes] = {"Cargo.toml": cargo("app", f'{dep} = "1"\n'), "src/main.rs": server(code)}
    app, _ = only_app(make_tree, files)
    assert app.framework.value == framework
    assert evidence(app, "framework") == [f"Cargo.toml:7: depends on {dep}"]
    assert app.port.value == port and not app.port.is_default
    assert evidence(app, "port") == [port_why]


def test_port_from_env_default(make_tree: MakeTree) -> None:
    code = 'let port = std::env::var("PORT").unwrap_or_else(|_| "8081".to_string());\n    let l = TcpListener::bind(format!("0.0.0.0:{port}")).await;'
    app, _ = only_app(make_tree, {"Cargo.toml": cargo("app", 'axum = "0.7"\n'), "src/main.rs": server(code)})
    assert app.port.value == 8081
    assert [(v.name, v.required, v.default) for v in app.env] == [("PORT", False, "8081")]


def test_framework_without_port_is_unknown(make_tree: MakeTree) -> None:
    app, warnings = only_app(make_tree, {"Cargo.toml": cargo("app", 'axum = "0.7"\n'), "src/main.rs": server("serve(addr()).await;")})
    assert app.framework.value == "axum"
    assert app.port.value is None
    assert ".: could not tell which port it listens on" in warnings


def test_loopback_bind_warns(make_tree: MakeTree) -> None:
    code = "warp::serve(routes).run(([127, 0, 0, 1], 3030)).await;"
    app, warnings = only_app(make_tree, {"Cargo.toml": cargo("app", 'warp = "0.3"\n'), "src/main.rs": server(code)})
    assert app.port.value == 3030
    assert any("binds 127,0,0,1 (src/main.rs:3)" in w for w in warnings)


def test_ports_in_tests_and_examples_are_ignored(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {
        "Cargo.toml": cargo("app", 'axum = "0.7"\n'),
        "src/main.rs": server("run().await;"),
        "tests/api.rs": 'fn t() { TcpListener::bind("0.0.0.0:9999"); }\n',
        "examples/demo.rs": 'fn main() { TcpListener::bind("0.0.0.0:9998"); }\n',
    }
    app, _ = only_app(make_tree, files)
    assert app.port.value is None


def test_rocket_defaults_to_8000_and_warns_about_its_address(make_tree: MakeTree) -> None:
    code = '#[macro_use] extern crate rocket;\n\n#[get("/health")]\nfn health() -> &\'static str { "ok" }\n\n#[launch]\nfn rocket() -> _ { rocket::build().mount("/", routes![health]) }\n'
    app, warnings = only_app(make_tree, {"Cargo.toml": cargo("app", 'rocket = "0.5"\n'), "src/main.rs": code + MAIN})
    assert app.framework.value == "rocket"
    assert app.port.value == 8000 and app.port.is_default
    assert evidence(app, "port") == [".: Rocket's default port"]
    assert app.health_path.value == "/health"
    assert any("ROCKET_ADDRESS=0.0.0.0" in w for w in warnings)


def test_rocket_toml_sets_port_and_address(make_tree: MakeTree) -> None:
    rocket_toml = '[default]\nport = 8000\n\n[release]\naddress = "0.0.0.0"\nport = 8080\n'
    files: dict[str, str | bytes] = {"Cargo.toml": cargo("app", 'rocket = "0.5"\n'), "src/main.rs": MAIN, "Rocket.toml": rocket_toml}
    app, warnings = only_app(make_tree, files)
    assert app.port.value == 8080 and not app.port.is_default
    assert evidence(app, "port") == ["Rocket.toml:6: [release] port"]
    assert not any("ROCKET_ADDRESS" in w for w in warnings)


def test_rocket_port_in_code(make_tree: MakeTree) -> None:
    code = 'rocket::custom(rocket::Config::figment().merge(("port", 9001)).merge(("address", "0.0.0.0")))'
    app, warnings = only_app(make_tree, {"Cargo.toml": cargo("app", 'rocket = "0.5"\n'), "src/main.rs": server(code)})
    assert app.port.value == 9001
    assert not any("ROCKET_ADDRESS" in w for w in warnings)


@pytest.mark.parametrize(
    ("route", "path"),
    [
        ('Router::new().route("/health", get(health))', "/health"),
        ('App::new().route("/healthz", web::get().to(health))', "/healthz"),
        ('let health = warp::path("health").map(|| "ok");', "/health"),
        ('Route::new().at("/ping", get(ping))', "/ping"),
    ],
)
def test_health_routes(make_tree: MakeTree, route: str, path: str) -> None:
    app, _ = only_app(make_tree, {"Cargo.toml": cargo("app", 'axum = "0.7"\n'), "src/main.rs": server(route)})
    assert app.health_path.value == path


# ---------------------------------------------------------------- workspaces
def workspace(members: str, extra: str = "") -> dict[str, str | bytes]:
    return {
        "Cargo.toml": f"[workspace]\nmembers = [{members}]\nresolver = \"2\"\n{extra}",
        "Cargo.lock": "version = 3\n",
        "crates/api/Cargo.toml": cargo("api", 'axum = "0.7"\n'),
        "crates/api/src/main.rs": server('TcpListener::bind("0.0.0.0:3000")'),
        "crates/core/Cargo.toml": cargo("core"),
        "crates/core/src/lib.rs": "pub fn f() {}\n",
    }


def test_virtual_workspace_members_with_glob(make_tree: MakeTree) -> None:
    result = inspect(make_tree, workspace('"crates/*"'))
    assert [a.path for a in result.apps] == ["crates/api"]
    api = result.apps[0]
    assert api.build_command.value == "cargo build --release --locked --bin api"
    assert api.start_command.value == "./target/release/api"
    assert api.detail("install_command") == "cargo fetch --locked"
    assert evidence(api, "package_manager") == ["Cargo.lock: Cargo lockfile"]
    assert api.detail("cargo_workspace") == "."
    assert api.port.value == 3000
    assert "crates/core: a library of the workspace at ., not an app" in result.warnings


def test_workspace_inherited_rust_version_and_features(make_tree: MakeTree) -> None:
    extra = '\n[workspace.package]\nrust-version = "1.80"\n\n[workspace.dependencies]\nsqlx = { version = "0.8", features = ["postgres"] }\n'
    files = workspace('"crates/api", "crates/core"', extra)
    files["crates/api/Cargo.toml"] = cargo("api", 'axum = "0.7"\nsqlx = { workspace = true, features = ["runtime-tokio"] }\n', "rust-version.workspace = true\n")
    result = inspect(make_tree, files)
    api = result.apps[0]
    assert api.runtime_version.value == "1.80"
    assert evidence(api, "runtime_version") == ["Cargo.toml:6: workspace rust-version '1.80'"]
    assert [s.kind for s in api.backing_services] == ["postgres"]


def test_workspace_toolchain_file_at_the_root(make_tree: MakeTree) -> None:
    files = workspace('"crates/*"')
    files["rust-toolchain.toml"] = '[toolchain]\nchannel = "1.84.1"\n'
    api = inspect(make_tree, files).apps[0]
    assert api.runtime_version.value == "1.84.1"
    assert evidence(api, "runtime_version") == ["rust-toolchain.toml:2: toolchain channel '1.84.1'"]


def test_root_package_that_is_also_a_workspace_is_the_app(make_tree: MakeTree) -> None:
    files: dict[str, str | bytes] = {
        "Cargo.toml": cargo("server", 'axum = "0.7"\n') + '\n[workspace]\nmembers = ["crates/*"]\n',
        "src/main.rs": server('TcpListener::bind("0.0.0.0:8080")'),
        "crates/model/Cargo.toml": cargo("model"),
        "crates/model/src/lib.rs": "",
    }
    result = inspect(make_tree, files)
    assert [a.path for a in result.apps] == ["."]
    assert result.apps[0].build_command.value == "cargo build --release"
    assert result.apps[0].detail("cargo_workspace") is None
