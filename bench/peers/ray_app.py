"""Peer: Ray Serve, one deployment per step of the 3-step pipeline, composed through DeploymentHandles; HTTP ingress
POST / {"inputs": [[16 floats]]} -> {"outputs": [[8 floats]]}. Starts a local Ray with 2 CPUs and serves until killed.
Environment: REPO (the 3-step repository), HTTP_PORT."""
import os
import sys
import time

os.environ["PYTHONPATH"] = os.path.dirname(os.path.abspath(__file__))  # the replicas import this module by name
import numpy as np
import ray
from ray import serve
from starlette.requests import Request

REPO = os.environ["REPO"]


@serve.deployment(ray_actor_options={"num_cpus": 0.1})
class Step:
    def __init__(self, name: str):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        tf.config.threading.set_inter_op_parallelism_threads(1)
        tf.config.threading.set_intra_op_parallelism_threads(1)
        self.tf = tf
        self.fn = tf.saved_model.load(f"{REPO}/{name}/1").signatures["serving_default"]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.fn(x=self.tf.constant(x))["y"].numpy()


@serve.deployment(ray_actor_options={"num_cpus": 0.1})
class Pipeline:
    def __init__(self, pre, mlp, post):
        self.steps = [pre, mlp, post]

    async def __call__(self, request: Request):
        x = np.asarray((await request.json())["inputs"], dtype=np.float32)
        for step in self.steps:
            x = await step.remote(x)
        return {"outputs": x.tolist()}


app = Pipeline.bind(Step.options(name="pre").bind("pre"), Step.options(name="mlp").bind("mlp"),
                    Step.options(name="post").bind("post"))

if __name__ == "__main__":
    ray.init(num_cpus=2, include_dashboard=False)
    serve.start(http_options={"host": "127.0.0.1", "port": int(os.environ.get("HTTP_PORT", "18300"))})
    serve.run(app, name="threestep", route_prefix="/")
    print("ray serve ready", flush=True)
    sys.stdout.flush()
    while True:
        time.sleep(3600)
