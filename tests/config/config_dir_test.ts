import assert from "node:assert/strict";
import { configYamlCandidates, resolveConfigDir } from "../../lib/config/config_dir.ts";

Deno.test("resolveConfigDir() uses PUP_CONFIG_DIR when set and non-empty", () => {
  assert.equal(resolveConfigDir({ PUP_CONFIG_DIR: "/x", HOME: "/h" }, "linux"), "/x");
  assert.equal(resolveConfigDir({ PUP_CONFIG_DIR: "", HOME: "/h" }, "linux"), "/h/.config/pup");
});

Deno.test("resolveConfigDir() follows the Rust pup per OS", () => {
  assert.equal(resolveConfigDir({ HOME: "/h", XDG_CONFIG_HOME: "/xdg" }, "linux"), "/xdg/pup");
  assert.equal(resolveConfigDir({ HOME: "/h" }, "linux"), "/h/.config/pup");
  assert.equal(
    resolveConfigDir({ HOME: "/Users/a" }, "darwin"),
    "/Users/a/Library/Application Support/pup",
  );
  assert.equal(
    resolveConfigDir({ APPDATA: "C:\\Users\\a\\AppData\\Roaming" }, "windows"),
    "C:\\Users\\a\\AppData\\Roaming\\pup",
  );
});

Deno.test("resolveConfigDir() ignores a relative XDG_CONFIG_HOME and fails without a home", () => {
  assert.equal(resolveConfigDir({ HOME: "/h", XDG_CONFIG_HOME: "rel" }, "linux"), "/h/.config/pup");
  assert.throws(() => resolveConfigDir({}, "linux"), /HOME is not set; set PUP_CONFIG_DIR/);
});

Deno.test("configYamlCandidates() also tries ~/.config/pup/config.yaml on macOS", () => {
  assert.deepEqual(
    configYamlCandidates(
      { HOME: "/Users/a" },
      "darwin",
      "/Users/a/Library/Application Support/pup",
    ),
    [
      "/Users/a/Library/Application Support/pup/config.yaml",
      "/Users/a/.config/pup/config.yaml",
    ],
  );
  assert.deepEqual(configYamlCandidates({ HOME: "/h" }, "linux", "/h/.config/pup"), [
    "/h/.config/pup/config.yaml",
  ]);
});
