"""numpy arrays (or plain lists) to and from the Open Inference Protocol's tensors.

Requests carry raw contents (little-endian, as the protocol encodes them); responses may carry
raw or typed contents, and both are read. BYTES elements are each a 4-byte little-endian length
and the bytes, in a raw content; in numpy they are an object array of ``bytes``.
"""
import struct
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple, Union

import numpy as np

from junction_client._gen.inference import grpc_service_pb2 as oip

_DATATYPES = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
}
_NAMES = {dtype: name for name, dtype in _DATATYPES.items()}
# which typed contents field holds each datatype in a response without raw contents
_TYPED = {
    "BOOL": "bool_contents", "INT8": "int_contents", "INT16": "int_contents", "INT32": "int_contents",
    "INT64": "int64_contents", "UINT8": "uint_contents", "UINT16": "uint_contents", "UINT32": "uint_contents",
    "UINT64": "uint64_contents", "FP32": "fp32_contents", "FP64": "fp64_contents", "BYTES": "bytes_contents",
}

ArrayLike = Union[np.ndarray, Sequence, "Tensor"]


class Tensor:
    """An input with an explicit datatype, for when numpy's own would be wrong: ``Tensor([0.5], "FP32")``
    (a plain ``[0.5]`` would be sent as FP64)."""

    def __init__(self, data, datatype: str):
        if datatype not in _DATATYPES and datatype != "BYTES":
            raise ValueError(f"datatype: {datatype!r} (expected: one of {sorted([*_DATATYPES, 'BYTES'])})")
        self.datatype = datatype
        self.array = _bytes_array(data) if datatype == "BYTES" else np.asarray(data, dtype=_DATATYPES[datatype])


def _bytes_array(data) -> np.ndarray:
    array = np.asarray(data, dtype=object)
    flat = [x.encode("utf-8") if isinstance(x, str) else bytes(x) for x in array.reshape(-1)]
    out = np.empty(len(flat), dtype=object)
    out[:] = flat
    return out.reshape(array.shape)


def _datatype(array: np.ndarray) -> str:
    if array.dtype.kind in ("U", "S", "O"):
        return "BYTES"
    if array.dtype.newbyteorder("=") in _NAMES:
        return _NAMES[array.dtype.newbyteorder("=")]
    raise ValueError(f"dtype: {array.dtype} (expected: bool, an integer, a float or strings)")


def encode_inputs(inputs: Mapping[str, ArrayLike]) -> Tuple[List[oip.ModelInferRequest.InferInputTensor], List[bytes]]:
    """The request's input headers and raw contents, in the same order."""
    headers, raw = [], []
    for name, value in inputs.items():
        if isinstance(value, Tensor):
            array, datatype = value.array, value.datatype
        else:
            array = np.asarray(value)
            datatype = _datatype(array)
            if datatype == "BYTES":
                array = _bytes_array(array)
        headers.append(oip.ModelInferRequest.InferInputTensor(name=name, datatype=datatype, shape=list(array.shape)))
        if datatype == "BYTES":
            raw.append(b"".join(struct.pack("<I", len(b)) + b for b in array.reshape(-1)))
        else:
            raw.append(np.ascontiguousarray(array, dtype=_DATATYPES[datatype].newbyteorder("<")).tobytes())
    return headers, raw


def decode_outputs(outputs: Iterable[oip.ModelInferResponse.InferOutputTensor],
                   raw: Sequence[bytes]) -> Dict[str, np.ndarray]:
    """Each output by name, as a numpy array of its shape, from raw contents when there are any."""
    result = {}
    for i, out in enumerate(outputs):
        shape = tuple(out.shape)
        if raw:
            array = _from_raw(out.datatype, raw[i])
        elif out.datatype == "FP16":
            raise ValueError(f"output {out.name}: FP16 has no typed contents (expected: raw contents)")
        else:
            values = list(getattr(out.contents, _TYPED[out.datatype]))
            array = _bytes_array(values) if out.datatype == "BYTES" else np.array(values, dtype=_DATATYPES[out.datatype])
        result[out.name] = array.reshape(shape)
    return result


def _from_raw(datatype: str, data: bytes) -> np.ndarray:
    if datatype != "BYTES":
        return np.frombuffer(data, dtype=_DATATYPES[datatype].newbyteorder("<")).astype(_DATATYPES[datatype])
    items, offset = [], 0
    while offset < len(data):
        (length,) = struct.unpack_from("<I", data, offset)
        items.append(data[offset + 4:offset + 4 + length])
        offset += 4 + length
    return _bytes_array(items)
