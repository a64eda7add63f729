"""Shared simulated quote feed + subscription bookkeeping for the Python peer servers.

Only the benchmark subset of ticker.v1 (docs/PROTOCOL.md):
welcome on connect, subscribe/unsubscribe -> subscribed + snapshot, ping -> pong,
one `quotes` frame per tick.  A tick is serialized once per distinct subscription
set, and the same bytes go to every client in that group.
"""
import argparse
import json
import random
import time

PROTOCOL = "ticker.v1"
HEARTBEAT_MS = 5000

_BASE = [
    ("AAPL", "Apple Inc."), ("MSFT", "Microsoft Corp."), ("GOOGL", "Alphabet Inc."),
    ("AMZN", "Amazon.com Inc."), ("NVDA", "NVIDIA Corp."), ("META", "Meta Platforms Inc."),
    ("TSLA", "Tesla Inc."), ("BRK.B", "Berkshire Hathaway"), ("JPM", "JPMorgan Chase"),
    ("V", "Visa Inc."), ("JNJ", "Johnson & Johnson"), ("WMT", "Walmart Inc."),
    ("PG", "Procter & Gamble"), ("MA", "Mastercard Inc."), ("UNH", "UnitedHealth Group"),
    ("HD", "Home Depot"), ("DIS", "Walt Disney Co."), ("BAC", "Bank of America"),
    ("XOM", "Exxon Mobil"), ("KO", "Coca-Cola Co."), ("PEP", "PepsiCo Inc."),
    ("CSCO", "Cisco Systems"), ("ORCL", "Oracle Corp."), ("INTC", "Intel Corp."),
    ("AMD", "Advanced Micro Devices"), ("NFLX", "Netflix Inc."), ("ADBE", "Adobe Inc."),
    ("CRM", "Salesforce Inc."), ("NKE", "Nike Inc."), ("MCD", "McDonald's Corp."),
    ("T", "AT&T Inc."), ("VZ", "Verizon"), ("PFE", "Pfizer Inc."), ("MRK", "Merck & Co."),
    ("ABBV", "AbbVie Inc."), ("CVX", "Chevron Corp."), ("WFC", "Wells Fargo"),
    ("BA", "Boeing Co."), ("IBM", "IBM"), ("QCOM", "Qualcomm"), ("TXN", "Texas Instruments"),
    ("COST", "Costco"), ("AVGO", "Broadcom Inc."), ("SBUX", "Starbucks"), ("GS", "Goldman Sachs"),
    ("MS", "Morgan Stanley"), ("CAT", "Caterpillar"), ("UBER", "Uber Technologies"),
    ("PYPL", "PayPal Holdings"), ("SHOP", "Shopify Inc."),
]


def make_symbols(n):
    out = list(_BASE[:n])
    for i in range(len(out), n):
        out.append((f"SYM{i:04d}", f"Synthetic {i}"))
    return out


def common_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--symbols", type=int, default=50)
    p.add_argument("--tick-ms", type=int, default=100)
    p.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop")
    p.add_argument("--seed", type=int, default=1)
    return p


def install_loop(kind):
    if kind == "uvloop":
        try:
            import uvloop
            uvloop.install()
            return "uvloop"
        except ImportError:
            pass
    return "asyncio"


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


def now_us():
    return time.time_ns() // 1000


def parse_offered_protocols(header_value):
    """Returns (ok, echo): ok=False -> refuse with 400; echo = value to echo or None."""
    if not header_value:
        return True, None
    offered = [p.strip() for p in header_value.split(",") if p.strip()]
    if PROTOCOL in offered:
        return True, PROTOCOL
    return False, None


