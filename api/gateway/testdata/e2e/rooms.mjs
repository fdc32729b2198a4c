// Rooms, rights and the built-in room operations, with four sockets:
// alice twice (two connections of one user), bob and carol. The plan
// gives {"tokens": {alice, bob, carol}}. Transports are mixed on purpose:
// alice1 WebSocket only, alice2 polling only, bob polling upgraded to
// WebSocket, carol WebSocket.
//
// Steps: "connected" (ids), then the Go test pushes "notice" to
// user:alice and broadcasts "sentinel" 1; "published" after the room
// operations, then the Go test broadcasts "sentinel" 2. Events arrive in
// order on each connection, so a socket that saw a sentinel would have
// seen anything sent to it before.
import { plan, socket, main, outcome, upgraded, ask, step, once, toJSON } from "./lib.mjs";

main(async () => {
  const t = plan.tokens;
  const specs = {
    alice1: { auth: { token: t.alice }, transports: ["websocket"] },
    alice2: { auth: { token: t.alice }, transports: ["polling"] },
    bob: { auth: { token: t.bob } },
    carol: { auth: { token: t.carol }, transports: ["websocket"] },
  };
  const s = {};
  const seen = {};
  const sentinels = {};
  for (const [name, opts] of Object.entries(specs)) {
    s[name] = socket(opts);
    seen[name] = [];
    for (const ev of ["notice", "msg", "team"]) s[name].on(ev, (...args) => seen[name].push({ name: ev, args: toJSON(args) }));
    sentinels[name] = [];
    s[name].on("sentinel", (n) => sentinels[name].push(n));
  }
  const res = { connect: {}, transports: {} };
  await Promise.all(Object.keys(s).map(async (n) => (res.connect[n] = await outcome(s[n]))));
  for (const n of Object.keys(s)) {
    if (!res.connect[n].connected) throw new Error(`${n} did not connect: ${JSON.stringify(res.connect[n])}`);
  }
  res.transports.bob = await upgraded(s.bob);

  const waitSentinel = (n) =>
    Promise.all(Object.keys(s).map(async (name) => {
      const deadline = Date.now() + 5000;
      while (!sentinels[name].includes(n)) {
        if (Date.now() > deadline) throw new Error(`${name} got no sentinel ${n}`);
        await once(s[name], "sentinel", 5000).catch(() => {});
      }
    }));

  step("connected", { ids: Object.fromEntries(Object.entries(s).map(([n, x]) => [n, x.id])) });
  await waitSentinel(1);
  res.afterPush = structuredClone(seen);
  for (const n of Object.keys(seen)) seen[n] = [];

  const a = {};
  a.aliceJoin = await ask(s.alice1, "room:join", ["chat:1"]);
  a.alice2Join = await ask(s.alice2, "room:join", ["chat:1"]);
  a.bobJoin = await ask(s.bob, "room:join", ["chat:1"]);
  a.carolJoinDenied = await ask(s.carol, "room:join", ["chat:1"]);
  a.carolConnectedAfterDenial = s.carol.connected;
  a.carolJoinPublic = await ask(s.carol, "room:join", ["public:lobby"]);
  a.joinNoRoom = await ask(s.carol, "room:join", []);
  a.joinNotString = await ask(s.carol, "room:join", [42]);
  a.leaveUserRoom = await ask(s.alice1, "room:leave", ["user:alice"]);
  a.leaveTeam = await ask(s.alice2, "room:leave", ["team:1"]);
  a.rejoinTeam = await ask(s.alice2, "room:join", ["team:1"]);
  a.publish = await ask(s.alice1, "room:publish", ["chat:1", "msg", { text: "hi", bin: { $bytes: [1, 2, 3] } }, 7]);
  a.bobPublishDenied = await ask(s.bob, "room:publish", ["chat:1", "msg", "nope"]);
  a.carolPublishDenied = await ask(s.carol, "room:publish", ["public:lobby", "msg", "nope"]);
  a.alicePublishTeamDenied = await ask(s.alice1, "room:publish", ["team:1", "team", "nope"]);
  a.publishNoEvent = await ask(s.alice1, "room:publish", ["chat:1"]);
  a.unknown = await ask(s.carol, "no:such:event", [1]);
  a.stillConnected = Object.fromEntries(Object.entries(s).map(([n, x]) => [n, x.connected]));
  res.acks = a;

  step("published");
  await waitSentinel(2);
  res.afterPublish = structuredClone(seen);
  return res;
});
