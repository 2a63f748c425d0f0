import { strict as assert } from "node:assert";
import { test } from "node:test";

import { MissingDocumentError, commandArguments, isServerCommand, promptsFor, volumeChoices } from "../src/commands";

const uri = "file:///w/volumes/user/sessions/a.md";

test("session and chat commands get the active document's uri", () => {
  for (const c of ["llmos.session.commit", "llmos.session.export", "llmos.chat.send", "llmos.chat.cancel"]) {
    assert.deepEqual(commandArguments(c, [], { activeUri: uri }), [{ uri }]);
  }
});

test("a command that needs a document fails clearly without one", () => {
  assert.throws(() => commandArguments("llmos.chat.send", [], {}), MissingDocumentError);
  assert.throws(() => commandArguments("llmos.session.commit", [], {}), /needs an open llmos document/);
});

test("arguments given by a code lens or action pass through untouched", () => {
  const given = [{ uri: "file:///other.md", to: "system" }];
  assert.equal(commandArguments("llmos.skill.promote", given, { activeUri: uri, targetVolume: "team" }), given);
});

test("an undefined first argument is treated as none", () => {
  assert.deepEqual(commandArguments("llmos.chat.send", [undefined], { activeUri: uri }), [{ uri }]);
});

test("promote sends the target volume, team by default", () => {
  assert.deepEqual(commandArguments("llmos.skill.promote", [], { activeUri: uri, targetVolume: "system" }), [{ uri, to: "system" }]);
  assert.deepEqual(commandArguments("llmos.skill.promote", [], { activeUri: uri }), [{ uri, to: "team" }]);
});

test("evolution.run and volume commands send the volume, no uri", () => {
  assert.deepEqual(commandArguments("llmos.evolution.run", [], { activeUri: uri, volume: "team" }), [{ volume: "team" }]);
  assert.deepEqual(commandArguments("llmos.volume.sync", [], {}), [{}]);
  assert.deepEqual(commandArguments("llmos.volume.init", [], { volume: "user" }), [{ volume: "user" }]);
});

test("session.new sends a trimmed title and leaves out an empty one", () => {
  assert.deepEqual(commandArguments("llmos.session.new", [], { title: "  VQE  " }), [{ title: "VQE" }]);
  assert.deepEqual(commandArguments("llmos.session.new", [], { title: "   " }), [{}]);
  assert.deepEqual(commandArguments("llmos.session.new", [], { title: "x", volume: "team" }), [{ volume: "team", title: "x" }]);
});

test("prompts are asked only where the server needs an answer", () => {
  assert.deepEqual(promptsFor("llmos.session.new"), ["title"]);
  assert.deepEqual(promptsFor("llmos.evolution.run"), ["volume"]);
  assert.deepEqual(promptsFor("llmos.skill.promote"), ["targetVolume"]);
  assert.deepEqual(promptsFor("llmos.chat.send"), []);
  assert.deepEqual(volumeChoices("targetVolume"), ["team", "system"]);
  assert.equal(volumeChoices("volume")[0], "user");
});

test("the extension's own commands are not server commands", () => {
  assert.equal(isServerCommand("llmos.chat.send"), true);
  assert.equal(isServerCommand("llmos.status.show"), false);
  assert.equal(isServerCommand("llmos.server.restart"), false);
  assert.equal(isServerCommand("other.command"), false);
});
