// ticker's browser dashboard: the browser's own WebSocket API against the ticker.v1 feed.
//
// Read it beside docs/PROTOCOL.md. Every part of the API this page uses is shown on screen:
//   new WebSocket(url, "ticker.v1")   the opening handshake, offering our subprotocol
//   ws.onopen / onmessage / onerror / onclose   the four events, written to the Events list
//   ws.send(...)                      subscribe, unsubscribe and ping messages (JSON text)
//   ws.close(code, reason)            the "close" button
//   ws.readyState, ws.bufferedAmount, ws.protocol, ws.extensions   the status bar, refreshed four times a second
// and one plain HTTP request per new row, GET /api/history, so its trend line starts from the server's recent prices.
"use strict";

const PROTOCOL = "ticker.v1";
const HISTORY = 60;                  // prices kept per symbol for the trend line
const FLASH_MS = 600;                // how long a changed cell stays highlighted
const BACKOFF_MIN_MS = 500;          // reconnect delays grow 0.5 s, 1 s, 2 s, ... up to 10 s, with ±20 % jitter
const BACKOFF_MAX_MS = 10000;
const READY_STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];   // the numeric readyState values 0..3, named

// The server is the host that served this page: ws:// for http://, wss:// for https://.
const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
// A server started with --token wants it; a browser cannot set headers on a WebSocket, so it goes in the query.
// Open the page as http://host:port/?token=... to pass it on.
const token = new URLSearchParams(location.search).get("token");
const socketURL = token ? `${url}?token=${encodeURIComponent(token)}` : url;

let ws = null;                       // the current WebSocket, or null
let wanted = ["*"];                  // what to (re)subscribe to on every open
let names = new Map();               // symbol -> company name, from the welcome message
let rows = new Map();                // symbol -> { quote, history, firstSeq, tr }
let attempts = 0;                    // reconnection attempts since a connection last served quotes
let reconnects = 0;                  // opens after the first
let opened = 0;
let closedByUser = false;
let reconnectTimer = null;
let arrivals = [];                   // receive times of the last second's messages
let latencies = [];                  // the last 512 tick-to-page latencies as measured (now - ts), in ms
let clockSamples = [];               // the last 16 pings: { offset: server clock - ours, rtt }, in ms
let lastSeq = 0;
let conflated = 0;
let epoch = null;                    // the current connection's epoch, from its welcome
let position = null;                 // { epoch, seq } of the last tick received: where a reconnection resumes from
let node = null;                     // the server this connection landed on (welcome's node)

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- connection

function connect() {
  clearTimeout(reconnectTimer);
  closedByUser = false;
  logEvent("connecting", `new WebSocket("${url}", "${PROTOCOL}")`);
  ws = new WebSocket(socketURL, PROTOCOL);      // offers Sec-WebSocket-Protocol: ticker.v1
  ws.onopen = onOpen;
  ws.onmessage = onMessage;
  ws.onerror = () => logEvent("error", "error event (the browser gives no detail; a close event follows)");
  ws.onclose = onClose;
  $("open").disabled = true;
  $("close").disabled = false;
}

function onOpen() {
  if (opened++ > 0) reconnects++;
  // ws.protocol: the subprotocol the server's 101 chose. ws.extensions: its Sec-WebSocket-Extensions. The browser always
  // offers permessage-deflate; when the server agrees, it compresses each quotes frame once, and every browser that
  // agreed gets the same compressed bytes.
  logEvent("open", `open: protocol "${ws.protocol || "(none)"}", extensions "${ws.extensions || "(none)"}"`);
  // A new connection starts with no subscriptions. After a drop, the subscribe asks to resume from the last tick seen:
  // the server then sends one quotes frame of what changed meanwhile ("resumed":true) instead of a snapshot.
  send(position ? { type: "subscribe", symbols: wanted, resume: position } : { type: "subscribe", symbols: wanted });
  ping();
  renderStatus();
}

