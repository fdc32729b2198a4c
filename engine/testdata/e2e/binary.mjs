// Binary attachments inside nested objects, both ways, byte for byte.
import { manager, mode, main, ready, mark, pattern, sameBytes, describeBytes } from "./lib.mjs";

// The payloads; e2e_test.go builds the same ones with e2ePattern.
const up = () => ({
  a: { b: [Buffer.from(pattern(256, 1)), pattern(100000, 2), new Uint8Array(0)] },
  label: "up",
  n: 1,
});
const wantDown = [pattern(300, 3), pattern(70000, 4), new Uint8Array(0)];

function checkList(list, want) {
  if (!Array.isArray(list) || list.length !== want.length) {
    return [`got ${JSON.stringify(list)?.slice(0, 200)}, want ${want.length} buffers`];
  }
  const bad = [];
  list.forEach((b, i) => {
    if (!sameBytes(b, want[i])) bad.push(`#${i}: ${describeBytes(b)}, want ${want[i].length} bytes`);
  });
  return bad;
}

main(async () => {
  const res = { mode };
  const m = manager();
  const s = m.socket("/");

  // Server to client: nested binary, acked with the same buffers.
  const downs = [];
  s.on("bin-down", (payload, top, cb) => {
    const bad = checkList(payload?.a?.b, wantDown);
    if (payload?.label !== "down") bad.push(`label ${payload?.label}`);
    if (!sameBytes(top, pattern(5, 5))) bad.push(`top-level ${describeBytes(top)}`);
    downs.push({ bad, types: (payload?.a?.b ?? []).map(describeBytes) });
    cb({ echo: { a: { b: payload?.a?.b ?? [] } } });
  });

  res.transport = await ready(s);
  mark("ready");

  // Client to server: the server checks the bytes and acks them back
  // inside a different structure.
  const ack = await s.timeout(10000).emitWithAck("bin-up", up(), Buffer.from(pattern(5, 5)));
  res.upServer = ack.check; // what the server found
  res.upEchoBad = checkList(ack.echo?.x?.[0]?.y, up().a.b);
  res.upEchoTypes = (ack.echo?.x?.[0]?.y ?? []).map(describeBytes);
  mark("up");

  // Ask the server to emit, and wait for its verdict on our echo.
  res.downServer = await s.timeout(10000).emitWithAck("bin-request");
  res.downs = downs;
  mark("down");
  return res;
});
