"""Writes the reference answers of the recommend and chat workloads, computed by demo_logic over the demo repository.

usage: python demo_reference.py REPO OUT_DIR   (writes OUT_DIR/reference-recommend.json and reference-chat.json)"""
import json
import os
import sys

from demo_logic import Demo

USERS = list(range(3, 2000, 61))  # 33 users across the range
K = 10
UTTERANCES = [
    "book a flight to paris on monday", "i need a hotel room in berlin", "please cancel my booking",
    "goodbye and see you", "hello there", "can you help me", "i want to rent a car tomorrow",
    "find me an italian restaurant", "thanks a lot", "what is the weather like in rome",
    "hi", "reserve a table for two", "is it going to rain on friday", "cancel the hotel please",
    "bye", "fly me to london",
]


def main(repo, out):
    demo = Demo(repo)
    rec = []
    for u in USERS:
        items, scores = demo.recommend(u, K)
        rec.append({"user_id": u, "k": K, "items": items, "scores": scores})
    chat = []
    for t in UTTERANCES:
        intent, tokens = demo.chat(t)
        chat.append({"text": t, "intent": intent, "tokens": tokens})
    with open(os.path.join(out, "reference-recommend.json"), "w") as f:
        json.dump({"workload": "recommend", "cases": rec}, f)
    with open(os.path.join(out, "reference-chat.json"), "w") as f:
        json.dump({"workload": "chat", "cases": chat}, f)
    lengths = sorted(len(c["tokens"]) for c in chat)
    print(f"{len(rec)} recommend and {len(chat)} chat reference cases in {out}; reply lengths {lengths}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
