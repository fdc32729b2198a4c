// Runs in headless Chromium (see browser.mjs and browser_test.go): connects
// to the Herald server named by ?server= with the socket.io browser
// bundle, once per transport mode, exchanges events with acks and binary
// data, and publishes the outcome as window.heraldResult and in #result.
// A module (strict), loaded after the bundle.
import { pattern, sameBytes } from "/bytes.mjs";

(function () {
  const server = new URLSearchParams(location.search).get("server");
  const modes = {
    polling: { transports: ["polling"] },
    websocket: { transports: ["websocket"] },
    upgrade: {},
  };

  function kind(v) {
    if (v instanceof ArrayBuffer) return "ArrayBuffer(" + v.byteLength + ")";
    if (ArrayBuffer.isView(v)) return v.constructor.name + "(" + v.byteLength + ")";
    return typeof v;
  }
  function withTimeout(p, ms, what) {
    return Promise.race([
      p,
      new Promise((_, reject) => setTimeout(() => reject(new Error(what + ": no answer in " + ms + " ms")), ms)),
    ]);
  }

  async function run(name) {
    const out = { mode: name };
    const socket = io(server, Object.assign({ forceNew: true, reconnection: false, auth: { token: "browser" } }, modes[name]));
    const pushes = [];
    socket.on("push", (payload, cb) => {
      const list = (payload && payload.a && payload.a.b) || [];
      const ok = list.length === 2 && sameBytes(list[0], pattern(300, 3)) && sameBytes(list[1], pattern(70000, 4));
      pushes.push({ ok, kinds: list.map(kind), text: payload && payload.text });
      cb({ ok, echo: list });
    });
    try {
      await withTimeout(new Promise((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", (e) => reject(new Error("connect_error: " + e.message)));
      }), 10000, "connect");
      if (name === "upgrade" && socket.io.engine.transport.name !== "websocket") {
        await withTimeout(new Promise((resolve) => socket.io.engine.once("upgrade", resolve)), 10000, "upgrade");
      }
      out.transport = socket.io.engine.transport.name;
      out.engineId = socket.io.engine.id;

      // Ack with Unicode text.
      out.echo = await socket.timeout(5000).emitWithAck("echo", { text: "héllo ✓ 🚀", n: 1 });

      // Binary up, echoed back by the server inside another structure.
      const up = { a: { b: [pattern(256, 1), pattern(100000, 2).buffer] }, label: "up" };
      const ack = await socket.timeout(10000).emitWithAck("bin-up", up);
      const echoed = (ack && ack.echo) || [];
      out.binUp = {
        server: ack && ack.check,
        echoOK: echoed.length === 2 && sameBytes(echoed[0], pattern(256, 1)) && sameBytes(echoed[1], pattern(100000, 2)),
        echoKinds: echoed.map(kind),
      };

      // Binary down: the server emits with an ack and reports our answer.
      out.push = await socket.timeout(10000).emitWithAck("request-push");
      out.pushes = pushes;

      // A client-side ack timeout.
      try {
        await socket.timeout(200).emitWithAck("never");
        out.timeout = "answered";
      } catch (e) {
        out.timeout = e.message;
      }
      out.transportAtEnd = socket.io.engine.transport.name;
    } catch (e) {
      out.error = String((e && e.stack) || e);
    } finally {
      socket.disconnect();
    }
    return out;
  }

  async function main() {
    const result = { userAgent: navigator.userAgent, runs: {} };
    try {
      if (!server) throw new Error("no ?server= in the page URL");
      if (typeof io !== "function") throw new Error("socket.io browser bundle not loaded");
      for (const name of Object.keys(modes)) {
        document.getElementById("status").textContent = "running " + name;
        result.runs[name] = await run(name);
      }
    } catch (e) {
      result.error = String((e && e.stack) || e);
    }
    window.heraldResult = result;
    document.getElementById("result").textContent = JSON.stringify(result, null, 2);
    document.getElementById("status").textContent = "done";
  }

  main();
})();
