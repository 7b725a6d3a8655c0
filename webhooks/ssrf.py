"""The SSRF guard: which webhook URLs we may call, and the one checked address to connect to."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

#: Longer URLs are refused: browsers and proxies commonly stop near 2,000 characters, and no
#: receiver needs more to say where it listens.
MAX_URL_LENGTH = 2000

_DEFAULT_PORTS = {"http": 80, "https": 443}

# RFC 3986 Appendix B: groups 2 scheme, 4 authority, 5 path, 7 query, 8 "#" and fragment.
_URI = re.compile(r"(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?", re.DOTALL)

# RFC 1035 §2.3.1 (letters, digits, hyphens), plus "_", which real names do carry (RFC 2181 §11).
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
# inet_aton(3), which getaddrinfo uses, reads "2130706433", "0x7f.1" or "127.1" as 127.0.0.1.
# No top-level domain is all digits (RFC 3696 §2), so such a last label is an address in disguise.
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)")


class UnsafeTarget(Exception):
    """The target may not be called; ``reason`` says why in words a person understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Target:
    """A webhook URL taken apart: where to connect, what to ask for, what to call the host."""

    scheme: str
    host: str
    port: int
    path: str
    host_header: str


def parse_target(url: str) -> Target:
    """Take a webhook URL apart, refusing anything but a plain ``http(s)://host[:port]/path?query``."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"the URL is longer than {MAX_URL_LENGTH} characters")
    # RFC 3986 §2: a URL is ASCII without spaces or controls. Other parsers quietly drop tabs and
    # newlines (WHATWG URL rules), so what we checked would not be what another reads.
    if any(not char.isascii() for char in url):
        raise UnsafeTarget("the URL has non-ASCII characters: percent-encode them (RFC 3986 §2.1)")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise UnsafeTarget("the URL has spaces or control characters")
    # RFC 3986 Appendix B's own expression, rather than urlsplit, whose checks vary by version.
    parts = _URI.fullmatch(url)
    if parts is None:  # cannot happen: every group is optional, so any string matches
        raise UnsafeTarget("the URL cannot be read")
    scheme, authority, path, query = parts.group(2, 4, 5, 7)
    scheme = (scheme or "").lower()  # RFC 3986 §3.1: schemes are case-insensitive
    if scheme not in _DEFAULT_PORTS:
        raise UnsafeTarget(
            f"the scheme must be http or https, not {scheme + ':' if scheme else 'none'}"
        )
    # RFC 3986 §3.5: a fragment is for the client, never sent; one here is a mistake in the URL.
    if parts.group(8) is not None:
        raise UnsafeTarget("the URL may not have a #fragment")
    if not authority:
        raise UnsafeTarget("the URL has no host")
    # RFC 3986 §3.2.1: credentials in the URL are deprecated, and end up in logs; the Standard
    # Webhooks signature is how a receiver knows the sender.
    if "@" in authority:
        raise UnsafeTarget("the URL may not carry a user name or password")
    host, port = _host_and_port(authority, scheme)
    path = (path or "/") + (f"?{query}" if query else "")
    shown_host = f"[{host}]" if ":" in host else host
    host_header = shown_host if port == _DEFAULT_PORTS[scheme] else f"{shown_host}:{port}"
    return Target(scheme, host, port, path, host_header)


def _host_and_port(netloc: str, scheme: str) -> tuple[str, int]:
    """The lower-cased host (without brackets) and the port of an authority (RFC 3986 §3.2.2)."""
    if netloc.startswith("["):
        literal, bracket, rest = netloc[1:].partition("]")
        if not bracket:
            raise UnsafeTarget("the URL has an unclosed [ in its host")
        # RFC 6874 zone identifiers ("fe80::1%25eth0") name an interface of this machine.
        if "%" in literal:
            raise UnsafeTarget("the URL's IPv6 address may not name a zone (%)")
        try:
            host = str(ipaddress.IPv6Address(literal))
        except ValueError:
            raise UnsafeTarget(f"[{literal}] is not an IPv6 address") from None
        if rest and not rest.startswith(":"):
            raise UnsafeTarget("the URL has something between ] and the port")
        port_text = rest[1:]
    else:
        name, _, port_text = netloc.partition(":")
        host = _hostname(name.lower())
    if not port_text:  # RFC 3986 §3.2.3: an empty port means the scheme's default.
        return host, _DEFAULT_PORTS[scheme]
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise UnsafeTarget(f"the port must be a number from 1 to 65535, not {port_text!r}")
    return host, int(port_text)


def _hostname(name: str) -> str:
    """A host name or dotted-quad IPv4 address, checked; anything else is refused."""
    if not name:
        raise UnsafeTarget("the URL has no host")
    labels = name.removesuffix(".").split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):
        try:
            return str(ipaddress.IPv4Address(name))  # four decimal numbers, no leading zeros
        except ValueError:
            raise UnsafeTarget(
                f"{name} is not a host name, nor an IPv4 address written as four decimal numbers"
            ) from None
    # RFC 1035 §2.3.4: labels of 1 to 63 characters, 253 in all.
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise UnsafeTarget(f"{name} is not a valid host name")
    return name


# IANA IPv4 Special-Purpose Address Registry (RFC 6890 and its updates), most specific first.
_IPV4_REFUSED: list[tuple[ipaddress.IPv4Network, str]] = [
    (ipaddress.IPv4Network("0.0.0.0/8"), 'an unspecified ("this network") address'),  # RFC 791
    (ipaddress.IPv4Network("127.0.0.0/8"), "a loopback address"),  # RFC 1122 §3.2.1.3
    (ipaddress.IPv4Network("10.0.0.0/8"), "a private address"),  # RFC 1918
    (ipaddress.IPv4Network("172.16.0.0/12"), "a private address"),  # RFC 1918
    (ipaddress.IPv4Network("192.168.0.0/16"), "a private address"),  # RFC 1918
    (ipaddress.IPv4Network("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),  # RFC 6598
    # RFC 3927; cloud metadata services (AWS, GCP, Azure) listen on 169.254.169.254.
    (ipaddress.IPv4Network("169.254.0.0/16"), "a link-local address"),
    (ipaddress.IPv4Network("192.0.0.0/24"), "an IETF protocol assignment address"),  # RFC 6890
    (ipaddress.IPv4Network("192.0.2.0/24"), "a documentation address"),  # RFC 5737
    (ipaddress.IPv4Network("198.51.100.0/24"), "a documentation address"),  # RFC 5737
    (ipaddress.IPv4Network("203.0.113.0/24"), "a documentation address"),  # RFC 5737
    (ipaddress.IPv4Network("198.18.0.0/15"), "a benchmarking address"),  # RFC 2544
    (ipaddress.IPv4Network("224.0.0.0/4"), "a multicast address"),  # RFC 5771
    (ipaddress.IPv4Network("255.255.255.255/32"), "the broadcast address"),  # RFC 919
    (ipaddress.IPv4Network("240.0.0.0/4"), "a reserved address"),  # RFC 1112 §4
]

_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.IPv6Address("::1")
_UNSPECIFIED_V6 = ipaddress.IPv6Address("::")
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # RFC 4291 §2.5.5.2
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # RFC 4291 §2.5.5.1, deprecated
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 §2.1, the IPv4 in the low 32 bits
_SIXTOFOUR = ipaddress.IPv6Network("2002::/16")  # RFC 3056 §2, the IPv4 in bits 16 to 48
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")  # RFC 4291 §2.4; the rest is reserved

# IANA IPv6 Special-Purpose Address Registry and RFC 4291, most specific first.
_IPV6_REFUSED: list[tuple[ipaddress.IPv6Network, str]] = [
    # RFC 8215: translated by a local NAT64 to addresses of its operator's choosing.
    (ipaddress.IPv6Network("64:ff9b:1::/48"), "a local-use NAT64 address"),
    # RFC 4380: a Teredo tunnel leads to a host behind a NAT that we cannot see.
    (ipaddress.IPv6Network("2001::/32"), "a Teredo tunnel address"),
    (ipaddress.IPv6Network("2001:2::/48"), "a benchmarking address"),  # RFC 5180
    (ipaddress.IPv6Network("2001:10::/28"), "an ORCHID address"),  # RFC 4843, deprecated
    (ipaddress.IPv6Network("2001:20::/28"), "an ORCHIDv2 address"),  # RFC 7343
    (ipaddress.IPv6Network("2001:db8::/32"), "a documentation address"),  # RFC 3849
    # RFC 2928; the whole block, so the answer does not depend on the Python version.
    (ipaddress.IPv6Network("2001::/23"), "an IETF protocol assignment address"),
    (ipaddress.IPv6Network("3fff::/20"), "a documentation address"),  # RFC 9637
    (ipaddress.IPv6Network("5f00::/16"), "an SRv6 segment identifier address"),  # RFC 9602
    (ipaddress.IPv6Network("100::/64"), "a discard-only address"),  # RFC 6666
    (ipaddress.IPv6Network("fc00::/7"), "a unique-local (private) address"),  # RFC 4193
    (ipaddress.IPv6Network("fe80::/10"), "a link-local address"),  # RFC 4291 §2.5.6
    (ipaddress.IPv6Network("fec0::/10"), "a site-local address"),  # RFC 3879, deprecated
    (ipaddress.IPv6Network("ff00::/8"), "a multicast address"),  # RFC 4291 §2.7
]


def refusal(address: Address, *, allow_loopback: bool) -> str | None:
    """Why ``address`` may not be called (``None``: it may); ``allow_loopback`` lets 127/8 and ::1 by."""
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_refusal(address, allow_loopback=allow_loopback)
    # By value: an answer from getaddrinfo may carry a zone ("::1%lo"), which == would compare.
    if int(address) == int(_UNSPECIFIED_V6):
        return f"{address} is the unspecified address"
    if int(address) == int(_LOOPBACK_V6):
        return None if allow_loopback else f"{address} is the loopback address"
    # Addresses that carry an IPv4 address are as safe as that address and no safer. Only the
    # mapped form is the same socket as the IPv4 one, so only there does loopback stay loopback.
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        form, ipv4 = embedded
        reason = _ipv4_refusal(ipv4, allow_loopback=allow_loopback and address in _IPV4_MAPPED)
        return None if reason is None else f"{address} is {form} for {ipv4}, and {reason}"
    for network, kind in _IPV6_REFUSED:
        if address in network:
            return f"{address} is {kind}"
    if address not in _GLOBAL_UNICAST:
        return f"{address} is a reserved address (outside the global unicast range 2000::/3)"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _ipv4_refusal(address: ipaddress.IPv4Address, *, allow_loopback: bool) -> str | None:
    """Why the IPv4 ``address`` may not be called, or ``None``."""
    if allow_loopback and address in _LOOPBACK_V4:
        return None
    for network, kind in _IPV4_REFUSED:
        if address in network:
            return f"{address} is {kind}"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address stands for, with the name of the form, if it is one."""
    if address in _IPV4_MAPPED:
        return "an IPv4-mapped address", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE:
        return "an IPv4-compatible address", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _NAT64:
        return "a NAT64 address", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _SIXTOFOUR:
        return "a 6to4 address", ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF)
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host``, each once, in the order given."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found = (
        str(sockaddr[0])
        for family, _, _, _, sockaddr in answers
        if family in (socket.AF_INET, socket.AF_INET6)
    )
    return list(dict.fromkeys(found))


def resolve(
    target: Target, *, allow_loopback: bool, resolver: Resolver = system_resolver
) -> Address:
    """The one checked address to connect to for ``target``; refuses if any answer is unsafe."""
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        pass
    else:
        reason = refusal(literal, allow_loopback=allow_loopback)
        if reason is not None:
            raise UnsafeTarget(reason)
        return literal
    # One lookup, and the caller connects to its answer: a second lookup could be answered
    # differently (DNS rebinding), so nothing may resolve the name again after this check.
    try:
        answers = resolver(target.host, target.port)
    except (OSError, UnicodeError) as error:  # socket.gaierror is an OSError
        detail = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise UnsafeTarget(f"cannot resolve {target.host}: {detail}") from None
    if not answers:
        raise UnsafeTarget(f"cannot resolve {target.host}: no addresses")
    addresses: list[Address] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer))
        except ValueError:
            raise UnsafeTarget(
                f"cannot resolve {target.host}: the resolver gave {answer!r}, not an IP address"
            ) from None
    # A name with any private answer is suspect: which answer a client uses is not ours to pick.
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason is not None:
            raise UnsafeTarget(f"{target.host} resolves to {address}: {reason}")
    return addresses[0]
