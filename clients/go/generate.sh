#!/usr/bin/env bash
# Generates gen/ (the committed Go stubs) from ../../proto with the pinned protoc (grpcio-tools'
# in the clients' Python venv) and the pinned protoc-gen-go and protoc-gen-go-grpc, all of which
# bin/install-test-clients installs. With --check, generates into a temporary folder instead and
# fails when that differs from the committed gen/ (bin/test-client go-stubs; CI runs it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../../bin/common.sh"
source "$JUNCTION_ROOT/clients/env.sh"
# the public API; segment.proto and worker.proto are between the orchestrator and its workers
protos=(inference/grpc_service.proto junction/v1/admin.proto junction/v1/conversation.proto
  junction/v1/pipeline.proto junction/v1/recommendation.proto)
for tool in "$CLIENTS_VENV/bin/python" "$GOBIN/protoc-gen-go" "$GOBIN/protoc-gen-go-grpc"; do
  [[ -x "$tool" ]] || junction_fail "missing $tool (run bin/install-test-clients)"
done
out="$here"
if [[ "${1:-}" == "--check" ]]; then
  out="$(mktemp -d)"
  trap 'rm -rf "$out"' EXIT
fi
rm -rf "$out/gen"
"$CLIENTS_VENV/bin/python" -m grpc_tools.protoc -I "$JUNCTION_ROOT/proto" \
  --plugin=protoc-gen-go="$GOBIN/protoc-gen-go" --plugin=protoc-gen-go-grpc="$GOBIN/protoc-gen-go-grpc" \
  --go_out="$out" --go_opt=module=junction/clients/go \
  --go-grpc_out="$out" --go-grpc_opt=module=junction/clients/go \
  "${protos[@]}"
if [[ "${1:-}" == "--check" ]]; then
  diff -r "$out/gen" "$here/gen" || junction_fail "clients/go/gen is not what the protos generate: run clients/go/generate.sh and commit gen/"
  echo "clients/go/gen is current"
fi
