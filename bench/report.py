"""Writes bench/RESULTS.md and bench/results.json from one bench/run output folder (standard library only).

usage: python report.py OUT_DIR RESULTS.md results.json
       python report.py --overload-section OVERLOAD.json   (prints that section alone, as markdown)"""
import glob
import json
import os
import sys

PEERS_3STEP = ["fastapi", "triton", "mlserver", "mlserver-http", "ray"]
SYSTEM_NAMES = {
    "junction": "Junction: a pipeline on one pool of one worker, PipelineService.Run",
    "junction-fuse-off": "the same with fuse: false on the pipeline (one worker call a step)",
    "junction-batching-off": "the same with batching: false on the pool (no dynamic batching in the worker)",
    "fastapi": "FastAPI + uvicorn + TF, one process, HTTP/JSON",
    "triton": "Triton ensemble of python-backend models (dynamic batching), ModelInfer over gRPC",
    "mlserver": "MLServer, one runtime chaining the steps, ModelInfer over gRPC",
    "mlserver-http": "the same MLServer over its REST JSON endpoint",
    "ray": "Ray Serve, a deployment per step composed with DeploymentHandles, HTTP/JSON",
}


def load(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


def closed(result, clients):
    for r in (result or {}).get("runs", []):
        if r["mode"] == "closed" and r["clients"] == clients:
            return r
    return None


def ms(us):
    return f"{us / 1000:.3f}"


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def fmt_ratio(x):
    return "n/a" if x is None else f"{x:.2f}x"


def overload_section(o):
    """Issue 13's admission and priority figures (OverloadProbe's JSON) as markdown lines."""
    c, ov, idle, sat, b = o["capacity"], o["overload"], o["interactive_idle"], o["interactive_saturated"], o["batch"]
    mib = lambda kb: f"{kb / 1024:.0f} MiB"
    out = ["## Overload and priorities: admission at the door (issue 13)", ""]
    out.append(f"Junction's demo (`Recommend`) with `admission: {{max_in_flight: {o.get('admission_max_in_flight', '?')}, "
               f"batch_share: {o.get('admission_batch_share', '?')}}}` and `max_in_flight: {o.get('pool_max_in_flight', '?')}` "
               f"on each pool (`OverloadProbe`; {o['seconds']} s a stage). Capacity is the throughput of a closed loop at "
               f"{o.get('clients', 64)} clients; overload is an open loop at {o['factor']:g}x that, latency counted from "
               f"each request's intended send time. A refusal counts only as `RESOURCE_EXHAUSTED` from admission; "
               f"anything else is an error.")
    out.append("")
    out.append("| stage | offered | served | p50 | p99 | refused at the door | refusal p99 | other errors |")
    out.append("|---|---|---|---|---|---|---|---|")
    out.append(f"| capacity, closed loop | {o.get('clients', 64)} clients | {c['succeeded']} ({c['throughput']:.0f} req/s) | "
               f"{ms(c['p50_us'])} ms | {ms(c['p99_us'])} ms | {c['refused']} | - | {c['other_errors']} |")
    out.append(f"| overload, open loop | {ov['offered_rate']:.0f} req/s | {ov['succeeded']} ({ov['throughput']:.0f} req/s) | "
               f"{ms(ov['p50_us'])} ms | {ms(ov['p99_us'])} ms | {ov['refused']} | {ms(ov['refused_p99_us'])} ms | "
               f"{ov['other_errors']} |")
    out.append(f"| interactive alone | {o.get('interactive_clients', 4)} clients | {idle['succeeded']} | {ms(idle['p50_us'])} ms | "
               f"{ms(idle['p99_us'])} ms | {idle['refused']} | - | {idle['other_errors']} |")
    out.append(f"| interactive under batch saturation | {o.get('interactive_clients', 4)} clients | {sat['succeeded']} | "
               f"{ms(sat['p50_us'])} ms | {ms(sat['p99_us'])} ms | {sat['refused']} | - | {sat['other_errors']} |")
    out.append(f"| batch meanwhile (`junction-priority: batch`) | {ov['offered_rate']:.0f} req/s | {b['succeeded']} | "
               f"{ms(b['p50_us'])} ms | {ms(b['p99_us'])} ms | {b['refused']} (shed) | {ms(b['refused_p99_us'])} ms | "
               f"{b['other_errors']} |")
    out.append("")
    out.append(f"Admitted requests served at overload: {ov['admitted_success_rate'] * 100:.2f} %. Interactive p99 under batch "
               f"saturation: {sat['p99_ratio_to_idle']:.2f}x the idle one. Orchestrator RSS: {mib(ov['rss_kb_before'])} "
               f"before the overload, {mib(ov['rss_kb_after'])} right after, {mib(ov['rss_kb_idle'])} 3 s later"
               + (f"; Java heap in use after a full GC {mib(ov['heap_after_gc_kb_before'])} before, "
                  f"{mib(ov['heap_after_gc_kb_after'])} after" if ov.get("heap_after_gc_kb_after", -1) >= 0 else "")
               + ".")
    out.append("")
    return out


def main(out, md_path, json_path):
    meta = load(os.path.join(out, "meta.json"), {})
    versions = load(os.path.join(out, "versions.json"), {})
    end = load(os.path.join(out, "end.json"), {})
    results = {}
    for p in sorted(glob.glob(os.path.join(out, "*.json"))):
        d = load(p)
        if isinstance(d, dict) and "runs" in d:
            results[d["label"]] = d
    rss = {}
    for p in sorted(glob.glob(os.path.join(out, "rss-*.json"))):
        d = load(p)
        rss[d["system"]] = d

    lines = []
    w = lines.append
    w("# Benchmark results")
    w("")
    w(f"Produced by `{meta.get('command', 'bench/run')}` ({meta.get('mode')} mode) on {meta.get('date')}, "
      f"in {end.get('elapsed_seconds', '?')} s. Every figure below is from this one run, one system at a time on "
      f"this machine, with our load generator (`bench/src`); compare only figures of one run.")
    w("")
    w(f"**Commit measured:** `{meta.get('commit')}` ({meta.get('commit_subject')})"
      + ("" if meta.get("worktree_clean") else " with uncommitted changes in the worktree") + ". "
      f"The last commit that changed Junction's own code (orchestrator, workers, models, proto, bin) is "
      f"`{meta.get('junction_code_commit', '?')}`.")
    w("")
    loads = [f"{k}: {v['load']}" for k, v in rss.items()]
    w(f"**Load average** (1, 5, 15 min) at start {meta.get('load_at_start')}, at end {end.get('load_at_end')}; "
      f"after each system: {'; '.join(loads) or 'n/a'}. On {meta.get('nproc')} cores a load well above the "
      f"system's own share means other work shared the machine during the run.")
    extra_note = os.environ.get("BENCH_NOTE")
    if extra_note:
        w("")
        w(f"**Note:** {extra_note}")
    w("")
    w("## Machine and versions")
    w("")
    w("| what | value |")
    w("|---|---|")
    w(f"| cores (`nproc`) | {meta.get('nproc')} |")
    w(f"| CPU | {meta.get('cpu')} |")
    w(f"| memory | {round(meta.get('memory_kb', 0) / 1048576, 1)} GiB |")
    w(f"| kernel | {meta.get('kernel')} |")
    w(f"| JDK | {meta.get('java')} |")
    w(f"| Python | {meta.get('python')} |")
    for k, v in versions.items():
        w(f"| {k} | {v} |")
    first = meta.get('first_warmup_seconds')
    extra = f"; {first} s before each run of the first call on a freshly started system" if first else ""
    w(f"| runs | warm-up {meta.get('warmup_seconds')} s (not counted{extra}), then {meta.get('seconds')} s measured, per run |")
    w("")
    w("Latencies in ms; throughput in correct answers per second. Errors count failed calls and wrong answers "
      "(every answer is checked against a reference computed by TensorFlow in Python). Closed loop: N clients, each "
      "sending its next request when the previous one is answered. Open loop: fixed rate, latency from each "
      "request's intended send time (free of coordinated omission).")
    w("")

    summary = {"meta": meta, "versions": versions, "end": end, "rss": rss, "results": results,
               "ratios": [], "overhead": None, "acceptance": []}

    def table(title, labels):
        w(f"### {title}")
        w("")
        w("| system | clients | req/s | p50 | p90 | p99 | p99.9 | errors | answers checked |")
        w("|---|---|---|---|---|---|---|---|---|")
        for label in labels:
            d = results.get(label)
            if not d:
                continue
            chk = d.get("check", {})
            checked = f"{chk.get('correct')}/{chk.get('cases')}" + (f" ({chk['first_error']})" if "first_error" in chk else "")
            for r in d["runs"]:
                if r["mode"] != "closed":
                    continue
                w(f"| {label} | {r['clients']} | {r['throughput']:.1f} | {ms(r['p50_us'])} | {ms(r['p90_us'])} | "
                  f"{ms(r['p99_us'])} | {ms(r['p999_us'])} | {r['errors']} | {checked} |")
        w("")
        open_rows = [(label, r) for label in labels for r in results.get(label, {}).get("runs", []) if r["mode"] == "open"]
        if open_rows:
            w("Open loop (offered rates are fractions of the system's best closed-loop throughput):")
            w("")
            w("| system | offered req/s | achieved req/s | p50 | p90 | p99 | p99.9 | errors | sent late |")
            w("|---|---|---|---|---|---|---|---|---|")
            for label, r in open_rows:
                w(f"| {label} | {r['rate']:.0f} | {r['throughput']:.1f} | {ms(r['p50_us'])} | {ms(r['p90_us'])} | "
                  f"{ms(r['p99_us'])} | {ms(r['p999_us'])} | {r['errors']} | {r['late_sends']} |")
            w("")

    def ratios(workload, junction_label, peer_labels):
        rows = []
        for peer in peer_labels:
            for c in (1, 8, 64):
                j, p = closed(results.get(junction_label), c), closed(results.get(peer), c)
                if not j or not p:
                    continue
                row = {"workload": workload, "peer": peer, "clients": c,
                       "throughput_ratio": ratio(j["throughput"], p["throughput"]),
                       "p50_ratio": ratio(p["p50_us"], j["p50_us"]), "p99_ratio": ratio(p["p99_us"], j["p99_us"])}
                rows.append(row)
        if rows:
            w(f"Junction against each peer ({workload}): throughput = Junction's ÷ the peer's; latency = the peer's ÷ "
              "Junction's (above 1: Junction is faster).")
            w("")
            w("| peer | clients | throughput | p50 | p99 |")
            w("|---|---|---|---|---|")
            for r in rows:
                w(f"| {r['peer']} | {r['clients']} | {fmt_ratio(r['throughput_ratio'])} | {fmt_ratio(r['p50_ratio'])} | "
                  f"{fmt_ratio(r['p99_ratio'])} |")
            w("")
        summary["ratios"].extend(rows)

    w("## 3-step pipeline (pre -> mlp -> post)")
    w("")
    labels = [l for l in results if l.endswith(".threestep")]
    labels.sort(key=lambda l: (0 if l.startswith("junction") else 1, l))
    for label in labels:
        system = label[: -len(".threestep")]
        w(f"- `{label}`: {SYSTEM_NAMES.get(system, system)}")
    w("")
    table("Closed loop", labels)
    ratios("threestep", "junction.threestep", [f"{p}.threestep" for p in PEERS_3STEP])
    w(meta.get("variants_note", ""))
    w("")

    paths = {r.get("path"): r for r in results.get("junction.mlp-overhead", {}).get("runs", [])}
    direct, orch = paths.get("direct"), paths.get("orchestrator")
    w("## Per-step overhead")
    w("")
    if direct and orch:
        over = {"direct_p50_us": direct["p50_us"], "orchestrator_p50_us": orch["p50_us"],
                "overhead_p50_us": round(orch["p50_us"] - direct["p50_us"], 2),
                "direct_p99_us": direct["p99_us"], "orchestrator_p99_us": orch["p99_us"]}
        summary["overhead"] = over
        rounds = results["junction.mlp-overhead"].get("rounds")
        w(f"One model (`mlp`), one client, `ModelInfer` straight to the worker's port and the same call through the "
          f"orchestrator, in {rounds} alternating rounds of the same run (each path's figures pool its rounds):")
        w("")
        w("| path | req/s | p50 | p99 | errors |")
        w("|---|---|---|---|---|")
        w(f"| direct to the worker | {direct['throughput']:.1f} | {ms(direct['p50_us'])} | {ms(direct['p99_us'])} | {direct['errors']} |")
        w(f"| through the orchestrator | {orch['throughput']:.1f} | {ms(orch['p50_us'])} | {ms(orch['p99_us'])} | {orch['errors']} |")
        w("")
        w(f"Orchestrator overhead, p50: **{over['overhead_p50_us']:.0f} µs**"
          + (" (negative: below the noise of this run)." if over["overhead_p50_us"] < 0 else "."))
    else:
        w("Not measured in this run.")
    w("")

    for workload in ("recommend", "chat"):
        w(f"## {workload}: Junction's demo against FastAPI + TF in one process")
        w("")
        table("Closed loop", [l for l in (f"junction.{workload}", f"junction-fuse-off.{workload}", f"fastapi.{workload}")
                              if l in results])
        ratios(workload, f"junction.{workload}", [f"fastapi.{workload}"])

    streams = load(os.path.join(out, "streams-junction.json"))
    summary["streams"] = streams
    if streams:
        mib = lambda k: f"{streams[k] / 1024:.0f} MiB"
        w("## Many conversations held open: the orchestrator's memory")
        w("")
        w(f"On the demo, after its recommend and chat runs (`StreamsProbe`): {streams['chats']} `Chat` streams each "
          f"make one turn and stay open, idle; {streams['streams']} `ConverseStream` calls run meanwhile; every Chat "
          f"stream makes a second turn; then all close. Every reply is checked against the chat reference "
          f"({streams['errors']} errors). Resident memory of the orchestrator process alone (its workers are not "
          f"affected by idle streams):")
        w("")
        w("| moment | orchestrator RSS |")
        w("|---|---|")
        w(f"| before the streams | {mib('rss_kb_before')} |")
        w(f"| {streams['chats']} Chat streams open after one turn each | {mib('rss_kb_open')} |")
        w(f"| after {streams['streams']} ConverseStream calls and a second turn on each Chat stream | {mib('rss_kb_after')} |")
        w(f"| after all streams closed | {mib('rss_kb_closed')} |")
        w("")
        w(f"Per open Chat stream: {(streams['rss_kb_open'] - streams['rss_kb_before']) / streams['chats']:.1f} KiB of "
          f"RSS growth (a JVM's heap grows in steps, so this is an upper bound). The whole probe took "
          f"{streams['seconds']:.1f} s.")
        w("")

    overload = load(os.path.join(out, "overload-junction.json"))
    summary["overload"] = overload
    if overload:
        for line in overload_section(overload):
            w(line)

    w("## Resident memory of each system's whole process tree")
    w("")
    w("Taken after the system's runs (models loaded and warm), summed over the process, its descendants and its session.")
    w("")
    w("| system | RSS |")
    w("|---|---|")
    for k, v in rss.items():
        w(f"| {k} | {v['rss_kb'] / 1048576:.2f} GiB |")
    w("")

    # The acceptance figures of issue 11, read off this run.
    def acc(what, ok, detail):
        summary["acceptance"].append({"criterion": what, "met": ok, "detail": detail})

    j1, f1 = closed(results.get("junction.threestep"), 1), closed(results.get("fastapi.threestep"), 1)
    if j1 and f1:
        acc("3-step, 1 client: Junction p50 below FastAPI's and below 1.0 ms",
            j1["p50_us"] < f1["p50_us"] and j1["p50_us"] < 1000, f"Junction {ms(j1['p50_us'])} ms, FastAPI {ms(f1['p50_us'])} ms")
    for c in (8, 64):
        j, t, f = (closed(results.get(f"{s}.threestep"), c) for s in ("junction", "triton", "fastapi"))
        if j and t and f:
            acc(f"3-step, {c} clients: >= 2x Triton's and >= 3x FastAPI's throughput, p99 below both",
                j["throughput"] >= 2 * t["throughput"] and j["throughput"] >= 3 * f["throughput"]
                and j["p99_us"] < t["p99_us"] and j["p99_us"] < f["p99_us"],
                f"req/s {j['throughput']:.0f} vs Triton {t['throughput']:.0f}, FastAPI {f['throughput']:.0f}; "
                f"p99 {ms(j['p99_us'])} vs {ms(t['p99_us'])}, {ms(f['p99_us'])} ms")
    for workload, p50_limit in (("recommend", 1500), ("chat", 3000)):
        j1, j64, f64 = (closed(results.get(f"junction.{workload}"), 1), closed(results.get(f"junction.{workload}"), 64),
                        closed(results.get(f"fastapi.{workload}"), 64))
        if j1 and j64 and f64:
            acc(f"{workload}: >= 3x FastAPI's throughput at 64 clients; 1 client p50 <= {p50_limit / 1000:.1f} ms",
                j64["throughput"] >= 3 * f64["throughput"] and j1["p50_us"] <= p50_limit,
                f"req/s {j64['throughput']:.0f} vs {f64['throughput']:.0f}; p50 {ms(j1['p50_us'])} ms")
    on, off = closed(results.get("junction.threestep"), 64), closed(results.get("junction-batching-off.threestep"), 64)
    if on and off:
        acc("3-step, 64 clients: batching on >= 3x the throughput of batching off", on["throughput"] >= 3 * off["throughput"],
            f"req/s {on['throughput']:.0f} on, {off['throughput']:.0f} off ({ratio(on['throughput'], off['throughput'])}x)")
    fused1, fused64 = closed(results.get("junction.chat"), 1), closed(results.get("junction.chat"), 64)
    unfused1, unfused64 = closed(results.get("junction-fuse-off.chat"), 1), closed(results.get("junction-fuse-off.chat"), 64)
    if fused1 and fused64 and unfused1 and unfused64:
        acc("fusion on against off, shown for chat", True,
            f"1 client p50 {ms(fused1['p50_us'])} ms fused, {ms(unfused1['p50_us'])} ms unfused; 64 clients req/s "
            f"{fused64['throughput']:.0f} fused, {unfused64['throughput']:.0f} unfused "
            f"({ratio(fused64['throughput'], unfused64['throughput'])}x)")
    if summary["overhead"]:
        acc("orchestrator overhead for a single-model call <= 150 us p50", summary["overhead"]["overhead_p50_us"] <= 150,
            f"{summary['overhead']['overhead_p50_us']:.0f} us")
    w("## Issue 11's acceptance figures, read off this run")
    w("")
    w("| criterion | met | figures |")
    w("|---|---|---|")
    for a in summary["acceptance"]:
        w(f"| {a['criterion']} | {'yes' if a['met'] else 'no'} | {a['detail']} |")
    w("")
    if not (on and off):
        w("Batching on against off is not in this run (see the note under the 3-step tables).")
        w("")
    if not (fused1 and unfused1):
        w("Fusion on against off for chat is not in this run.")
        w("")

    with open(md_path, "w") as f:
        f.write("\n".join(lines))
    with open(json_path, "w") as f:
        json.dump(summary, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    if sys.argv[1] == "--overload-section":
        print("\n".join(overload_section(load(sys.argv[2]))))
    else:
        main(*sys.argv[1:4])
