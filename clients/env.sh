# Where the clients' toolchains and packages live, shared by bin/install-test-clients (which fills
# it, once) and bin/test-client (which runs a client's tests from it, offline). Sourced, not
# executed; bin/common.sh first. Everything is under the Junction cache: $JUNCTION_CACHE, else
# $XDG_CACHE_HOME/junction, else ~/.cache/junction.
JUNCTION_CLIENTS_CACHE="${JUNCTION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/junction}/clients"
# the Python client's test venv: grpcio-tools here is also the protoc that generates the Go stubs
CLIENTS_VENV="$JUNCTION_CLIENTS_CACHE/python-venv"
# Go's module and build caches, and the protoc plugins, pinned (clients/go/generate.sh reads these)
export GOMODCACHE="$JUNCTION_CLIENTS_CACHE/go/mod"
export GOCACHE="$JUNCTION_CLIENTS_CACHE/go/build"
export GOBIN="$JUNCTION_CLIENTS_CACHE/go/bin"
export GOFLAGS="-mod=readonly"
export GOTOOLCHAIN=local
PROTOC_GEN_GO_VERSION=v1.33.0
PROTOC_GEN_GO_GRPC_VERSION=v1.3.0
# npm's download cache, so that `npm ci --offline` can refill a fresh clone's node_modules
export npm_config_cache="$JUNCTION_CLIENTS_CACHE/npm"
