#!/usr/bin/env python3
"""Triton's own gRPC client against a Junction server: does it speak the Open Inference Protocol?

Usage: tritonclient_conformance.py HOST:PORT orchestrator|worker

Against the demo orchestrator, or against a worker of its recommendation pool (which serves
user_tower), checks with tritonclient.grpc (and, for typed contents, which tritonclient's
InferInput cannot send, with the stubs tritonclient generated from Triton's own
grpc_service.proto):
- server live, ready and metadata (name, version);
- model ready and metadata of user_tower, and on the orchestrator of the pipeline `recommend`;
- inference with raw contents and with typed contents, the same answer both ways and the answer
  the model gives row by row; on the orchestrator also for the pipeline;
- errors: an unknown model (NOT_FOUND, for infer, metadata and, on the orchestrator, ready; a
  worker answers not ready), a wrong shape, a wrong datatype, a value outside the model's range
  and raw contents of the wrong length (INVALID_ARGUMENT).
Prints one JSON line (the summary) and exits 0 when every check holds; prints what failed and
exits 1 otherwise. GrpcConformanceTest runs it in the venv that bin/install-test-python makes.
"""
import json
import sys

import grpc
import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

TIMEOUT_S = 30  # every call is bounded
MODEL = "user_tower"
PIPELINE = "recommend"
USERS = [0, 7, 42]


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def int64_input(name, values, shape=None, datatype="INT64"):
    array = np.array(values, dtype=np.int64 if datatype == "INT64" else np.float32)
    t = grpcclient.InferInput(name, list(shape or array.shape), datatype)
    t.set_data_from_numpy(array)
    return t


def raw_infer(client, name, user_ids):
    """tritonclient's own infer: tensors travel as raw_input_contents."""
    return client.infer(name, [int64_input("user_id", user_ids)], client_timeout=TIMEOUT_S)


def typed_infer(stub, name, user_ids):
    """Triton's generated stub with the tensor in typed contents (int64_contents)."""
    request = service_pb2.ModelInferRequest(model_name=name, id="typed")
    tensor = request.inputs.add(name="user_id", datatype="INT64", shape=[len(user_ids)])
    tensor.contents.int64_contents.extend(user_ids)
    response = stub.ModelInfer(request, timeout=TIMEOUT_S)
    check(response.id == "typed", f"{name}: typed infer answered id {response.id!r} (expected: 'typed')")
    return grpcclient.InferResult(response)


def expect_error(code, what, call):
    """Runs call; it must fail with the gRPC status code `code` (a name like NOT_FOUND)."""
    try:
        answer = call()
    except InferenceServerException as e:
        check(e.status() == f"StatusCode.{code}", f"{what}: {e.status()} {e.message()!r} (expected: {code})")
        return e.message()
    except grpc.RpcError as e:
        check(e.code().name == code, f"{what}: {e.code().name} {e.details()!r} (expected: {code})")
        return e.details()
    raise CheckFailed(f"{what}: answered {answer!r} (expected: {code})")


def check_server(client, role):
    check(client.is_server_live(client_timeout=TIMEOUT_S), "server live: false")
    check(client.is_server_ready(client_timeout=TIMEOUT_S), "server ready: false")
    metadata = client.get_server_metadata(client_timeout=TIMEOUT_S)
    expected = "junction" if role == "orchestrator" else "junction-worker"
    check(metadata.name == expected, f"server metadata name {metadata.name!r} (expected: {expected!r})")
    check(metadata.version != "", "server metadata: empty version")


def check_metadata(client, name, inputs, outputs, platform=None):
    check(client.is_model_ready(name, client_timeout=TIMEOUT_S), f"model ready {name}: false")
    metadata = client.get_model_metadata(name, client_timeout=TIMEOUT_S)
    check(metadata.name == name, f"model metadata name {metadata.name!r} (expected: {name!r})")
    got_in = [(t.name, t.datatype) for t in metadata.inputs]
    got_out = [(t.name, t.datatype) for t in metadata.outputs]
    check(got_in == inputs, f"{name} inputs {got_in} (expected: {inputs})")
    check(got_out == outputs, f"{name} outputs {got_out} (expected: {outputs})")
    if platform is not None:
        check(metadata.platform == platform, f"{name} platform {metadata.platform!r} (expected: {platform!r})")


def check_model_inference(client, stub):
    raw = raw_infer(client, MODEL, USERS).as_numpy("embedding")
    check(raw is not None and raw.shape == (len(USERS), 32) and raw.dtype == np.float32,
          f"{MODEL} raw: embedding {None if raw is None else (raw.shape, raw.dtype)} (expected: ({len(USERS)}, 32) FP32)")
    typed = typed_infer(stub, MODEL, USERS).as_numpy("embedding")
    check(typed is not None and np.array_equal(raw, typed), f"{MODEL}: typed contents answered {typed} (expected: {raw})")
    for i, user in enumerate(USERS):
        one = raw_infer(client, MODEL, [user]).as_numpy("embedding")
        check(np.allclose(one[0], raw[i], rtol=1e-5, atol=1e-6), f"{MODEL}: user {user} alone differs from in a batch")
    return raw


