"""The webhook sender's one HTTP call (wallet/events/egress.py), over real sockets: HTTPS to the checked address with
the certificate checked against the host's name, refusal of any non-public address a name resolves to, timeouts."""

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from wallet.events import egress

HOST = "hooks.example.test"


class Server:
    """An HTTP(S) server on 127.0.0.1 that records the Host header and the TLS server name it was asked for."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, answer: bool = True) -> None:
        self.hosts, self.server_names, self.release = [], [], threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.hosts.append(self.headers["Host"])
                if not answer:
                    server.release.wait(10)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda _socket, name, _context: self.server_names.append(name)
            self.http.socket = tls.wrap_socket(self.http.socket, server_side=True)
        self.port = self.http.server_port
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self):
        self.release.set()
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def resolve(monkeypatch):
    """Makes names resolve to the addresses the test says (anything else as usual)."""
    real = socket.getaddrinfo
    table: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in table:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in table[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def ca(tmp_path, monkeypatch):
    """A certificate authority the sender trusts (through SSL_CERT_FILE, as OpenSSL reads it)."""
    authority = trustme.CA()
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    return authority


def tls_for(ca: trustme.CA, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(context)
    return context


def test_https_goes_to_the_checked_address_and_checks_the_certificate_against_the_name(settings, resolve, ca):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    server = Server(tls=tls_for(ca, HOST))
    resolve[HOST] = ["127.0.0.1"]
    try:
        outcome = egress.post(f"https://{HOST}:{server.port}/hook?x=1", b"{}", {}, timeout=5)
    finally:
        server.stop()

    assert (outcome.status_code, outcome.error, outcome.succeeded) == (204, "", True)
    assert server.server_names == [HOST]  # SNI names the host, not the address
    assert server.hosts == [f"{HOST}:{server.port}"]


def test_a_certificate_for_another_name_fails_the_attempt(settings, resolve, ca):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    server = Server(tls=tls_for(ca, "someone-else.example.test"))
    resolve[HOST] = ["127.0.0.1"]
    try:
        outcome = egress.post(f"https://{HOST}:{server.port}/hook", b"{}", {}, timeout=5)
    finally:
        server.stop()

    assert outcome.status_code is None and "TLS" in outcome.error
    assert server.hosts == []


@pytest.mark.parametrize(
    "addresses",
    [["10.0.0.5"], ["93.184.216.34", "127.0.0.1"], ["169.254.169.254"], ["100.64.0.1"], ["224.0.0.1"]],
)
def test_a_name_with_any_non_public_address_is_refused_before_connecting(settings, resolve, addresses):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    server = Server()
    resolve[HOST] = [*addresses]
    try:
        outcome = egress.post(f"http://{HOST}:{server.port}/hook", b"{}", {}, timeout=5)
    finally:
        server.stop()

    assert outcome.status_code is None and outcome.error.startswith(f"refused: {HOST} resolves to a non-public")
    assert server.hosts == []


def test_a_receiver_that_does_not_answer_times_out(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    server = Server(answer=False)
    try:
        outcome = egress.post(f"http://127.0.0.1:{server.port}/hook", b"{}", {}, timeout=0.5)
    finally:
        server.stop()

    assert (outcome.status_code, outcome.error) == (None, "timed out")
    assert 400 <= outcome.duration_ms < 5000


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("ff02::1", False),
    ],
)
def test_which_addresses_are_public(address, public):
    assert egress.is_public(address) is public
