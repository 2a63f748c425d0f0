import { strict as assert } from "node:assert";
import { test } from "node:test";

import { ApplyWorkspaceEditParams, LspTextEdit, VisibleDocument, applyWorkspaceEdit, isSessionUri, streamEditOf } from "../src/streamEdit";

const SESSION = "file:///w/volumes/user/sessions/s1.md";

function edit(uri: string, version: number | null, edits: LspTextEdit[] = [insert(4, 0, "w01 ")]): ApplyWorkspaceEditParams {
  return { edit: { documentChanges: [{ textDocument: { uri, version }, edits }] } };
}

function insert(line: number, character: number, newText: string): LspTextEdit {
  return { range: { start: { line, character }, end: { line, character } }, newText };
}

/** A visible document whose text is lines; `edit` applies LSP edits to it like VS Code. */
class FakeEditor implements VisibleDocument {
  version = 7;
  lines = ["---", "title: T", "---", "<!-- turn: assistant -->", ""];
  calls: LspTextEdit[][] = [];
  refuse = false;
  edit(edits: LspTextEdit[]): Promise<boolean> {
    this.calls.push(edits);
    if (this.refuse) return Promise.resolve(false);
    // Apply from the end so earlier ranges stay valid (all ranges are against one text).
    const sorted = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
    let text = this.lines.join("\n");
    const offset = (p: { line: number; character: number }) => this.lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
    for (const e of sorted) text = text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
    this.lines = text.split("\n");
    this.version += 1;
    return Promise.resolve(true);
  }
}

const noFallback = async () => {
  throw new Error("the default handler was called");
};

test("a current edit of a visible session goes through the editor in one step", async () => {
  const ed = new FakeEditor();
  const r = await applyWorkspaceEdit(edit(SESSION, 7), (u) => (u === SESSION ? ed : undefined), noFallback);
  assert.deepEqual(r, { applied: true });
  assert.equal(ed.calls.length, 1);
  assert.equal(ed.lines[4], "w01 ");
  assert.equal(ed.version, 8);
});

test("a stale edit is refused with a reason and never applied", async () => {
  const ed = new FakeEditor();
  ed.version = 9; // the user typed twice since the server computed the edit
  const r = await applyWorkspaceEdit(edit(SESSION, 7), () => ed, noFallback);
  assert.equal(r.applied, false);
  assert.match(r.failureReason ?? "", /version 9.*version 7/);
  assert.equal(ed.calls.length, 0);
});

test("nothing awaits between the version check and the edit", async () => {
  // A keystroke that lands as soon as the handler yields must find the edit already made.
  const ed = new FakeEditor();
  let reads = 0;
  const doc: VisibleDocument = {
    get version() {
      reads += 1;
      return ed.version;
    },
    edit: (edits) => ed.edit(edits),
  };
  const pending = applyWorkspaceEdit(edit(SESSION, 7), () => doc, noFallback);
  // Synchronously after the call: the version was read and the edit already issued.
  assert.equal(reads, 1);
  assert.equal(ed.calls.length, 1, "the edit was not issued in the same step as the check");
  ed.version += 1; // the keystroke
  assert.deepEqual(await pending, { applied: true });
});

test("an edit the editor refuses (the document moved on) is answered not applied", async () => {
  const ed = new FakeEditor();
  ed.refuse = true;
  const r = await applyWorkspaceEdit(edit(SESSION, 7), () => ed, noFallback);
  assert.equal(r.applied, false);
  assert.ok(r.failureReason);
  const throwing: VisibleDocument = {
    version: 7,
    edit: () => {
      throw new Error("TextEditor#edit not possible on closed editors");
    },
  };
  const t = await applyWorkspaceEdit(edit(SESSION, 7), () => throwing, noFallback);
  assert.equal(t.applied, false);
  assert.match(t.failureReason ?? "", /closed editors/);
});

test("everything else goes to the default handler", async () => {
  const ed = new FakeEditor();
  const cases: [string, ApplyWorkspaceEditParams, (u: string) => VisibleDocument | undefined][] = [
    ["not visible", edit(SESSION, 7), () => undefined],
    ["not a session", edit("file:///w/volumes/user/skills/x/SKILL.md", 7), () => ed],
    ["no version", edit(SESSION, null), () => ed],
    ["unversioned changes", { edit: { changes: { [SESSION]: [insert(0, 0, "x")] } } }, () => ed],
    ["a file operation", { edit: { documentChanges: [{ kind: "create", uri: SESSION }] } }, () => ed],
    ["two documents", { edit: { documentChanges: [edit(SESSION, 7).edit.documentChanges![0], edit(SESSION, 7).edit.documentChanges![0]] } }, () => ed],
    ["an annotated edit", edit(SESSION, 7, [{ ...insert(0, 0, "x"), annotationId: "a" } as LspTextEdit]), () => ed],
  ];
  for (const [what, params, visible] of cases) {
    let fellBack = 0;
    const r = await applyWorkspaceEdit(params, visible, async () => {
      fellBack += 1;
      return { applied: true };
    });
    assert.equal(fellBack, 1, what);
    assert.deepEqual(r, { applied: true }, what);
  }
  assert.equal(ed.calls.length, 0);
});

test("session URIs are the transcripts under sessions/", () => {
  assert.ok(isSessionUri(SESSION));
  assert.ok(isSessionUri("file:///w/volumes/team/sessions/caf%C3%A9.md"));
  assert.ok(!isSessionUri("file:///w/volumes/user/sessions/sub/s.md"));
  assert.ok(!isSessionUri("file:///w/volumes/user/skills/x/SKILL.md"));
  assert.equal(streamEditOf(edit(SESSION, 3, [{ range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } }, newText: "" }]).edit), undefined);
});
