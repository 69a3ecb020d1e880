"""Routes: requests for chosen hosts sent to other addresses, every other URL left alone.

The demo serves its sample under a fixed fake host (so its URLs, hence its keys, are the same on
every run) from a loopback server on whatever port was free; a route maps that host to the port.
"""

from __future__ import annotations

from typing import Literal, overload

import httpx


def _routed(request: httpx.Request, route: dict[str, str]) -> httpx.Request:
    """The request sent to the routed address; the `Host` header still names the fake host."""
    address = route.get(request.url.host)
    if address is None:
        return request
    host, _, port = address.rpartition(":")
    # a new request rather than an edit: httpx hands the caller's request back on the response,
    # so the response's URL (the base of relative links, the stored final URL) stays the fake one
    return httpx.Request(
        request.method,
        request.url.copy_with(host=host, port=int(port)),
        headers=request.headers,
        stream=request.stream,
        extensions=request.extensions,
    )


class RouteTransport(httpx.BaseTransport):
    """Sends the requests for the route's hosts to their loopback addresses (sync clients)."""

    def __init__(self, route: dict[str, str]) -> None:
        self.route = dict(route)
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._inner.handle_request(_routed(request, self.route))

    def close(self) -> None:
        self._inner.close()


class AsyncRouteTransport(httpx.AsyncBaseTransport):
    """Sends the requests for the route's hosts to their loopback addresses (async clients)."""

    def __init__(self, route: dict[str, str]) -> None:
        self.route = dict(route)
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(_routed(request, self.route))

    async def aclose(self) -> None:
        await self._inner.aclose()


@overload
def route_mounts(
    route: dict[str, str] | None, *, sync: Literal[True]
) -> dict[str, httpx.BaseTransport]: ...
@overload
def route_mounts(
    route: dict[str, str] | None, *, sync: Literal[False] = False
) -> dict[str, httpx.AsyncBaseTransport]: ...
def route_mounts(
    route: dict[str, str] | None, *, sync: bool = False
) -> dict[str, httpx.BaseTransport] | dict[str, httpx.AsyncBaseTransport]:
    """httpx `mounts` for a route: only its hosts are diverted, every other URL goes as usual."""
    route = route or {}
    if sync:
        blocking: dict[str, httpx.BaseTransport] = {
            f"all://{host}": RouteTransport(route) for host in route
        }
        return blocking
    asynchronous: dict[str, httpx.AsyncBaseTransport] = {
        f"all://{host}": AsyncRouteTransport(route) for host in route
    }
    return asynchronous
