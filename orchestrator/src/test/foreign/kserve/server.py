"""KServe ModelServer with one model "halve": y = 0.5 * x - 3 (FP32, elementwise), served over the
Open Inference Protocol's gRPC (and REST) on 127.0.0.1.

A foreign pool member of ForeignMembersTest; numpy only. Usage:
  python server.py --grpc_port P --http_port Q [--datatype FP64]
--datatype FP64 serves the same model in FP64 instead (inputs, outputs and metadata): another
version of it, whose metadata does not match a pipeline wired for FP32."""
import argparse

import grpc.aio
import numpy as np
import uvicorn
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer, model_server

# KServe 0.21 hard-codes where it listens: gRPC on [::], REST on 0.0.0.0 (kserve/protocol/grpc/server.py,
# kserve/protocol/rest/server.py), with no option to change it. Tests listen on 127.0.0.1 only, so
# this server pins both there.
_add_insecure_port = grpc.aio._server.Server.add_insecure_port
grpc.aio._server.Server.add_insecure_port = lambda self, address: _add_insecure_port(
    self, address.replace("[::]:", "127.0.0.1:"))
_uvicorn_config = uvicorn.Config.__init__


def _loopback_config(self, *args, **kwargs):
    kwargs["host"] = "127.0.0.1"
    _uvicorn_config(self, *args, **kwargs)


uvicorn.Config.__init__ = _loopback_config


class Halve(Model):
    def __init__(self, name: str, datatype: str):
        super().__init__(name)
        self.datatype = datatype
        self.dtype = {"FP32": np.float32, "FP64": np.float64}[datatype]
        self.ready = True

    # Without these KServe's ModelMetadata lists no tensors, and a Junction pipeline could not be wired to it.
    def get_input_types(self):
        return [{"name": "x", "datatype": self.datatype, "shape": [-1]}]

    def get_output_types(self):
        return [{"name": "y", "datatype": self.datatype, "shape": [-1]}]

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        x = payload.inputs[0].as_numpy().astype(self.dtype)
        y = (self.dtype(0.5) * x - self.dtype(3)).astype(self.dtype)
        out = InferOutput(name="y", shape=list(y.shape), datatype=self.datatype)
        out.set_data_from_numpy(y)
        return InferResponse(model_name=self.name, infer_outputs=[out], response_id=payload.id or "0")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--datatype", choices=["FP32", "FP64"], default="FP32")
    args, _ = parser.parse_known_args()
    ModelServer(http_port=args.http_port, grpc_port=args.grpc_port).start([Halve("halve", args.datatype)])
