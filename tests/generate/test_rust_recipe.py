"""The Rust recipe: plans and Dockerfiles for Cargo apps built from small source trees."""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from migrate.generate import generate
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile

MakeTree = Callable[[dict[str, str | bytes]], Path]


def cargo(name: str = "hello", deps: str = 'axum = "0.7"\n', extra: str = "") -> str:
    return f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n{extra}\n[dependencies]\n{deps}'


AXUM_MAIN = 'fn main() {\n    let _ = tokio::net::TcpListener::bind("0.0.0.0:3000");\n}\n'
LOCK = "version = 3\n"


def app_of(make_tree: MakeTree, files: dict[str, str | bytes], path: str = ".") -> AppProfile:
    return {a.path: a for a in inspect_tree(make_tree(files)).apps}[path]


def plan(make_tree: MakeTree, files: dict[str, str | bytes], path: str = ".") -> ContainerPlan:
    return plan_for(app_of(make_tree, files, path))


def dockerfile(make_tree: MakeTree, files: dict[str, str | bytes], path: str = ".") -> str:
    wanted = "Dockerfile" if path == "." else f"{path}/Dockerfile"
    return next(f.content for f in generate(inspect_tree(make_tree(files)), ["dockerfile"]) if f.path == wanted)


def test_single_package(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(extra='rust-version = "1.80"\n'), "Cargo.lock": LOCK, "src/main.rs": AXUM_MAIN}
    result = plan(make_tree, files)
    assert result.images == {"build": "rust:1.80.0-slim-bookworm", "runtime": "debian:bookworm-slim"}
    assert result.cmd == ("/usr/local/bin/hello",)
    assert result.port == 3000
    assert result.healthcheck == ("/usr/local/bin/probe", "3000", "/", "500")  # axum speaks HTTP: any answer below 500
    assert result.values["copies"] == [["Cargo.toml", "Cargo.lock", "./"]]
    assert result.values["stubs"] == {"files": ["src/main.rs"], "folders": ["src"]}
    # cargo run execs the binary, so the app itself receives SIGTERM in dev
    assert result.dev_cmd == ("cargo", "run", "--locked", "--bin", "hello")
    assert result.post_create == "cargo fetch --locked"
    assert [(w.action, w.path, w.target, w.ignore) for w in result.watch] == [
        ("sync+restart", ".", "/app", ("target/",)), ("rebuild", "Cargo.toml", None, ()), ("rebuild", "Cargo.lock", None, ()),
    ]
    assert result.extensions == ("rust-lang.rust-analyzer",)


def test_dockerfile_compiles_dependencies_from_stubs_then_the_source(make_tree: MakeTree) -> None:
    text = dockerfile(make_tree, {"Cargo.toml": cargo(), "Cargo.lock": LOCK, "src/main.rs": AXUM_MAIN})
    lines = text.splitlines()
    stub_build = lines.index("RUN mkdir -p src \\")
    assert lines.index('COPY ["Cargo.toml", "Cargo.lock", "./"]') < stub_build < lines.index("COPY . .")
    assert lines[stub_build + 1 : stub_build + 3] == [" && echo 'fn main() {}' > src/main.rs \\", " && cargo build --release --locked"]
    # COPY keeps old timestamps: the stubbed files are touched before the real build
    assert lines[lines.index("COPY . .") + 2 :][:2] == ["RUN touch src/main.rs \\", " && cargo build --release --locked"]
    assert "ENV RUSTUP_TOOLCHAIN=1.85.0" in lines


