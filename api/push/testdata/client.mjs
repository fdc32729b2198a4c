// A Socket.IO client for api/push's Node.js test (node_test.go), on the
// official socket.io-client:
//
//   node client.mjs <server url> <polling|websocket|upgrade> <jwt>
//
// It connects, prints {"step":"ready","id":...,"transport":...}, records
// the events the Go test pushes through the API (answering "ask" with an
// ack holding binary), and when the server disconnects it prints
// {"result": {...}} and exits 0. Errors print {"error": "..."} and exit 1
// (the protocol of internal/nodetest/lib.mjs).
import { io } from "socket.io-client";
import { out, step } from "../../../internal/nodetest/lib.mjs";

const [url, mode, token] = process.argv.slice(2);
const fail = (msg) => { out({ error: msg }); process.exit(1); };
if (!url || !["polling", "websocket", "upgrade"].includes(mode) || !token) {
  fail("usage: node client.mjs <url> polling|websocket|upgrade <jwt>");
}

const opts = { reconnection: false, timeout: 5000, forceNew: true, auth: { token } };
if (mode !== "upgrade") opts.transports = [mode];
const timer = setTimeout(() => fail("timed out after 20 s"), 20000);

// bytes describes a binary value: whether it arrived as binary, and its hex.
const bytes = (v) => {
  const binary = Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
  const u = v instanceof ArrayBuffer ? new Uint8Array(v) : v;
  return { binary, hex: binary ? Buffer.from(u).toString("hex") : String(v) };
};

const res = { events: [] };
const s = io(url, opts);
s.on("connect_error", (err) => fail(`connect_error: ${err.message} ${JSON.stringify(err.data)}`));
s.on("connect", () => {
  const ready = () => step("ready", { id: s.id, transport: s.io.engine.transport.name });
  if (mode === "upgrade" && s.io.engine.transport.name !== "websocket") {
    s.io.engine.once("upgrade", ready);
  } else {
    ready();
  }
});
s.on("note", (...args) => res.events.push({ name: "note", args }));
s.on("file", (meta, bin) => res.events.push({ name: "file", file: meta.name, body: bytes(meta.body), bin: bytes(bin) }));
s.on("ask", (q, cb) => {
  res.events.push({ name: "ask", q });
  cb({ answer: 42 }, new Uint8Array([9, 8, 7]));
});
s.on("herald:disconnect", (d) => res.events.push({ name: "herald:disconnect", reason: d.reason }));
s.on("disconnect", (reason) => {
  res.disconnect = reason;
  res.transport = s.io.engine?.transport?.name ?? null;
  clearTimeout(timer);
  out({ result: res });
  process.exit(0);
});
