"""The blocking client against a live orchestrator serving the demo (both workloads)."""
import grpc
import numpy as np
import pytest

from conftest import TEXT
from junction_client import JunctionError, Tensor


def test_converse_classifies_and_replies(client):
    r = client.converse(TEXT)
    assert r.intent == "book_flight"
    assert 0 < r.confidence <= 1
    assert len(r.tokens) >= 3
    assert r.reply == " ".join(r.tokens)


def test_converse_stream_sends_the_intent_then_each_token_then_the_whole_reply(client):
    events = list(client.converse_stream(TEXT))
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds[0] == "intent" and kinds[-1] == "done"
    assert set(kinds[1:-1]) == {"token"}
    streamed = [e.token for e in events[1:-1]]
    done = events[-1].done
    assert streamed == list(done.tokens)
    assert events[0].intent.intent == done.intent == "book_flight"
    # greedy decoding: the same reply as the unary call
    assert streamed == list(client.converse(TEXT).tokens)


def test_leaving_a_stream_early_cancels_it_and_the_channel_still_serves(client):
    for event in client.converse_stream(TEXT):
        assert event.WhichOneof("event") == "intent"
        break
    assert client.recommend(42, k=1).items


def test_recommend_returns_k_distinct_items_highest_score_first(client):
    items = client.recommend(42, k=5).items
    assert len(items) == 5
    assert len({i.item_id for i in items}) == 5
    scores = [i.score for i in items]
    assert scores == sorted(scores, reverse=True)


def test_run_pipeline_recommend_ranks_as_recommend_does(client):
    out = client.run_pipeline("recommend", {"user_id": [42]})
    assert set(out) == {"items", "scores"}
    assert out["items"].dtype == np.int64 and out["scores"].dtype == np.float32
    assert out["items"].shape == out["scores"].shape
    expected = [i.item_id for i in client.recommend(42, k=5).items]
    assert [int(x) for x in out["items"].reshape(-1) if x >= 0][:5] == expected


def test_run_pipeline_returns_only_the_outputs_asked_for(client):
    out = client.run_pipeline("chat", {"text": Tensor([TEXT], "BYTES")}, outputs=["intent"])
    assert list(out) == ["intent"]
    assert out["intent"].reshape(-1)[0] == b"book_flight"


def test_model_infer_runs_a_model_on_numpy_inputs(client):
    out = client.model_infer("user_tower", {"user_id": np.array([42, 7], dtype=np.int64)})
    embedding = out["embedding"]
    assert embedding.dtype == np.float32 and embedding.shape == (2, 32)
    assert np.all(np.isfinite(embedding)) and np.any(embedding != 0)
    # the same user, alone, gets the same embedding
    alone = client.model_infer("user_tower", {"user_id": [42]})["embedding"]
    np.testing.assert_allclose(alone[0], embedding[0], rtol=1e-5)


def test_model_infer_runs_a_pipeline_by_name_as_run_pipeline_does(client):
    via_infer = client.model_infer("recommend", {"user_id": [42]})
    via_run = client.run_pipeline("recommend", {"user_id": [42]})
    np.testing.assert_array_equal(via_infer["items"], via_run["items"])


def test_an_invalid_argument_raises_invalid_argument_naming_the_field(client):
    with pytest.raises(JunctionError) as e:
        client.recommend(-1)
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert e.value.details.startswith("user_id: -1 (expected: ")


def test_an_unknown_pipeline_raises_not_found(client):
    with pytest.raises(JunctionError) as e:
        client.run_pipeline("no_such_pipeline", {"user_id": [1]})
    assert e.value.code == grpc.StatusCode.NOT_FOUND
    assert "no_such_pipeline" in e.value.details


def test_a_tiny_deadline_raises_deadline_exceeded(client):
    with pytest.raises(JunctionError) as e:
        client.converse(TEXT, timeout=0.000001)
    assert e.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    with pytest.raises(JunctionError) as e:
        list(client.converse_stream(TEXT, timeout=0.000001))
    assert e.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
