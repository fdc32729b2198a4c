// A client with reconnection on, across a restart of the node on the same
// port. Plan: {"token", "transports"}. Steps: "joined" once connected and
// in room "chat:1"; "disconnected" with the client's reason; the result
// comes after the client reconnected by itself and joined again.
import { plan, socket, main, outcome, ask, step, once, upgraded } from "./lib.mjs";

main(async () => {
  const opts = { auth: { token: plan.token }, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 300, randomizationFactor: 0 };
  if (plan.transports) opts.transports = plan.transports;
  const s = socket(opts);
  const res = { attempts: 0, connectErrors: [] };
  s.io.on("reconnect_attempt", (n) => (res.attempts = n));
  s.on("connect_error", (err) => res.connectErrors.length < 5 && res.connectErrors.push(err.message));
  res.first = await outcome(s);
  if (!res.first.connected) throw new Error(`no first connection: ${JSON.stringify(res.first)}`);
  res.firstTransport = await upgraded(s);
  res.firstJoin = await ask(s, "room:join", ["chat:1"]);
  const disconnected = once(s, "disconnect", 20000);
  step("joined", { id: s.id });
  [res.reason] = [].concat(await disconnected);
  res.activeAfterDisconnect = s.active;
  step("disconnected", { reason: res.reason });
  if (!s.connected) await once(s, "connect", 15000);
  res.secondId = s.id;
  res.secondTransport = await upgraded(s);
  res.secondJoin = await ask(s, "room:join", ["chat:1"]);
  return res;
}, 40000);
