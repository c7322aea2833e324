"""MLServer custom runtime: the 3-step pipeline chained in one runtime (MLServer has no ensemble of its own).
Input INPUT0 FP32 [-1, 16], output OUTPUT0 FP32 [-1, 8]; parameters.uri is the 3-step repository."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)


class ThreeStep(MLModel):
    async def load(self) -> bool:
        repo = self.settings.parameters.uri
        self.steps = [tf.saved_model.load(os.path.join(repo, m, "1")).signatures["serving_default"]
                      for m in ("pre", "mlp", "post")]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        y = tf.constant(NumpyCodec.decode_input(payload.inputs[0]).astype(np.float32))
        for step in self.steps:
            y = step(x=y)["y"]
        return InferenceResponse(model_name=self.name,
                                 outputs=[NumpyCodec.encode_output(name="OUTPUT0", payload=y.numpy())])
