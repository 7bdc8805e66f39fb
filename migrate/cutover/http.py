"""One HTTP ``GET`` as a smoke test sends it: to an address, naming the Host, with a few headers.

Standard library only (the cutover stays free of SDKs). A smoke test judges the answer's status and
headers, so nothing here follows redirects or reads more than the start of the body.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

#: How much of the body an answer keeps (enough to recognise a marker page).
BODY = 4096


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: its status, its headers (names in lower case) and the start of its body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def get(address: str, port: int, path: str, headers: Mapping[str, str], *, tls: bool = False,
        server_name: str | None = None, timeout: float = 10.0) -> Reply:
    """``GET path`` from ``address:port`` (an IP or a name), sending ``headers`` (``Host`` among them).

    ``tls``: HTTPS, with SNI ``server_name``, and no certificate check: a smoke test speaks to a load
    balancer's own address, which a certificate for the app's domain does not name, and it judges the
    side that answers, not the certificate. Raises :class:`OSError` or :class:`http.client.HTTPException`
    when nothing answers HTTP.
    """
    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        raw = socket.create_connection((address, port), timeout=timeout)
        connection.sock = context.wrap_socket(raw, server_hostname=server_name or address)  # used as it is: no connect()
    try:
        connection.request("GET", path, headers={"User-Agent": "migrate-smoke-test", "Connection": "close", **headers})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read(BODY))
    finally:
        connection.close()

