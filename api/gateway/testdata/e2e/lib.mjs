// Shared helpers of the gateway's end-to-end scripts, run by the Go tests
// in api/gateway (helpers_test.go) as
//
//   node <script> <socket.io url> <plan as JSON>
//
// A script talks back on stdout by the protocol of
// internal/nodetest/lib.mjs, whose helpers this module passes on.
//
// Binary values cross the JSON boundary as {"$bytes": [n, ...]} in both
// directions: fromJSON turns them into Buffers before emitting, toJSON
// turns received Buffers and ArrayBuffers back.
import { io } from "socket.io-client";
import { main as run, sleep } from "../../../../internal/nodetest/lib.mjs";

export { once, sleep, step } from "../../../../internal/nodetest/lib.mjs";

export const url = process.argv[2];
export const plan = JSON.parse(process.argv[3] ?? "{}");

if (!url) {
  process.stderr.write(`usage: node ${process.argv[1]} <url> <plan json>\n`);
  process.exit(64);
}

const sockets = new Set();

// socket opens a socket to "/" on a connection of its own. Reconnection is
// off unless opts turn it on.
export function socket(opts = {}) {
  const s = io(url, { forceNew: true, reconnection: false, timeout: 5000, ...opts });
  sockets.add(s);
  return s;
}

// closeAll disconnects every socket and gives the transports a moment to
// send what they queued, so that no polling session lingers on the server.
async function closeAll() {
  for (const s of sockets) {
    s.io.reconnection(false);
    s.disconnect();
    s.io.engine?.close();
  }
  sockets.clear();
  await sleep(100);
}

// outcome waits for a socket's connect or connect_error and describes it:
// {connected, id, transport} or {connected: false, error: {message, data}}.
export function outcome(s, ms = 5000) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ connected: false, error: { message: `no answer in ${ms} ms` } }), ms);
    s.once("connect", () => {
      clearTimeout(timer);
      resolve({ connected: true, id: s.id, transport: s.io.engine.transport.name });
    });
    s.once("connect_error", (err) => {
      clearTimeout(timer);
      resolve({ connected: false, error: { message: err.message, data: err.data ?? null } });
    });
  });
}

// upgraded resolves once the socket's engine runs on WebSocket, when an
// upgrade is possible, or after ms.
export function upgraded(s, ms = 3000) {
  const engine = s.io.engine;
  if (engine.transport.name === "websocket" || (s.io.opts.transports ?? ["polling", "websocket"]).indexOf("websocket") < 0) {
    return Promise.resolve(engine.transport.name);
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(engine.transport.name), ms);
    engine.once("upgrade", (t) => {
      clearTimeout(timer);
      resolve(t.name);
    });
  });
}

export function fromJSON(v) {
  if (Array.isArray(v)) return v.map(fromJSON);
  if (v && typeof v === "object") {
    if (Array.isArray(v.$bytes)) return Buffer.from(v.$bytes);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJSON(x)]));
  }
  return v;
}

export function toJSON(v) {
  if (v instanceof ArrayBuffer) return { $bytes: [...new Uint8Array(v)] };
  if (ArrayBuffer.isView(v)) return { $bytes: [...new Uint8Array(v.buffer, v.byteOffset, v.byteLength)] };
  if (Array.isArray(v)) return v.map(toJSON);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJSON(x)]));
  return v;
}

// ask emits event with args and waits up to ms for the ack. It returns
// {ack: [args...], ms} or {timeout: true, ms}.
export async function ask(s, event, args, ms = 5000) {
  const t0 = performance.now();
  try {
    const ack = await new Promise((resolve, reject) => {
      s.timeout(ms).emit(event, ...fromJSON(args), (err, ...res) => (err ? reject(err) : resolve(res)));
    });
    return { ack: toJSON(ack), ms: Math.round(performance.now() - t0) };
  } catch (err) {
    return { timeout: true, error: String(err?.message ?? err), ms: Math.round(performance.now() - t0) };
  }
}

// main runs fn, closes every socket, prints fn's result or error, and
// exits. ms bounds the run.
export function main(fn, ms = 25000) {
  run(fn, ms, closeAll);
}
