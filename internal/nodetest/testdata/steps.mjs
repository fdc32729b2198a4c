// Exercises lib.mjs for nodetest_test.go: node steps.mjs ok|fail|stray.
import { main, mark, once, sleep, step } from "../lib.mjs";
import { EventEmitter } from "node:events";

const how = process.argv[2];

main(async () => {
  step("started", { how });
  const e = new EventEmitter();
  setTimeout(() => e.emit("tick", 1, 2), 10);
  const args = await once(e, "tick");
  mark("ticked");
  await sleep(1);
  if (how === "fail") throw new Error("asked to fail");
  if (how === "stray") process.stdout.write("not json\n");
  return { args };
});