class Feed:
    def __init__(self, nsym, tick_ms, seed=1):
        self.rng = random.Random(seed)
        self.tick_ms = tick_ms
        self.symbols = make_symbols(nsym)
        self.names = [s for s, _ in self.symbols]
        self.known = set(self.names)
        self.seq = 0
        self.ts = now_us()
        self.state = {}
        for sym in self.names:
            p = round(self.rng.uniform(20, 500), 2)
            self.state[sym] = {
                "symbol": sym, "price": p, "bid": round(p - 0.01, 2), "ask": round(p + 0.01, 2),
                "open": p, "high": p, "low": p, "prevClose": p, "change": 0.0, "changePct": 0.0,
                "volume": self.rng.randint(100_000, 5_000_000),
            }
        self.quote_json = {s: dumps(q) for s, q in self.state.items()}
        self.welcome = dumps({
            "type": "welcome", "protocol": PROTOCOL,
            "symbols": [{"symbol": s, "name": n} for s, n in self.symbols],
            "tickIntervalMs": tick_ms, "heartbeatIntervalMs": HEARTBEAT_MS,
        })

    def tick(self):
        """Random-walk every symbol; returns the list of changed symbols."""
        self.seq += 1
        self.ts = now_us()
        g = self.rng.gauss
        ri = self.rng.randint
        qj = self.quote_json
        for sym, q in self.state.items():
            p = round(max(0.01, q["price"] * (1.0 + g(0.0, 0.0008))), 2)
            q["price"] = p
            q["bid"] = round(p - 0.01, 2)
            q["ask"] = round(p + 0.01, 2)
            if p > q["high"]:
                q["high"] = p
            if p < q["low"]:
                q["low"] = p
            ch = round(p - q["prevClose"], 2)
            q["change"] = ch
            q["changePct"] = round(ch / q["prevClose"] * 100.0, 2)
            q["volume"] += ri(0, 5000)
            qj[sym] = dumps(q)
        return self.names

    def frame(self, kind, syms):
        """kind = 'quotes' | 'snapshot'; syms = iterable of symbols (order kept)."""
        qj = self.quote_json
        body = ",".join(qj[s] for s in syms)
        return '{"type":"%s","seq":%d,"ts":%d,"quotes":[%s]}' % (kind, self.seq, self.ts, body)


class Subscriptions:
    """client -> frozenset of symbols; groups: frozenset -> set(clients)."""

    def __init__(self, feed):
        self.feed = feed
        self.all = frozenset(feed.names)
        self.of = {}
        self.groups = {}

    def _move(self, client, new):
        old = self.of.get(client)
        if old is not None:
            g = self.groups.get(old)
            if g is not None:
                g.discard(client)
                if not g:
                    del self.groups[old]
        self.of[client] = new
        if new:
            self.groups.setdefault(new, set()).add(client)

    def remove(self, client):
        old = self.of.pop(client, None)
        if old is not None:
            g = self.groups.get(old)
            if g is not None:
                g.discard(client)
                if not g:
                    del self.groups[old]

    def handle(self, client, raw):
        """Returns a list of str messages to send back to this client."""
        try:
            msg = json.loads(raw)
            if not isinstance(msg, dict):
                raise ValueError
        except Exception:
            return [dumps({"type": "error", "code": "bad_message", "message": "not a JSON object"})]
        t = msg.get("type")
        if t in ("subscribe", "unsubscribe"):
            syms = msg.get("symbols")
            if not isinstance(syms, list) or not all(isinstance(s, str) for s in syms):
                return [dumps({"type": "error", "code": "bad_message", "message": "symbols must be a list of strings"})]
            req = self.all if "*" in syms else frozenset(syms)
            unknown = sorted(req - self.feed.known)
            out = []
            if unknown:
                out.append(dumps({"type": "error", "code": "unknown_symbol", "message": "unknown: " + ",".join(unknown)}))
                req = req & self.feed.known
            cur = self.of.get(client, frozenset())
            if t == "subscribe":
                new = cur | req
                added = [s for s in self.feed.names if s in new and s not in cur]
            else:
                new = cur - req
                added = []
            self._move(client, frozenset(new))
            out.append(dumps({"type": "subscribed", "symbols": [s for s in self.feed.names if s in new]}))
            if added:
                out.append(self.feed.frame("snapshot", added))
            return out
        if t == "ping":
            return [dumps({"type": "pong", "id": msg.get("id"), "ts": now_us()})]
        return [dumps({"type": "error", "code": "unknown_type", "message": f"unknown type {t!r}"})]

    def tick_frames(self):
        """Yields (clients, payload_str) once per distinct subscription set."""
        names = self.feed.names
        for key, clients in self.groups.items():
            if key is self.all or key == self.all:
                yield clients, self.feed.frame("quotes", names)
            else:
                yield clients, self.feed.frame("quotes", [s for s in names if s in key])


async def tick_loop(feed, on_tick):
    """Ticks at a fixed cadence; if it falls behind it skips missed slots (no burst)."""
    import asyncio
    loop = asyncio.get_running_loop()
    period = feed.tick_ms / 1000.0
    nxt = loop.time() + period
    while True:
        await asyncio.sleep(max(0.0, nxt - loop.time()))
        feed.tick()
        on_tick()
        nxt += period
        now = loop.time()
        if nxt < now:
            nxt = now