def check_pipeline_inference(client, stub):
    raw = raw_infer(client, PIPELINE, [42])
    typed = typed_infer(stub, PIPELINE, [42])
    items, scores = raw.as_numpy("items"), raw.as_numpy("scores")
    check(items is not None and items.size >= 10 and len(set(items.reshape(-1).tolist())) == items.size,
          f"{PIPELINE}: items {items} (expected: at least 10 distinct items)")
    check(scores is not None and np.all(np.diff(scores.reshape(-1)) <= 0), f"{PIPELINE}: scores {scores} not descending")
    check(np.array_equal(items, typed.as_numpy("items")), f"{PIPELINE}: typed contents answered other items")
    check(np.array_equal(scores, typed.as_numpy("scores")), f"{PIPELINE}: typed contents answered other scores")
    return items.reshape(-1).tolist()


def check_errors(client, stub, role):
    codes = {}
    codes["unknown_infer"] = expect_error("NOT_FOUND", "infer of an unknown model",
                                          lambda: raw_infer(client, "no_such_model", [1]))
    codes["unknown_metadata"] = expect_error("NOT_FOUND", "metadata of an unknown model",
                                             lambda: client.get_model_metadata("no_such_model", client_timeout=TIMEOUT_S))
    if role == "orchestrator":
        codes["unknown_ready"] = expect_error("NOT_FOUND", "ready of an unknown model",
                                              lambda: client.is_model_ready("no_such_model", client_timeout=TIMEOUT_S))
    else:
        check(not client.is_model_ready("no_such_model", client_timeout=TIMEOUT_S), "an unknown model is ready")
    codes["wrong_shape"] = expect_error("INVALID_ARGUMENT", f"{MODEL} with a [1, 2] user_id", lambda: client.infer(
        MODEL, [int64_input("user_id", [[1, 2]])], client_timeout=TIMEOUT_S))
    codes["wrong_datatype"] = expect_error("INVALID_ARGUMENT", f"{MODEL} with an FP32 user_id", lambda: client.infer(
        MODEL, [int64_input("user_id", [1.0], datatype="FP32")], client_timeout=TIMEOUT_S))
    codes["out_of_range"] = expect_error("INVALID_ARGUMENT", f"{MODEL} with user 1000000",
                                         lambda: raw_infer(client, MODEL, [1_000_000]))

    def short_raw():
        request = service_pb2.ModelInferRequest(model_name=MODEL)
        request.inputs.add(name="user_id", datatype="INT64", shape=[2])
        request.raw_input_contents.append(np.array([1], dtype=np.int64).tobytes())  # 8 bytes for 2 elements
        return stub.ModelInfer(request, timeout=TIMEOUT_S)

    codes["short_raw"] = expect_error("INVALID_ARGUMENT", f"{MODEL} with 8 raw bytes for 2 INT64", short_raw)
    if role == "orchestrator":
        codes["pipeline_wrong_datatype"] = expect_error("INVALID_ARGUMENT", f"{PIPELINE} with an FP32 user_id",
            lambda: client.infer(PIPELINE, [int64_input("user_id", [1.0], datatype="FP32")], client_timeout=TIMEOUT_S))
        codes["pipeline_wrong_shape"] = expect_error("INVALID_ARGUMENT", f"{PIPELINE} with a [1, 2] user_id",
            lambda: client.infer(PIPELINE, [int64_input("user_id", [[1, 2]])], client_timeout=TIMEOUT_S))
    for what, message in codes.items():
        check(message and "expected" in message, f"{what}: message {message!r} (expected: 'name: value (expected: ...)')")
    return sorted(codes)


def run(url, role):
    client = grpcclient.InferenceServerClient(url=url)
    channel = grpc.insecure_channel(url)
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    summary = {"role": role}
    try:
        check_server(client, role)
        check_metadata(client, MODEL, [("user_id", "INT64")], [("embedding", "FP32")])
        embedding = check_model_inference(client, stub)
        summary["embedding_shape"] = list(embedding.shape)
        if role == "orchestrator":
            check_metadata(client, PIPELINE, [("user_id", "INT64")], [("items", "INT64"), ("scores", "FP32")],
                           platform="ensemble")
            summary["recommend_items"] = check_pipeline_inference(client, stub)
        summary["errors"] = check_errors(client, stub, role)
    finally:
        channel.close()
        client.close()
    return summary


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("orchestrator", "worker"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        summary = run(sys.argv[1], sys.argv[2])
    except CheckFailed as e:
        print(f"FAILED: {e}")
        return 1
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
