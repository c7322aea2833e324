"""The one exception the client raises for a failed call."""
import time
from typing import Optional

import grpc


class JunctionError(Exception):
    """A call ended with a gRPC status other than OK.

    ``code`` is the :class:`grpc.StatusCode` (``INVALID_ARGUMENT``, ``NOT_FOUND``,
    ``DEADLINE_EXCEEDED``, ``UNAVAILABLE``, ...) and ``details`` the server's message, of the
    form ``name: value (expected: ...)`` for a mistake in the request.
    """

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details

    @classmethod
    def of(cls, error: grpc.RpcError, expires: Optional[float] = None) -> "JunctionError":
        """The error of a failed call (a grpc.Call and grpc.RpcError, sync or asyncio).

        ``expires`` is the call's deadline on :func:`time.monotonic`'s clock, if it had one. A
        server ends a call whose deadline passed by resetting its stream (RST_STREAM CANCEL), which
        gRPC reports as ``CANCELLED`` when the reset arrives before the client's own timer fires;
        the protocol (gRPC's PROTOCOL-HTTP2.md) asks clients to check their deadline then, as
        grpc-go and grpc-java do, so such a call is reported as ``DEADLINE_EXCEEDED``.
        """
        code, details = error.code(), error.details() or ""
        if code == grpc.StatusCode.CANCELLED and expires is not None and time.monotonic() >= expires:
            return cls(grpc.StatusCode.DEADLINE_EXCEEDED, f"deadline exceeded (the server ended the call: {details})")
        return cls(code, details)


def expiry(timeout: Optional[float]) -> Optional[float]:
    """The deadline of a call made now with ``timeout`` seconds, on :func:`time.monotonic`'s clock."""
    return None if timeout is None else time.monotonic() + timeout