def test_runtime_runs_under_tini_as_non_root(make_tree: MakeTree) -> None:
    text = dockerfile(make_tree, {"Cargo.toml": cargo(), "src/main.rs": AXUM_MAIN})
    runtime = text[text.index("AS runtime") : text.index("AS dev")]
    assert "apt-get install -y --no-install-recommends tini \\\n" in runtime
    assert 'COPY --from=build ["/app/target/release/hello", "/usr/local/bin/"]' in runtime
    assert "USER 10001:10001" in runtime
    assert 'ENTRYPOINT ["tini", "-s", "--"]' in runtime
    assert 'CMD ["/usr/local/bin/hello"]' in runtime
    assert "HEALTHCHECK" in runtime and "COPY --from=probe /probe /usr/local/bin/probe" in runtime
    # The probe is compiled by the build image's own rustc: no Go toolchain pulled for it.
    assert "golang" not in text
    probe = text[text.index("AS probe") - 40 : text.index("AS runtime")]
    assert "FROM rust:" in probe and "rustc -O -C strip=symbols -o /probe probe.rs" in probe
    dev = text[text.index("AS dev") :]
    assert "rustup component add rustfmt clippy rust-src" in dev and "cargo build --bin hello" in dev
    assert text.rstrip().endswith("FROM runtime AS production")


def test_toolchain_file_channel(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(), "rust-toolchain.toml": '[toolchain]\nchannel = "1.82.0"\n', "src/main.rs": AXUM_MAIN}
    result = plan(make_tree, files)
    assert result.images["build"] == "rust:1.82.0-slim-bookworm"
    assert result.values["toolchain"] == "1.82.0"
    assert result.values["copies"] == [["Cargo.toml", "rust-toolchain.toml", "./"]]


def test_nightly_channel_is_left_to_rustup(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(), "rust-toolchain": "nightly-2024-11-01\n", "src/main.rs": AXUM_MAIN}
    result = plan(make_tree, files)
    assert result.values["toolchain"] is None
    assert result.images["build"] == "rust:1.85.0-slim-bookworm"
    assert "RUSTUP_TOOLCHAIN" not in dockerfile(make_tree, files)
    assert any("nightly-2024-11-01" in note for note in result.notes)


def test_openssl_crates_get_headers_and_the_library(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(deps='axum = "0.7"\nreqwest = "0.12"\n'), "src/main.rs": AXUM_MAIN}
    result = plan(make_tree, files)
    assert result.values["build_packages"] == ["libssl-dev", "pkg-config"]
    assert result.values["runtime_packages"] == ["libssl3"]
    text = dockerfile(make_tree, files)
    assert "--no-install-recommends tini libssl3 \\\n" in text

    rustls = {"Cargo.toml": cargo(deps='axum = "0.7"\nreqwest = { version = "0.12", default-features = false, features = ["rustls-tls"] }\n')}
    assert plan(make_tree, {**rustls, "src/main.rs": AXUM_MAIN}).values["runtime_packages"] == []


def test_the_runtime_gets_the_ca_bundle_without_debians_openssl(make_tree: MakeTree) -> None:
    """Debian's ca-certificates pulls the openssl command and libssl3 (~9 MB) into every image, linked or not."""
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    for deps in ('axum = "0.7"\n', 'axum = "0.7"\nreqwest = "0.12"\n'):  # rustls or none; OpenSSL (native-tls)
        text = dockerfile(make_tree, {"Cargo.toml": cargo(deps=deps), "src/main.rs": AXUM_MAIN})
        runtime = text[text.index("AS runtime") : text.index("AS dev")]
        installs = [line for line in runtime.splitlines() if "apt-get install" in line]
        assert installs and not any("ca-certificates" in line for line in installs)
        assert f"COPY --from=build {bundle} {bundle}\n" in runtime
        # libssl3 without the openssl package has no default CA path: OpenSSL reads SSL_CERT_FILE.
        assert f"ENV SSL_CERT_FILE={bundle}\n" in runtime


