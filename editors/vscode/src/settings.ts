// Editor settings → the server's configuration (initializationOptions and
// workspace/didChangeConfiguration). Empty settings are left out so that
// `llmos.toml` decides. No `vscode` import here.

/** The flat `llmos.*` settings as VS Code stores them. */
export interface ExtensionSettings {
  profile?: string;
  "llm.provider"?: string;
  "llm.model"?: string;
  "llm.baseUrl"?: string;
  "llm.apiKeyEnv"?: string;
  "evolution.userEvery"?: string;
  "evolution.teamEvery"?: string;
  "diagnostics.scope"?: string;
  debounceMs?: number;
}

export interface ServerSettings {
  profile?: string;
  debounceMs?: number;
  llm?: { provider?: string; model?: string; baseUrl?: string; apiKeyEnv?: string };
  evolution?: { user?: { every: string }; team?: { every: string } };
  diagnostics?: { scope: DiagnosticsScope };
}

/** Which files get diagnostics: every file of the workspace, or the open ones. */
export type DiagnosticsScope = "workspace" | "openFiles";

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export function serverSettings(s: ExtensionSettings): ServerSettings {
  const out: ServerSettings = {};
  const profile = nonEmpty(s.profile);
  if (profile) out.profile = profile;
  if (typeof s.debounceMs === "number" && Number.isFinite(s.debounceMs) && s.debounceMs >= 0) {
    out.debounceMs = Math.round(s.debounceMs);
  }
  const llm = {
    provider: nonEmpty(s["llm.provider"]),
    model: nonEmpty(s["llm.model"]),
    baseUrl: nonEmpty(s["llm.baseUrl"]),
    // A pasted key is never sent anywhere; the extension warns about it instead.
    apiKeyEnv: looksLikeApiKey(s["llm.apiKeyEnv"]) ? undefined : nonEmpty(s["llm.apiKeyEnv"]),
  };
  const llmSet = Object.fromEntries(Object.entries(llm).filter(([, v]) => v !== undefined));
  if (Object.keys(llmSet).length > 0) out.llm = llmSet;
  const user = nonEmpty(s["evolution.userEvery"]);
  const team = nonEmpty(s["evolution.teamEvery"]);
  if (user || team) {
    out.evolution = {};
    if (user) out.evolution.user = { every: user };
    if (team) out.evolution.team = { every: team };
  }
  const scope = nonEmpty(s["diagnostics.scope"]);
  // Anything else (a typo in settings.json) leaves the server's default, the workspace.
  if (scope === "workspace" || scope === "openFiles") out.diagnostics = { scope };
  return out;
}

/** A key that looks like a secret pasted into the variable-name setting. */
export function looksLikeApiKey(apiKeyEnv: string | undefined): boolean {
  const v = apiKeyEnv?.trim() ?? "";
  return /^sk-/.test(v) || (v.length >= 32 && !/^[A-Z_][A-Z0-9_]*$/.test(v));
}
