"""Peer: Junction's demo pipelines (recommend, chat) in one Python process, FastAPI + uvicorn + TensorFlow, with the
logic of demo_logic.py. POST /recommend {"user_id", "k"} -> {"items": [{"item_id", "score"}]};
POST /chat {"text"} -> {"intent", "tokens"}; GET /healthz. REPO = Junction's demo model repository."""
import os

import tensorflow as tf
from fastapi import FastAPI
from pydantic import BaseModel

from demo_logic import Demo

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
DEMO = Demo(os.environ["REPO"])
app = FastAPI()


class Recommend(BaseModel):
    user_id: int
    k: int = 10


class Chat(BaseModel):
    text: str


@app.get("/healthz")
def healthz():
    return {"ok": True}


@app.post("/recommend")
def recommend(r: Recommend):
    items, scores = DEMO.recommend(r.user_id, r.k)
    return {"items": [{"item_id": i, "score": s} for i, s in zip(items, scores)]}


@app.post("/chat")
def chat(r: Chat):
    intent, tokens = DEMO.chat(r.text)
    return {"intent": intent, "tokens": tokens}
