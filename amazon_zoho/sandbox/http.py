"""A small HTTP layer for the sandbox: requests, responses, routing, and the threaded server.

The sandbox is a real HTTP server on loopback (stdlib `ThreadingHTTPServer`), so our clients, other
clients of these APIs and curl all talk to it the same way they talk to Amazon and Zoho.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    path_params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def args(self, name: str) -> list[str]:
        """A multi-valued query parameter, accepting both `a=1&a=2` and `a=1,2` (Amazon uses CSV)."""
        out: list[str] = []
        for v in self.query.get(name, []):
            out.extend(p for p in v.split(",") if p)
        return out

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def form(self) -> dict[str, str]:
        parsed = urllib.parse.parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return cls(status, json.dumps(payload).encode("utf-8"), h)


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    service: str  # "amazon", "zoho" or "control"
    operation: str
    handler: Handler


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, path: str, service: str, operation: str, handler: Handler) -> None:
        """`path` uses `{name}` placeholders that match one path segment."""
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
        self.routes.append(Route(method.upper(), re.compile(regex), service, operation, handler))

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
        """Returns (route, path params, path_exists_for_another_method)."""
        path_exists = False
        for route in self.routes:
            m = route.pattern.match(path)
            if m:
                if route.method == method:
                    return route, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}, True
                path_exists = True
        return None, {}, path_exists


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, dispatch: Callable[[Request], tuple[Response, Route | None]]):
        self.dispatch = dispatch
        super().__init__(address, _RequestHandler)

    def handle_error(self, request, client_address) -> None:
        # A client that timed out (the slow-response fault) has closed its socket: like a real server,
        # drop the answer quietly instead of printing a traceback per request.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the body waits for the ACK of the headers,
    # which a keep-alive client delays by ~40 ms: every call on a reused connection cost 45 ms instead of 1.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def log_message(self, format, *args):  # noqa: A002 - the call log replaces stderr noise
        return

    def _handle(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=parsed.path,
            query=urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response, _ = self.server.dispatch(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

