// Volatile emits: dropped when the connection cannot take them at once,
// never an error, never reordered or duplicated.
import { manager, mode, main, ready, once, mark, sleep } from "./lib.mjs";

main(async () => {
  const res = { mode, v: [], vb: [], vack: [] };
  const m = manager();
  const s = m.socket("/");
  s.on("v", (i) => res.v.push(i));
  s.on("vb", (i) => res.vb.push(i));
  s.on("v-ack", (i, cb) => {
    res.vack.push(i);
    cb(i);
  });
  res.transport = await ready(s);
  // Let the polling client's next GET reach the server, so that the
  // connection is writable when the volatile emits go out.
  await sleep(50);
  mark("ready");
  const end = once(s, "v-end", 10000);
  res.server = await s.timeout(10000).emitWithAck("volatile");
  await end;
  mark("end");
  // Still usable afterwards.
  res.after = await s.timeout(5000).emitWithAck("ping");
  return res;
});
