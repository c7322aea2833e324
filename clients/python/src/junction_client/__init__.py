"""Python client for Junction's public gRPC API.

    from junction_client import JunctionClient
    with JunctionClient("127.0.0.1:8500", timeout=10) as client:
        print(client.converse("I want to book a flight to Paris").reply)
"""
from junction_client.aio import AsyncJunctionClient
from junction_client.client import JunctionClient
from junction_client.errors import JunctionError
from junction_client.tensors import Tensor

__all__ = ["AsyncJunctionClient", "JunctionClient", "JunctionError", "Tensor"]
