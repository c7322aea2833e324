"""Triton python-backend model running one SavedModel of the 3-step pipeline (its path is the config parameter
`savedmodel`). With dynamic batching Triton may hand over several requests: they run as one batch."""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
import triton_python_backend_utils as pb_utils

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)


class TritonPythonModel:
    def initialize(self, args):
        path = json.loads(args["model_config"])["parameters"]["savedmodel"]["string_value"]
        self.fn = tf.saved_model.load(path).signatures["serving_default"]

    def execute(self, requests):
        xs = [pb_utils.get_input_tensor_by_name(r, "INPUT0").as_numpy() for r in requests]
        y = self.fn(x=tf.constant(np.concatenate(xs)))["y"].numpy()
        out, i = [], 0
        for x in xs:
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUTPUT0", y[i:i + len(x)])]))
            i += len(x)
        return out
