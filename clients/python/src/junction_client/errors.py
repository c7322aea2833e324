"""The one exception the client raises for a failed call."""
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
    def of(cls, error: grpc.RpcError) -> "JunctionError":
        """The error of a failed call (a grpc.Call and grpc.RpcError, sync or asyncio)."""
        return cls(error.code(), error.details() or "")
