// The scripts' side of the protocol that nodetest.go reads, shared by the
// Node.js scripts of the end-to-end tests (engine/testdata/e2e,
// api/gateway/testdata/e2e, api/push/testdata), which import it by
// relative path.
//
// A script talks back on stdout, one JSON object per line: {"step": name,
// ...} while it runs, then exactly one {"result": ...} or {"error": ...}
// line before it exits. The Go side parses those lines; anything else on
// stdout is a test failure. Nothing here depends on an npm package.

export function out(obj) {
  // Writes to a pipe are synchronous on Linux, so nothing is lost when the
  // script exits right after.
  process.stdout.write(JSON.stringify(obj) + "\n");
}

export function step(name, data = {}) {
  out({ step: name, ...data });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// once resolves with the arguments of emitter's next event (an array when
// there are several), or rejects after ms.
export function once(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    const on = (...args) => {
      clearTimeout(timer);
      resolve(args.length > 1 ? args : args[0]);
    };
    emitter.once(event, on);
  });
}

// mark records the time since the script started under name; main adds
// the marks to an object result as "timings", and to an error, to tell
// where time went.
const started = performance.now();
const timings = {};
export function mark(name) {
  timings[name] = Math.round(performance.now() - started);
}

function marks() {
  return Object.keys(timings).length > 0 ? `; marks: ${JSON.stringify(timings)}` : "";
}

// main runs fn, then cleanup (which closes the script's connections),
// prints fn's result or error, and exits. ms bounds the run.
export function main(fn, ms = 20000, cleanup = async () => {}) {
  const timer = setTimeout(() => {
    out({ error: `script timed out after ${ms} ms${marks()}` });
    process.exit(2);
  }, ms);
  fn().then(
    async (result) => {
      await cleanup();
      clearTimeout(timer);
      if (result && typeof result === "object" && !Array.isArray(result) && Object.keys(timings).length > 0) {
        result.timings = timings;
      }
      out({ result: result ?? null });
      process.exit(0);
    },
    (err) => {
      clearTimeout(timer);
      out({ error: `${String((err && err.stack) || err)}${marks()}` });
      process.exit(1);
    },
  );
}
