"""Getting the image that ``migrate build`` made into the app's ECR repository, pinned by digest.

Three steps, each usable alone; :func:`publish` tags and pushes with a login from :func:`ecr_auth`:

1. :func:`image_tag` names the image after the source it was built from, never ``latest``:

   - a git work tree whose files under PATH match ``HEAD``: the commit, ``3f2a9c1d4e5f``;
   - uncommitted changes under PATH (tracked files changed against ``HEAD``, staged or not, and
     untracked files git does not ignore): ``3f2a9c1d4e5f-dirty-0b9e7f21c4aa``, the second hash a
     SHA-256 of ``git diff HEAD --binary`` and of the untracked files' paths and contents, so two
     different dirty states never share a tag and the same one gives the same tag on every machine;
   - not a git work tree (nor a folder git tracks, nor a repository with a commit): ``tree-<12 hex>``,
     a SHA-256 of the files Docker would send as the build context (``.dockerignore`` applied, as
     docker-py applies it).

   Hashes are cut to a fixed 12 hex digits, not git's ``--short`` (whose length grows with the
   repository and differs between clones, which would give one commit two tags). A tag names a
   source state, not an image: the skip below compares image content, so a rebuild of the same
   commit that differs (an ignored file, a newer base image) is pushed again under the same tag.
2. :func:`ecr_auth` trades AWS credentials for a registry login (``ecr:GetAuthorizationToken``,
   ``AWS:password``). The password is handed to the engine with each request (``auth_config``),
   never written to ``~/.docker/config.json`` and never printed, logged or kept in an error.
3. :func:`push_image` asks the registry (its HTTP API v2, which ECR serves too; reading a manifest
   needs ``ecr:BatchGetImage``, the permission behind ``batch_get_image``) whether the tag already
   holds this very image (same config digest, i.e. image id): then nothing is pushed. Otherwise it
   tags the local image ``REGISTRY/REPOSITORY:TAG`` and pushes it through the Docker SDK, reporting
   each layer's progress once per change of status, and failing on the stream's error lines
   (docker-py does not raise on them) with one line naming the registry and the reason.

The result is ``REGISTRY/REPOSITORY@sha256:...``, what a task definition should run: a tag can be
moved, a digest cannot.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import os
import stat
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from migrate.deploy.errors import DeployError, aws_call

if TYPE_CHECKING:
    from docker import DockerClient

    from migrate.deploy.aws import Aws

#: Hex digits kept of every hash in a tag: fixed, so every clone names a commit alike.
HASH_LENGTH = 12
#: Seconds for one registry API request or one git command.
TIMEOUT = 60
#: Manifest types the skip check understands, best first (what a classic-builder push writes).
_MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)

TagOrigin = Literal["commit", "dirty", "tree"]


# ------------------------------------------------------------------------------------------- tag
@dataclass(frozen=True)
class ImageTag:
    """The tag an image of a source tree is pushed under, and where it comes from."""

    value: str
    origin: TagOrigin
    why: str  # for people (a plan): "git commit 3f2a9c1d4e5f with uncommitted changes under ."

    def __str__(self) -> str:
        return self.value


def image_tag(root: Path) -> ImageTag:
    """The tag for an image built from ``root`` (the build context): commit, dirty commit or tree hash."""
    if not root.is_dir():
        raise DeployError(f"{root} is not a folder", hint="give the app's folder, the one `migrate build` builds")
    commit = _head_commit(root)
    if commit is None:
        digest = _tree_digest(root)
        return ImageTag(f"tree-{digest}", "tree", f"not a git commit: hash of the build context's files ({digest})")
    short = commit[:HASH_LENGTH]
    changes = _uncommitted(root)
    if changes is None:
        return ImageTag(short, "commit", f"git commit {short}, no uncommitted changes under {root.name or root}")
    return ImageTag(f"{short}-dirty-{changes}", "dirty", f"git commit {short} with uncommitted changes under {root.name or root} ({changes})")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``git -C root ARGS``, read-only: no optional index refresh, messages in English."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, env=env, check=False, timeout=TIMEOUT)
    except FileNotFoundError:
        raise DeployError("git is not installed, and the image tag is the app's git commit",
                          hint="install git (apt-get install git, brew install git), then run again") from None
    except subprocess.TimeoutExpired:
        raise DeployError(f"git did not answer within {TIMEOUT} s in {root}") from None


def _git_output(root: Path, *args: str) -> bytes:
    result = _git(root, *args)
    if result.returncode != 0:
        raise _git_error(root, args[0], result)
    return result.stdout


def _git_error(root: Path, command: str, result: subprocess.CompletedProcess[bytes]) -> DeployError:
    """git's own last line (``detected dubious ownership``...), naming the folder."""
    message = result.stderr.decode(errors="replace").strip().splitlines() or [f"exit status {result.returncode}"]
    return DeployError(f"git {command} failed in {root}: {message[-1]}")


