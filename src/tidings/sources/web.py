"""Fetching http(s) URLs safely: timeouts, a size cap, a clear user agent, no private addresses.

Every hop of a redirect chain is checked, and the host is resolved before connecting so a DNS name
that points at 127.0.0.1 or a cloud metadata address is refused like the address itself. The
connection itself goes through `_GuardedBackend`, which resolves the name once more, refuses it if any
address is private, connects to the checked address, and checks the socket's peer address before a
byte is sent: a name that answers a public address to the check and 127.0.0.1 to the connection
(DNS rebinding) is refused too.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from tidings import __version__
from tidings.limits import DEFAULT_LIMITS, Limits

USER_AGENT = f"tidings/{__version__} (+news event ledger; research use)"


class FetchError(Exception):
    pass


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified)


def _resolve_checked(host: str, port: int) -> list[str]:
    """Every address `host` resolves to; FetchError if it cannot be resolved or any is refused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc.strerror}") from exc
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if _refused(address):
            raise FetchError(f"refusing {host} ({address}): a private, loopback or link-local address; "
                             "pass --allow-private to fetch it")
    return addresses


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to addresses that passed `_refused`."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: object = None) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in _resolve_checked(host, port):
            try:
                stream = super().connect_tcp(address, port, timeout, local_address, socket_options)  # type: ignore[arg-type]
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            peer = stream.get_extra_info("socket").getpeername()[0]
            if _refused(peer):  # cannot happen after the check above, unless the OS disagrees
                stream.close()
                raise FetchError(f"refusing {host}: connected to {peer}, a private address")
            return stream
        raise last if last else FetchError(f"cannot resolve host {host!r}")


def check_url(url: str, allow_private: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs are fetched, not {parts.scheme or 'a bare path'!r}")
    if parts.username or parts.password:
        raise FetchError("URLs with credentials are refused (tidings never sends credentials)")
    host = parts.hostname
    if not host:
        raise FetchError(f"URL has no host: {url}")
    if allow_private:
        return
    _resolve_checked(host, parts.port or (443 if parts.scheme == "https" else 80))


def _client(limits: Limits, headers: dict[str, str], allow_private: bool) -> httpx.Client:
    transport = httpx.HTTPTransport(trust_env=False)
    if not allow_private:
        # httpx has no public hook for the network backend; the pool keeps it in this attribute.
        transport._pool._network_backend = _GuardedBackend()
    return httpx.Client(timeout=limits.fetch_timeout_s, follow_redirects=False, headers=headers,
                        trust_env=False, transport=transport)


def fetch(url: str, *, allow_private: bool = False, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, str | None, str]:
    """Return (body, content type, final URL); raise FetchError with a clear message otherwise."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, identity",
               "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"}
    current = url
    with _client(limits, headers, allow_private) as client:
        for _ in range(limits.fetch_max_redirects + 1):
            check_url(current, allow_private)
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchError(f"redirect without a Location header from {current}")
                        current = urljoin(current, location)
                        continue
                    if response.status_code >= 400:
                        raise FetchError(f"HTTP {response.status_code} from {current}")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > limits.max_raw_bytes:
                        raise FetchError(f"response is {int(declared):,} bytes, over the "
                                         f"{limits.max_raw_bytes:,}-byte limit")
                    body = bytearray()
                    for chunk in response.iter_raw():
                        body += chunk
                        if len(body) > limits.max_raw_bytes:
                            raise FetchError(f"response is over the {limits.max_raw_bytes:,}-byte limit")
                    raw = bytes(body)
                    if response.headers.get("content-encoding", "").lower() in ("gzip", "deflate", "br"):
                        # Decode by hand so a compressed bomb is capped like a plain body.
                        from tidings.sources.files import gunzip
                        if response.headers["content-encoding"].lower() == "gzip":
                            raw = gunzip(raw, limits)
                        else:
                            raise FetchError("unsupported content encoding "
                                             f"{response.headers['content-encoding']!r}")
                    return raw, response.headers.get("content-type"), current
            except httpx.TimeoutException as exc:
                raise FetchError(f"timed out after {limits.fetch_timeout_s:g}s fetching {current}") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"cannot fetch {current}: {exc}") from exc
    raise FetchError(f"more than {limits.fetch_max_redirects} redirects from {url}")
