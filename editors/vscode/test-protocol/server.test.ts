// Drives the built `llmos lsp` over stdio, as the extension's language client does:
// the commands the server advertises must all be contributed by package.json, and a
// real session must produce the diagnostics and status the extension shows.
// The server binary comes from LLMOS_BIN (editors/test.sh sets it).

import { strict as assert } from "node:assert";
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from "vscode-jsonrpc/node";

import { commandArguments } from "../src/commands";
import { serverSettings } from "../src/settings";
import { LlmosStatus, statusView } from "../src/status";

const TIMEOUT_MS = 20_000;

interface Diagnostic {
  code?: string | number;
  message: string;
}
interface PublishDiagnosticsParams {
  uri: string;
  diagnostics: Diagnostic[];
}

function serverBinary(): string {
  const bin = process.env.LLMOS_BIN;
  if (!bin || !fs.existsSync(bin)) {
    throw new Error(`set LLMOS_BIN to the built llmos binary (got ${JSON.stringify(bin)}); editors/test.sh does this`);
  }
  return bin;
}

function write(root: string, rel: string, text: string): string {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

function makeWorkspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "llmos-vscode-"));
  write(root, "llmos.toml", "");
  write(root, "volumes/user/skills/good-skill/SKILL.md", "---\nname: good-skill\ndescription: Use when testing the editor client.\ncategory: testing\n---\n\nBody.\n");
  write(root, "volumes/user/skills/bad-skill/SKILL.md", "---\nname: Bad_Skill\ndescription: x\n---\n");
  write(root, "volumes/user/skills/folder-name/SKILL.md", "---\nname: other-name\ndescription: Use when testing.\n---\n");
  write(root, "volumes/user/sessions/s1.md", "---\ntitle: T\nid: s1\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHello\n");
  const git = (...args: string[]) => execFileSync("git", ["-C", path.join(root, "volumes/user"), ...args], { stdio: "ignore" });
  git("init", "-q");
  git("config", "user.name", "Test");
  git("config", "user.email", "test@example.com");
  return root;
}

const uriOf = (p: string) => pathToFileURL(p).href;

let root: string;
let proc: ChildProcess;
let conn: MessageConnection;
let initResult: { capabilities: { executeCommandProvider?: { commands: string[] } }; serverInfo?: { name: string } };
let stderr = "";
const published = new Map<string, Diagnostic[]>();
const waiters: (() => void)[] = [];

