"""The Go recipe: plans and Dockerfiles for Go apps built from small source trees."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from migrate.generate import generate
from migrate.generate.plan import ContainerPlan
from migrate.generate.recipes import plan_for
from migrate.inspect import inspect_tree
from migrate.profile import AppProfile

MakeTree = Callable[[dict[str, str | bytes]], Path]

GO_MOD = "module example.com/hello\n\ngo 1.22\n"
SERVER = (
    'package main\n\nimport (\n\t"net/http"\n\t"os/signal"\n)\n\n'
    'func main() {\n\t_ = signal.Notify\n\thttp.HandleFunc("/healthz", nil)\n\thttp.ListenAndServe(":9000", nil)\n}\n'
)
WORKER = "package main\n\nfunc main() {}\n"


def app_of(make_tree: MakeTree, files: dict[str, str | bytes], path: str = ".") -> AppProfile:
    apps = {a.path: a for a in inspect_tree(make_tree(files)).apps}
    return apps[path]


def plan(make_tree: MakeTree, files: dict[str, str | bytes], path: str = ".") -> ContainerPlan:
    return plan_for(app_of(make_tree, files, path))


def dockerfile(make_tree: MakeTree, files: dict[str, str | bytes], path: str = ".") -> str:
    root = make_tree(files)
    wanted = "Dockerfile" if path == "." else f"{path}/Dockerfile"
    return next(f.content for f in generate(inspect_tree(root), ["dockerfile"]) if f.path == wanted)


def test_module_root_server(make_tree: MakeTree) -> None:
    result = plan(make_tree, {"go.mod": GO_MOD, "go.sum": "", "main.go": SERVER})
    assert result.images == {"build": "golang:1.22-bookworm", "runtime": "debian:bookworm-slim"}
    assert result.cmd == ("/out/hello",)
    assert result.port == 9000
    assert result.healthcheck == ("/usr/local/bin/probe", "9000", "/healthz", "400")
    assert result.values["copies"] == [["go.mod", "go.sum", "./"]]
    assert result.values["download"] is True
    # dev rebuilds from the cache and execs the binary: the app, not `go run`, receives SIGTERM
    assert result.dev_cmd == ("sh", "-c", "go build -o /tmp/hello . && exec /tmp/hello")
    assert [(w.action, w.path, w.target) for w in result.watch] == [
        ("sync+restart", ".", "/app"), ("rebuild", "go.mod", None), ("rebuild", "go.sum", None),
    ]
    assert result.post_create == "go mod download"
    assert result.extensions == ("golang.go",)


def test_dockerfile_layers_modules_before_source_and_runs_as_non_root(make_tree: MakeTree) -> None:
    text = dockerfile(make_tree, {"go.mod": GO_MOD, "go.sum": "", "main.go": SERVER})
    lines = text.splitlines()
    assert lines.index('COPY ["go.mod", "go.sum", "./"]') < lines.index("RUN go mod download \\") < lines.index("COPY . .")
    # The standard library is compiled in the dependency layer, with the real build's settings.
    assert lines[lines.index("RUN go mod download \\") + 1] == " && CGO_ENABLED=0 go build -trimpath std"
    assert 'RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/hello .' in lines
    runtime = text[text.index("AS runtime") : text.index("AS dev")]
    assert "USER 10001:10001" in runtime
    assert "COPY --from=probe /probe /usr/local/bin/probe" in runtime
    assert 'CMD ["/out/hello"]' in runtime
    assert "ENTRYPOINT" not in runtime  # a Go binary as PID 1 exits on SIGTERM by itself
    assert "FROM golang:1.22-bookworm AS probe" in text  # the probe reuses the build image
    assert text.rstrip().endswith("FROM runtime AS production")


def test_the_probe_speaks_http_on_a_socket_without_net_http(make_tree: MakeTree) -> None:
    """net/http's client made the probe 4-5 MB, most of a Go image's overhead over its binary (1.7 MB without)."""
    text = dockerfile(make_tree, {"go.mod": GO_MOD, "go.sum": "", "main.go": SERVER})
    probe = text[text.index("AS probe") : text.index("AS runtime")]
    assert '"net/http"' not in probe and '"net";' in probe
    assert "HTTP/1.1" in probe and "Connection: close" in probe
    assert 'strings.HasPrefix(fields[0], "HTTP/")' in probe  # a non-HTTP answer fails
    assert "status >= max" in probe


def test_the_runtime_gets_the_ca_bundle_without_installing_debian_packages(make_tree: MakeTree) -> None:
    """Debian's ca-certificates pulls OpenSSL: 11.1 MB of overhead on the official debian:bookworm-slim (1.9 MB without)."""
    for files in (
        {"go.mod": GO_MOD, "go.sum": "", "main.go": SERVER},
        {"go.mod": GO_MOD, "go.sum": "", "main.go": WORKER},  # no port, no probe stage
        {"go.mod": GO_MOD, "go.sum": "", "main.go": 'package main\n\nimport "C"\n\n' + SERVER.split("\n\n", 1)[1]},  # cgo
    ):
        text = dockerfile(make_tree, files)
        runtime = text[text.index("AS runtime") : text.index("AS dev")]
        assert "apt-get" not in runtime
        bundle = "/etc/ssl/certs/ca-certificates.crt"
        assert f"COPY --from=build {bundle} {bundle}\n" in runtime


