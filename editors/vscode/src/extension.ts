// The VS Code side of llmos: start `llmos lsp`, route palette commands to it with the
// active document, keep the server's configuration in step with the settings, and show
// `llmos/status` in the status bar. Everything else happens in the server.

import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  ApplyWorkspaceEditRequest,
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

import { MissingDocumentError, Prompt, commandArguments, promptsFor, volumeChoices } from "./commands";
import { isLlmosWorkspace, resolveServerPath } from "./serverPath";
import { ExtensionSettings, looksLikeApiKey, serverSettings } from "./settings";
import { ApplyWorkspaceEditParams, ApplyWorkspaceEditResult, LspTextEdit, VisibleDocument, applyWorkspaceEdit } from "./streamEdit";
import { LlmosStatus, statusView } from "./status";

const STATUS_POLL_MS = 30_000;

let client: LanguageClient | undefined;
let statusItem: vscode.StatusBarItem | undefined;
let statusTimer: NodeJS.Timeout | undefined;
let output: vscode.OutputChannel | undefined;
/** Set while the extension itself stops the server (restart, deactivate). */
let stopping = false;

function warnIfKeyPasted(): void {
  if (looksLikeApiKey(vscode.workspace.getConfiguration("llmos").get<string>("llm.apiKeyEnv"))) {
    void vscode.window.showWarningMessage(
      "LLMos: `llmos.llm.apiKeyEnv` looks like an API key. It must be the *name* of an environment variable (e.g. ANTHROPIC_API_KEY); the value was not sent to the server. Remove the key from your settings.",
    );
  }
}

function readSettings(): ExtensionSettings {
  const c = vscode.workspace.getConfiguration("llmos");
  return {
    profile: c.get<string>("profile"),
    "llm.provider": c.get<string>("llm.provider"),
    "llm.model": c.get<string>("llm.model"),
    "llm.baseUrl": c.get<string>("llm.baseUrl"),
    "llm.apiKeyEnv": c.get<string>("llm.apiKeyEnv"),
    "evolution.userEvery": c.get<string>("evolution.userEvery"),
    "evolution.teamEvery": c.get<string>("evolution.teamEvery"),
    "diagnostics.scope": c.get<string>("diagnostics.scope"),
  };
}

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    if (process.platform === "win32") return true;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function llmosFolders(): vscode.WorkspaceFolder[] {
  return (vscode.workspace.workspaceFolders ?? []).filter(
    (f) => f.uri.scheme === "file" && isLlmosWorkspace(f.uri.fsPath, (p) => fs.existsSync(p)),
  );
}

async function ask(prompt: Prompt): Promise<string | undefined> {
  if (prompt === "title") {
    return vscode.window.showInputBox({ prompt: "Title of the new session", placeHolder: "New session" });
  }
  const placeHolder = prompt === "targetVolume" ? "Promote the skill to…" : "Volume";
  return vscode.window.showQuickPick(volumeChoices(prompt), { placeHolder });
}

/**
 * The language client registers a handler for each command the server advertises; this
 * middleware fills in the argument object when the command came from the palette or a
 * keybinding (VS Code then passes no arguments).
 */
async function withArguments(
  command: string,
  args: unknown[],
  next: (command: string, args: unknown[]) => vscode.ProviderResult<unknown>,
): Promise<unknown> {
  let finalArgs: unknown[];
  try {
    if (args.length > 0 && args[0] !== undefined) {
      finalArgs = args;
    } else {
      const answers: Record<string, string> = {};
      for (const prompt of promptsFor(command)) {
        const answer = await ask(prompt);
        if (answer === undefined) return undefined; // cancelled by the user
        answers[prompt] = answer;
      }
      finalArgs = commandArguments(command, args, {
        activeUri: vscode.window.activeTextEditor?.document.uri.toString(),
        ...answers,
      });
    }
  } catch (e) {
    if (e instanceof MissingDocumentError) {
      void vscode.window.showWarningMessage(`LLMos: ${e.message}`);
      return undefined;
    }
    throw e;
  }
  try {
    const result = await next(command, finalArgs);
    await saveIfAsked(result);
    void refreshStatus();
    return result;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`LLMos: ${message}`);
    return undefined;
  }
}

/**
 * A commit of an open session stamps the buffer and leaves the file to the editor
 * (`result.save`): saving it makes the buffer, the file and HEAD agree, with no
 * "file is newer" conflict whether autoSave is on or off.
 */
async function saveIfAsked(result: unknown): Promise<void> {
  const save = (result as { save?: unknown } | undefined)?.save;
  if (typeof save !== "string") return;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === save);
  if (doc?.isDirty) await doc.save();
}

/** The editor showing `uri` (a server URI), as a target for a one-step edit. */
function visibleDocument(c: LanguageClient, uri: string): VisibleDocument | undefined {
  const wanted = c.protocol2CodeConverter.asUri(uri).toString();
  const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === wanted);
  if (!editor) return undefined;
  return {
    get version() {
      return editor.document.version;
    },
    edit: (edits: LspTextEdit[]) =>
      editor.edit((builder) => {
        for (const e of edits) {
          const r = e.range;
          builder.replace(new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character), e.newText);
        }
      }),
  };
}

