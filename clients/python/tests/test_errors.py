"""JunctionError's mapping of a failed call's status, without a server."""
import time

import grpc

from junction_client.errors import JunctionError, expiry


class _Failed(grpc.RpcError):
    def __init__(self, code, details):
        self._code, self._details = code, details

    def code(self):
        return self._code

    def details(self):
        return self._details


RESET = "Stream removed (RST_STREAM (Received RST_STREAM with error code 8))"


def test_cancelled_after_the_deadline_is_deadline_exceeded():
    e = JunctionError.of(_Failed(grpc.StatusCode.CANCELLED, RESET), expiry(0.0))
    assert e.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert RESET in e.details


def test_cancelled_before_the_deadline_stays_cancelled():
    e = JunctionError.of(_Failed(grpc.StatusCode.CANCELLED, RESET), expiry(60.0))
    assert e.code == grpc.StatusCode.CANCELLED
    assert e.details == RESET


def test_cancelled_without_a_deadline_stays_cancelled():
    assert expiry(None) is None
    assert JunctionError.of(_Failed(grpc.StatusCode.CANCELLED, RESET), None).code == grpc.StatusCode.CANCELLED


def test_other_codes_pass_through_after_the_deadline():
    past = time.monotonic() - 1
    e = JunctionError.of(_Failed(grpc.StatusCode.UNAVAILABLE, "no member"), past)
    assert (e.code, e.details) == (grpc.StatusCode.UNAVAILABLE, "no member")