function onClose(event) {
  // code and reason come from the server's close frame; 1006 means the connection dropped without one.
  const reason = event.reason ? ` "${event.reason}"` : "";
  logEvent("close", `close: code ${event.code}${reason}, wasClean ${event.wasClean}`);
  ws = null;
  $("open").disabled = false;
  renderStatus();
  if (closedByUser) return;
  if (event.code === 4401 || event.code === 4403) {
    // The server's access policy refused us (4401 token, 4403 origin): retrying cannot help.
    logEvent("error", event.code === 4401
      ? "not reconnecting: this server needs a token; open the page as /?token=YOUR_TOKEN"
      : "not reconnecting: this page's origin is not allowed by the server (--allowed-origin)");
    return;
  }
  attempts++;
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (attempts - 1));
  const delay = Math.round(base * (0.8 + Math.random() * 0.4));
  logEvent("reconnect", `reconnecting in ${(delay / 1000).toFixed(1)} s (attempt ${attempts})`);
  reconnectTimer = setTimeout(connect, delay);
}

function send(message) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

// ---------------------------------------------------------------- messages

function onMessage(event) {
  const now = Date.now();
  arrivals.push(now);
  let message;
  try {
    message = JSON.parse(event.data);
  } catch (error) {
    logEvent("error", `a message that is not JSON: ${String(event.data).slice(0, 80)}`);
    return;
  }
  switch (message.type) {
    case "welcome":
      names = new Map(message.symbols.map((entry) => [entry.symbol, entry.name]));
      $("symbol-list").replaceChildren(...message.symbols.map((entry) => new Option(entry.name, entry.symbol)));
      epoch = message.epoch ?? null;
      node = message.node ?? null;
      logEvent("message", `message: welcome, ${message.symbols.length} symbols, tick ${message.tickIntervalMs} ms${node ? `, node ${node}` : ""}`);
      renderStatus();
      break;
    case "subscribed":
      keepOnly(new Set(message.symbols));
      logEvent("message", `message: subscribed, ${message.symbols.length} symbol(s)`);
      break;
    case "snapshot": {
      attempts = 0;                  // this connection works: back off from scratch next time
      // resumed:false: the server could not resume (another epoch: its history is not ours); start over from here.
      lastSeq = message.resumed === false ? message.seq : Math.max(lastSeq, message.seq);
      if (message.epoch ?? epoch) position = { epoch: message.epoch ?? epoch, seq: message.seq };
      if (message.resumed === false) logEvent("message", `resynchronised (new epoch): snapshot at seq ${message.seq}`);
      const fresh = message.quotes.map((quote) => quote.symbol).filter((symbol) => !rows.has(symbol));
      for (const quote of message.quotes) applyQuote(quote, false);
      for (const symbol of fresh) rows.get(symbol).firstSeq = message.seq;
      logEvent("message", `message: snapshot, ${message.quotes.length} quote(s) at seq ${message.seq}`);
      if (fresh.length > 0) fillTrends(fresh);
      break;
    }
    case "quotes":
      // ts is microseconds since the epoch; now - ts is how long the tick took to reach this page.
      latencies.push(now - message.ts / 1000);
      if (latencies.length > 512) latencies.shift();
      if (message.resumed) {
        attempts = 0;
        logEvent("message", `resumed from seq ${position ? position.seq : lastSeq} on ${node || "the server"} (${message.conflated || 0} ticks folded)`);
      }
      lastSeq = Math.max(lastSeq, message.seq);
      if (epoch) position = { epoch, seq: message.seq };
      if (message.conflated && !message.resumed) {
        conflated += message.conflated;
        logEvent("message", `message: quotes, ${message.conflated} earlier tick(s) conflated`);
      }
      for (const quote of message.quotes) applyQuote(quote, true);
      break;
    case "heartbeat":
      lastSeq = Math.max(lastSeq, message.seq);
      logEvent("message", `message: heartbeat at seq ${message.seq}`);
      break;
    case "pong": {
      // Our pings carry their send time (µs) as the id; the pong carries the server's clock. NTP-style: if the server
      // answered half-way, its clock minus ours is ts - (sent + now) / 2, wrong by at most half the round trip.
      if (typeof message.id === "number") {
        const sent = message.id / 1000;
        clockSamples.push({ offset: message.ts / 1000 - (sent + now) / 2, rtt: now - sent });
        if (clockSamples.length > 16) clockSamples.shift();
      }
      const best = bestClockSample();
      logEvent("message", best
        ? `message: pong, round trip ${best.rtt.toFixed(1)} ms, server clock ${best.offset >= 0 ? "+" : ""}${best.offset.toFixed(1)} ms`
        : "message: pong");
      break;
    }
    case "error":
      logEvent("error", `message: error ${message.code}: ${message.message}`);
      break;
    default:
      logEvent("message", `message: ${message.type}`);
  }
}

