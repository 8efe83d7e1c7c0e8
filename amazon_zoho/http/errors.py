"""Errors that carry what the API said and which call failed, never a credential."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, service: str, operation: str, status: int, body: str, request_id: str | None = None):
        self.service, self.operation, self.status = service, operation, status
        self.body = body[:2000]
        self.request_id = request_id
        rid = f" request_id={request_id}" if request_id else ""
        super().__init__(f"{service} {operation} failed with HTTP {status}{rid}: {self.body}")


class RetryableError(ApiError):
    """429, 5xx, timeouts: worth another try after a wait."""

    def __init__(self, *args, retry_after: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after
