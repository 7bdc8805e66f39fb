"""The image tag, the ECR login, and the push: git trees built in the test, and a real local registry.

moto has no registry behind ECR, so the push tests run Debian's ``docker-registry`` on 127.0.0.1
with htpasswd auth accepting exactly the password moto's ECR token carries: the credentials path is
real (a wrong password is refused by the registry), only the endpoint is swapped. Those tests are
marked ``docker``; without an engine or the registry binary they skip, under
``MIGRATE_REQUIRE_DOCKER=1`` they fail.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool, unavailable
from docker_images import ensure_base_images

from migrate.deploy.errors import DeployError
from migrate.deploy.registry import (
    PushEvent,
    RegistryAuth,
    ecr_auth,
    image_tag,
    publish,
    push_error,
    push_image,
    push_tag,
    read_push_stream,
)

from .conftest import REGION

BASE = "debian:bookworm-slim"


# -------------------------------------------------------------------------------------- git trees
@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No user or system git config of the machine's; returns the global config file tests may fill."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = t\n\temail = t@example.com\n[commit]\n\tgpgsign = false\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    return config


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True).stdout.strip()


def repo(root: Path, files: dict[str, str]) -> Path:
    """A git repository at ``root`` with ``files`` committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    return root


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


APP = {"app.py": "print('hi')\n", ".gitignore": "*.log\n"}


def test_clean_tree_is_tagged_with_its_commit(git_env: Path, tmp_path: Path) -> None:
    root = repo(tmp_path / "app", APP)
    tag = image_tag(root)
    assert (tag.value, tag.origin) == (git(root, "rev-parse", "HEAD")[:12], "commit")


def test_dirty_tree_tag_differs_from_clean_and_between_dirty_states(git_env: Path, tmp_path: Path) -> None:
    root = repo(tmp_path / "app", APP)
    clean = image_tag(root).value
    write(root, {"app.py": "print('one')\n"})
    one = image_tag(root)
    write(root, {"app.py": "print('two')\n"})
    two = image_tag(root)
    assert one.origin == two.origin == "dirty"
    assert one.value.startswith(f"{clean}-dirty-") and two.value.startswith(f"{clean}-dirty-")
    assert len({clean, one.value, two.value}) == 3
    write(root, {"app.py": "print('hi')\n"})  # back to the commit: clean again
    assert image_tag(root).value == clean


def test_staged_and_untracked_changes_are_dirty_ignored_files_are_not(git_env: Path, tmp_path: Path) -> None:
    root = repo(tmp_path / "app", APP)
    clean = image_tag(root).value
    write(root, {"debug.log": "ignored by .gitignore\n"})
    assert image_tag(root).value == clean
    write(root, {"new.py": "x = 1\n"})
    untracked = image_tag(root)
    assert untracked.origin == "dirty"
    write(root, {"new.py": "x = 2\n"})
    assert image_tag(root).value != untracked.value  # the untracked file's content counts, not just its name
    git(root, "add", "new.py")
    assert image_tag(root).origin == "dirty"


def test_same_dirty_state_gives_the_same_tag_in_another_clone_whatever_its_git_config(git_env: Path, tmp_path: Path) -> None:
    root = repo(tmp_path / "app", APP)
    write(root, {"app.py": "print('changed')\n", "new.py": "x = 1\n"})
    expected = image_tag(root).value
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
    write(clone, {"app.py": "print('changed')\n", "new.py": "x = 1\n"})
    # A user's diff settings must not change the bytes that are hashed.
    git_env.write_text(git_env.read_text() + "[diff]\n\tnoprefix = true\n\trenames = copies\n\trelative = true\n"
                       "[color]\n\tdiff = always\n[core]\n\tabbrev = 7\n", encoding="utf-8")
    assert image_tag(clone).value == expected


def test_changes_outside_the_app_folder_leave_its_tag_clean(git_env: Path, tmp_path: Path) -> None:
    root = repo(tmp_path / "mono", {"apps/api/app.py": "a\n", "apps/web/index.js": "b\n"})
    write(root, {"apps/web/index.js": "changed\n", "apps/web/new.js": "c\n"})
    assert image_tag(root / "apps" / "api").origin == "commit"
    assert image_tag(root / "apps" / "web").origin == "dirty"


