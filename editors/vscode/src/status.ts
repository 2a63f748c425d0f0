// The status bar text from the server's `llmos/status` answer. No `vscode` import here.

export interface StatusVolume {
  name: string;
  path: string;
  remote: string | null;
  writable: boolean;
  repository: boolean;
  skills: number;
  sessions: number;
}

export interface StatusJob {
  volume: string;
  /** The interval, as the server formats it (`"1d 0h"`) or in seconds; null when off. */
  every: string | number | null;
  /** Unix seconds or RFC 3339; null when not scheduled. */
  nextRun: string | number | null;
  /** The server's own rendering of the time left, e.g. `"23h 59m"`. */
  nextRunIn?: string | null;
  /** Unix seconds of the last run, if any. */
  lastRun?: number | null;
}

export interface LlmosStatus {
  workspace: string | null;
  ready: boolean;
  volumes: StatusVolume[];
  provider: { provider: string; model: string | null; baseUrl: string | null } | null;
  jobs: StatusJob[];
}

export interface StatusView {
  text: string;
  tooltip: string;
}

/** `90061` → `1d 1h`; two units at most. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: [string, number][] = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  const parts: string[] = [];
  let rest = s;
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 && parts.length < 2) {
      parts.push(`${n}${unit}`);
      rest -= n * size;
    } else if (parts.length > 0) {
      break;
    }
  }
  return parts.length > 0 ? parts.join(" ") : "0s";
}

function nextRunMillis(next: string | number | null): number | undefined {
  if (next === null || next === undefined) return undefined;
  if (typeof next === "number") return next * 1000;
  const t = Date.parse(next);
  return Number.isNaN(t) ? undefined : t;
}

function intervalSeconds(every: string | number | null): number {
  return typeof every === "number" ? every : Infinity;
}

function intervalText(every: string | number | null): string {
  return typeof every === "number" ? formatDuration(every) : String(every);
}

/** The job that runs soonest; jobs that are off are skipped. */
export function nextJob(jobs: StatusJob[], now: number): { job: StatusJob; inSeconds?: number } | undefined {
  let best: { job: StatusJob; inSeconds?: number } | undefined;
  for (const job of jobs) {
    if (job.every === null) continue;
    const at = nextRunMillis(job.nextRun);
    const inSeconds = at === undefined ? undefined : Math.max(0, (at - now) / 1000);
    const key = inSeconds ?? intervalSeconds(job.every);
    const bestKey = best ? best.inSeconds ?? intervalSeconds(best.job.every) : Infinity;
    if (!best || key < bestKey) best = { job, inSeconds };
  }
  return best;
}

export function providerLabel(status: LlmosStatus): string {
  const p = status.provider;
  if (!p) return "no LLM";
  return p.model ? `${p.provider}/${p.model}` : p.provider;
}

export function statusView(status: LlmosStatus | undefined, now: number): StatusView {
  if (!status) {
    return { text: "$(sync~spin) LLMos", tooltip: "LLMos: starting the language server" };
  }
  if (!status.workspace) {
    return { text: "$(circle-slash) LLMos", tooltip: "LLMos: no workspace (no llmos.toml or volumes/ in this folder)" };
  }
  const parts = [providerLabel(status)];
  const next = nextJob(status.jobs, now);
  if (next) {
    parts.push(
      next.inSeconds !== undefined
        ? `evolve ${next.job.volume} in ${formatDuration(next.inSeconds)}`
        : `evolve ${next.job.volume} every ${intervalText(next.job.every)}`,
    );
  }
  const icon = status.ready ? "$(hubot)" : "$(sync~spin)";
  const lines = [`LLMos workspace: ${status.workspace}`];
  if (!status.ready) lines.push("indexing…");
  if (status.provider) {
    lines.push(`LLM: ${status.provider.provider}${status.provider.model ? ` · ${status.provider.model}` : ""}${status.provider.baseUrl ? ` · ${status.provider.baseUrl}` : ""}`);
  } else {
    lines.push("LLM: not configured ([llm] in llmos.toml or the llmos.llm.* settings)");
  }
  for (const v of status.volumes) {
    const git = v.repository ? "git" : "not a repository";
    const remote = v.remote ? ` · ${v.remote}` : "";
    lines.push(`${v.name}: ${v.skills} skills · ${v.sessions} sessions · ${git}${remote}${v.writable ? "" : " · read-only"}`);
  }
  for (const j of status.jobs) {
    const at = nextRunMillis(j.nextRun);
    const when =
      j.every === null
        ? "off"
        : at !== undefined
          ? `every ${intervalText(j.every)}, next run ${new Date(at).toISOString()}`
          : `every ${intervalText(j.every)}`;
    lines.push(`evolution ${j.volume}: ${when}`);
  }
  return { text: `${icon} ${parts.join(" · ")}`, tooltip: lines.join("\n") };
}
