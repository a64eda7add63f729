#!/usr/bin/env python3
"""One run's results (run_peers.sh and run_idle.sh JSON lines in one file) as the table of docs/PERFORMANCE.md and as
two plots: server CPU per delivered frame, and p99 latency, against the number of clients, one line per server.

    Benchmarks/peers/report.py RESULTS.jsonl [--plots DIR]     # plots need matplotlib (pip install matplotlib)

CPU per frame = the server's CPU time in the window / the frames it delivered in it. "Saturated" names the side that
ran out first: the load generator when one of its threads reached 90 % of a core, the server when it used 90 % of a
core per thread it can use (one for the single-threaded peers), the machine when both cores were busy."""
import argparse
import json
import os
import sys

# Event-loop threads each server can use on this 2-core machine (ticker and gorilla: one per core).
THREADS = {"ticker": 2, "gorilla": 2}


def load(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    runs = [r for r in rows if r.get("kind") != "idle"]
    idle = {(r["label"], r.get("idle_clients")): r for r in rows if r.get("kind") == "idle"}
    return runs, idle


def cpu_us_per_frame(run):
    frames = run.get("frames_per_s") or 0
    cpu = run.get("server_cpu_pct")
    return None if not frames or cpu is None else cpu / 100 * 1e6 / frames


def saturated(run):
    label = run["label"].split("-")[0]
    if run.get("loadgen_cpu_pct_max_proc", 0) >= 90:
        return "load generator"
    if run.get("server_cpu_pct", 0) >= 90 * THREADS.get(label, 1):
        return "server"
    if run.get("host_cpu_busy_pct", 0) >= 190:
        return "machine"
    return "none"


def fmt(value, digits=1):
    return "-" if value is None else (f"{value:.{digits}f}" if isinstance(value, float) else str(value))


def table(runs, idle):
    print("| server | clients | delivery | gaps | conflated | p50 / p99 ms | server CPU % | CPU µs/frame | load generator CPU % (busiest thread) "
          "| saturated first | KiB per idle connection (5,000 / 10,000) |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---|---|---|")
    for run in runs:
        label = run["label"]
        if "error" in run:
            print(f"| {label} | {run.get('clients')} | error: {run['error']} | | | | | | | | |")
            continue
        memory = " / ".join(fmt(idle.get((label, n), {}).get("kib_per_conn")) for n in (5000, 10000))
        print(f"| {label} | {run['clients']:,} | {run['delivery_ratio']:.3f} | {run['gaps']} | {run.get('conflated', 0)} "
              f"| {fmt(run.get('lat_p50_ms'))} / {fmt(run.get('lat_p99_ms'))} | {fmt(run.get('server_cpu_pct'))} "
              f"| {fmt(cpu_us_per_frame(run), 2)} | {fmt(run.get('loadgen_cpu_pct'))} ({fmt(run.get('loadgen_cpu_pct_max_proc'))}) "
              f"| {saturated(run)} | {memory} |")


def plots(runs, directory):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    servers = sorted({r["label"] for r in runs if "error" not in r}, key=lambda s: (s != "ticker", s))
    for key, title, ylabel, name in [
        (cpu_us_per_frame, "Server CPU per delivered frame (8.3 KB, 50 quotes)", "µs of CPU per frame", "bench-cpu-per-frame.png"),
        (lambda r: r.get("lat_p99_ms"), "Tick-to-client latency, p99 (50 probe connections)", "p99 latency (ms)", "bench-p99-latency.png"),
    ]:
        figure, axes = plt.subplots(figsize=(8, 4.5), dpi=110)
        for server in servers:
            points = sorted((r["clients"], key(r)) for r in runs if r["label"] == server and "error" not in r and key(r) is not None)
            if points:
                axes.plot([p[0] for p in points], [p[1] for p in points], marker="o", linewidth=2.5 if server == "ticker" else 1.5,
                          label=server)
        axes.set_xscale("log")
        axes.set_xlabel("clients subscribed to every symbol (10 ticks/s)")
        axes.set_ylabel(ylabel)
        axes.set_title(title)
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
        figure.tight_layout()
        figure.savefig(os.path.join(directory, name))
        print(f"wrote {os.path.join(directory, name)}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("results")
    parser.add_argument("--plots", help="directory for the PNG plots")
    args = parser.parse_args()
    runs, idle = load(args.results)
    table(runs, idle)
    if args.plots:
        plots(runs, args.plots)


if __name__ == "__main__":
    main()
