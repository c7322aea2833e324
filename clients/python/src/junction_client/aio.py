"""The asyncio client (grpc.aio): the same methods as JunctionClient, as coroutines."""
from typing import AsyncIterator, Dict, Mapping, Optional, Sequence

import grpc
import numpy as np

from junction_client import _requests
from junction_client._gen.inference import grpc_service_pb2_grpc
from junction_client._gen.junction.v1 import (conversation_pb2, conversation_pb2_grpc, pipeline_pb2_grpc,
                                              recommendation_pb2, recommendation_pb2_grpc)
from junction_client.errors import JunctionError, expiry
from junction_client.tensors import ArrayLike

_UNSET = object()


class AsyncJunctionClient:
    """Junction's public gRPC API over one ``grpc.aio`` channel; see JunctionClient.

    Make it inside a running event loop; use it as an async context manager, or await :meth:`close`.
    """

    def __init__(self, target: str = "127.0.0.1:8500", *, timeout: Optional[float] = None,
                 channel: Optional[grpc.aio.Channel] = None):
        self._channel = channel if channel is not None else grpc.aio.insecure_channel(target)
        self._timeout = timeout
        self._conversation = conversation_pb2_grpc.ConversationServiceStub(self._channel)
        self._recommendation = recommendation_pb2_grpc.RecommendationServiceStub(self._channel)
        self._pipelines = pipeline_pb2_grpc.PipelineServiceStub(self._channel)
        self._inference = grpc_service_pb2_grpc.GRPCInferenceServiceStub(self._channel)

    async def converse(self, text: str, *, session_id: Optional[str] = None, max_tokens: int = 0,
                       temperature: float = 0.0, top_k: int = 0, seed: int = 0,
                       timeout=_UNSET) -> conversation_pb2.ConverseResponse:
        request = _requests.converse(text, session_id, max_tokens, temperature, top_k, seed)
        return await self._call(self._conversation.Converse, request, timeout)

    async def converse_stream(self, text: str, *, session_id: Optional[str] = None, max_tokens: int = 0,
                              temperature: float = 0.0, top_k: int = 0, seed: int = 0,
                              timeout=_UNSET) -> AsyncIterator[conversation_pb2.ConverseEvent]:
        """An async iterator of the turn's events; leaving it early cancels the call."""
        request = _requests.converse(text, session_id, max_tokens, temperature, top_k, seed)
        timeout = self._deadline(timeout)
        expires = expiry(timeout)
        call = self._conversation.ConverseStream(request, timeout=timeout)
        try:
            async for event in call:
                yield event
        except grpc.RpcError as e:
            raise JunctionError.of(e, expires) from None
        finally:
            call.cancel()

    async def recommend(self, user_id: int, *, k: int = 0, timeout=_UNSET) -> recommendation_pb2.RecommendResponse:
        return await self._call(self._recommendation.Recommend, _requests.recommend(user_id, k), timeout)

    async def run_pipeline(self, name: str, inputs: Mapping[str, ArrayLike], *,
                           outputs: Optional[Sequence[str]] = None, session_id: Optional[str] = None,
                           timeout=_UNSET) -> Dict[str, np.ndarray]:
        request = _requests.run_pipeline(name, inputs, outputs, session_id)
        return _requests.pipeline_outputs(await self._call(self._pipelines.Run, request, timeout))

    async def model_infer(self, model: str, inputs: Mapping[str, ArrayLike], *,
                          outputs: Optional[Sequence[str]] = None, request_id: str = "",
                          timeout=_UNSET) -> Dict[str, np.ndarray]:
        request = _requests.model_infer(model, inputs, outputs, request_id)
        return _requests.infer_outputs(await self._call(self._inference.ModelInfer, request, timeout))

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> "AsyncJunctionClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    def _deadline(self, timeout) -> Optional[float]:
        return self._timeout if timeout is _UNSET else timeout

    async def _call(self, method, request, timeout):
        timeout = self._deadline(timeout)
        expires = expiry(timeout)
        try:
            return await method(request, timeout=timeout)
        except grpc.RpcError as e:
            raise JunctionError.of(e, expires) from None