def test_workers_and_build_scripts(make_tree: MakeTree) -> None:
    files = {
        "Cargo.toml": cargo(),
        "Cargo.lock": LOCK,
        "build.rs": "fn main() {}\n",
        "src/main.rs": AXUM_MAIN,
        "src/lib.rs": "pub fn x() {}\n",
        "src/bin/worker.rs": "fn main() {}\n",
    }
    result = plan(make_tree, files)
    assert result.values["stubs"]["files"] == ["src/lib.rs", "build.rs", "src/main.rs", "src/bin/worker.rs"]
    assert result.values["binary_paths"] == ["/app/target/release/hello", "/app/target/release/worker"]
    assert result.values["build_command"] == "cargo build --release --locked --bin hello --bin worker"


def test_workspace_member_builds_at_the_workspace_root(make_tree: MakeTree) -> None:
    files = {
        "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
        "Cargo.lock": LOCK,
        "crates/api/Cargo.toml": cargo("api", deps='axum = "0.7"\ncore = { path = "../core" }\n'),
        "crates/api/src/main.rs": AXUM_MAIN,
        "crates/core/Cargo.toml": cargo("core", deps=""),
        "crates/core/src/lib.rs": "pub fn x() {}\n",
    }
    app = app_of(make_tree, files, "crates/api")
    assert app.detail("manifests") == "../../Cargo.toml Cargo.toml ../core/Cargo.toml ../../Cargo.lock"
    result = plan_for(app)
    assert result.values["copies"] == [
        ["Cargo.toml", "Cargo.lock", "./"], ["crates/api/Cargo.toml", "crates/api/"], ["crates/core/Cargo.toml", "crates/core/"],
    ]
    assert result.values["stubs"] == {"files": ["crates/api/src/main.rs", "crates/core/src/lib.rs"], "folders": ["crates/api/src", "crates/core/src"]}
    assert result.values["binary_paths"] == ["/app/target/release/api"]
    assert result.watch[0].target == "/app/crates/api"
    compose = next(f.content for f in generate(inspect_tree(make_tree(files)), ["compose"]))
    assert "dockerfile: crates/api/Dockerfile" in compose


def test_rocket_listens_on_every_interface(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(deps='rocket = "0.5"\n'), "src/main.rs": "fn main() {}\n"}
    text = dockerfile(make_tree, files)
    assert "ENV ROCKET_ADDRESS=0.0.0.0 \\\n    ROCKET_PORT=8000" in text


def test_a_program_with_no_port_has_no_probe(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(deps=""), "src/main.rs": "fn main() {}\n"}
    assert plan(make_tree, files).healthcheck is None
    text = dockerfile(make_tree, files)
    assert "AS probe" not in text and "HEALTHCHECK" not in text
    assert 'ENTRYPOINT ["tini", "-s", "--"]' in text


