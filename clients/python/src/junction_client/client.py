"""The blocking client."""
from typing import Dict, Iterator, Mapping, Optional, Sequence

import grpc
import numpy as np

from junction_client import _requests
from junction_client._gen.inference import grpc_service_pb2_grpc
from junction_client._gen.junction.v1 import (conversation_pb2, conversation_pb2_grpc, pipeline_pb2_grpc,
                                              recommendation_pb2, recommendation_pb2_grpc)
from junction_client.errors import JunctionError, expiry
from junction_client.tensors import ArrayLike

_UNSET = object()


class JunctionClient:
    """Junction's public gRPC API over one channel.

    ``timeout`` (seconds) is the deadline of every call that gives none of its own; ``None`` leaves
    it to the server (30 s). Every method raises :class:`JunctionError` for a failed call.
    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, target: str = "127.0.0.1:8500", *, timeout: Optional[float] = None,
                 channel: Optional[grpc.Channel] = None):
        self._channel = channel if channel is not None else grpc.insecure_channel(target)
        self._timeout = timeout
        self._conversation = conversation_pb2_grpc.ConversationServiceStub(self._channel)
        self._recommendation = recommendation_pb2_grpc.RecommendationServiceStub(self._channel)
        self._pipelines = pipeline_pb2_grpc.PipelineServiceStub(self._channel)
        self._inference = grpc_service_pb2_grpc.GRPCInferenceServiceStub(self._channel)

    def converse(self, text: str, *, session_id: Optional[str] = None, max_tokens: int = 0, temperature: float = 0.0,
                 top_k: int = 0, seed: int = 0, timeout=_UNSET) -> conversation_pb2.ConverseResponse:
        """One turn: the intent, its confidence and the whole reply."""
        request = _requests.converse(text, session_id, max_tokens, temperature, top_k, seed)
        return self._call(self._conversation.Converse, request, timeout)

    def converse_stream(self, text: str, *, session_id: Optional[str] = None, max_tokens: int = 0,
                        temperature: float = 0.0, top_k: int = 0, seed: int = 0,
                        timeout=_UNSET) -> Iterator[conversation_pb2.ConverseEvent]:
        """One turn, streamed: an ``intent`` event, one ``token`` event per token, then ``done``.

        Leaving the loop early (``break``, or closing the generator) cancels the call.
        """
        request = _requests.converse(text, session_id, max_tokens, temperature, top_k, seed)
        timeout = self._deadline(timeout)
        expires = expiry(timeout)
        call = self._conversation.ConverseStream(request, timeout=timeout)
        try:
            yield from call
        except grpc.RpcError as e:
            raise JunctionError.of(e, expires) from None
        finally:
            call.cancel()  # a no-op once the stream has ended

    def recommend(self, user_id: int, *, k: int = 0, timeout=_UNSET) -> recommendation_pb2.RecommendResponse:
        """The user's top ``k`` items (0: the server's default, 10), highest score first."""
        return self._call(self._recommendation.Recommend, _requests.recommend(user_id, k), timeout)

    def run_pipeline(self, name: str, inputs: Mapping[str, ArrayLike], *, outputs: Optional[Sequence[str]] = None,
                     session_id: Optional[str] = None, timeout=_UNSET) -> Dict[str, np.ndarray]:
        """Runs a pipeline on named inputs; its outputs (all, or those named) by name."""
        request = _requests.run_pipeline(name, inputs, outputs, session_id)
        return _requests.pipeline_outputs(self._call(self._pipelines.Run, request, timeout))

    def model_infer(self, model: str, inputs: Mapping[str, ArrayLike], *, outputs: Optional[Sequence[str]] = None,
                    request_id: str = "", timeout=_UNSET) -> Dict[str, np.ndarray]:
        """The Open Inference Protocol's ModelInfer on a model or a pipeline; its outputs by name."""
        request = _requests.model_infer(model, inputs, outputs, request_id)
        return _requests.infer_outputs(self._call(self._inference.ModelInfer, request, timeout))

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> "JunctionClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _deadline(self, timeout) -> Optional[float]:
        return self._timeout if timeout is _UNSET else timeout

    def _call(self, method, request, timeout):
        timeout = self._deadline(timeout)
        expires = expiry(timeout)
        try:
            return method(request, timeout=timeout)
        except grpc.RpcError as e:
            raise JunctionError.of(e, expires) from None
