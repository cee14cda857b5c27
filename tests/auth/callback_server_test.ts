// Every server here binds port 0 (or a port a test listener holds): the DCR ports are left to
// callback_server_ports_test.ts.
import assert from "node:assert/strict";
import {
  CallbackPortError,
  type CallbackServer,
  parseCallbackPort,
  startCallbackServer,
} from "../../lib/auth/callback_server.ts";
import { UsageError } from "../../lib/errors.ts";

const STATE = "abcdefghijklmnopqrstuvwxyz012345";

/** Sends raw bytes and returns the response's status line ("" if the server just closed). */
async function rawStatus(port: number, head: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    // A huge request may be refused before it is all written: the write then fails, harmlessly.
    const writing = conn.write(new TextEncoder().encode(head)).catch(() => 0);
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf).catch(() => null);
    await writing;
    return n === null ? "" : new TextDecoder().decode(buf.subarray(0, n)).split("\r\n")[0];
  } finally {
    conn.close();
  }
}

/** Tracks whether the outcome has settled, without consuming it. */
function watch(server: CallbackServer) {
  const seen = { settled: false };
  server.outcome.then(() => (seen.settled = true), () => (seen.settled = true));
  return seen;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: { connection: "close" } });
  return { status: res.status, body: await res.text() };
}