def _head_commit(root: Path) -> str | None:
    """The full hash of ``HEAD``, or None outside a work tree, before the first commit, or in an untracked folder."""
    inside = _git(root, "rev-parse", "--is-inside-work-tree")
    if inside.returncode != 0:
        if b"not a git repository" in inside.stderr:
            return None
        raise _git_error(root, "rev-parse", inside)
    if inside.stdout.strip() != b"true":  # inside a .git folder
        return None
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head.returncode != 0:
        return None
    # A folder git does not track (ignored, or never added) is not described by any commit.
    if not _git_output(root, "ls-files", "-z", "--", "."):
        return None
    return head.stdout.decode().strip()


def _uncommitted(root: Path) -> str | None:
    """A hash of what differs from ``HEAD`` under ``root`` (changes and untracked files), or None."""
    # Options pinned so the user's git config (prefixes, renames, external diff tools) cannot
    # change the bytes, and so the hash is the same on every machine for the same changes.
    diff = _git_output(root, "diff", "HEAD", "--binary", "--full-index", "--no-ext-diff", "--no-textconv", "--no-color",
                       "--no-renames", "--no-relative", "--src-prefix=a/", "--dst-prefix=b/", "--", ".")
    untracked = sorted(p for p in _git_output(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".").split(b"\0") if p)
    if not diff and not untracked:
        return None
    digest = hashlib.sha256(diff)
    for rel in untracked:
        digest.update(b"\0untracked\0" + rel + b"\0" + _file_hash(root / os.fsdecode(rel)))
    return digest.hexdigest()[:HASH_LENGTH]


def _file_hash(path: Path) -> bytes:
    """What a file contributes: symlink target, or executable bit and content (folders: nothing)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return b"link:" + os.fsencode(os.readlink(path))
    if not stat.S_ISREG(info.st_mode):
        return b"other"
    content = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            content.update(block)
    return (b"x:" if info.st_mode & stat.S_IXUSR else b"f:") + content.hexdigest().encode()


def _tree_digest(root: Path) -> str:
    """A hash of the files the Docker SDK would send as ``root``'s build context."""
    from docker.utils.build import exclude_paths

    included = exclude_paths(root, _dockerignore(root))
    digest = hashlib.sha256()
    for rel in sorted(included):
        path = root / rel
        if path.is_symlink() or path.is_file():
            digest.update(rel.encode() + b"\0" + _file_hash(path) + b"\0")
    return digest.hexdigest()[:HASH_LENGTH]


def _dockerignore(root: Path) -> list[str]:
    """``.dockerignore``'s patterns, read as docker-py's ``build`` reads them."""
    path = root / ".dockerignore"
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# ------------------------------------------------------------------------------------------- auth
@dataclass(frozen=True)
class RegistryAuth:
    """A registry login: its endpoint (``https://ACCOUNT.dkr.ecr.REGION.amazonaws.com``) and credentials."""

    endpoint: str
    username: str
    password: str = field(repr=False)

    @property
    def host(self) -> str:
        """``ACCOUNT.dkr.ecr.REGION.amazonaws.com`` (with a port, when the endpoint has one)."""
        return urlsplit(self.endpoint).netloc or self.endpoint

    def auth_config(self) -> dict[str, str]:
        """The credentials as the Docker SDK passes them to the engine for one request."""
        return {"username": self.username, "password": self.password, "serveraddress": self.host}

    def scrub(self, text: str) -> str:
        """``text`` with the password masked (for messages that quote a registry or engine)."""
        # A short string cannot be a token (ECR's are ~2 KB); masking it would garble the message.
        return text.replace(self.password, "***") if len(self.password) >= 8 else text


def ecr_auth(aws: Aws) -> RegistryAuth:
    """A login to the account's ECR registry in the session's region (valid for 12 hours)."""
    with aws_call("ecr:GetAuthorizationToken", "the account's ECR registry"):
        data = aws.client("ecr").get_authorization_token()["authorizationData"][0]
    try:
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        raise DeployError("ECR returned an authorization token that is not base64 of USER:PASSWORD") from None
    if not password:
        raise DeployError("ECR returned an authorization token without a password")
    return RegistryAuth(str(data["proxyEndpoint"]).rstrip("/"), username, password)


