"""The sandbox application: one loopback port serving the simulated SP-API, LWA, Zoho accounts and
Zoho CRM (their paths do not collide), plus `/_sandbox/*` control endpoints for tests and benchmarks.

Every request passes the same gates real services apply, in this order: injected faults (slow, 500,
429), authentication, Amazon's per-operation token bucket, then the operation itself. Each call is
written to the call log with its operation name and status, which benchmarks and tests read.
"""

from __future__ import annotations

import random
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from .. import clock
from . import access, sqs_server
from .config import SandboxConfig
from .http import Request, Response, Route, Router, SandboxHTTPServer
from .ratelimit import TokenBuckets
from .store import Store

AuthCheck = Callable[[Request], tuple[str | None, Response | None]]

QUOTA_EXCEEDED = {
    "errors": [
        {"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource.", "details": ""}
    ]
}


class Faults:
    """Seeded dice for fault injection, so a chaos run can be replayed."""

    def __init__(self, app: SandboxApp):
        self.app = app
        self._rng = random.Random(app.config.seed * 7919)
        self._lock = threading.Lock()
        # Faults dealt so far, by knob: some leave no error answer to count (a dropped charset).
        self.injected: Counter[str] = Counter()

    def roll(self, knob: str, service: str | None = None) -> bool:
        cfg = self.app.config
        rate = getattr(cfg, f"fault_{knob}_rate")
        if rate <= 0:
            return False
        if service and cfg.fault_target not in ("both", service):
            return False
        with self._lock:
            hit = self._rng.random() < rate
            self.injected[knob] += hit
            return hit


class SandboxApp:
    def __init__(self, config: SandboxConfig | None = None, state_dir: str | Path | None = None):
        self.config = config or SandboxConfig()
        self.state_dir = Path(state_dir) if state_dir else None
        self.store = Store(self.state_dir / "sandbox.sqlite" if self.state_dir else None)
        self.router = Router()
        self.buckets = TokenBuckets(self.config.time_scale)
        self.faults = Faults(self)
        self.auth: dict[str, AuthCheck] = {}
        self.rate_plans: dict[str, tuple[float, int]] = {}
        # Amazon operations callable with a grantless token, and the LWA scope each needs (sandbox/access.py).
        self.grantless_operations: dict[str, str] = {}
        # Grantless operations that take the seller's token as well.
        self.seller_token_too: set[str] = set()
        # The SQS server `python -m amazon_zoho.sandbox` started beside it (sqs_server.EmbeddedSQS), if any.
        self.embedded_sqs = None
        self.base_url = "http://127.0.0.1"
        # Background threads of the services (ORDER_CHANGE delivery): started and stopped with the server.
        self.workers: list = []
        self._reset_hooks: list[Callable[[], None]] = []
        self._config_hooks: list[Callable[[], None]] = []
        self._register_control()
        # Import here: services import this module's names.
        from .amazon import register as register_amazon
        from .zoho import register as register_zoho

        register_amazon(self)
        register_zoho(self)
        stored = self.store.get("config")
        if stored:
            self.config = self.config.updated(stored)

    # -- wiring used by the services ---------------------------------------------------------
    def on_reset(self, hook: Callable[[], None]) -> None:
        self._reset_hooks.append(hook)

    def on_config_change(self, hook: Callable[[], None]) -> None:
        self._config_hooks.append(hook)

    def set_config(self, changes: dict, persist: bool = True) -> None:
        self.config = self.config.updated(changes)
        self.buckets.time_scale = self.config.time_scale
        if persist:
            stored = self.store.get("config", {})
            stored.update(changes)
            self.store.put("config", stored)
        for hook in self._config_hooks:
            hook()

    def reset(self) -> None:
        self.store.reset()
        self.buckets.reset()
        self.faults = Faults(self)
        for hook in self._reset_hooks:
            hook()

    def now(self) -> float:
        # The project's one clock: a test that pins or moves it moves the sandbox's orders, reports and tokens too.
        return clock.timestamp()

    # -- request pipeline --------------------------------------------------------------------
    def dispatch(self, request: Request) -> tuple[Response, Route | None]:
        started = time.perf_counter()
        route, params, path_exists = self.router.match(request.method, request.path)
        principal = None
        note = None
        if route is None:
            response = _not_found(request, path_exists)
        else:
            request.path_params = params
            try:
                response, principal, note = self._gated(route, request)
            except Exception as exc:  # noqa: BLE001 - a sandbox bug must look like a 500, not a dropped socket
                traceback.print_exc()
                response = _internal_error(route.service, str(exc))
                note = "sandbox exception"
        if route is not None and route.service == "amazon":
            response.headers.setdefault("x-amzn-RequestId", str(uuid.uuid4()))
        self._log(request, route, response.status, (time.perf_counter() - started) * 1000, principal, note)
        return response, route

    def _gated(self, route: Route, request: Request) -> tuple[Response, str | None, str | None]:
        if route.service in ("amazon", "zoho") and not route.operation.endswith("token"):
            if self.faults.roll("slow", route.service):
                time.sleep(self.config.fault_slow_seconds)
            if self.faults.roll("500", route.service):
                return _internal_error(route.service, "injected"), None, "fault:500"
            if self.faults.roll("429", route.service):
                return _too_many(route.service), None, "fault:429"
        principal = None
        check = self.auth.get(route.service)
        if check is not None and not route.operation.endswith("token"):
            principal, denied = check(request)
            if denied is not None:
                return denied, principal, "auth"
        # A role or scope the credentials lack (doctor_missing_role / doctor_missing_scope knobs): refused before any
        # bucket or credit, as Amazon and Zoho refuse an unauthorised call (sandbox/access.py).
        if not route.operation.endswith("token"):
            refused = ((access.grant_denied(self, route.operation, principal) or access.amazon_denied(self, route.operation, request))
                       if route.service == "amazon"
                       else access.zoho_denied(self, route.operation, request) if route.service == "zoho" else None)
            if refused is not None:
                return refused, principal, "access"
        plan = self.rate_plans.get(route.operation) if route.service == "amazon" else None
        if plan and self.config.rate_limits:
            if not self.buckets.take(route.operation, principal or "anonymous", *plan):
                return _too_many("amazon"), principal, "throttled"
        request.principal = principal  # type: ignore[attr-defined]
        response = route.handler(request)
        # The SP-API models (orders, reports, finances) declare this header on 2xx, 400 and 404
        # answers of an operation; 403/429/5xx declare only x-amzn-RequestId.
        if plan and (response.status < 400 or response.status in (400, 404)):
            response.headers.setdefault("x-amzn-RateLimit-Limit", _rate_str(plan[0]))
        return response, principal, None

    def _log(self, request, route, status, duration_ms, principal, note) -> None:
        self.store.execute(
            "INSERT INTO call_log(ts, service, operation, method, path, status, duration_ms, principal, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.now(),
                route.service if route else "unknown",
                route.operation if route else "unknown",
                request.method,
                request.path,
                status,
                duration_ms,
                principal,
                note,
            ),
        )

    # -- control endpoints -------------------------------------------------------------------
    def _register_control(self) -> None:
        r = self.router
        r.add("GET", "/_sandbox/health", "control", "health", lambda req: Response.json(200, {"status": "ok"}))
        r.add("GET", "/_sandbox/config", "control", "get_config", lambda req: Response.json(200, self.config.as_dict()))
        r.add("POST", "/_sandbox/config", "control", "set_config", self._set_config)
        r.add("POST", "/_sandbox/reset", "control", "reset", self._reset)
        r.add("GET", "/_sandbox/calls", "control", "calls", self._calls)
        sqs_server.register(self)

    def _set_config(self, req: Request) -> Response:
        try:
            self.set_config(req.json() or {})
        except (ValueError, TypeError) as exc:
            return Response.json(400, {"error": str(exc)})
        return Response.json(200, self.config.as_dict())

    def _reset(self, req: Request) -> Response:
        self.reset()
        return Response.json(200, {"status": "reset"})

    def _calls(self, req: Request) -> Response:
        since = int(req.arg("since_id", "0"))
        sql = "SELECT * FROM call_log WHERE id > ? AND service != 'control'"
        params: list = [since]
        if req.arg("service"):
            sql += " AND service = ?"
            params.append(req.arg("service"))
        return Response.json(200, {"calls": self.store.query(sql + " ORDER BY id", params)})


