// Rooms and exceptions: six clients join rooms, the server broadcasts, and
// each client reports exactly what it got before the final "end" event.
import { socket, mode, main, ready, once, mark } from "./lib.mjs";

// Client i joins rooms[i]; e2e_test.go knows the same table.
const rooms = [[], ["a"], ["a", "b"], ["b"], ["a", "c"], ["c"]];

main(async () => {
  const res = { mode, got: [], transports: [] };
  const clients = rooms.map(() => socket("/"));
  const ends = [];
  clients.forEach((s, i) => {
    res.got[i] = [];
    s.on("news", (tag) => res.got[i].push(tag));
    ends[i] = once(s, "end", 10000);
  });
  res.transports = await Promise.all(clients.map(ready));
  mark("ready");
  // Join, each ack confirming the server's view of the socket's rooms.
  res.joined = await Promise.all(clients.map((s, i) => s.timeout(5000).emitWithAck("join", rooms[i])));
  mark("joined");
  const ids = clients.map((s) => s.id);
  // Client 0 asks for the broadcasts; the server names the sockets by id.
  res.trigger = await clients[0].timeout(5000).emitWithAck("trigger", ids);
  await Promise.all(ends);
  mark("ended");
  res.ids = ids;
  return res;
});