# ------------------------------------------------------------------------------------------- push
@dataclass(frozen=True)
class PushEvent:
    """One layer's new status: ``Preparing``, ``Waiting``, ``Pushing``, ``Pushed``, ``Layer already exists``..."""

    layer: str
    status: str


@dataclass(frozen=True)
class PushedImage:
    """An image in the registry: ``REGISTRY/REPOSITORY``, the tag it was pushed under, its manifest digest."""

    repository: str
    tag: str
    digest: str
    pushed: bool  # False: the registry already had this very image under the tag, nothing was sent

    @property
    def reference(self) -> str:
        """``REGISTRY/REPOSITORY@sha256:...``: the image, immutably (what a task definition runs)."""
        return f"{self.repository}@{self.digest}"


@dataclass(frozen=True)
class RemoteImage:
    """What a registry holds under a tag: the manifest's digest and, for one platform, the image id."""

    digest: str
    config_digest: str | None


def push_image(
    client: DockerClient,
    image: str,
    repository: str,
    tag: str,
    auth: RegistryAuth,
    *,
    on_event: Callable[[PushEvent], None] = lambda event: None,
) -> PushedImage:
    """Push the local ``image`` to ``repository`` (a name in ``auth``'s registry) as ``tag``, unless it is there.

    Returns the image pinned by digest. Raises :class:`DeployError` (one line naming the registry and
    the reason) when the image is not local, the credentials are refused, or the registry is unreachable.
    """
    found = find_pushed(client, image, repository, tag, auth)
    if found is not None:
        return found
    target = f"{auth.host}/{repository}"
    _local_image(client, image).tag(target, tag)
    digest = push_tag(client, target, tag, auth, on_event=on_event)
    if digest is None:  # an engine that sends no aux digest: ask the registry what the tag now is
        remote = remote_image(auth, repository, tag)
        if remote is None:
            raise DeployError(f"push to {auth.host} finished but {repository}:{tag} is not in the registry")
        digest = remote.digest
    return PushedImage(target, tag, digest, pushed=True)


def find_pushed(client: DockerClient, image: str, repository: str, tag: str, auth: RegistryAuth) -> PushedImage | None:
    """The registry's ``repository:tag`` when it holds this very local ``image`` (read-only, for a plan too)."""
    local = _local_image(client, image)
    remote = remote_image(auth, repository, tag)
    # The config digest is the image id: equal means the same image, wherever it was built.
    if remote is None or remote.config_digest != local.id:
        return None
    return PushedImage(f"{auth.host}/{repository}", tag, remote.digest, pushed=False)


def push_tag(
    client: DockerClient, target: str, tag: str, auth: RegistryAuth, *, on_event: Callable[[PushEvent], None] = lambda event: None
) -> str | None:
    """Push the local ``target:tag`` with ``auth``; the manifest digest the engine reports (None if it does not)."""
    from docker.errors import DockerException

    try:
        stream = client.images.push(target, tag, stream=True, decode=True, auth_config=auth.auth_config())
        return read_push_stream(stream, auth, on_event)
    except DockerException as exc:
        explanation = getattr(exc, "explanation", None)
        raise push_error(auth, str(explanation or exc)) from None


def read_push_stream(messages: Iterable[Mapping[str, Any]], auth: RegistryAuth, on_event: Callable[[PushEvent], None]) -> str | None:
    """Follow the engine's push messages: report each layer's status changes, raise on an error line."""
    statuses: dict[str, str] = {}
    digest: str | None = None
    for message in messages:
        if message.get("error") or message.get("errorDetail"):
            detail = (message.get("errorDetail") or {}).get("message") or message.get("error")
            raise push_error(auth, str(detail))
        aux = message.get("aux")
        if isinstance(aux, dict) and aux.get("Digest"):
            digest = str(aux["Digest"])
        layer, status = message.get("id"), message.get("status")
        # "Pushing" repeats with every chunk sent: report a layer only when its status changes.
        if layer and status and statuses.get(str(layer)) != status:
            statuses[str(layer)] = str(status)
            on_event(PushEvent(str(layer), str(status)))
    return digest


