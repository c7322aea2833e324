"""KServe ModelServer with one model "halve": y = 0.5 * x - 3 (FP32, elementwise), served over the
Open Inference Protocol's gRPC (and REST) on 127.0.0.1.

A foreign pool member of ForeignMembersTest; numpy only. Usage:
  python server.py --grpc_port P --http_port Q"""
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
    def __init__(self, name: str):
        super().__init__(name)
        self.ready = True

    # Without these KServe's ModelMetadata lists no tensors, and a Junction pipeline could not be wired to it.
    def get_input_types(self):
        return [{"name": "x", "datatype": "FP32", "shape": [-1]}]

    def get_output_types(self):
        return [{"name": "y", "datatype": "FP32", "shape": [-1]}]

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:
        x = payload.inputs[0].as_numpy().astype(np.float32)
        y = (np.float32(0.5) * x - np.float32(3)).astype(np.float32)
        out = InferOutput(name="y", shape=list(y.shape), datatype="FP32")
        out.set_data_from_numpy(y)
        return InferResponse(model_name=self.name, infer_outputs=[out], response_id=payload.id or "0")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    args, _ = parser.parse_known_args()
    ModelServer(http_port=args.http_port, grpc_port=args.grpc_port).start([Halve("halve")])
