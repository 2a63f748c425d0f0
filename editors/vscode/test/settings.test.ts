import { strict as assert } from "node:assert";
import { test } from "node:test";

import { looksLikeApiKey, serverSettings } from "../src/settings";

test("empty settings leave everything to llmos.toml", () => {
  assert.deepEqual(serverSettings({}), {});
  assert.deepEqual(serverSettings({ profile: "", "llm.model": "  ", "evolution.userEvery": "" }), {});
});

test("settings map onto the server's configuration shape", () => {
  assert.deepEqual(
    serverSettings({
      profile: "agentskills",
      "llm.provider": "openai",
      "llm.model": "m",
      "llm.baseUrl": "http://127.0.0.1:1234/v1",
      "llm.apiKeyEnv": "OPENAI_API_KEY",
      "evolution.userEvery": "12h",
      "evolution.teamEvery": "off",
      debounceMs: 150.4,
    }),
    {
      profile: "agentskills",
      debounceMs: 150,
      llm: { provider: "openai", model: "m", baseUrl: "http://127.0.0.1:1234/v1", apiKeyEnv: "OPENAI_API_KEY" },
      evolution: { user: { every: "12h" }, team: { every: "off" } },
    },
  );
});

test("only the llm keys that are set are sent", () => {
  assert.deepEqual(serverSettings({ "llm.model": "claude" }), { llm: { model: "claude" } });
  assert.deepEqual(serverSettings({ "evolution.teamEvery": "7d" }), { evolution: { team: { every: "7d" } } });
});

test("a bad debounce is dropped", () => {
  assert.deepEqual(serverSettings({ debounceMs: -1 }), {});
  assert.deepEqual(serverSettings({ debounceMs: Number.NaN }), {});
});

test("a pasted key in the variable-name setting is never sent", () => {
  assert.deepEqual(serverSettings({ "llm.apiKeyEnv": "sk-ant-api03-secret", "llm.model": "m" }), { llm: { model: "m" } });
});

test("a pasted key in the variable-name setting is spotted", () => {
  assert.equal(looksLikeApiKey("ANTHROPIC_API_KEY"), false);
  assert.equal(looksLikeApiKey(""), false);
  assert.equal(looksLikeApiKey(undefined), false);
  assert.equal(looksLikeApiKey("sk-ant-abc"), true);
  assert.equal(looksLikeApiKey("a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6"), true);
});

test("the diagnostics scope is sent when it is one the server knows", () => {
  assert.deepEqual(serverSettings({ "diagnostics.scope": "workspace" }), { diagnostics: { scope: "workspace" } });
  assert.deepEqual(serverSettings({ "diagnostics.scope": "openFiles" }), { diagnostics: { scope: "openFiles" } });
  assert.deepEqual(serverSettings({ "diagnostics.scope": " openFiles " }), { diagnostics: { scope: "openFiles" } });
  assert.deepEqual(serverSettings({ "diagnostics.scope": "everything" }), {});
  assert.deepEqual(serverSettings({ "diagnostics.scope": "" }), {});
});
