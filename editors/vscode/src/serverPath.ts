// Where the `llmos` binary is: the `llmos.server.path` setting, else `llmos` on PATH.
// No `vscode` import here; file checks are injected so tests need no real files.

import * as path from "node:path";

export const INSTALL_HINT = "Install it with `cargo install --path server` (run in the llmos repository), or set `llmos.server.path`.";

export type ServerPath = { ok: true; path: string } | { ok: false; message: string };

export interface PathEnv {
  /** The PATH variable. */
  pathVar: string;
  platform: NodeJS.Platform;
  home: string;
  /** The folder a relative setting is resolved against (the first workspace folder). */
  workspaceFolder?: string;
  isExecutableFile(p: string): boolean;
}

function expandSetting(setting: string, env: PathEnv): string {
  let p = setting.trim();
  if (p === "~" || p.startsWith("~/")) {
    p = path.join(env.home, p.slice(1));
  }
  if (env.workspaceFolder) {
    p = p.replace(/\$\{workspaceFolder\}/g, env.workspaceFolder);
    if (!path.isAbsolute(p) && (p.includes("/") || p.includes("\\"))) {
      p = path.join(env.workspaceFolder, p);
    }
  }
  return p;
}

function searchPath(name: string, env: PathEnv): string | undefined {
  const sep = env.platform === "win32" ? ";" : ":";
  const exts = env.platform === "win32" ? [".exe", ".cmd", ""] : [""];
  for (const dir of env.pathVar.split(sep)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (env.isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

export function resolveServerPath(setting: string | undefined, env: PathEnv): ServerPath {
  const configured = setting?.trim();
  if (configured) {
    const expanded = expandSetting(configured, env);
    if (path.isAbsolute(expanded) || expanded.includes("/") || expanded.includes("\\")) {
      return env.isExecutableFile(expanded)
        ? { ok: true, path: expanded }
        : { ok: false, message: `LLMos: \`llmos.server.path\` is \`${configured}\`, but no executable file is there. ${INSTALL_HINT}` };
    }
    const found = searchPath(expanded, env);
    return found
      ? { ok: true, path: found }
      : { ok: false, message: `LLMos: \`${configured}\` (from \`llmos.server.path\`) is not on PATH. ${INSTALL_HINT}` };
  }
  const found = searchPath("llmos", env);
  return found
    ? { ok: true, path: found }
    : { ok: false, message: `LLMos: the language server \`llmos\` was not found on PATH. ${INSTALL_HINT}` };
}

/** A folder is an llmos workspace when it has `llmos.toml` or `volumes/`. */
export function isLlmosWorkspace(folder: string, exists: (p: string) => boolean): boolean {
  return exists(path.join(folder, "llmos.toml")) || exists(path.join(folder, "volumes"));
}
