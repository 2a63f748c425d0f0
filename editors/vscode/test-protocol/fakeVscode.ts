// A stand-in for the `vscode` module, enough to run the bundled extension and the real
// vscode-languageclient under Node: the parts the test inspects are real (commands,
// settings, messages, status bar item, active editor); everything else is a permissive
// proxy that accepts any call and returns another proxy.

/* eslint-disable @typescript-eslint/no-explicit-any */
import * as path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

function anything(name: string): any {
  const target = function () {};
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === "then") return undefined; // not a promise
      if (prop === Symbol.toPrimitive) return () => "";
      if (prop === Symbol.iterator) return function* () {};
      if (prop === Symbol.hasInstance) return () => false;
      if (prop === "toJSON") return () => undefined;
      return anything(`${name}.${String(prop)}`);
    },
    apply() {
      return anything(`${name}()`);
    },
    construct() {
      return anything(`new ${name}`);
    },
  });
}

export class Uri {
  constructor(
    readonly scheme: string,
    readonly fsPath: string,
    private readonly text: string,
  ) {}
  get path(): string {
    return this.fsPath;
  }
  static file(p: string): Uri {
    return new Uri("file", path.resolve(p), pathToFileURL(path.resolve(p)).href);
  }
  static parse(s: string): Uri {
    if (s.startsWith("file:")) return new Uri("file", fileURLToPath(s), s);
    return new Uri(s.split(":")[0], s, s);
  }
  toString(): string {
    return this.text;
  }
  with(): Uri {
    return this;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, path: this.fsPath, external: this.text };
  }
}

export class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  static from(...ds: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (listener: (e: T) => void) => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(e: T): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export interface FakeState {
  commands: Map<string, (...args: unknown[]) => unknown>;
  settings: Record<string, unknown>;
  messages: { level: string; text: string }[];
  /** What the extension and the client wrote to the output channel. */
  log: string[];
  statusItem: { text: string; tooltip: unknown; shown: boolean };
  activeFile?: string;
  folders: string[];
}

export function fakeVscode(state: FakeState): any {
  const overrides: Record<string, any> = {
    version: "1.90.0",
    Uri,
    Disposable,
    EventEmitter,
    RelativePattern: class {
      constructor(
        readonly base: unknown,
        readonly pattern: string,
      ) {}
    },
    StatusBarAlignment: { Left: 1, Right: 2 },
    env: new Proxy(
      { appName: "Visual Studio Code (test stand-in)", language: "en", machineId: "test", sessionId: "test", uiKind: 1 },
      { get: (t: any, p) => (p in t ? t[p] : anything(`env.${String(p)}`)) },
    ),
    commands: {
      registerCommand(id: string, fn: (...args: unknown[]) => unknown) {
        if (state.commands.has(id)) throw new Error(`command '${id}' already exists`);
        state.commands.set(id, fn);
        return new Disposable(() => state.commands.delete(id));
      },
      executeCommand: async () => undefined,
      getCommands: async () => [...state.commands.keys()],
    },
    workspace: new Proxy(
      {
        get workspaceFolders() {
          return state.folders.map((f, index) => ({ uri: Uri.file(f), name: path.basename(f), index }));
        },
        getConfiguration: () => ({
          get: (key: string, def?: unknown) => (key in state.settings ? state.settings[key] : def),
          has: (key: string) => key in state.settings,
          inspect: () => undefined,
          update: async () => undefined,
        }),
        textDocuments: [],
        notebookDocuments: [],
        getWorkspaceFolder: () => undefined,
      },
      { get: (t: any, p) => (p in t ? t[p] : anything(`workspace.${String(p)}`)) },
    ),
    window: new Proxy(
      {
        get activeTextEditor() {
          return state.activeFile ? { document: { uri: Uri.file(state.activeFile) } } : undefined;
        },
        createStatusBarItem: () =>
          Object.assign(state.statusItem, {
            show: () => (state.statusItem.shown = true),
            hide: () => (state.statusItem.shown = false),
            dispose: () => {},
          }),
        createOutputChannel: (name: string) => {
          const channel: any = new Proxy(
            {
              name,
              append: (t: string) => void state.log.push(t),
              appendLine: (t: string) => void state.log.push(t),
              replace: (t: string) => void state.log.push(t),
              clear: () => {},
              show: () => {},
              hide: () => {},
              dispose: () => {},
            },
            { get: (t: any, p) => (p in t ? t[p] : anything(`outputChannel.${String(p)}`)) },
          );
          return channel;
        },
        showErrorMessage: async (text: string) => void state.messages.push({ level: "error", text }),
        showWarningMessage: async (text: string) => void state.messages.push({ level: "warning", text }),
        showInformationMessage: async (text: string) => void state.messages.push({ level: "info", text }),
        showInputBox: async () => "From the palette",
        showQuickPick: async (items: string[]) => items[0],
      },
      { get: (t: any, p) => (p in t ? t[p] : anything(`window.${String(p)}`)) },
    ),
  };
  return new Proxy(overrides, { get: (t, p) => (p in t ? t[p as string] : anything(String(p))) });
}
