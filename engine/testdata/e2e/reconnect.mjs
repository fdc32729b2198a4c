// Reconnection after the server restarts on the same port. The Go test
// shuts the server down once the script prints {"step":"connected"}, and
// starts a new one on the same address.
import { socket, mode, main, ready, once, step, mark, upgraded } from "./lib.mjs";

main(async () => {
  const res = { mode, reconnectAttempts: [], errors: [] };
  const s = socket("/", {
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
    randomizationFactor: 0,
  });
  s.io.on("reconnect_attempt", (n) => res.reconnectAttempts.push(n));
  s.io.on("reconnect", (n) => (res.reconnected = n));
  s.io.on("reconnect_error", (err) => res.errors.length < 5 && res.errors.push(String(err?.message ?? err)));
  res.transport = await ready(s);
  res.first = await s.timeout(5000).emitWithAck("hello", "first");
  res.firstEngineId = s.io.engine.id;
  res.firstSid = s.id;

  const disconnected = new Promise((resolve) => s.once("disconnect", (reason) => resolve(reason)));
  step("connected", { engineId: res.firstEngineId });
  res.reason = await disconnected;
  res.activeAfterDisconnect = s.active; // true: the client will reconnect by itself
  mark("disconnected");
  // Emitted while disconnected: buffered, sent once reconnected.
  s.emit("buffered", "while-down");
  step("disconnected", { reason: res.reason });

  // Failed attempts while the server is down emit connect_error; wait
  // for the connect that follows.
  if (!s.connected) await once(s, "connect", 15000);
  mark("reconnected");
  res.transportAfter = await upgraded(s.io);
  res.second = await s.timeout(5000).emitWithAck("hello", "second");
  res.secondEngineId = s.io.engine.id;
  res.secondSid = s.id;
  return res;
}, 30000);
