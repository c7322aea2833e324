import os

import pytest

from junction_client import JunctionClient

TEXT = "I want to book a flight to Paris"


@pytest.fixture(scope="session")
def address() -> str:
    """The orchestrator serving the demo (ClientsEndToEndTest starts one and sets it)."""
    value = os.environ.get("JUNCTION_ADDRESS")
    if not value:
        pytest.fail("JUNCTION_ADDRESS is not set (expected: host:port of an orchestrator serving the demo)")
    return value


@pytest.fixture(scope="session")
def client(address):
    with JunctionClient(address, timeout=30) as c:
        yield c