def test_worker_builds_every_binary_and_has_no_probe(make_tree: MakeTree) -> None:
    files = {"go.mod": GO_MOD, "cmd/worker/main.go": WORKER, "cmd/api/main.go": SERVER}
    result = plan(make_tree, files)
    assert result.cmd == ("/out/api",)
    assert result.values["build_command"].endswith("-o /out/ ./cmd/api ./cmd/worker")
    assert result.dev_cmd[-1] == "go build -o /tmp/api ./cmd/api && exec /tmp/api"
    assert any("worker" in note for note in result.notes)


def test_a_program_with_no_port_has_no_probe(make_tree: MakeTree) -> None:
    files = {"go.mod": GO_MOD, "main.go": WORKER}
    assert plan(make_tree, files).healthcheck is None
    text = dockerfile(make_tree, files)
    assert "AS probe" not in text and "HEALTHCHECK" not in text


def test_toolchain_directive_picks_the_image(make_tree: MakeTree) -> None:
    mod = "module example.com/hello\n\ngo 1.23\n\ntoolchain go1.23.4\n"
    assert plan(make_tree, {"go.mod": mod, "main.go": SERVER}).images["build"] == "golang:1.23.4-bookworm"


def test_cgo_app_gets_a_c_toolchain_in_dev(make_tree: MakeTree) -> None:
    mod = GO_MOD + "\nrequire github.com/mattn/go-sqlite3 v1.14.22\n"
    files = {"go.mod": mod, "go.sum": "", "main.go": SERVER}
    result = plan(make_tree, files)
    assert result.values["cgo"] is True
    text = dockerfile(make_tree, files)
    assert "CGO_ENABLED=1 go build" in text
    assert "gcc libc6-dev" in text and "CGO_ENABLED=1 \\" in text


def test_go_work_member_builds_from_the_workspace_root(make_tree: MakeTree) -> None:
    files = {
        "go.work": "go 1.22\n\nuse (\n\t./svc/api\n\t./lib\n)\n",
        "svc/api/go.mod": "module example.com/api\n\ngo 1.22\n",
        "svc/api/go.sum": "",
        "svc/api/main.go": SERVER,
        "lib/go.mod": "module example.com/lib\n\ngo 1.22\n",
        "lib/lib.go": "package lib\n",
    }
    app = app_of(make_tree, files, "svc/api")
    assert app.detail("manifests") == "../../go.work go.mod go.sum ../../lib/go.mod"
    result = plan_for(app)
    assert result.values["copies"] == [["go.work", "./"], ["svc/api/go.mod", "svc/api/go.sum", "svc/api/"], ["lib/go.mod", "lib/"]]
    assert result.workdir == "/app/svc/api"
    text = dockerfile(make_tree, files, "svc/api")
    assert "WORKDIR /app/svc/api" in text and "COPY . /app/" in text
    compose = next(f.content for f in generate(inspect_tree(make_tree(files)), ["compose"]))
    assert "context: \".\"" in compose and "dockerfile: svc/api/Dockerfile" in compose


def test_hostile_names_stay_quoted(make_tree: MakeTree) -> None:
    # A module whose last element needs quoting cannot break the dev command or the Dockerfile.
    files = {"go.mod": 'module "example.com/x;rm"\n\ngo 1.22\n', "main.go": SERVER}
    result = plan(make_tree, files)
    assert result.dev_cmd[-1] == "go build -o '/tmp/x;rm' . && exec '/tmp/x;rm'"
    runtime = dockerfile(make_tree, files).split("AS runtime", 1)[1]
    cmd = next(line for line in runtime.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd[4:]) == ["/out/x;rm"]


def test_a_procfile_naming_the_binary_runs_it_from_out(make_tree: MakeTree) -> None:
    """miniflux: ``web: miniflux.app`` names the binary, which the image builds into /out (not on PATH)."""
    files = {"go.mod": "module miniflux.app\n\ngo 1.22\n", "main.go": SERVER, "Procfile": "web: miniflux.app -debug\n"}
    result = plan(make_tree, files)
    assert result.cmd == ("/out/miniflux.app", "-debug")
    other = plan(make_tree, {**files, "Procfile": "web: ./scripts/run.sh\n"})
    assert other.cmd == ("./scripts/run.sh",)  # not a built binary: the user's command as written


def test_every_command_of_a_procfile_chain_naming_the_binary_runs_it_from_out(make_tree: MakeTree) -> None:
    files = {"go.mod": "module miniflux.app\n\ngo 1.22\n", "main.go": SERVER}
    chain = "web: miniflux.app -migrate && ./scripts/warm.sh; LOG=1 exec bin/miniflux.app -debug\n"
    result = plan(make_tree, {**files, "Procfile": chain})
    assert result.cmd == ("sh", "-c", "/out/miniflux.app -migrate && ./scripts/warm.sh; LOG=1 exec /out/miniflux.app -debug")
