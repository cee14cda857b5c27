/**
 * FallbackStore's `Candidate.load`: a backend reached only after the ones before it are absent
 * loads its code then, and never when an earlier store answers (start-up, SPEC §8).
 */
import assert from "node:assert/strict";
import { type Candidate, FallbackStore } from "../../lib/storage/fallback_store.ts";
import { StoreAbsentError } from "../../lib/storage/secret_store.ts";
import type { SiteState, SiteStateStore } from "../../lib/storage/types.ts";

const EMPTY: SiteState = { tokens: {}, client: null };

function store(backend: string, absent: boolean, log: string[]): SiteStateStore {
  const answer = () => {
    log.push(`${backend}.read`);
    if (absent) return Promise.reject(new StoreAbsentError(`no ${backend}`));
    return Promise.resolve(structuredClone(EMPTY));
  };
  return {
    backend,
    location: backend,
    read: answer,
    readLatest: answer,
    update: () => Promise.reject(new Error("no update expected")),
  };
}

function candidates(firstAbsent: boolean, log: string[]): Candidate[] {
  return [
    { name: "first", backend: "first", make: () => store("first", firstAbsent, log) },
    {
      name: "second",
      backend: "second",
      load: async () => {
        await Promise.resolve();
        log.push("second.load");
      },
      make: () => {
        assert.ok(log.includes("second.load"), "made before its code was loaded");
        log.push("second.make");
        return store("second", false, log);
      },
    },
  ];
}

const unexpected = () => new Error("every candidate absent: not expected");

Deno.test("a later candidate's code is not loaded while the first store answers", async () => {
  const log: string[] = [];
  const s = new FallbackStore(candidates(false, log), () => {}, unexpected);
  await s.read("datadoghq.com");
  assert.deepEqual(log, ["first.read", "first.read"]);
  assert.equal(s.backend, "first");
});

Deno.test("a later candidate's code loads before it is made, once the first store is absent", async () => {
  const log: string[] = [];
  const warnings: string[] = [];
  const s = new FallbackStore(candidates(true, log), (l) => void warnings.push(l), unexpected);
  await s.read("datadoghq.com");
  assert.deepEqual(log, ["first.read", "second.load", "second.make", "second.read", "second.read"]);
  assert.equal(s.backend, "second");
  assert.deepEqual(warnings, ["Warning: first not available (no first), trying second"]);
});
