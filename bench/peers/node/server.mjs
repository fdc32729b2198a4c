// The Node.js reference peer of Herald's benchmarks: the bench app of
// shared/BENCH_PROTOCOL.md on socket.io 4.8 with its defaults (polling and
// websocket, 25 s / 20 s pings, no per-message deflate).
//
//   node server.mjs [--addr 127.0.0.1:3200] [--http-addr 127.0.0.1:3201]
//
// Socket.IO listens on --addr (path /socket.io/, namespace "/"), and
// POST /broadcast {"room","event","data"} on --http-addr, answering
// {"recipients": N}. Giving both the same address serves both on one port.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Server } from "socket.io";

// maxBody bounds a /broadcast request body; it matches the 4 MiB that
// Herald's bench server accepts.
const maxBody = 4 << 20;

let flags;
try {
  ({ values: flags } = parseArgs({
    options: {
      addr: { type: "string", default: "127.0.0.1:3200" },
      "http-addr": { type: "string", default: "127.0.0.1:3201" },
    },
  }));
} catch (err) {
  console.error(`node peer: ${err.message}\nusage: node server.mjs [--addr host:port] [--http-addr host:port]`);
  process.exit(2);
}

// splitAddr parses host:port, with IPv6 hosts in brackets ("[::1]:3200").
function splitAddr(addr) {
  const i = addr.lastIndexOf(":");
  if (i < 0) throw new Error(`address ${addr}: missing port`);
  const host = addr.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  return { host: host || undefined, port: Number(addr.slice(i + 1)) };
}

function listen(server, addr) {
  const { host, port } = splitAddr(addr);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const a = server.address();
      resolve(a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`);
    });
  });
}

const io = new Server();
const nsp = io.of("/");

// splitAck separates the ack callback, which socket.io passes as the last
// argument when the client asked for one, from the event's arguments; it
// looks at the last argument rather than a fixed position so that a join
// without a room is still acked, as on the other servers.
function splitAck(args) {
  return typeof args.at(-1) === "function" ? [args.slice(0, -1), args.at(-1)] : [args, undefined];
}

nsp.on("connection", (socket) => {
  socket.on("join", (...raw) => {
    const [[room], ack] = splitAck(raw);
    if (typeof room === "string") socket.join(room);
    ack?.(true);
  });
  socket.on("leave", (...raw) => {
    const [[room], ack] = splitAck(raw);
    if (typeof room === "string") socket.leave(room);
    ack?.(true);
  });
  socket.on("echo", (...raw) => {
    const [args, ack] = splitAck(raw);
    ack?.(...args);
  });
  socket.on("publish", (...raw) => {
    const [[room, ...rest]] = splitAck(raw);
    if (typeof room !== "string" || rest.length === 0) return;
    io.to(room).emit("msg", rest[0]);
  });
});

function reply(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

function broadcast(req, res) {
  if (req.method !== "POST") return reply(res, 405, { error: "method not allowed" });
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > maxBody) {
      reply(res, 413, { error: "body too large" });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      body = null;
    }
    const { room, event } = body ?? {};
    if (typeof room !== "string" || room === "" || typeof event !== "string" || event === "") {
      return reply(res, 400, { error: 'body must be {"room","event","data"}' });
    }
    // The room's size is read before the emit: socket.io's broadcast does
    // not report how many sockets it reached.
    const recipients = nsp.adapter.rooms.get(room)?.size ?? 0;
    try {
      // An absent "data" emits the event without arguments, as Herald does.
      if ("data" in body) io.to(room).emit(event, body.data);
      else io.to(room).emit(event);
    } catch (err) {
      // socket.io throws on reserved event names such as "connect".
      return reply(res, 400, { error: err.message });
    }
    reply(res, 200, { recipients });
  });
}

function routeBroadcast(req, res) {
  if (new URL(req.url, "http://localhost").pathname === "/broadcast") return broadcast(req, res);
  reply(res, 404, { error: "not found" });
}

// On a shared port, /broadcast is installed before socket.io attaches:
// engine.io answers /socket.io/ and hands every other request to the
// listeners that the server had before it.
const sharedPort = flags["http-addr"] === flags.addr;
const ioServer = createServer();
const apiServer = sharedPort ? ioServer : createServer();
apiServer.on("request", routeBroadcast);
io.attach(ioServer);

try {
  const ioAddr = await listen(ioServer, flags.addr);
  const apiAddr = sharedPort ? ioAddr : await listen(apiServer, flags["http-addr"]);
  console.error(`node peer: socket.io on ${ioAddr}, POST /broadcast on ${apiAddr}, pid ${process.pid}`);
} catch (err) {
  console.error(`node peer: ${err.message}`);
  process.exit(1);
}

function shutdown() {
  // io.close() disconnects every socket and closes ioServer; idle
  // keep-alive connections would still hold the servers open.
  io.close();
  if (!sharedPort) apiServer.close();
  ioServer.closeAllConnections();
  apiServer.closeAllConnections();
  // Exit even if a client lingers: the bench wants the process gone.
  setTimeout(() => process.exit(0), 5000).unref();
}
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
