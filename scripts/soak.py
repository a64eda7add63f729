#!/usr/bin/env python3
"""Soak a running ticker server with WebSocket connect/subscribe/disconnect cycles (loopback only, stdlib only).

Each cycle: open a TCP connection, upgrade with subprotocol ticker.v1, read the welcome, subscribe to a few symbols,
read until the snapshot, then end the connection one of three ways in turn: a clean close (1000, waiting for the
server's close), closing the socket without a close frame, or a reset (SO_LINGER 0). The server's file descriptors and
resident memory are read from /proc after a warm-up and again after the cycles, once /healthz says every connection
and session is gone. Prints one JSON object; exits 1 if a leak is seen.

  scripts/soak.py --port 8080 --server-pid PID [--cycles 2000] [--concurrency 20] [--max-seconds 120]
"""
import argparse, base64, json, os, random, socket, struct, sys, threading, time, urllib.request
from concurrent.futures import ThreadPoolExecutor

SYMBOLS = ["AAPL", "MSFT", "NVDA", "TSLA", "AMZN", "GOOGL", "META", "JPM"]


def frame(opcode, payload):
    mask = os.urandom(4)
    header = bytes([0x80 | opcode])
    n = len(payload)
    header += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def read_frame(sock):
    b0, b1 = read_exact(sock, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", read_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", read_exact(sock, 8))[0]
    return b0 & 0x0F, read_exact(sock, n)


def cycle(port, index):
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ticker.v1\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += read_exact(sock, 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise ConnectionError(head.split(b"\r\n")[0].decode())
        read_frame(sock)  # welcome
        symbols = random.sample(SYMBOLS, 3)
        sock.sendall(frame(1, json.dumps({"type": "subscribe", "symbols": symbols}).encode()))
        while True:
            opcode, payload = read_frame(sock)
            if opcode == 1 and b'"type":"snapshot"' in payload:
                break
        ending = index % 3
        if ending == 0:  # clean close: send 1000, read until the server's close frame
            sock.sendall(frame(8, struct.pack("!H", 1000)))
            while read_frame(sock)[0] != 8:
                pass
        elif ending == 2:  # reset
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


def server_sample(pid):
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss = next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS:"))
    threads = len(os.listdir(f"/proc/{pid}/task"))
    return {"fds": fds, "rssKiB": rss, "threads": threads}


def health(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
        return json.loads(response.read())


def settle(port, deadline):
    """Waits (bounded) until the server holds no connection, session, stream or long poll."""
    while True:
        h = health(port)
        if h["connections"] == 0 and h.get("sessions", 0) == 0 and h.get("streams", 0) == 0 and h.get("longPolls", 0) == 0:
            return h
        if time.monotonic() > deadline:
            return h
        time.sleep(0.05)


def run(port, cycles, concurrency, deadline):
    failures, errors = 0, {}
    with ThreadPoolExecutor(concurrency) as pool:
        futures = []
        for i in range(cycles):
            if time.monotonic() > deadline:
                break
            futures.append(pool.submit(cycle, port, i))
        for future in futures:
            try:
                future.result(timeout=max(1, deadline - time.monotonic() + 15))
            except Exception as error:  # noqa: BLE001 - counted and reported
                failures += 1
                errors[type(error).__name__ + ": " + str(error)[:80]] = errors.get(type(error).__name__ + ": " + str(error)[:80], 0) + 1
    return len(futures), failures, errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--warmup-cycles", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--rss-slack-kib", type=int, default=8192, help="resident memory growth tolerated (allocator caches)")
    args = parser.parse_args()
    start = time.monotonic()
    deadline = start + args.max_seconds
    run(args.port, args.warmup_cycles, args.concurrency, deadline)
    settle(args.port, time.monotonic() + 20)
    baseline = server_sample(args.server_pid)
    done, failures, errors = run(args.port, args.cycles, args.concurrency, deadline)
    after_health = settle(args.port, time.monotonic() + 20)
    after = server_sample(args.server_pid)
    leaked = (after_health["connections"] != 0 or after_health.get("sessions", 0) != 0
              or after["fds"] > baseline["fds"] + 2 or after["rssKiB"] > baseline["rssKiB"] + args.rss_slack_kib)
    print(json.dumps({"cycles": done, "failures": failures, "errors": errors, "baseline": baseline, "after": after,
                      "health": after_health, "elapsedSeconds": round(time.monotonic() - start, 2), "leaked": leaked}))
    return 1 if leaked or failures else 0


if __name__ == "__main__":
    sys.exit(main())
