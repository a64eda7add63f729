#!/usr/bin/env python3
"""Print one server's ticker.v1 wire behaviour, to compare peers side by side (fairness check).

  python3 Benchmarks/peers/wirecheck.py ws://127.0.0.1:PORT/ws

welcome size/keys, subscribed, snapshot, quote key order and number formatting, quotes frame
sizes over 12 ticks, seq continuity after the snapshot, pong, and the replies to malformed
messages.  Needs the `websockets` package.  One connection, ~2 s.
"""
import asyncio, json, sys, time
import websockets

async def main(url):
    out = {}
    async with websockets.connect(url, subprotocols=["ticker.v1"], compression=None, max_size=None) as ws:
        out["subprotocol"] = ws.subprotocol
        w = await ws.recv(); out["welcome_len"] = len(w); wj = json.loads(w)
        out["welcome_keys"] = list(wj); out["welcome_sym0"] = wj["symbols"][0]; out["welcome_sym29"] = wj["symbols"][29]; out["welcome_sym30"] = wj["symbols"][30]
        out["welcome_head"] = w[:120]
        await ws.send('{"type":"subscribe","symbols":["*"]}')
        sub = await ws.recv(); out["subscribed_len"] = len(sub); out["subscribed_head"] = sub[:60]
        snap = await ws.recv(); sj = json.loads(snap); out["snapshot"] = (sj["type"], len(sj["quotes"]), len(snap))
        out["snapshot_q0"] = json.dumps(sj["quotes"][0], separators=(",", ":"))
        sizes, seqs, lat = [], [], []
        t0 = time.time()
        for i in range(12):
            m = await ws.recv(); now = time.time_ns() // 1000
            j = json.loads(m); sizes.append(len(m)); seqs.append(j["seq"]); lat.append((now - j["ts"]) / 1000)
            if i == 0:
                out["quotes_keys"] = list(j); out["quote_keys"] = list(j["quotes"][0]); out["quotes_head"] = m[:80]
                out["quote0_raw"] = m[m.index('[') + 1: m.index('}') + 1]
        out["tick_ms_avg"] = round((time.time() - t0) / 12 * 1000, 1)
        out["quotes_sizes"] = (min(sizes), max(sizes)); out["seq_first_after_snap"] = (sj["seq"], seqs[0], seqs[-1])
        out["lat_ms"] = [round(x, 2) for x in lat[:5]]
        await ws.send('{"type":"ping","id":7}')
        while True:
            m = await ws.recv()
            if '"pong"' in m: out["pong"] = m; break
        for bad in ['nope', '[1]', '{"type":"subscribe","symbols":"x"}', '{"type":"zzz"}', '{"x":1}', '{"type":"subscribe","symbols":["ZZZ","AAPL"]}', '{"type":"ping"}']:
            await ws.send(bad)
            got = []
            while True:
                m = await ws.recv()
                if '"quotes"' in m[:20]: continue
                got.append(m if len(m) < 200 else m[:60] + '...'); 
                if not ('unknown_symbol' in m): break
            out["reply " + bad] = got
    for k, v in out.items(): print(f"{k}: {v}")

asyncio.run(main(sys.argv[1]))
