// Shared helpers of the end-to-end scripts. Every script is run by the Go
// tests in engine/e2e_test.go as `node <script> <server url> <mode> [...]`,
// where mode is the transport set under test:
//
//   polling    transports: ["polling"]
//   websocket  transports: ["websocket"]
//   upgrade    the default (polling first, then upgraded to WebSocket)
//
// A script talks back on stdout by the protocol of
// internal/nodetest/lib.mjs, whose helpers this module passes on.
import { Manager, io } from "socket.io-client";
import { main as run, sleep } from "../../../internal/nodetest/lib.mjs";

export { mark, once, sleep, step } from "../../../internal/nodetest/lib.mjs";
export { pattern, sameBytes } from "./bytes.mjs";

export const url = process.argv[2];
export const mode = process.argv[3];

if (!url || !["polling", "websocket", "upgrade"].includes(mode)) {
  process.stderr.write(`usage: node ${process.argv[1]} <url> polling|websocket|upgrade\n`);
  process.exit(64);
}

// options returns Manager options for the mode, merged with more.
function options(more = {}) {
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
async function closeAll() {
  for (const m of managers) {
    for (const s of Object.values(m.nsps)) s.disconnect();
    m.engine?.close();
  }
  managers.clear();
  await sleep(100);
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

export function describeBytes(v) {
  if (v instanceof ArrayBuffer) return `ArrayBuffer(${v.byteLength})`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength})`;
  return `${typeof v}: ${JSON.stringify(v)?.slice(0, 80)}`;
}

// main runs fn, closes every connection, prints fn's result or error, and
// exits. ms bounds the run.
export function main(fn, ms = 20000) {
  run(fn, ms, closeAll);
}
