// Streamed chat replies applied through `TextEditor.edit`.
//
// VS Code 1.100's `workspace.applyEdit` checks a versioned edit's document version, then
// awaits, then applies the edit: a keystroke in between gets the server's text inserted
// at a stale position while the answer says `applied: true` (issue 12). `TextEditor.edit`
// is called here right after the version check, with no await between them, and VS Code
// refuses it (resolves false) if the document moved on before the edit reached it. A
// refusal is answered `applied: false`, and the server recomputes the edit against the
// text it sees next. Everything that is not a versioned edit of one visible session
// document goes to the language client's own handler. No `vscode` import here.

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspTextEdit {
  range: { start: LspPosition; end: LspPosition };
  newText: string;
}

export interface ApplyWorkspaceEditParams {
  label?: string;
  edit: { documentChanges?: unknown[]; changes?: unknown; changeAnnotations?: unknown };
}

export interface ApplyWorkspaceEditResult {
  applied: boolean;
  failureReason?: string;
}

/** A session document shown in an editor: its current version and a one-step edit. */
export interface VisibleDocument {
  readonly version: number;
  /** Applies all edits (ranges against the current text) at once; false if refused. */
  edit(edits: LspTextEdit[]): PromiseLike<boolean>;
}

/** The one versioned edit of a session document that `edit` describes, if it is that. */
export function streamEditOf(edit: ApplyWorkspaceEditParams["edit"]): { uri: string; version: number; edits: LspTextEdit[] } | undefined {
  const changes = edit.documentChanges;
  if (edit.changes !== undefined || !Array.isArray(changes) || changes.length !== 1) return undefined;
  const change = changes[0] as { kind?: unknown; textDocument?: { uri?: unknown; version?: unknown }; edits?: unknown };
  // A create/rename/delete, or an edit without a version, is not a streamed reply.
  if (change.kind !== undefined || !change.textDocument || !Array.isArray(change.edits)) return undefined;
  const { uri, version } = change.textDocument;
  if (typeof uri !== "string" || typeof version !== "number" || !isSessionUri(uri)) return undefined;
  const edits = change.edits as unknown[];
  // Annotated edits need the client's confirmation flow: leave them to it.
  if (!edits.every(isPlainTextEdit)) return undefined;
  return { uri, version, edits: edits as LspTextEdit[] };
}

function isPlainTextEdit(e: unknown): boolean {
  const x = e as { range?: { start?: LspPosition; end?: LspPosition }; newText?: unknown; annotationId?: unknown };
  return (
    typeof x === "object" &&
    x !== null &&
    typeof x.newText === "string" &&
    x.annotationId === undefined &&
    isPosition(x.range?.start) &&
    isPosition(x.range?.end)
  );
}

function isPosition(p: LspPosition | undefined): boolean {
  return !!p && Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.character >= 0;
}

/** A session transcript: `…/sessions/<name>.md` (the keybinding's rule too). */
export function isSessionUri(uri: string): boolean {
  return /\/sessions\/[^/]+\.md$/.test(uri.split(/[?#]/)[0]);
}

/**
 * Handles `workspace/applyEdit`: a streamed edit of a visible session document is
 * applied through its editor when its version is the document's; everything else goes
 * to `fallback` (the language client's default handler).
 */
export async function applyWorkspaceEdit(
  params: ApplyWorkspaceEditParams,
  visible: (uri: string) => VisibleDocument | undefined,
  fallback: (params: ApplyWorkspaceEditParams) => Promise<ApplyWorkspaceEditResult>,
): Promise<ApplyWorkspaceEditResult> {
  const stream = streamEditOf(params.edit);
  const target = stream && visible(stream.uri);
  if (!stream || !target) return fallback(params);
  // From here to `target.edit` nothing awaits: the version checked is the version edited.
  const current = target.version;
  if (current !== stream.version) {
    return { applied: false, failureReason: `the document is at version ${current}; the edit was made for version ${stream.version}` };
  }
  let applied: PromiseLike<boolean>;
  try {
    applied = target.edit(stream.edits);
  } catch (e) {
    return { applied: false, failureReason: `the editor refused the edit: ${e instanceof Error ? e.message : String(e)}` };
  }
  try {
    return (await applied) ? { applied: true } : { applied: false, failureReason: "the document changed before the edit reached it" };
  } catch (e) {
    return { applied: false, failureReason: `the editor refused the edit: ${e instanceof Error ? e.message : String(e)}` };
  }
}
