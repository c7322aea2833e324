#!/usr/bin/env python3
"""Triton's own HTTP client against a Junction server's Open Inference Protocol REST routes.

Usage: tritonclient_http.py HOST:HTTP_PORT HOST:GRPC_PORT [orchestrator|worker]

Against the demo orchestrator (the default), or against a worker started with --http-port that
serves user_tower and featurizer. With tritonclient.http, checks that:
- the server is live and ready, and its metadata names it "junction" ("junction-worker");
- the models (on the orchestrator: the recommend pipeline, the user_tower model and the chat
  pipeline; on a worker: user_tower and featurizer) are ready and their metadata lists their
  tensors; an unknown name is not ready;
- infer answers the same as tritonclient.grpc's ModelInfer (the reference), with the tensors as
  binary data (tritonclient's default) and as JSON, BYTES in (chat, featurizer) and out (chat);
- errors come back with the mapped HTTP status: an unknown model 404 (metadata and infer), a
  wrong datatype 400 with a message naming the input, a model version 400 (404 on a worker, which
  knows no such version), an unknown output 400 or 404.
Prints one JSON line (the summary) and exits 0 when every check holds; prints what failed and
exits 1 otherwise. HttpJsonEndToEndTest and WorkerHttpConformanceTest run it in the venv that
bin/install-test-python makes.
"""
import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

TIMEOUT_S = 60


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def inputs(module, name, array, datatype, binary):
    t = module.InferInput(name, list(array.shape), datatype)
    if module is httpclient:
        t.set_data_from_numpy(array, binary_data=binary)
    else:
        t.set_data_from_numpy(array)
    return [t]


def outputs(module, names, binary):
    if module is httpclient:
        return [httpclient.InferRequestedOutput(n, binary_data=binary) for n in names]
    return [grpcclient.InferRequestedOutput(n) for n in names]


def same(name, http_result, grpc_result, output, how):
    got = http_result.as_numpy(output)
    want = grpc_result.as_numpy(output)
    check(got is not None, f"{name} ({how}): no output {output} in {http_result.get_response()}")
    if want.dtype == np.object_:
        # BYTES in JSON are strings, which tritonclient.http gives as str (as with Triton)
        want = np.array([w.decode() for w in want.reshape(-1)], dtype=np.object_).reshape(want.shape)
        got = np.array([g.decode() if isinstance(g, bytes) else g for g in got.reshape(-1)],
                       dtype=np.object_).reshape(got.shape)
    check(got.shape == want.shape and got.dtype == want.dtype,
          f"{name} ({how}): {output} is {got.dtype}{got.shape} (expected: {want.dtype}{want.shape})")
    check(np.array_equal(got, want), f"{name} ({how}): {output} = {got} (expected: {want}, as over gRPC)")
    return got


def expect_error(status, call, what):
    try:
        call()
    except InferenceServerException as e:
        check(e.status() in status, f"{what}: HTTP {e.status()} {e.message()} (expected: {status})")
        return e.message()
    raise CheckFailed(f"{what}: answered (expected: an error {status})")


USER = np.array([42], dtype=np.int64)
TEXT = np.array(["I want to book a flight to Paris".encode()], dtype=np.object_)
# name, input, its value, its datatype, the outputs compared
CASES = {
    "orchestrator": [
        ("recommend", "user_id", USER, "INT64", ["items", "scores"]),
        ("user_tower", "user_id", USER, "INT64", ["embedding"]),
        ("chat", "text", TEXT, "BYTES", ["intent", "tokens"]),
    ],
    "worker": [
        ("user_tower", "user_id", USER, "INT64", ["embedding"]),
        ("featurizer", "text", TEXT, "BYTES", ["features"]),
    ],
}


def main():
    http_url, grpc_url = sys.argv[1], sys.argv[2]
    role = sys.argv[3] if len(sys.argv) > 3 else "orchestrator"
    check(role in CASES, f"role {role} (expected: one of {sorted(CASES)})")
    http = httpclient.InferenceServerClient(http_url, network_timeout=TIMEOUT_S, connection_timeout=TIMEOUT_S)
    grpc = grpcclient.InferenceServerClient(grpc_url)
    summary = {"role": role}
    cases = CASES[role]
    model = cases[0][0]  # INT64 user_id in

    check(http.is_server_live(), "server not live")
    check(http.is_server_ready(), "server not ready")
    meta = http.get_server_metadata()
    server = "junction" if role == "orchestrator" else "junction-worker"
    check(meta["name"] == server, f"server metadata {meta} (expected: name {server})")

    for name, input_name, _, _, _ in cases:
        check(http.is_model_ready(name), f"{name} not ready")
        meta = http.get_model_metadata(name)
        check(meta["name"] == name and input_name in [i["name"] for i in meta["inputs"]],
              f"{name} metadata {meta} (expected: input {input_name})")
    check(not http.is_model_ready("no_such_model"), "an unknown name is ready")
    expect_error(("404",), lambda: http.get_model_metadata("no_such_model"), "metadata of an unknown name")

    user = USER
    for name, input_name, array, datatype, names in cases:
        reference = grpc.infer(name, inputs(grpcclient, input_name, array, datatype, True),
                               outputs=outputs(grpcclient, names, True), client_timeout=TIMEOUT_S)
        for binary in (True, False):
            how = "binary" if binary else "JSON"
            result = http.infer(name, inputs(httpclient, input_name, array, datatype, binary),
                                outputs=outputs(httpclient, names, binary))
            for n in names:
                got = same(name, result, reference, n, how)
                if name == "recommend" and n == "items":
                    summary[f"recommend_items_{how.lower()}"] = got.reshape(-1).tolist()
                if name == "user_tower":
                    summary[f"embedding_{how.lower()}"] = got.reshape(-1).tolist()
        # no outputs named: every output, in binary (tritonclient asks binary_data_output)
        result = http.infer(name, inputs(httpclient, input_name, array, datatype, True))
        for n in names:
            same(name, result, reference, n, "all outputs")

    expect_error(("404",), lambda: http.infer("no_such_model", inputs(httpclient, "user_id", user, "INT64", False)),
                 "infer of an unknown name")
    summary["wrong_dtype"] = expect_error(
        ("400",), lambda: http.infer(model, inputs(httpclient, "user_id", np.array([1.5], dtype=np.float32),
                                                   "FP32", False)), "a wrong datatype")
    check("user_id" in summary["wrong_dtype"], f"a wrong datatype: {summary['wrong_dtype']!r} (expected: naming user_id)")
    expect_error(("400",) if role == "orchestrator" else ("404",),
                 lambda: http.infer(model, inputs(httpclient, "user_id", user, "INT64", True), model_version="2"),
                 "a model version")
    expect_error(("400", "404"), lambda: http.infer(model, inputs(httpclient, "user_id", user, "INT64", True),
                                                   outputs=outputs(httpclient, ["nope"], True)), "an unknown output")
    print(json.dumps(summary))


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as e:
        print(f"FAILED: {e}")
        sys.exit(1)
