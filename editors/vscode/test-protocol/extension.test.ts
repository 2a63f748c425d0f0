// Runs the bundled extension (dist/extension.js, what the .vsix ships) with the real
// vscode-languageclient against the built server, with `vscode` replaced by a stand-in:
// activation starts the server, the server's commands get handlers, a palette command
// sends the active document, the status bar fills from llmos/status, and a missing
// server binary gives the install command.

import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, test } from "node:test";

import { FakeState, fakeVscode } from "./fakeVscode";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require("node:module");
const EXTENSION = path.join(__dirname, "..", "..", "dist", "extension.js");

function workspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "llmos-vscode-ext-"));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write("llmos.toml", "");
  write("volumes/user/sessions/s1.md", "---\ntitle: From VS Code\nid: s1\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHi\n");
  const user = path.join(root, "volumes/user");
  execFileSync("git", ["-C", user, "init", "-q"]);
  execFileSync("git", ["-C", user, "config", "user.name", "Test"]);
  execFileSync("git", ["-C", user, "config", "user.email", "test@example.com"]);
  return root;
}

interface Extension {
  activate(context: { subscriptions: { dispose(): unknown }[] }): Promise<void>;
  deactivate(): Promise<void>;
}

/** Loads a fresh copy of the bundle with `vscode` resolved to the stand-in. */
function load(state: FakeState): Extension {
  const fake = fakeVscode(state);
  const original = Module._load;
  Module._load = function (request: string, ...rest: unknown[]) {
    if (request === "vscode") return fake;
    return original.call(this, request, ...rest);
  };
  try {
    delete require.cache[require.resolve(EXTENSION)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(EXTENSION) as Extension;
  } finally {
    Module._load = original;
  }
}

function newState(root: string, settings: Record<string, unknown>): FakeState {
  return { commands: new Map(), settings, messages: [], log: [], statusItem: { text: "", tooltip: undefined, shown: false }, folders: [root] };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function until<T>(what: string, check: () => T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("the bundled extension starts the server and routes palette commands with the active document", async () => {
  const bin = process.env.LLMOS_BIN;
  assert.ok(bin && fs.existsSync(bin), "set LLMOS_BIN to the built llmos binary");
  const root = workspace();
  const state = newState(root, { "server.path": bin, profile: "llmos" });
  const ext = load(state);
  const context = { subscriptions: [] as { dispose(): unknown }[] };
  cleanups.push(async () => {
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });
  cleanups.push(() => {
    if (process.env.LLMOS_TEST_VERBOSE) console.error(state.log.join("\n"));
  });
  await ext.activate(context);
  assert.deepEqual(state.messages.filter((m) => m.level === "error"), [], state.log.join("\n"));

  // The language client registers a handler for each command the server advertises.
  for (const c of ["llmos.session.commit", "llmos.chat.send", "llmos.evolution.run", "llmos.skill.promote"]) {
    assert.ok(state.commands.has(c), `no handler for ${c}; registered: ${[...state.commands.keys()].join(", ")}`);
  }
  assert.ok(state.commands.has("llmos.status.show"));

  // Status bar from llmos/status: no [llm] in llmos.toml.
  await until("the status bar text", () => /no LLM/.test(state.statusItem.text));
  assert.ok(state.statusItem.shown);
  assert.match(String(state.statusItem.tooltip), /user: \d+ skills/);

  // No editor open: the command says what it needs and sends nothing.
  await state.commands.get("llmos.chat.send")!();
  assert.ok(state.messages.some((m) => m.level === "warning" && /needs an open llmos document/.test(m.text)), JSON.stringify(state.messages));

  // From the palette (no arguments), with a session in the active editor.
  state.activeFile = path.join(root, "volumes/user/sessions/s1.md");
  const result = (await state.commands.get("llmos.session.commit")!()) as { sha?: string } | undefined;
  assert.ok(result?.sha, `commit returned ${JSON.stringify(result)}; messages ${JSON.stringify(state.messages)}`);
  const subject = execFileSync("git", ["-C", path.join(root, "volumes/user"), "log", "-1", "--format=%s"]).toString().trim();
  assert.equal(subject, "session: From VS Code");

  // A server error becomes an error message, not an unhandled rejection.
  await state.commands.get("llmos.session.commit")!();
  const errors = state.messages.filter((m) => m.level === "error");
  assert.equal(errors.length, 1, `one clear message, not a generic one too: ${JSON.stringify(errors)}`);
  assert.match(errors[0].text, /^LLMos: nothing to commit/);
});

test("a missing server binary gives the install command and starts nothing", async () => {
  const root = workspace();
  const state = newState(root, { "server.path": path.join(root, "no-such-llmos") });
  const ext = load(state);
  const context = { subscriptions: [] as { dispose(): unknown }[] };
  cleanups.push(async () => {
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });
  await ext.activate(context);
  const errors = state.messages.filter((m) => m.level === "error");
  assert.equal(errors.length, 1, JSON.stringify(state.messages));
  assert.match(errors[0].text, /cargo install --path server/);
  assert.match(errors[0].text, /no-such-llmos/);
  assert.ok(!state.commands.has("llmos.session.commit"), "server commands registered without a server");
});

test("a folder that is not an llmos workspace starts nothing and says nothing", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "llmos-vscode-plain-"));
  const state = newState(root, { "server.path": process.env.LLMOS_BIN });
  const ext = load(state);
  const context = { subscriptions: [] as { dispose(): unknown }[] };
  cleanups.push(async () => {
    await ext.deactivate();
    for (const d of context.subscriptions) d.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });
  await ext.activate(context);
  assert.deepEqual(state.messages, []);
  assert.ok(!state.commands.has("llmos.session.commit"));
});
