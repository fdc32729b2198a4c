// Smoke test of the bench app protocol (shared/BENCH_PROTOCOL.md) against
// one running server:
//
//   node bench/peers/smoke.mjs [--clients 3] [--transport websocket|polling] \
//     http://127.0.0.1:3200 http://127.0.0.1:3201/broadcast
//
// It connects the clients to "/" (with an auth payload, which must be
// accepted), joins them to room "r", checks that echo acks its arguments,
// that publish reaches every member, that POST /broadcast reaches them all
// and counts them, and that leave takes a socket out of the room. It prints
// a JSON summary and exits 0 when every step passed, 1 otherwise.
//
// socket.io-client comes from the repository root's node_modules (npm ci in
// the repository root).
import { isDeepStrictEqual, parseArgs } from "node:util";
import { io } from "socket.io-client";

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    clients: { type: "string", default: "3" },
    transport: { type: "string", default: "websocket" },
    timeout: { type: "string", default: "5000" },
  },
});
if (positionals.length !== 2) {
  console.error("usage: node smoke.mjs [--clients N] [--transport websocket|polling] [--timeout ms] SOCKETIO_URL BROADCAST_URL");
  process.exit(2);
}
const [url, broadcastURL] = positionals;
const n = Number(flags.clients);
const timeout = Number(flags.timeout);
const room = "r";

const summary = { url, broadcastURL, transport: flags.transport, clients: n, steps: {} };
let step = "connect";
const sockets = [];

// within rejects a promise that has not settled after the step's timeout.
function within(promise, what) {
  let timer;
  const expire = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting for ${what}`)), timeout);
  });
  return Promise.race([promise, expire]).finally(() => clearTimeout(timer));
}

// next resolves with the arguments of the socket's next `event`.
function next(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

// emitAck emits with an ack and resolves with every argument of the ack,
// which emitWithAck would cut to the first.
function emitAck(socket, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeout).emit(...args, (err, ...reply) => (err ? reject(err) : resolve(reply)));
  });
}

async function post(body) {
  const res = await fetch(broadcastURL, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /broadcast: status ${res.status}: ${text}`);
  return JSON.parse(text);
}

function expectEqual(got, want, what) {
  if (!isDeepStrictEqual(got, want)) {
    throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

async function main() {
  const started = performance.now();

  for (let i = 0; i < n; i++) {
    const socket = io(url, {
      transports: [flags.transport],
      auth: { token: `smoke-${i}` },
      reconnection: false,
      forceNew: true,
    });
    sockets.push(socket);
  }
  await within(
    Promise.all(sockets.map((s) => new Promise((resolve, reject) => {
      s.once("connect", resolve);
      s.once("connect_error", reject);
    }))),
    "connect",
  );
  summary.steps.connect = { connected: sockets.filter((s) => s.connected).length };

  step = "join";
  const joins = await within(Promise.all(sockets.map((s) => emitAck(s, "join", room))), "join acks");
  joins.forEach((reply, i) => expectEqual(reply, [true], `join ack of client ${i}`));
  summary.steps.join = { acks: joins.length };

  step = "echo";
  const echoArgs = [1, "two", { three: [3, 3.5, null], four: true }, ["five"]];
  const echoes = await within(Promise.all(sockets.map((s) => emitAck(s, "echo", ...echoArgs))), "echo acks");
  echoes.forEach((reply, i) => expectEqual(reply, echoArgs, `echo ack of client ${i}`));
  summary.steps.echo = { acks: echoes.length };

  // publish reaches every member of the room, the sender included.
  step = "publish";
  const published = { t: Date.now() * 1e6, p: "published" };
  const msgs = sockets.map((s) => next(s, "msg"));
  sockets[0].emit("publish", room, published);
  const got = await within(Promise.all(msgs), '"msg" on every client');
  got.forEach((args, i) => expectEqual(args, [published], `"msg" of client ${i}`));
  summary.steps.publish = { received: got.length };

  // A distinct event name checks that /broadcast honours "event".
  step = "broadcast";
  const data = { t: Date.now() * 1e6, p: "broadcast" };
  const news = sockets.map((s) => next(s, "news"));
  const res = await within(post({ room, event: "news", data }), "POST /broadcast");
  expectEqual(res, { recipients: n }, "POST /broadcast answer");
  const gotNews = await within(Promise.all(news), '"news" on every client');
  gotNews.forEach((args, i) => expectEqual(args, [data], `"news" of client ${i}`));
  summary.steps.broadcast = { recipients: res.recipients, received: gotNews.length };

  // After the last client leaves, a broadcast reaches and counts the others
  // only; it has the time the others took, and as long again, to show up.
  step = "leave";
  const leaver = sockets[n - 1];
  expectEqual(await within(emitAck(leaver, "leave", room), "leave ack"), [true], "leave ack");
  let stray = false;
  leaver.on("news", () => { stray = true; });
  const t0 = performance.now();
  const stayed = sockets.slice(0, -1).map((s) => next(s, "news"));
  const res2 = await within(post({ room, event: "news", data }), "POST /broadcast");
  expectEqual(res2, { recipients: n - 1 }, "POST /broadcast answer after leave");
  await within(Promise.all(stayed), '"news" on the clients still in the room');
  await new Promise((resolve) => setTimeout(resolve, Math.max(50, performance.now() - t0)));
  if (stray) throw new Error(`client ${n - 1} got "news" after leaving the room`);
  summary.steps.leave = { recipients: res2.recipients, received: stayed.length };

  summary.ms = Math.round(performance.now() - started);
}

let code = 0;
try {
  await main();
  summary.ok = true;
} catch (err) {
  summary.ok = false;
  // fetch reports "fetch failed" and keeps the reason in the cause.
  const reason = err?.cause?.message ? `: ${err.cause.message}` : "";
  summary.failed = { step, error: (err?.message ?? String(err)) + reason };
  code = 1;
}
for (const s of sockets) s.disconnect();
console.log(JSON.stringify(summary));
process.exit(code);