def _rate_str(rate: float) -> str:
    return f"{rate:g}"


def _too_many(service: str) -> Response:
    if service == "zoho":
        return Response.json(
            429,
            {"code": "TOO_MANY_REQUESTS", "details": {}, "message": "concurrency limit exceeded", "status": "error"},
        )
    return Response.json(429, QUOTA_EXCEEDED)


def _internal_error(service: str, detail: str) -> Response:
    if service == "zoho":
        return Response.json(500, {"code": "INTERNAL_ERROR", "details": {}, "message": "Internal Server Error", "status": "error"})
    return Response.json(
        500, {"errors": [{"code": "InternalFailure", "message": "We encountered an internal error. Please try again.", "details": ""}]}
    )


def _not_found(request: Request, path_exists: bool) -> Response:
    if request.path.startswith("/crm/"):
        return Response.json(404, {"code": "INVALID_URL_PATTERN", "details": {}, "message": "Please check if the URL trying to access is a correct one",
                                   "status": "error"})
    status = 405 if path_exists else 404
    return Response.json(status, {"errors": [{"code": "NotFound" if status == 404 else "MethodNotAllowed",
                                              "message": "Resource not found" if status == 404 else "Method not allowed", "details": request.path}]})


class Sandbox:
    """A running sandbox on a loopback port, in this process (tests) or as `python -m amazon_zoho.sandbox`."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", config: SandboxConfig | None = None, state_dir=None):
        self.app = SandboxApp(config, state_dir)
        self.server = SandboxHTTPServer((host, port), self.app.dispatch)
        self.host, self.port = self.server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self.app.base_url = self.url
        self._thread: threading.Thread | None = None
        self._serving = False

    def start(self) -> Sandbox:
        self._serving = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="sandbox", daemon=True)
        self._thread.start()
        for worker in self.app.workers:
            worker.start()
        return self

    def serve_forever(self) -> None:
        self._serving = True
        for worker in self.app.workers:
            worker.start()
        self.server.serve_forever()

    def stop(self) -> None:
        for worker in self.app.workers:
            worker.stop()
        if self._serving:
            self.server.shutdown()  # blocks until serve_forever returns, so only when it runs
        self.server.server_close()
        self.app.store.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