def test_tree_outside_git_gets_a_hash_of_its_build_context(git_env: Path, tmp_path: Path) -> None:
    root = tmp_path / "plain"
    write(root, {"app.py": "print('hi')\n", ".dockerignore": "# comment\nnotes/\n", "notes/todo.txt": "x\n"})
    tag = image_tag(root)
    assert tag.origin == "tree" and tag.value.startswith("tree-") and len(tag.value) == len("tree-") + 12
    write(root, {"notes/todo.txt": "y\n"})  # not in the build context
    assert image_tag(root).value == tag.value
    write(root, {"app.py": "print('changed')\n"})
    assert image_tag(root).value != tag.value


def test_repository_without_a_commit_gets_a_tree_tag(git_env: Path, tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    write(root, APP)
    git(root, "init", "-q")
    assert image_tag(root).origin == "tree"


def test_folder_git_does_not_track_gets_a_tree_tag(git_env: Path, tmp_path: Path) -> None:
    root = repo(tmp_path / "repo", {"app.py": "a\n", ".gitignore": "vendored/\n"})
    write(root, {"vendored/tool/main.py": "x\n"})
    assert image_tag(root / "vendored" / "tool").origin == "tree"


def test_no_git_installed_is_one_line(git_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = repo(tmp_path / "app", APP)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(DeployError) as raised:
        image_tag(root)
    assert "git is not installed" in str(raised.value) and "\n" not in str(raised.value)


def test_missing_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="is not a folder"):
        image_tag(tmp_path / "missing")


# ------------------------------------------------------------------------------------------ login
def test_ecr_auth_decodes_the_token_and_never_shows_the_password(aws: Any) -> None:
    auth = ecr_auth(aws)
    assert auth.username == "AWS" and auth.password
    assert auth.host == f"{aws.account_id}.dkr.ecr.{REGION}.amazonaws.com"
    assert auth.password not in repr(auth)
    assert auth.auth_config() == {"username": "AWS", "password": auth.password, "serveraddress": auth.host}


# ---------------------------------------------------------------------------- push stream (units)
AUTH = RegistryAuth("https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", "AWS", "s3cret-token")


def test_push_stream_reports_each_layer_status_once_and_returns_the_digest() -> None:
    # Recorded from docker 20.10 pushing to docker-registry 2.8.
    messages = [
        {"status": "The push refers to repository [127.0.0.1:45123/shop/api]"},
        {"status": "Preparing", "progressDetail": {}, "id": "8549f25d895a"},
        {"status": "Preparing", "progressDetail": {}, "id": "e85489bf45dc"},
        {"status": "Pushing", "progressDetail": {"current": 512, "total": 32608647}, "id": "e85489bf45dc"},
        {"status": "Pushing", "progressDetail": {"current": 1024, "total": 32608647}, "id": "e85489bf45dc"},
        {"status": "Pushed", "progressDetail": {}, "id": "8549f25d895a"},
        {"status": "Pushed", "progressDetail": {}, "id": "e85489bf45dc"},
        {"status": "t1: digest: sha256:3e2b size: 736"},
        {"progressDetail": {}, "aux": {"Tag": "t1", "Digest": "sha256:3e2b", "Size": 736}},
    ]
    events: list[PushEvent] = []
    assert read_push_stream(messages, AUTH, events.append) == "sha256:3e2b"
    assert [(e.layer, e.status) for e in events] == [
        ("8549f25d895a", "Preparing"), ("e85489bf45dc", "Preparing"), ("e85489bf45dc", "Pushing"),
        ("8549f25d895a", "Pushed"), ("e85489bf45dc", "Pushed")]


@pytest.mark.parametrize(("detail", "reason"), [
    # Engine and ECR wordings of each failure.
    ("unauthorized: authentication required", "authentication denied"),
    ("no basic auth credentials", "authentication denied"),
    ("denied: Your authorization token has expired. Reauthenticate and try again.", "authentication denied"),
    ("name unknown: The repository with name 'shop/api' does not exist in the registry with id '123456789012'", "repository not found"),
    ("denied: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:InitiateLayerUpload", "access denied"),
    ('Get "http://127.0.0.1:45124/v2/": dial tcp 127.0.0.1:45124: connect: connection refused', "network error"),
    ("Get https://123456789012.dkr.ecr.eu-west-1.amazonaws.com/v2/: net/http: TLS handshake timeout", "network error"),
])
def test_push_error_lines_fail_with_one_line_naming_registry_and_reason(detail: str, reason: str) -> None:
    with pytest.raises(DeployError) as raised:
        read_push_stream([{"status": "Preparing", "id": "a"}, {"errorDetail": {"message": detail}, "error": detail}], AUTH, lambda e: None)
    message = str(raised.value)
    assert message.startswith(f"push to {AUTH.host} failed: {reason} (") and "\n" not in message


def test_push_error_masks_the_password() -> None:
    assert AUTH.password not in str(push_error(AUTH, f"unauthorized: bad password {AUTH.password}"))


# ------------------------------------------------------------------- real registry (docker tests)
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _moto_auth() -> RegistryAuth:
    """The login moto's ECR hands out (its password is fixed per account)."""
    from moto import mock_aws

    from migrate.deploy.aws import connect

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        patch.delenv("AWS_PROFILE", raising=False)
        with mock_aws():
            return ecr_auth(connect(REGION))


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # 401: up, asking for credentials
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"docker-registry did not answer on {url}:\n{log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryAuth]:
    """docker-registry on 127.0.0.1 accepting moto's ECR credentials (htpasswd), as the ECR endpoint."""
    import bcrypt

    binary = require_tool("docker-registry", "apt-get install docker-registry")
    moto = _moto_auth()
    folder = tmp_path_factory.mktemp("registry")
    (folder / "htpasswd").write_text(f"{moto.username}:{bcrypt.hashpw(moto.password.encode(), bcrypt.gensalt()).decode()}\n")
    port = _free_port()
    (folder / "config.yml").write_text(
        "version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\n"
        f"storage: {{filesystem: {{rootdirectory: {folder / 'storage'}}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
        f"auth: {{htpasswd: {{realm: migrate-test, path: {folder / 'htpasswd'}}}}}\n")
    log = folder / "registry.log"
    with log.open("wb") as out:
        process = subprocess.Popen([binary, "serve", str(folder / "config.yml")], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/v2/", process, log)
        yield dataclasses.replace(moto, endpoint=f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=20)


def _build(client: Any, tmp: Path, content: str) -> Any:
    """A small image: the base image and one tiny layer."""
    missing = ensure_base_images([BASE])
    if missing:
        unavailable(f"base image {BASE} is missing (bash .ci/base-images.sh {BASE})")
    context = tmp / uuid.uuid4().hex
    write(context, {"Dockerfile": f"FROM {BASE}\nCOPY hello.txt /hello.txt\n", "hello.txt": content})
    image, _ = client.images.build(path=str(context), tag=f"migrate-registry-test:{uuid.uuid4().hex[:12]}", rm=True)
    return image


@pytest.fixture(scope="module")
def image(client: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    built = _build(client, tmp_path_factory.mktemp("image"), "hello\n")
    yield built
    client.images.remove(built.id, force=True)  # every tag of it, the registry's ones included


@pytest.fixture(scope="module")
def first_push(client: Any, image: Any, registry: RegistryAuth) -> tuple[Any, list[PushEvent]]:
    events: list[PushEvent] = []
    return push_image(client, image.tags[0], "shop/api", "3f2a9c1d4e5f", registry, on_event=events.append), events


@pytest.mark.docker
def test_push_returns_the_image_pinned_by_digest_and_it_pulls(client: Any, image: Any, registry: RegistryAuth,
                                                               first_push: tuple[Any, list[PushEvent]]) -> None:
    pushed, events = first_push
    assert pushed.pushed and pushed.digest.startswith("sha256:")
    assert pushed.reference == f"{registry.host}/shop/api@{pushed.digest}"
    assert {e.status for e in events} >= {"Preparing", "Pushed"}
    assert len(events) == len(set(events))  # once per layer and status
    pulled = client.images.pull(pushed.reference, auth_config=registry.auth_config())
    assert pulled.id == image.id


@pytest.mark.docker
def test_second_push_of_the_same_image_and_tag_sends_nothing(client: Any, image: Any, registry: RegistryAuth,
                                                              first_push: tuple[Any, list[PushEvent]]) -> None:
    events: list[PushEvent] = []
    again = push_image(client, image.tags[0], "shop/api", "3f2a9c1d4e5f", registry, on_event=events.append)
    assert (again.pushed, again.digest, events) == (False, first_push[0].digest, [])


@pytest.mark.docker
def test_another_image_under_the_same_tag_is_pushed(client: Any, registry: RegistryAuth, tmp_path: Path,
                                                    first_push: tuple[Any, list[PushEvent]]) -> None:
    other = _build(client, tmp_path, "a different build of the same commit\n")
    try:
        pushed = push_image(client, other.tags[0], "shop/api", "3f2a9c1d4e5f", registry)
        assert pushed.pushed and pushed.digest != first_push[0].digest
    finally:
        client.images.remove(other.id, force=True)


@pytest.mark.docker
def test_wrong_password_is_refused_in_one_line(client: Any, image: Any, registry: RegistryAuth) -> None:
    wrong = dataclasses.replace(registry, password="not-the-token")
    with pytest.raises(DeployError) as raised:
        push_image(client, image.tags[0], "shop/wrong", "t1", wrong)
    assert "authentication denied" in str(raised.value) and registry.host in str(raised.value)
    # The engine's own refusal, in its push stream (which docker-py does not raise on).
    image.tag(f"{registry.host}/shop/wrong", "t1")
    with pytest.raises(DeployError) as raised:
        push_tag(client, f"{registry.host}/shop/wrong", "t1", wrong)
    message = str(raised.value)
    assert message.startswith(f"push to {registry.host} failed: authentication denied") and "\n" not in message
    assert "not-the-token" not in message


@pytest.mark.docker
def test_registry_down_is_one_line(client: Any, image: Any, registry: RegistryAuth) -> None:
    down = dataclasses.replace(registry, endpoint=f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(DeployError) as raised:
        push_image(client, image.tags[0], "shop/api", "t1", down)
    assert str(raised.value).startswith(f"cannot reach registry {down.host}: network error")
    image.tag(f"{down.host}/shop/api", "t1")
    with pytest.raises(DeployError) as raised:
        push_tag(client, f"{down.host}/shop/api", "t1", down)
    assert str(raised.value).startswith(f"push to {down.host} failed: network error") and "\n" not in str(raised.value)


@pytest.mark.docker
def test_publish_tags_after_the_commit(client: Any, image: Any, registry: RegistryAuth, git_env: Path, tmp_path: Path) -> None:
    root = repo(tmp_path / "app", APP)
    pushed = publish(client, root, image.tags[0], "shop/published", registry)
    assert pushed.tag == git(root, "rev-parse", "HEAD")[:12] and pushed.pushed
    assert f"{registry.host}/shop/published:{pushed.tag}" in client.images.get(image.id).tags


@pytest.mark.docker
def test_missing_local_image_is_one_line(client: Any, registry: RegistryAuth) -> None:
    with pytest.raises(DeployError, match="no local image migrate-registry-test:absent"):
        push_image(client, "migrate-registry-test:absent", "shop/api", "t1", registry)
    # The engine says so in its push stream: not mistaken for a missing repository.
    with pytest.raises(DeployError) as raised:
        push_tag(client, f"{registry.host}/shop/absent", "t1", registry)
    assert str(raised.value) == f"push to {registry.host} failed: An image does not exist locally with the tag: {registry.host}/shop/absent"

