// Connection attempts, each on a connection of its own, run concurrently.
// The plan is {"attempts": [{"name", "opts", "emits", "listen", "linger"}]}:
// opts are socket.io-client options (auth, query, extraHeaders,
// transports); emits, run in order once connected, are [event, ...args]
// lists whose acks are collected, or {event, args, noAck: true} sent
// without an ack; listen names events to record; linger waits that many
// ms before disconnecting. The result maps each name to {connected, id,
// transport, error: {message, data}, acks, events, disconnectedBefore}.
import { plan, socket, main, outcome, upgraded, ask, toJSON, fromJSON, sleep } from "./lib.mjs";

async function attempt(a) {
  const s = socket(a.opts ?? {});
  const events = [];
  for (const name of a.listen ?? []) s.on(name, (...args) => events.push({ name, args: toJSON(args) }));
  let reason = null;
  s.on("disconnect", (r) => (reason = r));
  const res = await outcome(s);
  if (!res.connected) return res;
  res.transport = await upgraded(s);
  res.acks = [];
  for (const e of a.emits ?? []) {
    if (Array.isArray(e)) {
      const [event, ...args] = e;
      res.acks.push(await ask(s, event, args, a.ackTimeout ?? 5000));
    } else {
      s.emit(e.event, ...fromJSON(e.args ?? []));
      res.acks.push({ sent: true });
    }
  }
  if (a.linger) await sleep(a.linger);
  res.events = events;
  res.disconnectedBefore = reason;
  s.disconnect();
  return res;
}

main(async () => {
  const out = {};
  await Promise.all((plan.attempts ?? []).map(async (a) => (out[a.name] = await attempt(a))));
  return out;
});
