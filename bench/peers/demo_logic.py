"""Junction's demo pipelines (orchestrator/.../config/demo.yaml) written out in Python over the same SavedModels, for the
FastAPI peer and for the reference answers:
  recommend: user_tower -> (retrieval || popular) -> concat on axis 1 -> ranker -> first k
  chat:      featurizer -> intent -> greedy decode loop of responder (window 2, start 1, stop at id 2, at most 24 tokens)"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf

BOS, EOS, MAX_TOKENS, WINDOW = 1, 2, 24, 2


class Demo:
    def __init__(self, repo):
        def load(m):
            return tf.saved_model.load(f"{repo}/{m}/1").signatures["serving_default"]

        self.user_tower, self.retrieval, self.popular, self.ranker = (
            load(m) for m in ("user_tower", "retrieval", "popular", "ranker"))
        self.featurizer, self.intent, self.responder = (load(m) for m in ("featurizer", "intent", "responder"))

    def recommend(self, user_id, k):
        uid = tf.constant([user_id], tf.int64)
        emb = self.user_tower(user_id=uid)["embedding"]
        cand = tf.concat([self.retrieval(embedding=emb)["items"], self.popular(user_id=uid)["items"]], axis=1)
        out = self.ranker(user_id=uid, embedding=emb, candidates=cand)
        return out["items"].numpy()[0][:k].tolist(), out["scores"].numpy()[0][:k].tolist()

    def chat(self, text):
        features = self.featurizer(text=tf.constant([text]))["features"]
        cls = self.intent(features=features)
        intent_id = cls["intent_id"]
        window = [BOS] * WINDOW
        tokens = []
        while len(tokens) < MAX_TOKENS:
            # temperature 0: greedy (top_k, seed and iteration are then ignored), as Junction's chat by default
            out = self.responder(intent_id=intent_id, context=tf.constant([window], tf.int64),
                                 temperature=tf.constant([0.0], tf.float32), top_k=tf.constant([0], tf.int32),
                                 seed=tf.constant([0], tf.int64), iteration=tf.constant([len(tokens)], tf.int64))
            next_id = int(out["next_id"].numpy()[0])
            if next_id == EOS:
                break
            tokens.append(out["next_token"].numpy()[0].decode("utf-8"))
            window = window[1:] + [next_id]
        return cls["intent"].numpy()[0].decode("utf-8"), tokens
