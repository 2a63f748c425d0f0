// The arguments of the server's commands when they are run from the palette or a
// keybinding: VS Code passes nothing, the server needs one JSON object.
// No `vscode` import here, so this runs under `node --test`.

/** What the user must be asked before a command can be sent. */
export type Prompt = "title" | "volume" | "targetVolume";

/** What the editor knows when a command runs. */
export interface CommandContext {
  /** The active editor's document URI, as a string. */
  activeUri?: string;
  /** Answers to the prompts of {@link promptsFor}. */
  title?: string;
  volume?: string;
  targetVolume?: string;
}

/** A command that needs a document but none is open. */
export class MissingDocumentError extends Error {
  constructor(readonly command: string) {
    super(`${command} needs an open llmos document: open a session or skill first`);
  }
}

const NEEDS_URI = new Set([
  "llmos.session.commit",
  "llmos.session.export",
  "llmos.chat.send",
  "llmos.chat.cancel",
  "llmos.skill.promote",
]);

/** Questions to ask, in order, before sending `command` without arguments. */
export function promptsFor(command: string): Prompt[] {
  switch (command) {
    case "llmos.session.new":
      return ["title"];
    case "llmos.evolution.run":
      return ["volume"];
    case "llmos.skill.promote":
      return ["targetVolume"];
    default:
      return [];
  }
}

/** The volumes offered for each prompt; the first is the default. */
export function volumeChoices(prompt: Prompt): string[] {
  return prompt === "targetVolume" ? ["team", "system"] : ["user", "team", "system"];
}

/**
 * The single argument object for `command`. Arguments that came with the invocation
 * (a code lens, a code action, another extension) are passed through untouched.
 */
export function commandArguments(command: string, given: unknown[], ctx: CommandContext): unknown[] {
  if (given.length > 0 && given[0] !== undefined) {
    return given;
  }
  const args: Record<string, string> = {};
  if (NEEDS_URI.has(command)) {
    if (!ctx.activeUri) {
      throw new MissingDocumentError(command);
    }
    args.uri = ctx.activeUri;
  }
  switch (command) {
    case "llmos.session.new":
      if (ctx.volume) args.volume = ctx.volume;
      if (ctx.title && ctx.title.trim() !== "") args.title = ctx.title.trim();
      break;
    case "llmos.evolution.run":
    case "llmos.volume.sync":
    case "llmos.volume.init":
      if (ctx.volume) args.volume = ctx.volume;
      break;
    case "llmos.skill.promote":
      args.to = ctx.targetVolume ?? "team";
      break;
  }
  return [args];
}

/** True for commands the server runs; the extension's own commands are not sent. */
export function isServerCommand(command: string): boolean {
  return command.startsWith("llmos.") && !command.startsWith("llmos.status.") && !command.startsWith("llmos.server.");
}
