"""Builds the 3-step pipeline of bench/: three tiny TensorFlow SavedModels pre (normalise, D=16) -> mlp (16->64->8)
-> post (softmax), each with signature serving_default, input `x` FP32 [-1, D], output `y`, written as a Junction
model repository (<out>/<model>/model.yaml + <out>/<model>/1/) that every peer reads too; and the reference the
load generator checks answers against: <out>/reference.json with cases {x, y = post(mlp(pre(x))), mlp = mlp(x)}.

usage: python make_threestep.py OUT_DIR"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf

D, H, K = 16, 64, 8
CASES = 16


class Pre(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.mean = tf.constant(rng.normal(size=D).astype(np.float32))
        self.std = tf.constant((rng.random(D) + 0.5).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, D], tf.float32, name="x")])
    def serve(self, x):
        return {"y": (x - self.mean) / self.std}


class Mlp(tf.Module):
    def __init__(self, rng):
        super().__init__()
        self.w1 = tf.Variable(rng.normal(size=(D, H)).astype(np.float32) * 0.1)
        self.b1 = tf.Variable(np.zeros(H, np.float32))
        self.w2 = tf.Variable(rng.normal(size=(H, K)).astype(np.float32) * 0.1)
        self.b2 = tf.Variable(np.zeros(K, np.float32))

    @tf.function(input_signature=[tf.TensorSpec([None, D], tf.float32, name="x")])
    def serve(self, x):
        return {"y": tf.matmul(tf.nn.relu(tf.matmul(x, self.w1) + self.b1), self.w2) + self.b2}


class Post(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, K], tf.float32, name="x")])
    def serve(self, x):
        return {"y": tf.nn.softmax(x, axis=-1)}


MODEL_YAML = """name: {name}
version: 1
platform: tensorflow_savedmodel
max_batch_size: 64
inputs:
  - name: x
    datatype: FP32
    shape: [-1, {d_in}]
outputs:
  - name: y
    datatype: FP32
    shape: [-1, {d_out}]
# Junction's dynamic batching, as Triton's models get dynamic_batching (triton_repo.py): requests that
# queue while the model threads are busy run as one batch; no added delay.
batching:
  max_queue_delay_us: 0
"""


def main(out):
    rng = np.random.default_rng(0)
    models = [("pre", Pre(rng), D, D), ("mlp", Mlp(rng), D, K), ("post", Post(), K, K)]
    for name, module, d_in, d_out in models:
        tf.saved_model.save(module, os.path.join(out, name, "1"), signatures={"serving_default": module.serve})
        with open(os.path.join(out, name, "model.yaml"), "w") as f:
            f.write(MODEL_YAML.format(name=name, d_in=d_in, d_out=d_out))
    # The reference runs the saved models as loaded back, as every system will.
    fns = {n: tf.saved_model.load(os.path.join(out, n, "1")).signatures["serving_default"] for n, *_ in models}
    xs = np.random.default_rng(42).normal(size=(CASES, 1, D)).astype(np.float32)
    cases = []
    for x in xs:
        y = tf.constant(x)
        for n in ("pre", "mlp", "post"):
            y = fns[n](x=y)["y"]
        cases.append({"x": x[0].tolist(), "y": y.numpy()[0].tolist(), "mlp": fns["mlp"](x=tf.constant(x))["y"].numpy()[0].tolist()})
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"workload": "threestep", "cases": cases}, f)
    print(f"3-step models and {len(cases)} reference cases in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
