import { strict as assert } from "node:assert";
import { test } from "node:test";

import { LlmosStatus, formatDuration, nextJob, statusView } from "../src/status";

const NOW = Date.parse("2026-11-24T00:00:00Z");

function status(over: Partial<LlmosStatus> = {}): LlmosStatus {
  return {
    workspace: "/w",
    ready: true,
    volumes: [{ name: "user", path: "/w/volumes/user", remote: null, writable: true, repository: true, skills: 3, sessions: 2 }],
    provider: { provider: "openai", model: "m", baseUrl: "http://127.0.0.1:9/v1" },
    jobs: [
      { volume: "user", every: 86400, nextRun: null },
      { volume: "team", every: 604800, nextRun: null },
      { volume: "system", every: null, nextRun: null },
    ],
    ...over,
  };
}

test("durations use at most two units", () => {
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatDuration(59), "59s");
  assert.equal(formatDuration(3600), "1h");
  assert.equal(formatDuration(90061), "1d 1h");
  assert.equal(formatDuration(-5), "0s");
});

test("the status bar shows provider/model and the next evolution", () => {
  const v = statusView(status(), NOW);
  assert.equal(v.text, "$(hubot) openai/m · evolve user every 1d");
  assert.match(v.tooltip, /user: 3 skills · 2 sessions · git/);
  assert.match(v.tooltip, /evolution system: off/);
});

test("a scheduled run shows a countdown (RFC 3339 or Unix seconds)", () => {
  const iso = statusView(status({ jobs: [{ volume: "team", every: 3600, nextRun: "2026-11-24T02:30:00Z" }] }), NOW);
  assert.equal(iso.text, "$(hubot) openai/m · evolve team in 2h 30m");
  const unix = statusView(status({ jobs: [{ volume: "user", every: 3600, nextRun: NOW / 1000 + 600 }] }), NOW);
  assert.equal(unix.text, "$(hubot) openai/m · evolve user in 10m");
});

test("the server's own job shape: every as text, nextRun in Unix seconds", () => {
  const jobs = [
    { volume: "user", every: "1d 0h", lastRun: NOW / 1000 - 60, nextRun: NOW / 1000 + 86340, nextRunIn: "23h 59m", lastResult: {} },
    { volume: "team", every: "7d 0h", lastRun: null, nextRun: NOW / 1000 + 600, nextRunIn: "10m", lastResult: null },
    { volume: "system", every: null, lastRun: null, nextRun: null, nextRunIn: null, lastResult: null },
  ];
  const v = statusView(status({ jobs }), NOW);
  assert.equal(v.text, "$(hubot) openai/m · evolve team in 10m");
  assert.match(v.tooltip, /evolution user: every 1d 0h, next run 2026-11-24T23:59:00.000Z/);
  assert.match(v.tooltip, /evolution system: off/);
  const unscheduled = statusView(status({ jobs: [{ volume: "user", every: "12h", nextRun: null }] }), NOW);
  assert.equal(unscheduled.text, "$(hubot) openai/m · evolve user every 12h");
});

test("the soonest job wins; jobs that are off are skipped", () => {
  const jobs = [
    { volume: "user", every: 86400, nextRun: "2026-11-24T05:00:00Z" },
    { volume: "team", every: 604800, nextRun: "2026-11-24T01:00:00Z" },
    { volume: "system", every: null, nextRun: "2026-11-24T00:01:00Z" },
  ];
  assert.equal(nextJob(jobs, NOW)?.job.volume, "team");
  assert.equal(nextJob([{ volume: "system", every: null, nextRun: null }], NOW), undefined);
});

test("a garbled nextRun falls back to the interval", () => {
  const v = statusView(status({ jobs: [{ volume: "user", every: 7200, nextRun: "soon" }] }), NOW);
  assert.equal(v.text, "$(hubot) openai/m · evolve user every 2h");
});

test("no provider, no workspace, not started", () => {
  assert.equal(statusView(status({ provider: null, jobs: [] }), NOW).text, "$(hubot) no LLM");
  assert.match(statusView(status({ provider: null }), NOW).tooltip, /LLM: not configured/);
  assert.equal(statusView(status({ workspace: null }), NOW).text, "$(circle-slash) LLMos");
  assert.match(statusView(undefined, NOW).text, /LLMos/);
  assert.match(statusView(status({ ready: false }), NOW).text, /sync~spin/);
});

test("a model-less provider shows the provider alone", () => {
  const v = statusView(status({ provider: { provider: "anthropic", model: null, baseUrl: null }, jobs: [] }), NOW);
  assert.equal(v.text, "$(hubot) anthropic");
});