/**
 * Streamed reply edits go through `TextEditor.edit` (see streamEdit.ts); the rest to the
 * client's own handler. vscode-languageclient 9 has no middleware for applyEdit, so the
 * request handler it registered at start is replaced, and its method called for the rest.
 */
function routeApplyEdit(c: LanguageClient): void {
  const own = (c as unknown as { handleApplyWorkspaceEdit?: (p: ApplyWorkspaceEditParams) => Promise<ApplyWorkspaceEditResult> }).handleApplyWorkspaceEdit;
  if (typeof own !== "function") {
    output?.appendLine("this vscode-languageclient has no handleApplyWorkspaceEdit; streamed replies use workspace.applyEdit");
    return;
  }
  const fallback = own.bind(c);
  c.onRequest(ApplyWorkspaceEditRequest.type, (params) =>
    applyWorkspaceEdit(params as ApplyWorkspaceEditParams, (uri) => visibleDocument(c, uri), fallback),
  );
}

async function refreshStatus(): Promise<void> {
  if (!statusItem) return;
  let status: LlmosStatus | undefined;
  if (client && client.state === State.Running) {
    try {
      status = await client.sendRequest<LlmosStatus>("llmos/status");
    } catch (e) {
      output?.appendLine(`llmos/status failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const view = statusView(status, Date.now());
  statusItem.text = view.text;
  statusItem.tooltip = view.tooltip;
  statusItem.show();
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const folders = llmosFolders();
  if (folders.length === 0) return;
  const resolved = resolveServerPath(vscode.workspace.getConfiguration("llmos").get<string>("server.path"), {
    pathVar: process.env.PATH ?? "",
    platform: process.platform,
    home: os.homedir(),
    workspaceFolder: folders[0].uri.fsPath,
    isExecutableFile,
  });
  if (!resolved.ok) {
    const choice = await vscode.window.showErrorMessage(resolved.message, "Open Settings");
    if (choice === "Open Settings") {
      void vscode.commands.executeCommand("workbench.action.openSettings", "llmos.server.path");
    }
    return;
  }
  // No `transport`: with TransportKind.stdio the client appends `--stdio`, which
  // `llmos lsp` does not take; without it the client still speaks over stdio.
  const serverOptions: ServerOptions = {
    command: resolved.path,
    args: ["lsp"],
    options: { cwd: folders[0].uri.fsPath },
  };
  // Markdown outside the volumes reaches the server too, which ignores it; the client
  // only starts at all when a workspace folder is an llmos workspace.
  const documentSelector = [
    { scheme: "file", language: "markdown" },
    { scheme: "file", language: "toml" },
    { scheme: "file", pattern: "**/llmos.toml" },
  ];
  warnIfKeyPasted();
  const clientOptions: LanguageClientOptions = {
    documentSelector,
    initializationOptions: serverSettings(readSettings()),
    outputChannel: output,
    // Command failures are shown by `withArguments` with the server's own message; the
    // client's generic "Request … failed" notification would only repeat it.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    middleware: { executeCommand: withArguments },
    // A stop we asked for (Restart Language Server) is not an error; an unexpected
    // exit restarts the server as the client does by default.
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => (stopping ? { action: CloseAction.DoNotRestart, handled: true } : { action: CloseAction.Restart }),
    },
  };
  client = new LanguageClient("llmos", "LLMos", serverOptions, clientOptions);
  context.subscriptions.push(
    client.onDidChangeState(() => {
      void refreshStatus();
    }),
  );
  try {
    await client.start();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    void vscode.window.showErrorMessage(`LLMos: the language server \`${resolved.path} lsp\` did not start: ${message}`);
    client = undefined;
    return;
  }
  routeApplyEdit(client);
  const info = client.initializeResult?.serverInfo;
  output?.appendLine(
    `[${new Date().toISOString()}] started ${resolved.path} lsp (${info?.name ?? "llmos"} ${info?.version ?? "unknown version"}) for workspace ${folders[0].uri.fsPath}`,
  );
  await refreshStatus();
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (!c) return;
  stopping = true;
  try {
    await c.stop();
    output?.appendLine(`[${new Date().toISOString()}] stopped the language server`);
  } finally {
    stopping = false;
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("LLMos");
  statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  statusItem.command = "llmos.status.show";
  context.subscriptions.push(output, statusItem);

  context.subscriptions.push(
    vscode.commands.registerCommand("llmos.status.show", async () => {
      await refreshStatus();
      if (statusItem?.tooltip) output?.appendLine(String(statusItem.tooltip));
      output?.show(true);
    }),
    vscode.commands.registerCommand("llmos.server.restart", async () => {
      await stopClient();
      await startClient(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration("llmos")) return;
      if (e.affectsConfiguration("llmos.server.path")) {
        await stopClient();
        await startClient(context);
        return;
      }
      if (e.affectsConfiguration("llmos.llm.apiKeyEnv")) warnIfKeyPasted();
      if (client && client.state === State.Running) {
        await client.sendNotification(DidChangeConfigurationNotification.type, { settings: { llmos: serverSettings(readSettings()) } });
        await refreshStatus();
      }
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(async () => {
      if (!client) await startClient(context);
    }),
  );
  statusTimer = setInterval(() => void refreshStatus(), STATUS_POLL_MS);
  context.subscriptions.push({ dispose: () => statusTimer && clearInterval(statusTimer) });
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
