"""One HTTP POST to a URL a customer gave us, without letting that URL reach inside our network (SSRF).

The host is resolved once, every address it resolves to must be public, and the request goes to that address
(TLS still checks the certificate against the host's name), so a DNS answer that changes between the check and the
connect cannot point it inward. Redirects are not followed, and the response's body is never read.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings


class Refused(Exception):
    """The URL may not be called: its host is not public (and WEBHOOKS_ALLOW_PRIVATE_NETWORKS is off)."""


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no HTTP answer (refused, unreachable, timed out)
    error: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is not part of the address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refusal_for_host(host: str) -> str | None:
    """Why a URL's host is refused as written (a private address, or a name for this machine), before any DNS."""
    if settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        return None
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return "Receivers on this machine are not allowed."
    try:
        return None if is_public(name) else "Receivers on private, loopback or link-local addresses are not allowed."
    except ValueError:
        return None  # a name: checked when it is resolved, at every send


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Outcome:
    started = time.monotonic()

    def outcome(status_code: int | None, error: str = "") -> Outcome:
        return Outcome(status_code, error[:255], int((time.monotonic() - started) * 1000))

    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    try:
        address = _resolve(parts.hostname or "", port)
    except Refused as refused:
        return outcome(None, str(refused))
    except OSError as error:
        return outcome(None, f"cannot resolve {parts.hostname}: {error}")
    pool_class = urllib3.HTTPSConnectionPool if secure else urllib3.HTTPConnectionPool
    tls = {"server_hostname": parts.hostname, "assert_hostname": parts.hostname} if secure else {}
    pool = pool_class(address, port, timeout=urllib3.Timeout(total=timeout), retries=False, maxsize=1, **tls)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        response = pool.urlopen(
            "POST",
            target,
            body=body,
            headers={**headers, "Host": parts.netloc},
            redirect=False,
            retries=False,
            preload_content=False,
        )
        response.close()
        return outcome(response.status, "" if 200 <= response.status < 300 else f"HTTP {response.status}")
    except urllib3.exceptions.HTTPError as error:
        return outcome(None, _describe(error))
    finally:
        pool.close()


def _resolve(host: str, port: int) -> str:
    """The address to connect to; every address of the host must be public unless private networks are allowed."""
    addresses = [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    if not settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS:
        inward = [address for address in addresses if not is_public(address)]
        if inward:
            raise Refused(f"refused: {host} resolves to a non-public address ({inward[0]})")
    return addresses[0]


def _describe(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.NewConnectionError):  # before TimeoutError, which it subclasses
        return "connection refused or unreachable"
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return "timed out"
    if isinstance(error, urllib3.exceptions.SSLError):
        return "TLS failed (certificate or handshake)"
    return type(error).__name__