function waitFor<T>(what: string, check: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}\nserver stderr:\n${stderr}`)), TIMEOUT_MS);
    const attempt = () => {
      const value = check();
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value);
        return true;
      }
      return false;
    };
    if (attempt()) return;
    const waiter = () => {
      if (attempt()) waiters.splice(waiters.indexOf(waiter), 1);
    };
    waiters.push(waiter);
  });
}

function codes(uri: string): string[] | undefined {
  return published.get(uri)?.map((d) => String(d.code));
}

function open(file: string): string {
  const uri = uriOf(file);
  void conn.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "markdown", version: 1, text: fs.readFileSync(file, "utf8") },
  });
  return uri;
}

before(async () => {
  root = makeWorkspace();
  proc = spawn(serverBinary(), ["lsp"], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
  proc.stderr?.on("data", (d) => (stderr += d.toString()));
  conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  conn.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
    published.set(p.uri, p.diagnostics);
    for (const w of [...waiters]) w();
  });
  // Requests the server may send; answered the way VS Code does.
  conn.onRequest("client/registerCapability", () => null);
  conn.onRequest("window/workDoneProgress/create", () => null);
  conn.onRequest("workspace/applyEdit", () => ({ applied: true }));
  conn.onRequest("workspace/codeLens/refresh", () => null);
  conn.onRequest("workspace/diagnostic/refresh", () => null);
  conn.onRequest("window/showDocument", () => ({ success: true }));
  conn.listen();
  initResult = await conn.sendRequest("initialize", {
    processId: process.pid,
    rootUri: uriOf(root),
    workspaceFolders: [{ uri: uriOf(root), name: "w" }],
    initializationOptions: serverSettings({ profile: "llmos" }),
    capabilities: {
      general: { positionEncodings: ["utf-16"] },
      textDocument: { publishDiagnostics: { relatedInformation: true }, hover: { contentFormat: ["markdown", "plaintext"] } },
      workspace: { applyEdit: true, executeCommand: {}, configuration: true },
      window: { workDoneProgress: true, showDocument: { support: true } },
    },
  });
  await conn.sendNotification("initialized", {});
});

after(async () => {
  if (conn) {
    try {
      await Promise.race([conn.sendRequest("shutdown"), new Promise((r) => setTimeout(r, 3000))]);
      await conn.sendNotification("exit");
    } catch {
      // the server may already be gone
    }
    conn.dispose();
  }
  proc?.kill();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test("package.json contributes every command the built server advertises", () => {
  const advertised = initResult.capabilities.executeCommandProvider?.commands ?? [];
  assert.ok(advertised.length > 0, "the server advertises no commands");
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
  const contributed = new Map<string, { title: string; category: string }>(
    manifest.contributes.commands.map((c: { command: string; title: string; category: string }) => [c.command, c]),
  );
  const missing = advertised.filter((c) => !contributed.has(c));
  assert.deepEqual(missing, [], `package.json lacks server commands: ${missing.join(", ")}`);
  for (const c of advertised) {
    assert.equal(contributed.get(c)?.category, "LLMos", `${c} is not under the LLMos category`);
    assert.ok(contributed.get(c)?.title, `${c} has no title`);
  }
  const binding = manifest.contributes.keybindings.find((k: { command: string }) => k.command === "llmos.chat.send");
  assert.ok(binding, "no keybinding for llmos.chat.send");
  assert.equal(binding.key, "ctrl+enter");
  assert.equal(binding.mac, "cmd+enter");
  const when = /resourcePath =~ \/(.*)\/$/.exec(binding.when)?.[1];
  assert.ok(when, `keybinding 'when' has no resourcePath regex: ${binding.when}`);
  const re = new RegExp(when.replace(/\\\//g, "/"));
  assert.ok(re.test("/w/volumes/user/sessions/s1.md"));
  assert.ok(!re.test("/w/volumes/user/skills/x/SKILL.md"));
});

test("a skill with a bad name gets skill/name-format", async () => {
  const uri = open(path.join(root, "volumes/user/skills/bad-skill/SKILL.md"));
  const got = await waitFor("diagnostics on the bad skill", () => codes(uri));
  assert.ok(got.includes("skill/name-format"), `codes: ${got.join(", ")}`);
  const d = published.get(uri)?.find((x) => x.code === "skill/name-format");
  assert.match(d?.message ?? "", /Bad_Skill/);
});

test("a well-formed name that differs from its folder gets skill/name-mismatch", async () => {
  const uri = open(path.join(root, "volumes/user/skills/folder-name/SKILL.md"));
  const got = await waitFor("diagnostics on the mismatched skill", () => codes(uri));
  assert.ok(got.includes("skill/name-mismatch"), `codes: ${got.join(", ")}`);
  assert.ok(!got.includes("skill/name-format"), `codes: ${got.join(", ")}`);
});

test("a good skill gets no errors", async () => {
  const uri = open(path.join(root, "volumes/user/skills/good-skill/SKILL.md"));
  const got = await waitFor("diagnostics on the good skill", () => codes(uri));
  assert.ok(!got.includes("skill/name-format") && !got.includes("skill/unknown-key"), `codes: ${got.join(", ")}`);
});

test("the profile setting reaches the server through didChangeConfiguration", async () => {
  const uri = uriOf(path.join(root, "volumes/user/skills/good-skill/SKILL.md"));
  await conn.sendNotification("workspace/didChangeConfiguration", { settings: { llmos: serverSettings({ profile: "agentskills" }) } });
  // `category` is an llmos key: allowed by default, an error under the strict profile.
  await waitFor("skill/unknown-key under the agentskills profile", () => (codes(uri)?.includes("skill/unknown-key") ? true : undefined));
  await conn.sendNotification("workspace/didChangeConfiguration", { settings: { llmos: serverSettings({ profile: "llmos" }) } });
  await waitFor("skill/unknown-key gone under the llmos profile", () => (codes(uri)?.includes("skill/unknown-key") ? undefined : true));
});

test("llmos/status has the shape the status bar reads", async () => {
  const s = await conn.sendRequest<LlmosStatus>("llmos/status");
  assert.equal(fs.realpathSync(s.workspace ?? ""), fs.realpathSync(root));
  assert.equal(typeof s.ready, "boolean");
  const user = s.volumes.find((v) => v.name === "user");
  assert.ok(user, "no user volume in status");
  assert.equal(user.repository, true);
  assert.ok(Array.isArray(s.jobs));
  for (const j of s.jobs) {
    assert.ok(j.every === null || typeof j.every === "string" || typeof j.every === "number", `bad job: ${JSON.stringify(j)}`);
    assert.ok(j.nextRun === null || typeof j.nextRun === "number" || typeof j.nextRun === "string", `bad job: ${JSON.stringify(j)}`);
  }
  const view = statusView(s, Date.now());
  assert.match(view.text, /no LLM/);
  assert.match(view.text, /evolve (user|team) (in|every) /, `status bar text: ${view.text}`);
});

test("a palette command sends the active document and commits the session", async () => {
  const file = path.join(root, "volumes/user/sessions/s1.md");
  const uri = open(file);
  const args = commandArguments("llmos.session.commit", [], { activeUri: uri });
  const result = await conn.sendRequest<{ sha: string }>("workspace/executeCommand", { command: "llmos.session.commit", arguments: args });
  assert.match(result.sha, /^[0-9a-f]{40}$/);
  const subject = execFileSync("git", ["-C", path.join(root, "volumes/user"), "log", "-1", "--format=%s"]).toString().trim();
  assert.equal(subject, "session: T");
});

test("a command without its argument object is refused with a message", async () => {
  await assert.rejects(conn.sendRequest("workspace/executeCommand", { command: "llmos.session.commit", arguments: [] }), /uri/);
  await assert.rejects(conn.sendRequest("workspace/executeCommand", { command: "llmos.no.such", arguments: [{}] }), /unknown command/);
});
