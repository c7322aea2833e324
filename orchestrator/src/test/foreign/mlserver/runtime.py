"""MLServer custom runtime "SquareSum": y[i] = sum_j x[i, j]^2 (FP32 [rows, columns] -> FP32 [rows]).

A foreign pool member of ForeignMembersTest (models/square_sum/model-settings.json); numpy only."""
import numpy as np
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse, ResponseOutput


class SquareSum(MLModel):
    async def load(self) -> bool:
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        x = NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32)
        y = np.sum(x * x, axis=1, dtype=np.float32)
        # Not NumpyCodec.encode_output: it gives a 1-d array the shape [rows, 1], not the [-1] declared.
        out = ResponseOutput(name="y", datatype="FP32", shape=list(y.shape), data=y.tolist())
        return InferenceResponse(model_name=self.name, id=payload.id, outputs=[out])
