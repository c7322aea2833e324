"""Request messages and answer conversions that the blocking and the asyncio client share."""
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from junction_client._gen.inference import grpc_service_pb2 as oip
from junction_client._gen.junction.v1 import conversation_pb2, pipeline_pb2, recommendation_pb2
from junction_client.tensors import ArrayLike, decode_outputs, encode_inputs


def converse(text: str, session_id: Optional[str], max_tokens: int, temperature: float, top_k: int,
             seed: int) -> conversation_pb2.ConverseRequest:
    return conversation_pb2.ConverseRequest(text=text, session_id=session_id or "", max_tokens=max_tokens,
                                            temperature=temperature, top_k=top_k, seed=seed)


def recommend(user_id: int, k: int) -> recommendation_pb2.RecommendRequest:
    return recommendation_pb2.RecommendRequest(user_id=user_id, k=k)


def run_pipeline(name: str, inputs: Mapping[str, ArrayLike], outputs: Optional[Sequence[str]],
                 session_id: Optional[str]) -> pipeline_pb2.RunPipelineRequest:
    headers, raw = encode_inputs(inputs)
    return pipeline_pb2.RunPipelineRequest(pipeline=name, inputs=headers, raw_input_contents=raw,
                                           outputs=list(outputs or ()), session_id=session_id or "")


def model_infer(model: str, inputs: Mapping[str, ArrayLike], outputs: Optional[Sequence[str]],
                request_id: str) -> oip.ModelInferRequest:
    headers, raw = encode_inputs(inputs)
    requested = [oip.ModelInferRequest.InferRequestedOutputTensor(name=n) for n in outputs or ()]
    return oip.ModelInferRequest(model_name=model, id=request_id, inputs=headers, raw_input_contents=raw,
                                 outputs=requested)


def pipeline_outputs(response: pipeline_pb2.RunPipelineResponse) -> Dict[str, np.ndarray]:
    return decode_outputs(response.outputs, [])


def infer_outputs(response: oip.ModelInferResponse) -> Dict[str, np.ndarray]:
    return decode_outputs(response.outputs, response.raw_output_contents)
