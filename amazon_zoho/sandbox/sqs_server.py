"""The embedded SQS endpoint: moto's server mode (`moto.server.ThreadedMotoServer`, moto[server] 5.x) on loopback, a
well-kept AWS emulator that boto3 talks to as to AWS, so the sandbox's ORDER_CHANGE notifications travel through a
real SQS API rather than a hand-written queue.

The contract between the sandbox and the project's client (issue #15):
  * `python -m amazon_zoho.sandbox` (make run / make dev / make sandbox, through cli/sandbox_process.py) sends
    notifications to, in this order: the knob sqs_endpoint_url (--sqs-endpoint-url, SANDBOX_SQS_ENDPOINT_URL); else
    AWS_ENDPOINT_URL_SQS, boto3's own variable for the SQS endpoint, when set (a real or separately run endpoint:
    the sandbox then starts nothing); else a moto server it starts on 127.0.0.1:--sqs-port (SANDBOX_SQS_PORT;
    default 0, any free port) and stops when it stops. --no-sqs starts none (notifications wait in the outbox).
  * The sandbox answers `GET /_sandbox/aws` with {"sqs_endpoint_url": "http://127.0.0.1:<port>"} (null with none).
  * The client reads its SQS endpoint from settings (env AWS_ENDPOINT_URL_SQS); in sandbox mode with none set, from
    the sandbox's /_sandbox/aws answer, read again after a connection error (a restarted sandbox may have another port).
  * moto takes any credentials and region; its account id is 123456789012, so a queue the client creates is
    arn:aws:sqs:<region>:123456789012:<name> (GetQueueAttributes QueueArn), the ARN it gives createDestination.
    The sandbox finds the queue from that ARN with GetQueueUrl(QueueName, QueueOwnerAWSAccountId).
  * moto keeps queues in memory: a restarted sandbox has none, and the client's setup (idempotent) makes its queue
    again. Until then sends fail, stay pending in the sandbox's outbox and are retried.
Tests start their own server on an ephemeral port with `sqs_server()` and stop it.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterator

# moto's default account (moto/core/models.py DEFAULT_ACCOUNT_ID): the owner of every queue made in the server.
MOTO_ACCOUNT_ID = "123456789012"


@contextlib.contextmanager
def sqs_server(port: int = 0, host: str = "127.0.0.1") -> Iterator[str]:
    """A moto server on host:port (0: a free port) for the `with` block; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer  # moto is heavy: only a process that serves SQS imports it

    if port:
        _refuse_taken(host, port)
    # werkzeug logs every request to stderr; the sandbox's own call log is where requests are counted.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    try:
        bound_host, bound_port = server.get_host_and_port()
        yield f"http://{bound_host}:{bound_port}"
    finally:
        server.stop()


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