// ---------------------------------------------------------------- the table

function applyQuote(quote, flash) {
  let row = rows.get(quote.symbol);
  if (!row) {
    row = { quote, history: [], firstSeq: lastSeq, tr: makeRow(quote.symbol) };
    rows.set(quote.symbol, row);
  }
  const previous = row.quote.price;
  row.quote = quote;
  row.history.push(quote.price);
  if (row.history.length > HISTORY) row.history.shift();
  renderRow(row, flash ? Math.sign(quote.price - previous) : 0);
}

function makeRow(symbol) {
  const tr = document.createElement("tr");
  tr.dataset.symbol = symbol;
  tr.title = `click to unsubscribe ${symbol}`;
  for (const name of ["symbol", "name", "last", "change", "pct", "bid", "ask", "volume", "trend"]) {
    const td = document.createElement("td");
    td.className = name;
    tr.append(td);
  }
  tr.addEventListener("click", () => unsubscribe(symbol));
  $("quotes").tBodies[0].append(tr);
  return tr;
}

function renderRow(row, direction) {
  const { quote, tr } = row;
  const cells = tr.children;
  const sign = quote.change > 0 ? "up" : quote.change < 0 ? "down" : "";
  cells[0].textContent = quote.symbol;
  cells[1].textContent = names.get(quote.symbol) || "";
  cells[2].textContent = (direction > 0 ? "▲ " : direction < 0 ? "▼ " : "") + quote.price.toFixed(2);
  cells[3].textContent = (quote.change > 0 ? "+" : "") + quote.change.toFixed(2);
  cells[4].textContent = (quote.changePct > 0 ? "+" : "") + quote.changePct.toFixed(2) + "%";
  cells[5].textContent = quote.bid.toFixed(2);
  cells[6].textContent = quote.ask.toFixed(2);
  cells[7].textContent = quote.volume.toLocaleString("en-US");
  cells[3].className = cells[4].className = `change ${sign}`;
  cells[2].className = `last ${direction > 0 ? "up" : direction < 0 ? "down" : ""}`;
  cells[8].replaceChildren(trendLine(row.history));
  if (direction !== 0) flash(cells[2], direction > 0 ? "flash-up" : "flash-down");
}

// Highlight a cell, then let the CSS transition fade it.
function flash(cell, className) {
  cell.classList.add(className);
  setTimeout(() => cell.classList.remove(className), FLASH_MS);
}

// New rows' trend lines start from the server's recent history (GET /api/history), not blank: the prices of the
// changes before the row's snapshot go in front of what was pushed since.
function fillTrends(symbols) {
  const query = token ? `&token=${encodeURIComponent(token)}` : "";
  const requests = symbols.map((symbol) =>
    fetch(`/api/history?symbol=${encodeURIComponent(symbol)}&points=${HISTORY}${query}`)
      .then((response) => (response.ok ? response.json() : null))
      .then((answer) => {
        const row = rows.get(symbol);
        if (!answer || !row) return 0;
        const older = answer.points.filter((point) => point.seq < row.firstSeq).map((point) => point.price);
        // The snapshot repeats the last change's price when the symbol has not moved since.
        if (older.length > 0 && older[older.length - 1] === row.history[0]) older.pop();
        const pushed = row.history.length;
        row.history = older.concat(row.history).slice(-HISTORY);
        renderRow(row, 0);
        return row.history.length - pushed;                           // the earlier prices the trend line shows
      })
      .catch(() => 0));
  Promise.all(requests).then((counts) => {
    const total = counts.reduce((sum, count) => sum + count, 0);
    logEvent("message", `history: ${total} earlier price(s) for ${symbols.length} trend line(s), from GET /api/history`);
  });
}