#: What the engine's push errors say, by reason (Docker engine and ECR wording, lower-cased).
_REASONS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("repository not found", ("name unknown", "name_unknown", "does not exist in the registry", "repository not found"),
     "create the ECR repository first (`migrate deploy` creates it), or check its name"),
    ("authentication denied", ("unauthorized", "authentication required", "no basic auth credentials", "token has expired"),
     "the registry refused the login: check the AWS account and region, and run again for a fresh token"),
    ("access denied", ("denied", "forbidden", "not authorized"),
     "the identity needs ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload and ecr:PutImage on the repository"),
    ("network error", ("dial tcp", "connection refused", "no such host", "i/o timeout", "timeout", "tls", "connection reset",
                       "network is unreachable", "eof", "http response to https client", "x509"),
     "check that the registry is reachable from the Docker engine (network, proxy, DNS)"),
)


def push_error(auth: RegistryAuth, detail: str) -> DeployError:
    """One line for a failed push: the registry, the reason, the engine's words (password masked)."""
    lines = auth.scrub(detail).strip().splitlines() or ["no detail"]
    text = lines[0]
    for reason, needles, hint in _REASONS:
        if any(n in text.lower() for n in needles):
            return DeployError(f"push to {auth.host} failed: {reason} ({text})", hint=hint)
    return DeployError(f"push to {auth.host} failed: {text}")


def _local_image(client: DockerClient, image: str) -> Any:
    from docker.errors import DockerException, ImageNotFound

    try:
        return client.images.get(image)
    except ImageNotFound:
        raise DeployError(f"no local image {image}", hint="build it first: migrate build PATH") from None
    except DockerException as exc:
        raise DeployError(f"the Docker engine could not read image {image}: {str(exc).splitlines()[0]}") from None


# --------------------------------------------------------------------------------- registry API
def remote_image(auth: RegistryAuth, repository: str, tag: str) -> RemoteImage | None:
    """What the registry holds under ``repository:tag`` (Registry HTTP API v2), or None when nothing."""
    url = f"{auth.endpoint}/v2/{repository}/manifests/{tag}"
    credentials = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
    request = urllib.request.Request(url, headers={"Accept": ", ".join(_MANIFEST_TYPES), "Authorization": f"Basic {credentials}"})
    try:
        with _opener(auth.host).open(request, timeout=TIMEOUT) as response:
            body = response.read()
            digest = response.headers.get("Docker-Content-Digest") or f"sha256:{hashlib.sha256(body).hexdigest()}"
    except urllib.error.HTTPError as exc:
        if exc.code == 404:  # no such tag, or no such repository yet (plain registries create it on push)
            return None
        raise _http_error(auth, repository, tag, exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeployError(f"cannot reach registry {auth.host}: network error ({auth.scrub(str(reason))})",
                          hint="check the network, proxy and DNS, and that the registry's region is right") from None
    return RemoteImage(str(digest), _config_digest(body))


def _http_error(auth: RegistryAuth, repository: str, tag: str, status: int) -> DeployError:
    if status in (401, 403):
        return DeployError(f"registry {auth.host} refused the credentials for {repository}: authentication denied (HTTP {status})",
                          hint="check the AWS account and region, and the identity's ecr:BatchGetImage permission")
    return DeployError(f"registry {auth.host} answered HTTP {status} for {repository}:{tag}")


def _config_digest(body: bytes) -> str | None:
    """The image id of a single-platform manifest (None for an index, or what cannot be read)."""
    try:
        manifest = json.loads(body)
    except ValueError:
        return None
    config = manifest.get("config") if isinstance(manifest, dict) else None
    return str(config["digest"]) if isinstance(config, dict) and "digest" in config else None


def _opener(host: str) -> urllib.request.OpenerDirector:
    """An opener using the environment's proxy, except for loopback registries (as Docker and Go do)."""
    name = urlsplit(f"//{host}").hostname or host
    try:
        loopback = name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        loopback = False
    return urllib.request.build_opener(urllib.request.ProxyHandler({})) if loopback else urllib.request.build_opener()


# ------------------------------------------------------------------------------------ all three
def publish(
    client: DockerClient,
    root: Path,
    image: str,
    repository: str,
    auth: RegistryAuth,
    *,
    on_event: Callable[[PushEvent], None] = lambda event: None,
) -> PushedImage:
    """Push the local ``image`` built from ``root`` to ``repository``, tagged after its source (:func:`image_tag`).

    ``auth`` is the login (:func:`ecr_auth` for the account's ECR). Nothing is sent when the registry
    already holds this image under that tag.
    """
    return push_image(client, image, repository, image_tag(root).value, auth, on_event=on_event)
