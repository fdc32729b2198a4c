// Acknowledgements both ways, and their timeouts both ways.
import { manager, mode, main, ready, mark } from "./lib.mjs";

main(async () => {
  const res = { mode };
  const m = manager();
  const s = m.socket("/");

  // Server-to-client events that want an ack.
  const asked = [];
  s.on("ask", (n, cb) => {
    asked.push(n);
    cb({ doubled: n * 2, from: "client" }, "second");
  });
  const ignored = [];
  s.on("ignore", (n, cb) => {
    ignored.push({ n, hasCallback: typeof cb === "function" });
    // never calls cb
  });

  res.transport = await ready(s);
  mark("ready");

  // Client emit with an ack callback, answered by Event.Ack with several
  // arguments.
  res.echo = await new Promise((resolve) => {
    s.emit("echo", "hi", 42, { x: [1, 2, { y: null }] }, (...args) => resolve(args));
  });
  // emitWithAck, answered with one argument.
  res.echoWithAck = await s.emitWithAck("echo", "only");
  // An ack with no arguments.
  res.noArgs = await new Promise((resolve) => s.emit("noargs", (...args) => resolve(args.length)));
  // An event without ack: the server sees WantsAck false and Ack fails.
  s.emit("fire-and-forget", 7);
  res.fireAndForget = await s.emitWithAck("last-fire-and-forget");
  mark("clientAcks");

  // Client-side timeout: the server handler never acks.
  const t0 = Date.now();
  res.clientTimeout = await new Promise((resolve) => {
    s.timeout(200).emit("never", 1, (err, ...rest) => {
      resolve({ error: err ? err.message : null, rest, elapsed: Date.now() - t0 });
    });
  });
  // The same with emitWithAck.
  try {
    await s.timeout(200).emitWithAck("never", 2);
    res.clientTimeoutWithAck = { error: null };
  } catch (err) {
    res.clientTimeoutWithAck = { error: err.message };
  }
  // The connection is still fine after the timeouts.
  res.afterTimeout = await s.timeout(2000).emitWithAck("echo", "still here");
  mark("clientTimeouts");

  // Server-initiated acks and timeouts, run by the server's "server-acks"
  // handler, which reports what it saw.
  res.server = await s.timeout(10000).emitWithAck("server-acks");
  res.asked = asked;
  res.ignored = ignored;
  mark("serverAcks");
  return res;
});
