"""The asyncio client against a live orchestrator serving the demo."""
import asyncio

import grpc
import numpy as np
import pytest

from conftest import TEXT
from junction_client import AsyncJunctionClient, JunctionError


def run(address, body):
    async def main():
        async with AsyncJunctionClient(address, timeout=30) as client:
            return await body(client)
    return asyncio.run(main())


def test_concurrent_calls_on_one_channel(address):
    async def body(client):
        return await asyncio.gather(client.converse(TEXT), client.recommend(42, k=3),
                                    client.model_infer("user_tower", {"user_id": [42]}),
                                    client.run_pipeline("recommend", {"user_id": [42]}))
    converse, recommend, infer, pipeline = run(address, body)
    assert converse.intent == "book_flight" and converse.reply
    assert len(recommend.items) == 3
    assert infer["embedding"].shape == (1, 32)
    assert [int(x) for x in pipeline["items"].reshape(-1) if x >= 0][:3] == [i.item_id for i in recommend.items]


def test_converse_stream_is_an_async_iterator_of_events(address):
    async def body(client):
        return [e async for e in client.converse_stream(TEXT)]
    events = run(address, body)
    assert events[0].WhichOneof("event") == "intent"
    assert [e.token for e in events[1:-1]] == list(events[-1].done.tokens)


def test_errors_and_deadlines_raise_junction_error(address):
    async def body(client):
        codes = []
        for call in (client.recommend(-1), client.run_pipeline("no_such_pipeline", {"x": np.zeros(1)}),
                     client.converse(TEXT, timeout=0.000001)):
            with pytest.raises(JunctionError) as e:
                await call
            codes.append(e.value.code)
        return codes
    assert run(address, body) == [grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                                  grpc.StatusCode.DEADLINE_EXCEEDED]
