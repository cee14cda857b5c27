import assert from "node:assert/strict";
import { createClock } from "../../lib/platform/clock.ts";

Deno.test("createClock().now() reads the wall clock in milliseconds", () => {
  const before = Date.now();
  const now = createClock().now();
  const after = Date.now();
  assert.ok(before <= now && now <= after);
});

Deno.test("createClock().sleep() resolves after the delay", async () => {
  assert.equal(await createClock().sleep(1), undefined);
});

Deno.test("createClock().sleep() rejects with the signal's reason when it aborts", async () => {
  const ac = new AbortController();
  // An hour: the test only ends early (with no timer left behind) if the abort works.
  const sleeping = createClock().sleep(3_600_000, ac.signal);
  ac.abort(new Error("stop"));
  await assert.rejects(sleeping, /stop/);
});

Deno.test("createClock().sleep() rejects at once when the signal has already aborted", async () => {
  await assert.rejects(
    createClock().sleep(3_600_000, AbortSignal.abort(new Error("already"))),
    /already/,
  );
});

Deno.test("createClock().sleep() removes its abort listener once it resolves", async () => {
  const { signal } = new AbortController();
  let listeners = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners++;
    add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners--;
    remove(...args);
  }) as typeof remove;
  await createClock().sleep(1, signal);
  assert.equal(listeners, 0);
});