// A small inline SVG of the last prices, scaled between their own low and high, across the whole width.
function trendLine(prices) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${Math.max(1, prices.length - 1)} 20`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.classList.add("trend", prices[prices.length - 1] >= prices[0] ? "up" : "down");
  const low = Math.min(...prices);
  const span = Math.max(...prices) - low || 1;
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", prices.map((price, i) => `${i},${(19 - ((price - low) / span) * 18).toFixed(1)}`).join(" "));
  svg.append(line);
  return svg;
}

function keepOnly(symbols) {
  for (const [symbol, row] of rows) {
    if (!symbols.has(symbol)) {
      row.tr.remove();
      rows.delete(symbol);
    }
  }
}

function unsubscribe(symbol) {
  wanted = wanted.includes("*") ? [...rows.keys()].filter((s) => s !== symbol) : wanted.filter((s) => s !== symbol);
  send({ type: "unsubscribe", symbols: [symbol] });
  logEvent("message", `send: unsubscribe ${symbol}`);
}

// ---------------------------------------------------------------- status and events

// A ping every 2 s measures the round trip and the server's clock against ours, so latency stays right when the two
// machines' clocks differ.
function ping() {
  send({ type: "ping", id: Date.now() * 1000 });
}

// The sample with the shortest round trip bounds the offset's error best.
function bestClockSample() {
  return clockSamples.reduce((best, sample) => (best === null || sample.rtt < best.rtt ? sample : best), null);
}

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function renderStatus() {
  const state = READY_STATES[ws ? ws.readyState : WebSocket.CLOSED];
  const stateElement = $("ready-state");
  stateElement.textContent = state;
  stateElement.className = `state-${state.toLowerCase()}`;
  $("protocol").textContent = ws && ws.protocol ? ws.protocol : "—";
  $("extensions").textContent = ws && ws.extensions ? ws.extensions : "—";
  $("buffered").textContent = ws ? ws.bufferedAmount : 0;      // bytes send() queued that the socket has not taken
  const now = Date.now();
  arrivals = arrivals.filter((t) => now - t < 1000);
  $("rate").textContent = arrivals.length;
  // Latency in one clock: now - ts, plus the server's clock offset; never negative.
  const best = bestClockSample();
  const offset = best ? best.offset : 0;
  const p50 = percentile(latencies, 0.5);
  const p99 = percentile(latencies, 0.99);
  $("p50").textContent = p50 === null ? "–" : `${Math.max(0, p50 + offset).toFixed(1)} ms`;
  $("p99").textContent = p99 === null ? "–" : `${Math.max(0, p99 + offset).toFixed(1)} ms`;
  $("clock").textContent = best ? `${offset >= 0 ? "+" : ""}${offset.toFixed(1)} ms` : "–";
  $("rtt").textContent = best ? `${best.rtt.toFixed(1)} ms` : "–";
  $("seq").textContent = lastSeq;
  $("node").textContent = node || "–";
  $("conflated").textContent = conflated;
  $("reconnects").textContent = reconnects;
}

function logEvent(kind, text) {
  const item = document.createElement("li");
  item.className = kind;
  item.textContent = `${new Date().toLocaleTimeString("en-GB")}  ${text}`;
  const list = $("events");
  list.prepend(item);
  while (list.children.length > 200) list.lastChild.remove();
}

// ---------------------------------------------------------------- wiring

$("url").textContent = url;
$("close").addEventListener("click", () => {
  closedByUser = true;
  clearTimeout(reconnectTimer);
  if (ws) ws.close(1000, "closed from the page");               // close(code, reason): starts the closing handshake
});
$("open").addEventListener("click", connect);
$("subscribe-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const symbol = $("subscribe-symbol").value.trim().toUpperCase();
  if (!symbol) return;
  if (!wanted.includes("*") && !wanted.includes(symbol)) wanted.push(symbol);
  send({ type: "subscribe", symbols: [symbol] });
  logEvent("message", `send: subscribe ${symbol}`);
  $("subscribe-symbol").value = "";
});
setInterval(renderStatus, 250);
setInterval(ping, 2000);
connect();
