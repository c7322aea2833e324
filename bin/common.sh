# Shared by the bin/ scripts: where Junction lives and how to run its built code.
# Sourced, not executed.
JUNCTION_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JUNCTION_ROOT
JUNCTION_REPOSITORY_DEFAULT="$JUNCTION_ROOT/models/target/model-repository"

junction_fail() {
  echo "error: $*" >&2
  exit 1
}

# Prints the runtime classpath of the orchestrator (which includes the worker and the model kit):
# the source tree's build, or the container image's jars.
junction_classpath() {
  # the container image's layout (docker/Dockerfile): jars in lib/, their order in lib/classpath
  if [[ -f "$JUNCTION_ROOT/lib/classpath" ]]; then
    cat "$JUNCTION_ROOT/lib/classpath"
    return
  fi
  local cpfile="$JUNCTION_ROOT/orchestrator/target/classpath.txt"
  local classes="$JUNCTION_ROOT/orchestrator/target/classes"
  if [[ ! -f "$cpfile" || ! -d "$classes" ]]; then
    junction_fail "Junction is not built yet (missing $cpfile). Build it with: bin/demo, or mvn -B -DskipTests install"
  fi
  echo "$classes:$(cat "$cpfile")"
}

junction_java() {
  if [[ -n "${JAVA_HOME:-}" ]]; then echo "$JAVA_HOME/bin/java"; else echo java; fi
}

# JVM options every Junction process gets: offline DJL, quiet TensorFlow, no protobuf warnings.
JUNCTION_JVM_OPTS=(
  -Dcom.google.protobuf.use_unsafe_pre22_gencode=true
  -Dai.djl.offline=true
  -DOPT_OUT_TRACKING=true
)
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export OPT_OUT_TRACKING=true
