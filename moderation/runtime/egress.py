"""Outbound HTTP for webhooks: clients that connect only to addresses a site may reach.

Three checks, each on what is actually used: the URL's host as yarl normalises it (the
worker, before sending), every address a name resolves to (PublicResolver: all must pass),
and the address each socket is about to connect to (the socket factory) and did connect to
(the peer, checked again for pooled connections). A client exists per allow-list, so a
connection opened for a site allowed to reach a network is never reused for another site.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Sequence
from types import TracebackType

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.client_reqrep import ClientRequest
from aiohttp.connector import AddrInfoType, Connection
from aiohttp.resolver import ThreadedResolver
from aiohttp.tracing import Trace

from moderation.domain.targets import Network, UnsafeTarget, literal, parse, refused_address

RESOLVE_SECONDS = 5.0


class AddressRefused(PermissionError):
    """A connection to an address webhooks may not reach (errno EACCES)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, message)


def refused_message(address: object) -> str:
    """What a refused attempt records (an address is no personal data; a URL may be)."""
    return f"{address} is an address webhooks may not reach"


class PublicResolver(AbstractResolver):
    """Resolves webhook hosts and refuses them when any address is not public: the connection
    is made to exactly the addresses checked here, so DNS rebinding cannot slip past."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self._inner = ThreadedResolver()
        self._allowed = tuple(allowed)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The host's addresses, or AddressRefused when one is not public."""
        found = await self._inner.resolve(host, port, family)
        if any(refused_address(r["host"], self._allowed) for r in found):
            raise AddressRefused(f"{host} resolves to an address webhooks may not reach")
        return found

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()


class GuardedConnector(aiohttp.TCPConnector):
    """A TCP connector that opens sockets only towards allowed addresses (IP literals too,
    which never reach a resolver) and hands out no connection whose peer is not allowed."""

    def __init__(self, allowed: Sequence[Network]) -> None:
        self._allowed = tuple(allowed)
        super().__init__(resolver=PublicResolver(allowed), socket_factory=self._socket)

    def _socket(self, info: AddrInfoType) -> socket.socket:
        """A socket for one address the connector is about to try, if that one is allowed."""
        family, kind, proto, _, address = info
        if refused_address(str(address[0]), self._allowed):
            raise AddressRefused(refused_message(address[0]))
        return socket.socket(family, kind, proto)

    async def connect(
        self, req: ClientRequest, traces: list[Trace], timeout: aiohttp.ClientTimeout
    ) -> Connection:
        """A new or pooled connection, checked once more by the address of its peer."""
        conn = await super().connect(req, traces, timeout)
        transport = conn.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        if not peer or refused_address(str(peer[0]), self._allowed):
            conn.close()
            refused = AddressRefused(refused_message(peer[0] if peer else "an unknown peer"))
            raise aiohttp.ClientConnectorError(req.connection_key, refused)
        return conn


class Clients:
    """HTTP sessions for webhooks, one per allow-list (the deployment's and a site's)."""

    def __init__(self) -> None:
        self._sessions: dict[frozenset[Network], aiohttp.ClientSession] = {}

    def session(self, allowed: Sequence[Network]) -> aiohttp.ClientSession:
        """The session whose connections may reach the public internet and these networks."""
        key = frozenset(allowed)
        found = self._sessions.get(key)
        if found is None:
            headers = {"User-Agent": "moderation-webhooks/1"}
            found = aiohttp.ClientSession(connector=GuardedConnector(allowed), headers=headers)
            self._sessions[key] = found
        return found

    async def __aenter__(self) -> Clients:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            await session.close()


def failure_reason(exc: BaseException) -> str:
    """The reason class of a failed request, for metrics and logs (never the URL)."""
    if isinstance(exc, TimeoutError):  # aiohttp's timeouts are TimeoutErrors too
        return "timeout"
    cause = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    # several refused addresses arrive as one OSError that keeps the errno
    if isinstance(cause, OSError) and cause.errno == errno.EACCES:
        return "refused"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return "dns"
    if isinstance(exc, aiohttp.ClientConnectionError | OSError):
        return "connection"
    return "error"


async def check_url(url: str, allowed: Sequence[Network]) -> str | None:
    """Why webhooks could not use this URL now (its host is an address, or resolves to one,
    they may not reach), or None. A name that does not resolve passes: delivery checks again.
    """
    try:
        host = parse(url).raw_host or ""
    except UnsafeTarget as exc:
        return str(exc)
    address = literal(host)
    if address is not None:
        return refused_message(address) if refused_address(address, allowed) else None
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await asyncio.get_running_loop().getaddrinfo(host, None)
    except (OSError, TimeoutError):
        return None
    if any(refused_address(str(info[4][0]), allowed) for info in found):
        return f"{host} resolves to an address webhooks may not reach"
    return None
