"""Peer: the 3-step pipeline in one Python process, FastAPI + uvicorn + TensorFlow (HTTP/JSON).
POST /infer {"inputs": [[16 floats]]} -> {"outputs": [[8 floats]]}; GET /healthz. REPO = the 3-step repository."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
import tensorflow as tf
from fastapi import FastAPI
from pydantic import BaseModel

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
STEPS = [tf.saved_model.load(f"{os.environ['REPO']}/{m}/1").signatures["serving_default"] for m in ("pre", "mlp", "post")]
app = FastAPI()


class Infer(BaseModel):
    inputs: list[list[float]]


@app.get("/healthz")
def healthz():
    return {"ok": True}


@app.post("/infer")
def infer(r: Infer):
    y = tf.constant(np.asarray(r.inputs, dtype=np.float32))
    for step in STEPS:
        y = step(x=y)["y"]
    return {"outputs": y.numpy().tolist()}
