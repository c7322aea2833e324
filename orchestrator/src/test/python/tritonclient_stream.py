#!/usr/bin/env python3
"""Triton's own Python client against a Junction orchestrator's ModelStreamInfer.

Usage: tritonclient_stream.py HOST:PORT [TEXT]

With tritonclient.grpc's start_stream and async_stream_infer on one stream, checks that:
- the chat pipeline answers each generated token as its own response (one token, shape [1],
  triton_final_response false), then one final response (triton_final_response true) with every
  output; the streamed tokens equal the final response's and a unary infer's;
- the recommend pipeline (no loop) answers one final response;
- an unknown name reaches the callback as an error, and the stream answers the next request.
Every response must carry its request's id. Prints one JSON line (the summary) and exits 0 when
every check holds; prints what failed and exits 1 otherwise. OpenInferenceStreamingTest runs it
in the venv that bin/install-test-python makes.
"""
import json
import queue
import sys

import numpy as np
import tritonclient.grpc as grpcclient

WAIT_S = 60  # for any one response: every wait is bounded


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def text_input(text):
    t = grpcclient.InferInput("text", [1], "BYTES")
    t.set_data_from_numpy(np.array([text.encode("utf-8")], dtype=np.object_))
    return t


def user_input(user):
    t = grpcclient.InferInput("user_id", [1], "INT64")
    t.set_data_from_numpy(np.array([user], dtype=np.int64))
    return t


def is_final(result):
    params = result.get_response().parameters
    check("triton_final_response" in params, f"no triton_final_response in {result.get_response()}")
    return params["triton_final_response"].bool_param


def strings(array):
    return [x.decode("utf-8") for x in array.reshape(-1)]


def next_answer(answers, request_id):
    try:
        result, error = answers.get(timeout=WAIT_S)
    except queue.Empty:
        raise CheckFailed(f"no response to {request_id} within {WAIT_S} s")
    if result is not None:
        got = result.get_response().id
        check(got == request_id, f"a response with id {got!r} (expected: {request_id!r})")
    return result, error


def stream_chat(client, answers, text, request_id):
    """Sends one chat request; returns the tokens streamed one by one and the final result."""
    client.async_stream_infer("chat", [text_input(text)], request_id=request_id)
    streamed = []
    while True:
        result, error = next_answer(answers, request_id)
        check(error is None, f"{request_id}: error {error}")
        if is_final(result):
            return streamed, result
        tokens = result.as_numpy("tokens")
        check(tokens is not None and tokens.shape == (1,),
              f"{request_id}: a streamed response with tokens {tokens!r} (expected: one token, shape [1])")
        check(result.as_numpy("intent") is None, f"{request_id}: a streamed response carries intent")
        streamed.append(strings(tokens)[0])


def run(url, text):
    client = grpcclient.InferenceServerClient(url=url)
    unary = client.infer("chat", [text_input(text)], request_id="unary")
    expected = strings(unary.as_numpy("tokens"))
    check(len(expected) >= 3, f"the unary reply {expected} (expected: at least 3 tokens)")

    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    chats = 0
    try:
        streamed, final = stream_chat(client, answers, text, "chat-1")
        chats += 1
        check(streamed == expected, f"streamed tokens {streamed} (expected: the unary reply's {expected})")
        check(strings(final.as_numpy("tokens")) == expected,
              f"the final response's tokens {strings(final.as_numpy('tokens'))} (expected: {expected})")
        check(strings(final.as_numpy("intent")) == strings(unary.as_numpy("intent")),
              "the final response's intent differs from the unary one")

        client.async_stream_infer("recommend", [user_input(42)], request_id="rec-1")
        result, error = next_answer(answers, "rec-1")
        check(error is None, f"rec-1: error {error}")
        check(is_final(result), "recommend's only response is not final")
        check(result.as_numpy("items") is not None, "recommend's response has no items")

        client.async_stream_infer("nope", [text_input(text)], request_id="bad-1")
        result, error = next_answer(answers, "bad-1")
        check(error is not None and '"nope"' in error.message(),
              f"an unknown name answered {result!r}, {error!r} (expected: an error naming it)")

        again, _ = stream_chat(client, answers, text, "chat-2")
        chats += 1
        check(again == expected, f"after the error, streamed tokens {again} (expected: {expected})")
    finally:
        client.stop_stream()
        client.close()
    check(answers.empty(), "responses after the last final response")
    return {"streamed_tokens": streamed, "final_tokens": strings(final.as_numpy("tokens")), "chat_requests": chats}


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    url = sys.argv[1]
    text = sys.argv[2] if len(sys.argv) == 3 else "I want to book a flight to Paris"
    try:
        summary = run(url, text)
    except CheckFailed as e:
        print(f"FAILED: {e}")
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
