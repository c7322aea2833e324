"""Writes a Triton model repository for the 3-step pipeline: pre, mlp, post as python-backend models (triton_model.py,
one stub process each, dynamic batching on) and `pipeline`, an ensemble of the three.

usage: python triton_repo.py OUT_DIR THREESTEP_REPO"""
import os
import shutil
import sys

STEP = """name: "{name}"
backend: "python"
max_batch_size: 64
input [ {{ name: "INPUT0" data_type: TYPE_FP32 dims: [ {d_in} ] }} ]
output [ {{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [ {d_out} ] }} ]
instance_group [ {{ kind: KIND_CPU count: 1 }} ]
dynamic_batching {{ max_queue_delay_microseconds: 200 }}
parameters: {{ key: "savedmodel" value: {{ string_value: "{path}" }} }}
"""

ENSEMBLE = """name: "pipeline"
platform: "ensemble"
max_batch_size: 64
input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 16 ] } ]
output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 8 ] } ]
ensemble_scheduling {
  step [
    { model_name: "pre"  model_version: -1 input_map { key: "INPUT0" value: "INPUT0" } output_map { key: "OUTPUT0" value: "t1" } },
    { model_name: "mlp"  model_version: -1 input_map { key: "INPUT0" value: "t1" } output_map { key: "OUTPUT0" value: "t2" } },
    { model_name: "post" model_version: -1 input_map { key: "INPUT0" value: "t2" } output_map { key: "OUTPUT0" value: "OUTPUT0" } }
  ]
}
"""


def main(out, repo):
    here = os.path.dirname(os.path.abspath(__file__))
    for name, d_in, d_out in (("pre", 16, 16), ("mlp", 16, 8), ("post", 8, 8)):
        os.makedirs(os.path.join(out, name, "1"), exist_ok=True)
        shutil.copy(os.path.join(here, "triton_model.py"), os.path.join(out, name, "1", "model.py"))
        with open(os.path.join(out, name, "config.pbtxt"), "w") as f:
            f.write(STEP.format(name=name, d_in=d_in, d_out=d_out, path=os.path.join(repo, name, "1")))
    os.makedirs(os.path.join(out, "pipeline", "1"), exist_ok=True)  # an ensemble needs its (empty) version folder
    with open(os.path.join(out, "pipeline", "config.pbtxt"), "w") as f:
        f.write(ENSEMBLE)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
