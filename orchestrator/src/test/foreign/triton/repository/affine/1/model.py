"""Triton python-backend model "affine": OUTPUT0 = 2 * INPUT0 + 1 (FP32, elementwise).

A foreign pool member of ForeignMembersTest; numpy only."""
import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            y = (np.float32(2) * x + np.float32(1)).astype(np.float32)
            responses.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("OUTPUT0", y)]))
        return responses
