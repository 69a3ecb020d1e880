"""Where diplowatch may connect: public addresses only, checked after resolution.

A feed is outside data: its links, and the redirects of the pages they name, could point us at
`localhost`, a private range or a cloud metadata address, and we would store what they answer.
Two checks keep us out:

- `check_url`, before every request and every redirect hop: http(s) only, a host, a valid port,
  a sane length, and an address literal in any spelling (`127.1`, `2130706433`, `0x7f000001`,
  `[::ffff:127.0.0.1]`) refused at once when it is not public;
- `GuardedBackend`, the network backend of the one HTTP transport: it resolves the host itself,
  refuses the connection if *any* resolved address is not public, and then connects to the very
  address it checked, so a name that resolves differently the second time (DNS rebinding) cannot
  slip through. TLS still verifies the certificate against the host name.

`fetch.allow_hosts` names the hosts let through anyway (the tests' loopback servers), compared
with the URL's host as written (lowercased): `localhost` and `127.1` are not `127.0.0.1`.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection, Iterable
from typing import Any

import anyio
import httpcore
import httpx

from diplowatch.errors import BlockedURLError, InternalAddressError

ALLOWED_SCHEMES = frozenset({"http", "https"})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# 64:ff9b::/96 (NAT64) embeds an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def shown(url: str, limit: int = 200) -> str:
    """A URL fit for a one-line message: control characters escaped, a long one shortened."""
    text = url.encode("unicode_escape").decode("ascii") if not url.isprintable() else url
    if len(text) > limit:
        return f"{text[:limit]}… ({len(url)} characters)"
    return text


def literal_address(host: str) -> Address | None:
    """The address a host literal means, in any spelling inet_aton accepts; None for a name."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return None
    try:
        packed = socket.inet_aton(host)  # 127.1, 2130706433, 0x7f000001, 0177.0.0.1
    except (OSError, UnicodeError, ValueError):
        return None
    return ipaddress.IPv4Address(packed)


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [e for e in embedded if e is not None]


def non_public_kind(ip: Address) -> str | None:
    """Why an address may not be fetched ("loopback", "private", ...); None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in _embedded_v4(ip):
            kind = non_public_kind(inner)
            if kind:
                return kind
        if ip.is_site_local:
            return "private"
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    ):
        if flag:
            return kind
    return None if ip.is_global else "reserved"


def _port_of(url: httpx.URL, original: str) -> None:
    port = url.port
    if port is not None and not 0 < port <= 65535:
        raise BlockedURLError(shown(original), f"port {port} is out of range")


def check_url(url: str, *, allow_hosts: Collection[str], max_length: int) -> httpx.URL:
    """The parsed URL, or BlockedURLError (InternalAddressError for a non-public literal)."""
    if len(url) > max_length:
        raise BlockedURLError(shown(url), f"URL longer than {max_length} characters")
    try:
        parsed = httpx.URL(url)
        host = parsed.host
    except (httpx.InvalidURL, ValueError, UnicodeError, OverflowError) as exc:
        raise BlockedURLError(shown(url), f"not a valid URL ({shown(str(exc), 80)})") from None
    scheme = parsed.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedURLError(
            shown(url), f"scheme {scheme or '(none)'!r} not allowed, only http/https"
        )
    if not host:
        raise BlockedURLError(shown(url), "no host")
    _port_of(parsed, url)
    if host not in allow_hosts:
        address = literal_address(host)
        kind = non_public_kind(address) if address is not None else None
        if address is not None and kind:
            raise InternalAddressError(shown(url), f"{kind} address {address} not fetched")
    return parsed


class RefusedAddress(Exception):
    """Raised inside the transport; `fetch` turns it into the URL's InternalAddressError."""

    def __init__(self, host: str, address: str, kind: str) -> None:
        super().__init__(f"{host} resolves to {kind} address {address}, not fetched")
        self.host, self.address, self.kind = host, address, kind


async def _resolve(host: str, port: int) -> list[Address]:
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # gaierror: no such name
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from None
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}")
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, connects to a checked one; allow-listed hosts as is."""

    def __init__(self, allow_hosts: Iterable[str]) -> None:
        self.allow_hosts = frozenset(allow_hosts)
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if host in self.allow_hosts:
            targets = [host]
        else:
            addresses = await _resolve(host, port)
            for ip in addresses:
                kind = non_public_kind(ip)
                if kind:
                    raise RefusedAddress(host, str(ip), kind)
            targets = [str(ip) for ip in addresses]
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for target in targets:
            try:
                return await self._inner.connect_tcp(
                    target, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # targets is never empty
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with the guarded backend under its connection pool."""

    def __init__(self, allow_hosts: Iterable[str], limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        # httpx takes no network backend, so the pool it built is replaced by the same pool
        # over ours (httpx 0.28 reads `self._pool` only in handle_async_request and aclose)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_hosts),
        )
