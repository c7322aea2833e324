# Shared by helm/test/cluster-up, cluster-down and tier2: where the test cluster lives, its
# addresses, and how its processes are started and stopped. Sourced, not executed.
source "$(dirname "${BASH_SOURCE[0]}")/../../bin/common.sh"
# ip, iptables, sysctl live in /usr/sbin, which a user's PATH may lack
PATH="$PATH:/usr/sbin:/sbin"

# Everything of a run lives here; cluster-down removes it but for logs/.
K8S_RUN="${JUNCTION_K8S_RUN:-${JUNCTION_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/junction}/k8s-run}"
KUBECONFIG_FILE="$K8S_RUN/kubeconfig"
K8S_PIDS="$K8S_RUN/pids"
K8S_LOGS="$K8S_RUN/logs"
K8S_HOST="$K8S_RUN/host-before"   # what the host had before cluster-up, for cluster-down

# Addresses only this cluster uses: the node's address on an interface of its own (a bridge with no port) (TEST-NET-2,
# RFC 5737: never routed; 192.0.2.0/24 is this machine's own network), the pods on a bridge of
# their own, the Services' virtual IPs (kube-proxy's iptables rules make them).
NODE_LINK=jk8s0
NODE_IP=198.51.100.1
CNI_BRIDGE=jk8s-cni0
CNI_NETWORK=junction-k8s
POD_CIDR=10.216.0.0/24
SERVICE_CIDR=10.217.0.0/24
SERVICE_API_IP=10.217.0.1
CLUSTER_DOMAIN=cluster.local
NODE_NAME=junction-node
GPU_NODE_NAME=junction-gpu-0
GPU_NODE_GPUS=2
# ports: the API server on the node address, everything else on 127.0.0.1
APISERVER_PORT=6443
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800

# The pause image the node's sandboxes run, built by helm/test/install-k8s and imported by cluster-up
PAUSE_IMAGE=junction.local/pause:1

# sysctls that kubelet and kube-proxy may set, restored by cluster-down
HOST_SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet
  net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.netfilter.nf_conntrack_max)
# host paths the kubelet, containerd and CNI write outside the run directory: removed by
# cluster-down when they did not exist before cluster-up (the shared ones only when empty)
HOST_PATHS_KUBELET=(/var/log/containers /var/log/pods /var/run/kubernetes /var/lib/kubelet /etc/kubernetes)
HOST_PATHS=("${HOST_PATHS_KUBELET[@]}" /var/lib/cni /etc/cni /opt/cni /var/run/netns)

k8s_bin() { "$JUNCTION_ROOT/helm/test/install-k8s" --bin-dir; }

kubectl_k() { "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

k8s_log() { printf '%s [%4ss] %s\n' "$(date -u +%H:%M:%S)" "$(( $(date +%s) - ${K8S_STARTED:-$(date +%s)} ))" "$*"; }

# k8s_start NAME COMMAND...: runs COMMAND in the background, detached (own session), its output
# in logs/NAME.log, its pid and binary in pids/NAME.pid
k8s_start() {
  local name=$1 exe
  shift
  exe=$(readlink -f "$(command -v "$1")")
  mkdir -p "$K8S_PIDS" "$K8S_LOGS"
  setsid "$@" </dev/null >"$K8S_LOGS/$name.log" 2>&1 &
  printf '%s %s\n' "$!" "$exe" >"$K8S_PIDS/$name.pid"
  k8s_log "started $name (pid $!)"
}

# k8s_alive NAME: the process cluster-up started as NAME runs (its pid still runs its binary, so a
# reused pid is never taken for it)
k8s_alive() {
  local pid exe
  read -r pid exe 2>/dev/null <"$K8S_PIDS/$1.pid" || return 1
  [[ -n "$pid" && "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$exe" ]]
}

# k8s_stop NAME [SECONDS]: SIGTERM to the pid cluster-up recorded, SIGKILL after SECONDS (10)
k8s_stop() {
  local name=$1 grace=${2:-10} pid exe i
  read -r pid exe 2>/dev/null <"$K8S_PIDS/$name.pid" || return 0
  if k8s_alive "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 5; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.2; done
    if [[ -d /proc/$pid ]]; then
      k8s_log "$name (pid $pid) still runs after ${grace}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 25; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.2; done
    fi
    k8s_log "stopped $name (pid $pid)"
  fi
  rm -f "$K8S_PIDS/$name.pid"
}

# k8s_wait SECONDS WHAT COMMAND...: runs COMMAND about every second until it succeeds; fails
# naming WHAT (and the logs to read) once SECONDS have passed
k8s_wait() {
  local seconds=$1 what=$2 started elapsed next_note=15
  shift 2
  started=$(date +%s)
  while true; do
    elapsed=$(( $(date +%s) - started ))
    if "$@" >/dev/null 2>&1; then
      k8s_log "$what: after ${elapsed}s"
      return 0
    fi
    ((elapsed < seconds)) || break
    if ((elapsed >= next_note)); then
      k8s_log "waiting for $what (${elapsed}s of ${seconds}s)"
      next_note=$((elapsed + 15))
    fi
    sleep 1
  done
  junction_fail "$what: not within ${seconds}s (logs: $K8S_LOGS, moved to $K8S_RUN.logs by cluster-down)"
}
