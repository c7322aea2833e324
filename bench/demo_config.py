"""Prints Junction's demo config (demo.yaml) for bench/run, with its placeholders filled as ConfigLoader fills them,
and optional changes for a scenario (standard library only).

usage: python demo_config.py DEMO_YAML REPOSITORY [--chat-fuse-off] [--admission MAX_IN_FLIGHT BATCH_SHARE POOL_MAX_IN_FLIGHT]"""
import json
import os
import re
import sys


def part(cpus, m):  # as ConfigLoader.cpuPart: the K-th of N equal runs of this process's CPUs
    k, n = int(m.group(1)), int(m.group(2))
    if len(cpus) < n:
        return '"%d"' % cpus[k % len(cpus)]
    per = len(cpus) // n
    return '"%s"' % ",".join(map(str, cpus[k * per:(len(cpus) if k == n - 1 else (k + 1) * per)]))


def main(args):
    text = open(args[0]).read().replace("${repository}", json.dumps(args[1]))
    cpus = sorted(os.sched_getaffinity(0))
    text = re.sub(r"\$\{cpus:(\d+)/(\d+)\}", lambda m: part(cpus, m), text)
    rest = args[2:]
    if "--chat-fuse-off" in rest:
        text, n = re.subn(r"(?m)^(  - name: chat\n)", r"\1    fuse: false\n", text)
        assert n == 1, "demo.yaml: no pipeline named chat"
    if "--admission" in rest:
        i = rest.index("--admission")
        max_in_flight, batch_share, pool_max_in_flight = rest[i + 1:i + 4]
        text, n = re.subn(r"(?m)^(    kind: local\n)", r"\1    max_in_flight: %s\n" % pool_max_in_flight, text)
        assert n == 2, "demo.yaml: expected two local pools"
        text, n = re.subn(r"(?m)^pools:\n", "admission: {max_in_flight: %s, batch_share: %s}\n\npools:\n"
                          % (max_in_flight, batch_share), text)
        assert n == 1, "demo.yaml: no pools:"
    print(text, end="")


if __name__ == "__main__":
    main(sys.argv[1:])
