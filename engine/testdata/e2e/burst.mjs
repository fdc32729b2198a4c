// Bursts of 2,000 events each way, in order. In upgrade mode the upward
// burst starts as soon as the socket connects and goes out in chunks of 50
// with a turn of the event loop between them, so that it straddles the
// upgrade from polling to WebSocket (res.sentOn says how it went).
import { manager, mode, main, connected, ready, upgraded, once, mark } from "./lib.mjs";

const N = 2000;

main(async () => {
  const res = { mode };
  const m = manager();
  const s = m.socket("/");
  const down = [];
  s.on("down", (i) => down.push(i));
  const downEnd = once(s, "down-end", 20000);
  // A disconnect mid-burst fails the run at once (emits on a disconnected
  // socket would just be buffered).
  let dropped = null;
  s.on("disconnect", (reason) => (dropped ??= reason));
  const check = (what) => {
    if (dropped) throw new Error(`disconnected (${dropped}) ${what}`);
  };

  if (mode === "upgrade") {
    await connected(s);
    res.transportAtBurst = m.engine.transport.name;
  } else {
    res.transportAtBurst = await ready(s);
  }
  mark("connected");
  res.sentOn = {};
  if (mode === "upgrade") {
    for (let i = 0; i < N; ) {
      const end = Math.min(N, i + 50);
      const on = m.engine.transport.name + (m.engine.upgrading ? " (upgrading)" : "");
      res.sentOn[on] = (res.sentOn[on] ?? 0) + (end - i);
      for (; i < end; i++) s.emit("up", i);
      await new Promise((resolve) => setImmediate(resolve));
      check(`after sending ${i} events`);
    }
  } else {
    // One synchronous loop: the client sends it as one polling payload or
    // back-to-back WebSocket frames.
    for (let i = 0; i < N; i++) s.emit("up", i);
    res.sentOn[m.engine.transport.name] = N;
  }
  check("during the upward burst");
  res.up = await s.timeout(20000).emitWithAck("up-done");
  mark("up");
  res.transport = await upgraded(m);

  res.downAck = await s.timeout(20000).emitWithAck("down-start", N);
  await downEnd;
  mark("down");
  res.downCount = down.length;
  res.downBad = [];
  for (let i = 0; i < down.length && res.downBad.length < 5; i++) {
    if (down[i] !== i) res.downBad.push({ at: i, got: down[i] });
  }
  return res;
});
