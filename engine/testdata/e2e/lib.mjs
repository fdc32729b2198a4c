// Shared helpers of the end-to-end scripts. Every script is run by the Go
// tests in engine/e2e_test.go as `node <script> <server url> <mode> [...]`,
// where mode is the transport set under test:
//
//   polling    transports: ["polling"]
//   websocket  transports: ["websocket"]
//   upgrade    the default (polling first, then upgraded to WebSocket)
//
// A script talks back on stdout, one JSON object per line: {"step": name,
// ...} while it runs, then exactly one {"result": ...} or {"error": ...}
// line before it exits. The Go side parses those lines; anything else on
// stdout is a test failure.
import { Manager, io } from "socket.io-client";

export const url = process.argv[2];
export const mode = process.argv[3];
export const extra = process.argv.slice(4);

if (!url || !["polling", "websocket", "upgrade"].includes(mode)) {
  process.stderr.write(`usage: node ${process.argv[1]} <url> polling|websocket|upgrade\n`);
  process.exit(64);
}

// options returns Manager options for the mode, merged with more.
export function options(more = {}) {
  const o = { reconnection: false, timeout: 5000, ...more };
  if (mode === "polling") o.transports = ["polling"];
  if (mode === "websocket") o.transports = ["websocket"];
  return o;
}

// Every Manager a script makes goes through manager() or socket(), so that
// main() can close them all before the script exits: a polling client
// that dies between two requests leaves its session open on the server
// until the heartbeat times out, which would slow the server's Shutdown.
const managers = new Set();

// manager returns a new Manager for the mode, merged with more.
export function manager(more = {}) {
  const m = new Manager(url, options(more));
  managers.add(m);
  return m;
}

// socket returns a socket to nsp on a connection of its own.
export function socket(nsp = "/", more = {}) {
  const s = io(url + (nsp === "/" ? "" : nsp), options({ forceNew: true, ...more }));
  managers.add(s.io);
  return s;
}

// closeAll disconnects every socket and gives the transports a moment to
// send what they queued.
export async function closeAll() {
  for (const m of managers) {
    for (const s of Object.values(m.nsps)) s.disconnect();
    m.engine?.close();
  }
  managers.clear();
  await sleep(100);
}

export function out(obj) {
  // Writes to a pipe are synchronous on Linux, so nothing is lost when the
  // script exits right after.
  process.stdout.write(JSON.stringify(obj) + "\n");
}

export function step(name, data = {}) {
  out({ step: name, ...data });
}

// once resolves with the arguments of emitter's next event (an array when
// there are several), or rejects after ms.
export function once(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    const on = (...args) => {
      clearTimeout(timer);
      resolve(args.length > 1 ? args : args[0]);
    };
    emitter.once(event, on);
  });
}

// connected resolves once socket is connected, or rejects with its
// connect_error.
export function connected(socket, ms = 5000) {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socket ${socket.nsp} did not connect in ${ms} ms`)), ms);
    socket.once("connect", () => { clearTimeout(timer); resolve(); });
    socket.once("connect_error", (err) => {
      clearTimeout(timer);
      reject(new Error(`connect_error on ${socket.nsp}: ${err.message} ${JSON.stringify(err.data)}`));
    });
  });
}

// upgraded resolves once the manager's engine runs on WebSocket. In
// upgrade mode it waits for the "upgrade" event; in the other modes it
// resolves at once. It returns the transport name.
export function upgraded(manager, ms = 5000) {
  const engine = manager.engine;
  if (mode !== "upgrade" || engine.transport.name === "websocket") {
    return Promise.resolve(engine.transport.name);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no upgrade in ${ms} ms (transport ${engine.transport.name})`)), ms);
    engine.once("upgrade", (transport) => {
      clearTimeout(timer);
      resolve(transport.name);
    });
  });
}

// ready connects socket and, in upgrade mode, waits for the upgrade. It
// returns the transport name, which it checks against the mode.
export async function ready(socket) {
  await connected(socket);
  const name = await upgraded(socket.io);
  const want = mode === "polling" ? "polling" : "websocket";
  if (name !== want || socket.io.engine.transport.name !== want) {
    throw new Error(`transport is ${socket.io.engine.transport.name}, want ${want}`);
  }
  return name;
}

// mark records the time since the script started under name; main adds
// the marks to an object result as "timings", to tell where time went.
const started = performance.now();
const timings = {};
export function mark(name) {
  timings[name] = Math.round(performance.now() - started);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// pattern is the deterministic byte pattern both sides generate to check
// binary payloads byte for byte (same formula in e2e_helpers_test.go).
export function pattern(n, seed) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

// sameBytes reports whether got (Buffer, ArrayBuffer or typed array) holds
// exactly the bytes of want.
export function sameBytes(got, want) {
  let u;
  if (got instanceof ArrayBuffer) u = new Uint8Array(got);
  else if (ArrayBuffer.isView(got)) u = new Uint8Array(got.buffer, got.byteOffset, got.byteLength);
  else return false;
  if (u.length !== want.length) return false;
  for (let i = 0; i < u.length; i++) if (u[i] !== want[i]) return false;
  return true;
}

export function describeBytes(v) {
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength})`;
  return `${typeof v}: ${JSON.stringify(v)?.slice(0, 80)}`;
}

// main runs fn, prints its result or error, and exits. ms bounds the run.
export function main(fn, ms = 20000) {
  const timer = setTimeout(() => {
    out({ error: `script timed out after ${ms} ms; marks: ${JSON.stringify(timings)}` });
    process.exit(2);
  }, ms);
  fn().then(
    async (result) => {
      await closeAll();
      clearTimeout(timer);
      if (result && typeof result === "object" && !Array.isArray(result) && Object.keys(timings).length > 0) {
        result.timings = timings;
      }
      out({ result: result ?? null });
      process.exit(0);
    },
    (err) => {
      clearTimeout(timer);
      out({ error: `${String((err && err.stack) || err)}; marks: ${JSON.stringify(timings)}` });
      process.exit(1);
    },
  );
}
