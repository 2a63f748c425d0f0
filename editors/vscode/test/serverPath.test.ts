import { strict as assert } from "node:assert";
import { test } from "node:test";

import { INSTALL_HINT, PathEnv, isLlmosWorkspace, resolveServerPath } from "../src/serverPath";

function env(files: string[], extra: Partial<PathEnv> = {}): PathEnv {
  const set = new Set(files);
  return { pathVar: "/usr/bin:/opt/llmos/bin", platform: "linux", home: "/home/me", isExecutableFile: (p) => set.has(p), ...extra };
}

test("llmos on PATH is found when the setting is empty", () => {
  assert.deepEqual(resolveServerPath("", env(["/opt/llmos/bin/llmos"])), { ok: true, path: "/opt/llmos/bin/llmos" });
  assert.deepEqual(resolveServerPath(undefined, env(["/usr/bin/llmos", "/opt/llmos/bin/llmos"])), { ok: true, path: "/usr/bin/llmos" });
});

test("the setting wins over PATH", () => {
  assert.deepEqual(resolveServerPath("/x/llmos", env(["/x/llmos", "/usr/bin/llmos"])), { ok: true, path: "/x/llmos" });
});

test("~ and ${workspaceFolder} and relative paths in the setting are expanded", () => {
  assert.deepEqual(resolveServerPath("~/bin/llmos", env(["/home/me/bin/llmos"])), { ok: true, path: "/home/me/bin/llmos" });
  assert.deepEqual(resolveServerPath("${workspaceFolder}/target/debug/llmos", env(["/w/target/debug/llmos"], { workspaceFolder: "/w" })), {
    ok: true,
    path: "/w/target/debug/llmos",
  });
  assert.deepEqual(resolveServerPath("target/debug/llmos", env(["/w/target/debug/llmos"], { workspaceFolder: "/w" })), {
    ok: true,
    path: "/w/target/debug/llmos",
  });
});

test("a bare name in the setting is looked up on PATH", () => {
  assert.deepEqual(resolveServerPath("llmos-dev", env(["/usr/bin/llmos-dev"])), { ok: true, path: "/usr/bin/llmos-dev" });
});

test("nothing found gives the install command", () => {
  const r = resolveServerPath("", env([]));
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.message.includes("cargo install --path server"));
  assert.ok(!r.ok && r.message.includes(INSTALL_HINT));
});

test("a setting that points nowhere says so and gives the install command", () => {
  const r = resolveServerPath("/nope/llmos", env(["/usr/bin/llmos"]));
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.message.includes("/nope/llmos") && r.message.includes("cargo install --path server"));
});

test("windows PATH uses ; and .exe", () => {
  const r = resolveServerPath("", env(["C:\\tools/llmos.exe"], { platform: "win32", pathVar: "C:\\nothing;C:\\tools" }));
  assert.equal(r.ok, true);
});

test("a workspace has llmos.toml or volumes/", () => {
  assert.equal(isLlmosWorkspace("/w", (p) => p === "/w/llmos.toml"), true);
  assert.equal(isLlmosWorkspace("/w", (p) => p === "/w/volumes"), true);
  assert.equal(isLlmosWorkspace("/w", () => false), false);
});
