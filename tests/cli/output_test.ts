import assert from "node:assert/strict";
import { delimited } from "../../lib/cli/delimited.ts";
import { resolveFormat, wantsData } from "../../lib/cli/output.ts";
import type { IO } from "../../lib/deps.ts";

const tty = { isTerminal: true } as IO;
const pipe = { isTerminal: false } as IO;

Deno.test("resolveFormat(): -o, then DD_OUTPUT, then PUP_OUTPUT, then config, then the terminal", () => {
  const env = { DD_OUTPUT: "yaml", PUP_OUTPUT: "csv" };
  assert.equal(resolveFormat("tsv", env, tty, "json"), "tsv");
  assert.equal(resolveFormat(undefined, env, tty, "json"), "yaml");
  assert.equal(resolveFormat(undefined, { PUP_OUTPUT: "CSV" }, tty, "json"), "csv");
  assert.equal(resolveFormat(undefined, { DD_OUTPUT: "" }, tty, "json"), "json");
  assert.equal(resolveFormat(undefined, {}, tty, "bogus"), "table");
  assert.equal(resolveFormat(undefined, {}, pipe), "json");
  assert.throws(() => resolveFormat(undefined, { DD_OUTPUT: "xml" }, tty), /DD_OUTPUT must be/);
});

Deno.test("wantsData(): --jq always means data, even at a terminal", () => {
  assert.equal(wantsData({}, {}, tty), false);
  assert.equal(wantsData({ jq: "." }, {}, tty), true);
  assert.equal(wantsData({ output: "yaml" }, {}, tty), true);
});

Deno.test("delimited() quotes CSV as RFC 4180 and escapes TSV as jq's @tsv", () => {
  const rows = [{ a: 'x,"y"', b: "line\nbreak" }, { b: "tab\there", c: { n: 1 } }];
  assert.equal(
    delimited(rows, "csv"),
    'a,b,c\r\n"x,""y""","line\nbreak",\r\n,tab\there,"{""n"":1}"\r\n',
  );
  assert.equal(
    delimited(rows, "tsv"),
    'a\tb\tc\nx,"y"\tline\\nbreak\t\n\ttab\\there\t{"n":1}\n',
  );
});

Deno.test("delimited() lifts JSON:API attributes, and puts scalars in a value column", () => {
  assert.equal(
    delimited({ data: [{ id: "1", type: "m", attributes: { name: "cpu" } }] }, "csv"),
    "id,name\r\n1,cpu\r\n",
  );
  assert.equal(delimited([1, null], "tsv"), "value\n1\n\n");
  assert.equal(delimited({ ok: true }, "csv"), "ok\r\ntrue\r\n");
});
