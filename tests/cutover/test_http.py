"""The smoke test's one GET, against real servers on 127.0.0.1: plain HTTP, and HTTPS with the balancer's name as SNI
and a certificate that does not name the address asked (a load balancer's own address, as a smoke test asks it)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from migrate.cutover import http

SEEN: list[dict[str, str]] = []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        SEEN.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        body = b"x" * (http.BODY * 3)
        self.send_response(503 if self.path == "/down" else 200)
        self.send_header("X-Migrate-Side", "green")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    SEEN.clear()
    made = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=made.serve_forever, daemon=True)
    thread.start()
    yield made
    made.shutdown()
    made.server_close()


def test_a_plain_get_sends_the_headers_and_keeps_the_start_of_the_body(server: ThreadingHTTPServer) -> None:
    reply = http.get("127.0.0.1", server.server_address[1], "/api/items?x=1", {"Host": "shop.example.com", "X-Migrate-Side": "green"})
    assert reply.status == 200 and reply.headers["x-migrate-side"] == "green" and len(reply.body) == http.BODY
    assert SEEN[-1]["path"] == "/api/items?x=1" and SEEN[-1]["host"] == "shop.example.com"
    assert SEEN[-1]["x-migrate-side"] == "green" and SEEN[-1]["user-agent"] == "migrate-smoke-test"
    assert http.get("127.0.0.1", server.server_address[1], "/down", {}).status == 503


def test_nothing_listening_raises_what_the_routes_turn_into_an_answer() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as closed:
        port = closed.server_address[1]
    with pytest.raises(OSError):
        http.get("127.0.0.1", port, "/", {}, timeout=2)


def test_https_names_the_balancer_in_sni_and_takes_a_certificate_for_another_name(server: ThreadingHTTPServer, tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: no certificate to serve HTTPS with")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=shop.example.com",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    reply = http.get("127.0.0.1", server.server_address[1], "/", {"Host": "shop-1.elb.amazonaws.com"}, tls=True,
                     server_name="shop-1.elb.amazonaws.com")
    assert reply.status == 200 and names == ["shop-1.elb.amazonaws.com"]
