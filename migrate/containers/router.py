"""The Docker side of the local router: HAProxy's container, its configuration copied in, its ports.

The router itself (configuration, runtime API, the cutover's :class:`~migrate.cutover.ports.Router`)
is :mod:`migrate.cutover.local`, free of Docker; this gateway takes an injected docker-py client.
"""

from __future__ import annotations

import io
import socket
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from migrate.cutover.local import HaproxyConfig, RouterError, SocketRuntimeApi, render_config

#: The official image (the offline stand-in, from Debian's package, where no registry answers).
IMAGE = "haproxy:2.6"
#: Where the official image reads its configuration, and the file the servers' state is kept in there.
CONFIG_DIR = "/usr/local/etc/haproxy"
STATE_FILE = "server-state"


@dataclass(frozen=True)
class RouterContainer:
    """A started router: its container, and the host ports (on 127.0.0.1) of the app and of the runtime API."""

    container_id: str
    url_port: int
    admin_port: int

    @property
    def url(self) -> str:
        """Where the app answers through the router."""
        return f"http://127.0.0.1:{self.url_port}"

    def api(self) -> SocketRuntimeApi:
        """The runtime API of this container."""
        return SocketRuntimeApi("127.0.0.1", self.admin_port)


def start_router(client: Any, config: HaproxyConfig, name: str, *, labels: Mapping[str, str],
                 network: str | None = None, image: str = IMAGE) -> RouterContainer:
    """Create the HAProxy container, copy the configuration in, start it; ports published on 127.0.0.1 only.

    ``host.docker.internal`` resolves to the host inside it, for an external side running there.
    """
    from docker.errors import DockerException

    archive = _tar_one("haproxy.cfg", render_config(config))  # a bad configuration creates nothing
    # Host ports chosen here, not left to the engine: an engine-chosen port changes when the container
    # restarts (the engine restarted, the machine rebooted), and with it the app's URL.
    url_port, admin_port = _free_port(), _free_port()
    try:
        container = client.containers.create(
            image, name=name, labels=dict(labels), network=network, detach=True,
            ports={f"{config.listen_port}/tcp": ("127.0.0.1", url_port), f"{config.admin_port}/tcp": ("127.0.0.1", admin_port)},
            extra_hosts={"host.docker.internal": "host-gateway"})
    except DockerException as exc:
        raise RouterError(f"router: cannot create the HAProxy container {name}: {exc}") from None
    try:
        container.put_archive(CONFIG_DIR, archive)
        container.start()
        container.reload()
    except DockerException as exc:
        remove_router(client, name)  # nothing half-made is left behind
        raise RouterError(f"router: cannot start the HAProxy container {name}: {exc}") from None
    return router_of(container, config.listen_port, config.admin_port)


def router_of(container: Any, listen_port: int, admin_port: int) -> RouterContainer:
    """A running router container (docker-py's, attributes fresh) as its host ports."""
    ports = container.attrs["NetworkSettings"]["Ports"] or {}
    return RouterContainer(container.id, _host_port(ports, listen_port), _host_port(ports, admin_port))


def save_state(container: Any, state: str) -> None:
    """Keep HAProxy's ``show servers state`` answer in the container, where a restarted HAProxy loads it
    (``server-state-file``): the weights and the drained or retired sides survive a restart."""
    from docker.errors import DockerException

    try:
        container.put_archive(CONFIG_DIR, _tar_one(STATE_FILE, state))
    except DockerException as exc:
        raise RouterError(f"router: cannot keep the weights in {container.name}: {str(exc).splitlines()[0]}") from None


def remove_router(client: Any, name: str) -> None:
    """Remove the router container ``name``, if there is one."""
    from docker.errors import NotFound

    try:
        client.containers.get(name).remove(force=True, v=True)
    except NotFound:
        pass


def _host_port(ports: Mapping[str, Any], port: int) -> int:
    bindings = ports.get(f"{port}/tcp") or []
    if not bindings:
        raise RouterError(f"router: container port {port} is not published")
    return int(bindings[0]["HostPort"])


def _free_port() -> int:
    """A TCP port nothing listens on at 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tar_one(name: str, text: str) -> bytes:
    """A tar archive of one file readable by HAProxy's user (``put_archive`` takes only tar)."""
    data = text.encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
