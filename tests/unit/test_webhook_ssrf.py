"""The SSRF guard: which webhook URLs and addresses may be called, and resolving a name once."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from webhooks.ssrf import (
    MAX_URL_LENGTH,
    Target,
    UnsafeTarget,
    parse_target,
    refusal,
    resolve,
    system_resolver,
)

# (address, None if it may be called, else a word the reason must use)
ADDRESSES: list[tuple[str, str | None]] = [
    # IPv4 that must be refused
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "this network"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("169.254.169.254", "link-local"),
    ("169.254.1.1", "link-local"),
    ("192.0.0.8", "IETF protocol"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    # IPv4 that may be called
    ("8.8.8.8", None),
    ("1.1.1.1", None),
    ("172.32.0.1", None),
    ("100.128.0.1", None),
    ("93.184.215.14", None),
    # IPv6 that must be refused
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::127.0.0.1", "loopback"),
    ("::10.0.0.1", "private"),
    ("64:ff9b::a00:1", "private"),
    ("64:ff9b::a9fe:a9fe", "link-local"),
    ("64:ff9b:1::1", "local-use NAT64"),
    ("2002:0a00:0001::", "private"),
    ("2002:7f00:1::1", "loopback"),
    ("2001::1", "Teredo"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID"),
    ("2001:20::1", "ORCHIDv2"),
    ("2001:db8::1", "documentation"),
    ("2001:1::1", "IETF protocol"),
    ("3fff::1", "documentation"),
    ("5f00::1", "SRv6"),
    ("100::1", "discard"),
    ("fc00::1", "unique-local"),
    ("fd12:3456:789a::1", "unique-local"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff05::1:3", "multicast"),
    ("4000::1", "reserved"),
    # IPv6 that may be called
    ("2606:4700:4700::1111", None),
    ("2001:4860:4860::8888", None),
    ("::ffff:8.8.8.8", None),
    ("::8.8.8.8", None),
    ("2002:0808:0808::1", None),
    ("64:ff9b::808:808", None),
]


@pytest.mark.parametrize(("text", "kind"), ADDRESSES)
def test_refuses_every_non_public_address_and_names_it_and_its_kind(
    text: str, kind: str | None
) -> None:
    address = ipaddress.ip_address(text)
    reason = refusal(address, allow_loopback=False)
    if kind is None:
        assert reason is None
    else:
        assert reason is not None
        assert str(address) in reason
        assert kind in reason


def test_the_table_covers_every_range_at_least_once() -> None:
    assert len(ADDRESSES) >= 35
    assert sum(kind is None for _, kind in ADDRESSES) >= 10


def test_refuses_nat64_addresses_that_embed_a_private_ipv4() -> None:
    # Python's is_global says yes to 64:ff9b::/96 whatever it embeds; the guard must look inside.
    reason = refusal(ipaddress.ip_address("64:ff9b::a00:1"), allow_loopback=False)
    assert reason is not None
    assert "10.0.0.1" in reason
    assert "private" in reason


def test_refuses_6to4_addresses_whose_ipv4_is_private_and_allows_public_ones() -> None:
    refused = refusal(ipaddress.ip_address("2002:c0a8:0101::1"), allow_loopback=False)
    assert refused is not None
    assert "192.168.1.1" in refused
    assert refusal(ipaddress.ip_address("2002:0808:0808::1"), allow_loopback=False) is None


def test_names_the_metadata_service_address_as_link_local() -> None:
    assert refusal(ipaddress.ip_address("169.254.169.254"), allow_loopback=False) == (
        "169.254.169.254 is a link-local address"
    )


@pytest.mark.parametrize("text", ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
def test_allow_loopback_lets_loopback_through(text: str) -> None:
    assert refusal(ipaddress.ip_address(text), allow_loopback=True) is None


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.1",
        "169.254.169.254",
        "0.0.0.0",
        "192.168.0.1",
        "::",
        "fe80::1",
        "fc00::1",
        # Loopback in disguise is not the loopback socket: these go through a translator.
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "2002:7f00:1::",
    ],
)
def test_allow_loopback_still_refuses_everything_else(text: str) -> None:
    reason = refusal(ipaddress.ip_address(text), allow_loopback=True)
    assert reason is not None
    assert str(ipaddress.ip_address(text)) in reason


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://Hooks.Example.org/in?x=1",
            Target("https", "hooks.example.org", 443, "/in?x=1", "hooks.example.org"),
        ),
        (
            "http://hooks.example.org:8080",
            Target("http", "hooks.example.org", 8080, "/", "hooks.example.org:8080"),
        ),
        (
            "https://hooks.example.org:443/a/b",
            Target("https", "hooks.example.org", 443, "/a/b", "hooks.example.org"),
        ),
        (
            "http://hooks.example.org?ping",
            Target("http", "hooks.example.org", 80, "/?ping", "hooks.example.org"),
        ),
        (
            "http://[2606:4700:4700:0:0:0:0:1111]:8080/hook",
            Target("http", "2606:4700:4700::1111", 8080, "/hook", "[2606:4700:4700::1111]:8080"),
        ),
        ("https://8.8.8.8/", Target("https", "8.8.8.8", 443, "/", "8.8.8.8")),
        ("HTTP://example.org:/", Target("http", "example.org", 80, "/", "example.org")),
    ],
)
def test_parse_target_takes_a_url_apart(url: str, expected: Target) -> None:
    assert parse_target(url) == expected


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.org/file", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("javascript:alert(1)", "scheme"),
        ("example.org/hook", "scheme"),
        ("http://user:pw@example.org/", "user name or password"),
        ("http://user@example.org/", "user name or password"),
        ("http:///path", "no host"),
        ("https://", "no host"),
        ("http://:8080/", "no host"),
        ("http://example.org:0/", "port"),
        ("http://example.org:65536/", "port"),
        ("http://example.org:http/", "port"),
        ("http://example.org:+80/", "port"),
        ("http://example.org/#fragment", "fragment"),
        ("http://example.org/#", "fragment"),
        ("http://example.org/a b", "spaces or control"),
        ("http://example.org/\tpath", "spaces or control"),
        ("http://exam\nple.org/", "spaces or control"),
        ("http://example.org/\x00", "spaces or control"),
        ("http://exämple.org/", "non-ASCII"),
        ("http://example.org/" + "a" * MAX_URL_LENGTH, "longer than 2000"),
        ("http://[fe80::1%25eth0]/", "zone"),
        ("http://[::1/", "unclosed"),
        ("http://[not-v6]/", "not an IPv6 address"),
        ("http://exa_mple..org/", "not a valid host name"),
        # inet_aton spellings of 127.0.0.1 that a resolver would quietly accept
        ("http://2130706433/", "four decimal numbers"),
        ("http://0x7f000001/", "four decimal numbers"),
        ("http://127.1/", "four decimal numbers"),
        ("http://0177.0.0.1/", "four decimal numbers"),
    ],
)
def test_parse_target_refuses_urls_that_are_not_plain_http(url: str, words: str) -> None:
    with pytest.raises(UnsafeTarget) as refused:
        parse_target(url)
    assert words in refused.value.reason


class FakeResolver:
    """Answers from a table, and remembers every question."""

    def __init__(self, answers: list[str] | None = None, error: OSError | None = None) -> None:
        self.answers = answers or []
        self.error = error
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        if self.error is not None:
            raise self.error
        return list(self.answers)


def test_resolve_refuses_a_name_whose_answers_include_one_private_address() -> None:
    resolver = FakeResolver(["93.184.215.14", "10.0.0.5"])
    with pytest.raises(UnsafeTarget) as refused:
        resolve(parse_target("https://hooks.example.org/"), allow_loopback=False, resolver=resolver)
    assert refused.value.reason == (
        "hooks.example.org resolves to 10.0.0.5: 10.0.0.5 is a private address"
    )


def test_resolve_refuses_a_rebinding_answer_even_when_loopback_is_allowed() -> None:
    resolver = FakeResolver(["127.0.0.1", "169.254.169.254"])
    with pytest.raises(UnsafeTarget) as refused:
        resolve(parse_target("http://hooks.example.org/"), allow_loopback=True, resolver=resolver)
    assert "169.254.169.254" in refused.value.reason


def test_resolve_returns_the_first_public_address_after_asking_once() -> None:
    resolver = FakeResolver(["2606:4700:4700::1111", "1.1.1.1"])
    address = resolve(
        parse_target("https://hooks.example.org:8443/in"), allow_loopback=False, resolver=resolver
    )
    assert address == ipaddress.IPv6Address("2606:4700:4700::1111")
    assert resolver.calls == [("hooks.example.org", 8443)]


def test_resolve_returns_loopback_for_a_name_when_loopback_is_allowed() -> None:
    resolver = FakeResolver(["127.0.0.1"])
    address = resolve(parse_target("http://localhost/"), allow_loopback=True, resolver=resolver)
    assert address == ipaddress.IPv4Address("127.0.0.1")


def test_resolve_refuses_a_name_that_cannot_be_resolved_saying_so() -> None:
    resolver = FakeResolver(error=socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    with pytest.raises(UnsafeTarget) as refused:
        resolve(parse_target("https://nowhere.example/"), allow_loopback=False, resolver=resolver)
    assert refused.value.reason == "cannot resolve nowhere.example: Name or service not known"


def test_resolve_refuses_a_name_with_no_addresses() -> None:
    with pytest.raises(UnsafeTarget) as refused:
        resolve(
            parse_target("https://empty.example/"), allow_loopback=False, resolver=FakeResolver()
        )
    assert refused.value.reason == "cannot resolve empty.example: no addresses"


def test_resolve_refuses_an_answer_that_is_not_an_address() -> None:
    resolver = FakeResolver(["not-an-ip"])
    with pytest.raises(UnsafeTarget) as refused:
        resolve(parse_target("https://odd.example/"), allow_loopback=False, resolver=resolver)
    assert "not an IP address" in refused.value.reason


@pytest.mark.parametrize(("url", "safe"), [("https://8.8.8.8/", True), ("http://10.0.0.1/", False)])
def test_resolve_checks_an_ip_literal_without_calling_the_resolver(url: str, safe: bool) -> None:
    resolver = FakeResolver(error=OSError("the resolver must not be called"))
    if safe:
        assert resolve(parse_target(url), allow_loopback=False, resolver=resolver) == (
            ipaddress.ip_address(parse_target(url).host)
        )
    else:
        with pytest.raises(UnsafeTarget, match="private"):
            resolve(parse_target(url), allow_loopback=False, resolver=resolver)
    assert resolver.calls == []


def test_resolve_refuses_a_bracketed_ipv6_loopback_literal() -> None:
    with pytest.raises(UnsafeTarget) as refused:
        resolve(parse_target("http://[::1]:8080/"), allow_loopback=False, resolver=FakeResolver())
    assert refused.value.reason == "::1 is the loopback address"


def test_system_resolver_gives_each_address_once() -> None:
    # A numeric host is answered by getaddrinfo itself, without DNS.
    assert system_resolver("127.0.0.1", 80) == ["127.0.0.1"]
