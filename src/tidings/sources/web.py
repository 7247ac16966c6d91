"""Fetching http(s) URLs safely: timeouts, a size cap, a clear user agent, no private addresses.

Every hop of a redirect chain is checked, and the host is resolved before connecting so a DNS name
that points at 127.0.0.1 or a cloud metadata address is refused like the address itself.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

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
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc.strerror}") from exc
    for info in infos:
        address = str(info[4][0])
        if _refused(address):
            raise FetchError(f"refusing {host} ({address}): a private, loopback or link-local address; "
                             "pass --allow-private to fetch it")


def fetch(url: str, *, allow_private: bool = False, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, str | None, str]:
    """Return (body, content type, final URL); raise FetchError with a clear message otherwise."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, identity",
               "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"}
    current = url
    with httpx.Client(timeout=limits.fetch_timeout_s, follow_redirects=False, headers=headers,
                      trust_env=False) as client:
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