def test_the_probe_written_by_the_dockerfile_compiles_and_checks_http(make_tree: MakeTree, tmp_path: Path) -> None:
    """Run the probe stage's RUN line (printf + rustc) here, then probe live servers from this machine's own address."""
    if shutil.which("rustc") is None:
        pytest.skip("rustc is not installed")
    text = dockerfile(make_tree, {"Cargo.toml": cargo(), "src/main.rs": AXUM_MAIN})
    run = re.search(r"AS probe\nWORKDIR /src\n(?:#[^\n]*\n)*RUN (.*?)\n\n", text, re.DOTALL)
    assert run is not None
    script = run.group(1).replace("-o /probe ", f"-o {tmp_path}/probe ")
    subprocess.run(["sh", "-c", script], cwd=tmp_path, check=True, capture_output=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            codes = {"/health": 200, "/moved": 302, "/missing": 404}
            self.send_response(codes.get(self.path, 503))
            if self.path == "/moved":
                self.send_header("Location", "/broken")  # followed, the probe would see 503
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    def probe(*args: object) -> int:
        return subprocess.run([str(tmp_path / "probe"), *map(str, args)], check=False, timeout=10).returncode

    def serving(host: str) -> http.server.HTTPServer:
        server = http.server.HTTPServer((host, 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    server = serving("0.0.0.0")
    port = server.server_address[1]
    try:
        assert probe(port, "/health", 400) == 0
        assert probe(port, "/broken", 400) == 1
        assert probe(port, "/missing", 400) == 1 and probe(port, "/missing", 500) == 0  # the max status is the caller's
        assert probe(port, "/moved", 400) == 0  # the redirect is the answer: not followed
        assert probe(port) == 0
    finally:
        server.shutdown()
        server.server_close()
    assert probe(port) == 1  # nothing listens any more

    loopback = serving("127.0.0.1")  # unreachable from outside the container: never healthy
    try:
        assert probe(loopback.server_address[1], "/health", 400) == 1
        assert probe(loopback.server_address[1]) == 1
    finally:
        loopback.shutdown()
        loopback.server_close()


# ---------------------------------------------------------------- sqlx: native-tls and compile-time queries
SQLX_NATIVE_TLS = 'axum = "0.7"\nsqlx = { version = "0.8", features = ["runtime-tokio-native-tls", "postgres"] }\n'
SQLX_MAIN = AXUM_MAIN.replace("fn main() {\n", 'fn main() {\n    let _q = sqlx::query!("SELECT 1 AS one");\n')


def test_sqlx_native_tls_feature_links_openssl(make_tree: MakeTree) -> None:
    result = plan(make_tree, {"Cargo.toml": cargo(deps=SQLX_NATIVE_TLS), "src/main.rs": AXUM_MAIN})
    assert result.values["build_packages"] == ["libssl-dev", "pkg-config"]
    assert result.values["runtime_packages"] == ["libssl3"]
    rustls = SQLX_NATIVE_TLS.replace("runtime-tokio-native-tls", "runtime-tokio-rustls")
    assert plan(make_tree, {"Cargo.toml": cargo(deps=rustls), "src/main.rs": AXUM_MAIN}).values["runtime_packages"] == []


def test_sys_crates_in_the_lock_link_their_library(make_tree: MakeTree) -> None:
    lock = 'version = 3\n\n[[package]]\nname = "openssl-sys"\nversion = "0.9.104"\n\n[[package]]\nname = "pq-sys"\nversion = "0.6.3"\n'
    result = plan(make_tree, {"Cargo.toml": cargo(), "Cargo.lock": lock, "src/main.rs": AXUM_MAIN})
    assert result.values["build_packages"] == ["libpq-dev", "libssl-dev", "pkg-config"]
    assert result.values["runtime_packages"] == ["libpq5", "libssl3"]


def test_sqlx_query_macros_with_offline_data_build_offline(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(deps=SQLX_NATIVE_TLS), "src/main.rs": SQLX_MAIN, ".sqlx/query-abc.json": "{}"}
    app = app_of(make_tree, files)
    assert app.detail("sqlx_offline") == ".sqlx"
    text = dockerfile(make_tree, files)
    assert text.index("ENV SQLX_OFFLINE=true") < text.index("cargo build")
    assert any("SQLX_OFFLINE=true" in note for note in plan(make_tree, files).notes)


def test_sqlx_query_macros_without_offline_data_warn(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(deps=SQLX_NATIVE_TLS), "src/main.rs": SQLX_MAIN}
    result = inspect_tree(make_tree(files))
    assert any("src/main.rs:2: sqlx's query macros" in w and "cargo sqlx prepare" in w for w in result.warnings)
    assert "SQLX_OFFLINE" not in dockerfile(make_tree, files)
    assert any("cargo sqlx prepare" in note for note in plan(make_tree, files).notes)


def test_sqlx_without_query_macros_needs_nothing(make_tree: MakeTree) -> None:
    files = {"Cargo.toml": cargo(deps=SQLX_NATIVE_TLS), "src/main.rs": AXUM_MAIN.replace("fn main", 'fn q() { let _ = sqlx::query("SELECT 1"); }\nfn main')}
    assert not any("sqlx" in w for w in inspect_tree(make_tree(files)).warnings)
