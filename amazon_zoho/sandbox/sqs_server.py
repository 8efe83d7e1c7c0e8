"""The embedded SQS endpoint: moto's server mode (`moto.server.ThreadedMotoServer`, moto[server] 5.x) on loopback, a
well-kept AWS emulator that boto3 talks to as to AWS, so the sandbox's ORDER_CHANGE notifications travel through a
real SQS API rather than a hand-written queue.

The contract between the sandbox and the project's client (issue #15):
  * `python -m amazon_zoho.sandbox` (make run / make dev / make sandbox, through cli/sandbox_process.py) sends
    notifications to, in this order: the knob sqs_endpoint_url (--sqs-endpoint-url, SANDBOX_SQS_ENDPOINT_URL); else
    AWS_ENDPOINT_URL_SQS, boto3's own variable for the SQS endpoint, when set (a real or separately run endpoint:
    the sandbox then starts nothing); else a moto server it starts on 127.0.0.1:--sqs-port (SANDBOX_SQS_PORT;
    default 0, any free port) and stops when it stops. --no-sqs starts none (notifications wait in the outbox).
  * The sandbox answers `GET /_sandbox/aws` with {"sqs_endpoint_url": "http://127.0.0.1:<port>"} (null with none;
    also "sqs_embedded" and "sqs_running"). `POST /_sandbox/aws {"sqs_running": false}` stops the embedded server (the
    endpoint refuses connections, as in an SQS outage) and `true` starts it again on the same port, queues kept.
  * The client reads its SQS endpoint from settings (env AWS_ENDPOINT_URL_SQS); in sandbox mode with none set, from
    the sandbox's /_sandbox/aws answer, read again after a connection error (a restarted sandbox may have another port).
  * moto takes any credentials and region; its account id is 123456789012, so a queue the client creates is
    arn:aws:sqs:<region>:123456789012:<name> (GetQueueAttributes QueueArn), the ARN it gives createDestination.
    The sandbox finds the queue from that ARN with GetQueueUrl(QueueName, QueueOwnerAWSAccountId).
  * moto keeps queues in memory: a restarted sandbox has none, and the client's setup (idempotent) makes its queue
    again. Until then sends fail, stay pending in the sandbox's outbox and are retried.
Tests start their own server on an ephemeral port with `sqs_server()` and stop it; moto's state is per process, so
the server empties it when it stops (two servers open at once in one process would share queues).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Iterator

from .http import Request, Response

# moto's default account (moto/core/models.py DEFAULT_ACCOUNT_ID): the owner of every queue made in the server.
MOTO_ACCOUNT_ID = "123456789012"


class EmbeddedSQS:
    """A moto server that can be stopped and started again on the same port, its queues kept (moto holds them per
    process): `POST /_sandbox/aws {"sqs_running": false}` makes the endpoint unreachable, as an SQS outage is
    for the client, and `true` brings it back with the messages it held."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self._server = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        from moto.server import ThreadedMotoServer  # moto is heavy: only a process that serves SQS imports it

        with self._lock:
            if self._server is None:
                if self.port:
                    _refuse_taken(self.host, self.port)
                # werkzeug logs every request to stderr; the sandbox's own call log is where requests are counted.
                logging.getLogger("werkzeug").setLevel(logging.WARNING)
                server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
                server.start()
                self.port = server.get_host_and_port()[1]
                self._server = server
            return self.endpoint

    def stop(self, reset: bool = False) -> None:
        """`reset`: empty moto's queues too. moto keeps them per process, not per server, so the next server in this
        process (the next test) would find this one's queues and messages; its reset endpoint (moto docs, "Moto API:
        reset") empties them."""
        with self._lock:
            if self._server is None:
                return
            if reset:
                with contextlib.suppress(OSError):
                    _post(self.endpoint + "/moto-api/reset")
            self._server.stop()
            self._server = None


@contextlib.contextmanager
def sqs_server(port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """A moto server on host:port (0: a free port) for the `with` block; yields its endpoint URL."""
    with embedded_sqs(port, host) as server:
        yield server.endpoint


@contextlib.contextmanager
def embedded_sqs(port: int = 0, host: str = "127.0.0.1") -> Iterator[EmbeddedSQS]:
    server = EmbeddedSQS(port, host)
    server.start()
    try:
        yield server
    finally:
        server.stop(reset=True)


def register(app) -> None:
    """`GET /_sandbox/aws`: where the sandbox sends notifications (the contract above); `POST /_sandbox/aws`
    {"sqs_running": bool} stops or restarts the embedded server (409 when the sandbox has none)."""
    app.router.add("GET", "/_sandbox/aws", "control", "aws", lambda req: Response.json(200, _aws(app)))
    app.router.add("POST", "/_sandbox/aws", "control", "aws_control", lambda req: _control(app, req))


def _aws(app) -> dict:
    embedded = app.embedded_sqs
    return {"sqs_endpoint_url": app.config.sqs_endpoint_url or None, "sqs_embedded": embedded is not None,
            "sqs_running": embedded.running if embedded is not None else None}


def _control(app, req: Request) -> Response:
    embedded = app.embedded_sqs
    wanted = (req.json() or {}).get("sqs_running")
    if embedded is None or not isinstance(wanted, bool):
        return Response.json(409 if embedded is None else 400, {"error": "POST {\"sqs_running\": true|false} to a sandbox that started its own SQS server"})
    if wanted:
        embedded.start()
    else:
        embedded.stop()
    return Response.json(200, _aws(app))


def _post(url: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=5).close()


def _refuse_taken(host: str, port: int) -> None:
    """moto binds in its own thread and, when the port is taken, never signals it is ready: start() would wait for
    ever. Probe first and say which port, as cli/sandbox_process.py does for the sandbox's."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise SystemExit(f"port {port} for the embedded SQS server is taken; choose another (--sqs-port, SANDBOX_SQS_PORT) "
                             "or 0 for any free port") from None
