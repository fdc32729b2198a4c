// End-to-end test client for Herald's Engine.IO server, run by e2e_test.go.
//
//   node client.mjs <url>        (or EIO_URL=<url> node client.mjs)
//
// The server at <url> (e.g. http://127.0.0.1:3000) must echo every message
// at /engine.io/. For each of three modes (polling only, WebSocket only,
// and the default: polling upgraded to WebSocket) the official
// engine.io-client sends 1,000 text messages and a set of binary ones, and
// checks that the echoes come back whole and in order. It prints one
// "PASS <mode> ..." line per mode and exits 0, or prints "FAIL <mode>: ..."
// and exits 1.
//
// engine.io-client is resolved from NODE_MODULES (a node_modules directory)
// when set, else from the node_modules directories above this file.

import { createRequire } from "node:module";
import path from "node:path";

const url = process.argv[2] || process.env.EIO_URL;
if (!url) {
  console.error("usage: node client.mjs <url>");
  process.exit(2);
}

async function loadClient() {
  if (process.env.NODE_MODULES) {
    const require = createRequire(path.join(process.env.NODE_MODULES, "..", "package.json"));
    return require("engine.io-client");
  }
  return import("engine.io-client");
}

const { Socket } = await loadClient();

const TEXT_COUNT = 1000;
const STEP_TIMEOUT = 15000;

function binaryPayloads() {
  const out = [];
  for (let i = 0; i < 20; i++) {
    const b = new Uint8Array(i * 7);
    for (let j = 0; j < b.length; j++) b[j] = (i * 31 + j) & 0xff;
    out.push(b);
  }
  const big = new Uint8Array(100000);
  for (let j = 0; j < big.length; j++) big[j] = (j * 13) & 0xff;
  out.push(big);
  out.push(Uint8Array.from([0, 255, 1, 254]));
  return out;
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), STEP_TIMEOUT);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function run(mode, opts, wantTransport) {
  const socket = new Socket(url, { path: "/engine.io/", ...opts });
  const received = [];
  let waiter = null;
  let closed = null;
  socket.on("message", (data) => {
    received.push(data);
    if (waiter && received.length >= waiter.n) {
      const w = waiter;
      waiter = null;
      w.resolve();
    }
  });
  socket.on("close", (reason, desc) => {
    closed = reason;
    if (waiter) waiter.reject(new Error(`closed: ${reason} ${desc ? desc.message || desc : ""}`));
  });
  socket.on("error", (err) => {
    if (waiter) waiter.reject(new Error(`error: ${err && err.message}`));
  });
  const until = (n, what) =>
    withTimeout(
      new Promise((resolve, reject) => {
        if (received.length >= n) return resolve();
        if (closed) return reject(new Error(`closed: ${closed}`));
        waiter = { n, resolve, reject };
      }),
      what,
    );

  await withTimeout(new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", (e) => reject(new Error(`open failed: ${e && e.message}`)));
  }), "open");

  let upgraded = null;
  if (wantTransport === "upgrade") {
    upgraded = withTimeout(new Promise((resolve) => socket.once("upgrade", resolve)), "upgrade");
  }

  // Text: half right away (during the upgrade, if any), half after it.
  const texts = [];
  for (let i = 0; i < TEXT_COUNT; i++) texts.push(`msg-${i}-${"é".repeat(i % 5)}`);
  const half = TEXT_COUNT / 2;
  for (let i = 0; i < half; i++) socket.send(texts[i]);
  if (upgraded) await upgraded;
  for (let i = half; i < TEXT_COUNT; i++) socket.send(texts[i]);
  await until(TEXT_COUNT, "text echoes");
  for (let i = 0; i < TEXT_COUNT; i++) {
    if (received[i] !== texts[i]) {
      throw new Error(`text ${i}: got ${JSON.stringify(received[i])}, want ${JSON.stringify(texts[i])}`);
    }
  }

  // Binary: Uint8Array round trips, in order, interleaved with text.
  const bins = binaryPayloads();
  for (const b of bins) {
    socket.send(b);
    socket.send("sep");
  }
  await until(TEXT_COUNT + 2 * bins.length, "binary echoes");
  for (let i = 0; i < bins.length; i++) {
    const got = received[TEXT_COUNT + 2 * i];
    if (typeof got === "string" || !(got instanceof Uint8Array || got instanceof ArrayBuffer)) {
      throw new Error(`binary ${i}: got ${typeof got} ${JSON.stringify(got)}`);
    }
    const bytes = got instanceof ArrayBuffer ? new Uint8Array(got) : got;
    if (!sameBytes(bytes, bins[i])) {
      throw new Error(`binary ${i}: ${bytes.length} bytes differ from the ${bins[i].length} sent`);
    }
    if (received[TEXT_COUNT + 2 * i + 1] !== "sep") {
      throw new Error(`text after binary ${i}: ${JSON.stringify(received[TEXT_COUNT + 2 * i + 1])}`);
    }
  }

  const transport = socket.transport.name;
  const want = wantTransport === "upgrade" ? "websocket" : wantTransport;
  if (transport !== want) throw new Error(`transport ${transport}, want ${want}`);
  const sid = socket.id;
  const done = new Promise((resolve) => socket.once("close", resolve));
  socket.close();
  await withTimeout(done, "close");
  console.log(`PASS ${mode} sid=${sid} transport=${transport} text=${TEXT_COUNT} binary=${bins.length}`);
}

const modes = [
  ["polling", { transports: ["polling"] }, "polling"],
  ["websocket", { transports: ["websocket"] }, "websocket"],
  ["upgrade", {}, "upgrade"],
];

let failed = false;
for (const [mode, opts, want] of modes) {
  try {
    await run(mode, opts, want);
  } catch (err) {
    failed = true;
    console.log(`FAIL ${mode}: ${err && err.stack ? err.stack : err}`);
  }
}
process.exit(failed ? 1 : 0);
