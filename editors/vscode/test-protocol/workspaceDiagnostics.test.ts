// Workspace-wide diagnostics as VS Code gets them: the built `llmos lsp`, initialised
// with the capabilities vscode-languageclient 9 sends (pull with refresh) and the
// extension's `llmos.diagnostics.scope` setting passed through `serverSettings`, must
// advertise workspace diagnostics and report a closed file's problems under the
// default scope and not under `openFiles`. LLMOS_BIN names the binary.

import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, test } from "node:test";
import { pathToFileURL } from "node:url";
import { MessageConnection, StreamMessageReader, StreamMessageWriter, createMessageConnection } from "vscode-jsonrpc/node";

import { serverSettings } from "../src/settings";

interface Report {
  kind: "full" | "unchanged";
  uri: string;
  version: number | null;
  resultId?: string;
  items?: { code?: string }[];
}

const uriOf = (p: string) => pathToFileURL(p).href;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function workspace(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "llmos-vscode-wsdiag-"));
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write("llmos.toml", "");
  write("volumes/user/skills/bad-skill/SKILL.md", "---\nname: Bad_Skill\ndescription: Use when testing.\n---\n");
  write("volumes/user/skills/good-skill/SKILL.md", "---\nname: good-skill\ndescription: Use when testing.\n---\n");
  write("volumes/user/sessions/s1.md", "---\ntitle: T\nid: s1\n---\n\n<!-- turn: user -->\nHello\n");
  return root;
}

/** The package.json default of a setting, read as VS Code would. */
function manifestDefault(key: string): unknown {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8"));
  return manifest.contributes.configuration.properties[key]?.default;
}

async function start(root: string, scope: string | undefined): Promise<{ conn: MessageConnection; init: { capabilities: Record<string, unknown> } }> {
  const bin = process.env.LLMOS_BIN;
  assert.ok(bin && fs.existsSync(bin), "set LLMOS_BIN to the built llmos binary");
  const proc: ChildProcess = spawn(bin, ["lsp"], { cwd: root, stdio: ["pipe", "pipe", "pipe"] });
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  for (const m of ["client/registerCapability", "window/workDoneProgress/create", "workspace/codeLens/refresh", "workspace/diagnostic/refresh"]) {
    conn.onRequest(m, () => null);
  }
  conn.listen();
  cleanups.push(async () => {
    try {
      await Promise.race([conn.sendRequest("shutdown"), new Promise((r) => setTimeout(r, 3000))]);
      await conn.sendNotification("exit");
    } catch {
      // already gone
    }
    conn.dispose();
    proc.kill();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const init = await conn.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", {
    processId: process.pid,
    rootUri: uriOf(root),
    workspaceFolders: [{ uri: uriOf(root), name: "w" }],
    initializationOptions: serverSettings({ "diagnostics.scope": scope }),
    // What vscode-languageclient 9 says about diagnostics.
    capabilities: {
      general: { positionEncodings: ["utf-16"] },
      textDocument: { diagnostic: { dynamicRegistration: true, relatedDocumentSupport: false }, publishDiagnostics: { relatedInformation: true } },
      workspace: { applyEdit: true, diagnostics: { refreshSupport: true }, workspaceEdit: { documentChanges: true } },
      window: { workDoneProgress: true },
    },
  });
  await conn.sendNotification("initialized", {});
  return { conn, init };
}

async function pull(conn: MessageConnection): Promise<Report[]> {
  const r = await conn.sendRequest<{ items: Report[] }>("workspace/diagnostic", { identifier: "llmos", previousResultIds: [] });
  return r.items;
}

test("the default scope (workspace) lists a closed file's problems", async () => {
  const root = workspace();
  const scope = manifestDefault("llmos.diagnostics.scope");
  assert.equal(scope, "workspace");
  const { conn, init } = await start(root, scope as string);
  const provider = init.capabilities.diagnosticProvider as { workspaceDiagnostics?: boolean } | undefined;
  assert.equal(provider?.workspaceDiagnostics, true, JSON.stringify(init.capabilities.diagnosticProvider));
  const items = await pull(conn);
  const bad = items.find((i) => i.uri === uriOf(path.join(root, "volumes/user/skills/bad-skill/SKILL.md")));
  assert.ok(bad, `no report for the closed bad skill: ${JSON.stringify(items)}`);
  assert.equal(bad.kind, "full");
  assert.ok(bad.resultId, "a result id to send back");
  assert.ok(bad.items?.some((d) => d.code === "skill/name-format"), JSON.stringify(bad));
  assert.ok(!items.some((i) => i.uri.includes("good-skill")), "clean files are not listed");
});

test("the openFiles scope lists open files only", async () => {
  const root = workspace();
  const { conn } = await start(root, "openFiles");
  const session = path.join(root, "volumes/user/sessions/s1.md");
  await conn.sendNotification("textDocument/didOpen", {
    textDocument: { uri: uriOf(session), languageId: "markdown", version: 3, text: "---\ntitle: T\nid: s1\nstatus: maybe\n---\n\n<!-- turn: user -->\nHello\n" },
  });
  const items = await pull(conn);
  assert.deepEqual(
    items.map((i) => [i.uri, i.version]),
    [[uriOf(session), 3]],
    JSON.stringify(items),
  );
});