Deno.test("startCallbackServer() binds 127.0.0.1 and gives the redirect URI of its port", async () => {
  const server = await startCallbackServer({ ports: [0], state: STATE });
  try {
    assert.ok(server.port > 0);
    assert.equal(server.redirectUri, `http://127.0.0.1:${server.port}/oauth/callback`);
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() resolves with the first valid callback, then stops listening", async () => {
  const server = await startCallbackServer({ ports: [0], state: STATE });
  try {
    const res = await get(`${server.redirectUri}?code=the-code&state=${STATE}&dd_org_name=Acme`);
    assert.equal(res.status, 200);
    assert.ok(res.body.includes("Authentication Successful"));
    const outcome = await server.outcome;
    assert.equal(outcome.kind, "code");
    assert.equal(outcome.kind === "code" && outcome.callback.code, "the-code");
    // The server shuts itself down: no close() here. Bounded wait for the listener to go.
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port: server.port })).close();
        await new Promise((r) => setTimeout(r, 10));
      } catch {
        refused = true;
      }
    }
    assert.ok(refused, "the server still accepts connections after the callback");
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() rejects hostile requests and still completes a later valid callback", async (t) => {
  const server = await startCallbackServer({ ports: [0], state: STATE });
  const seen = watch(server);
  const base = server.redirectUri;
  const port = server.port;
  try {
    const cases: [string, () => Promise<string | number>, string | number][] = [
      ["a wrong state", async () => (await get(`${base}?code=x&state=wrong`)).status, 400],
      ["no state", async () => (await get(`${base}?code=x`)).status, 400],
      [
        "error= with a wrong state",
        async () => (await get(`${base}?error=access_denied&state=x`)).status,
        400,
      ],
      [
        "a foreign Host header",
        () =>
          rawStatus(
            port,
            `GET /oauth/callback?code=x&state=${STATE} HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n`,
          ),
        "HTTP/1.1 400 Bad Request",
      ],
      [
        "no Host header",
        () => rawStatus(port, `GET /oauth/callback?code=x&state=${STATE} HTTP/1.0\r\n\r\n`),
        "HTTP/1.0 400 Bad Request",
      ],
      ["a POST", async () => {
        const res = await fetch(`${base}?code=x&state=${STATE}`, { method: "POST", body: "x" });
        await res.body?.cancel();
        return res.status;
      }, 405],
      ["the favicon", async () => (await get(`http://127.0.0.1:${port}/favicon.ico`)).status, 404],
      [
        "another path",
        async () =>
          (await get(`http://127.0.0.1:${port}/oauth/callbackX?code=x&state=${STATE}`)).status,
        404,
      ],
      [
        "a 9 KB query",
        async () => (await get(`${base}?code=x&state=${STATE}&p=${"a".repeat(9000)}`)).status,
        414,
      ],
      [
        "a 1 MB query",
        async () =>
          (await rawStatus(
            port,
            `GET /oauth/callback?code=x&state=${STATE}&p=${
              "a".repeat(1 << 20)
            } HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
          )).split(" ")[1],
        "400",
      ],
    ];
    for (const [label, send, expected] of cases) {
      await t.step(`${label} is rejected and the server keeps waiting`, async () => {
        assert.equal(await send(), expected);
        assert.equal(seen.settled, false);
      });
    }
    await t.step("a script in error_description with a wrong state is not reflected", async () => {
      const res = await get(
        `${base}?error=x&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=no`,
      );
      assert.equal(res.status, 400);
      assert.ok(!res.body.includes("<script>"));
      assert.ok(!res.body.includes("alert(1)"));
      assert.equal(seen.settled, false);
    });
    await t.step("the valid callback then completes the login", async () => {
      assert.equal((await get(`${base}?code=real&state=${STATE}`)).status, 200);
      const outcome = await server.outcome;
      assert.equal(outcome.kind === "code" && outcome.callback.code, "real");
    });
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() ends with the server's error when error= has the right state", async () => {
  const server = await startCallbackServer({ ports: [0], state: STATE });
  try {
    const res = await get(
      `${server.redirectUri}?error=access_denied&error_description=no&state=${STATE}`,
    );
    assert.equal(res.status, 400);
    assert.ok(res.body.includes("Authentication Failed"));
    assert.deepEqual(await server.outcome, {
      kind: "error",
      error: "access_denied",
      description: "no",
    });
  } finally {
    await server.close();
  }
});

Deno.test("startCallbackServer() fails fast when the pinned port is busy", async (t) => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const busy = holder.addr.port;
  try {
    await t.step("naming --callback-port", async () => {
      await assert.rejects(
        startCallbackServer({ pinned: { port: busy, source: "--callback-port" }, state: STATE }),
        (e: unknown) => {
          assert.ok(e instanceof CallbackPortError);
          assert.match(
            e.message,
            new RegExp(
              `^Could not bind requested callback port ${busy}: .*in use.*\\. Pick an unused port ` +
                "or omit --callback-port to scan \\[8000, 8080, 8888, 9000\\]\\.$",
            ),
          );
          return true;
        },
      );
    });
    await t.step("naming PUP_OAUTH_CALLBACK_PORT", async () => {
      await assert.rejects(
        startCallbackServer({
          pinned: { port: busy, source: "PUP_OAUTH_CALLBACK_PORT" },
          state: STATE,
        }),
        /unset PUP_OAUTH_CALLBACK_PORT to scan/,
      );
    });
  } finally {
    holder.close();
  }
});

Deno.test("startCallbackServer() skips a busy port and binds the next one", async () => {
  const holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const server = await startCallbackServer({ ports: [holder.addr.port, 0], state: STATE });
  try {
    assert.notEqual(server.port, holder.addr.port);
  } finally {
    await server.close();
    holder.close();
  }
});

Deno.test("startCallbackServer() names the allowlist and each failure when every port is busy", async () => {
  const a = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const b = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assert.rejects(
      startCallbackServer({ ports: [a.addr.port, b.addr.port], state: STATE }),
      (e: unknown) => {
        assert.ok(e instanceof CallbackPortError);
        assert.ok(
          e.message.startsWith(
            "Could not bind to any DCR redirect port ([8000, 8080, 8888, 9000]): ",
          ),
        );
        assert.ok(e.message.includes(`${a.addr.port}: `) && e.message.includes(`${b.addr.port}: `));
        assert.ok(e.message.includes("--callback-port"));
        return true;
      },
    );
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("startCallbackServer() stops and rejects the outcome when its signal aborts", async () => {
  const ac = new AbortController();
  const server = await startCallbackServer({ ports: [0], state: STATE, signal: ac.signal });
  ac.abort(new Error("interrupted by the test"));
  await assert.rejects(server.outcome, /interrupted by the test/);
  await server.close();
  await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: server.port }));
});

Deno.test("startCallbackServer() refuses to start with an aborted signal", async () => {
  await assert.rejects(
    startCallbackServer({ ports: [0], state: STATE, signal: AbortSignal.abort(new Error("gone")) }),
    /gone/,
  );
});

Deno.test("close() before any callback rejects the outcome and can be called twice", async () => {
  const server = await startCallbackServer({ ports: [0], state: STATE });
  await server.close();
  await server.close();
  await assert.rejects(server.outcome, /closed before a callback arrived/);
});

Deno.test("parseCallbackPort() accepts the four DCR ports", () => {
  for (const p of ["8000", "8080", "8888", "9000", "+8000", "08000"]) {
    assert.equal(parseCallbackPort(p, "--callback-port"), Number(p));
  }
});

Deno.test("parseCallbackPort() refuses values the Rust pup refuses, with its messages", async (t) => {
  const cases: [string, "--callback-port" | "PUP_OAUTH_CALLBACK_PORT", string][] = [
    [
      "abc",
      "PUP_OAUTH_CALLBACK_PORT",
      'Invalid PUP_OAUTH_CALLBACK_PORT="abc": invalid digit found in string (expected one of [8000, 8080, 8888, 9000])',
    ],
    [
      "",
      "PUP_OAUTH_CALLBACK_PORT",
      'Invalid PUP_OAUTH_CALLBACK_PORT="": cannot parse integer from empty string (expected one of [8000, 8080, 8888, 9000])',
    ],
    [
      "70000",
      "--callback-port",
      'Invalid --callback-port="70000": number too large to fit in target type (expected one of [8000, 8080, 8888, 9000])',
    ],
    [
      "-1",
      "--callback-port",
      'Invalid --callback-port="-1": invalid digit found in string (expected one of [8000, 8080, 8888, 9000])',
    ],
    [
      "0",
      "--callback-port",
      "--callback-port value 0 is not in the DCR redirect allowlist [8000, 8080, 8888, 9000]; the OAuth server will reject any other port",
    ],
    [
      "8001",
      "PUP_OAUTH_CALLBACK_PORT",
      "PUP_OAUTH_CALLBACK_PORT value 8001 is not in the DCR redirect allowlist [8000, 8080, 8888, 9000]; the OAuth server will reject any other port",
    ],
  ];
  for (const [value, source, message] of cases) {
    await t.step(`${source}=${JSON.stringify(value)}`, () => {
      assert.throws(() => parseCallbackPort(value, source), (e: unknown) => {
        assert.ok(e instanceof UsageError);
        assert.equal(e.message, message);
        return true;
      });
    });
  }
});
