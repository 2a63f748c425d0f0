//! Skill frontmatter keys, what each profile allows, and each key's documentation.
//!
//! One table drives the unknown-key rule, type checks, hover docs and completion.

use serde::{Deserialize, Serialize};

/// Which frontmatter keys a skill may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// Standard + llmos + LLMos-Lite legacy keys.
    #[default]
    Llmos,
    /// Strictly the Agent Skills standard: any other key is an error.
    Agentskills,
    /// Standard + Claude Code's extra keys.
    ClaudeCode,
}

impl Profile {
    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "llmos" => Some(Profile::Llmos),
            "agentskills" | "agent-skills" => Some(Profile::Agentskills),
            "claude-code" => Some(Profile::ClaudeCode),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Llmos => "llmos",
            Profile::Agentskills => "agentskills",
            Profile::ClaudeCode => "claude-code",
        }
    }

    pub fn allows(self, group: KeyGroup) -> bool {
        matches!((self, group), (_, KeyGroup::Standard) | (Profile::Llmos, KeyGroup::Llmos | KeyGroup::Legacy) | (Profile::ClaudeCode, KeyGroup::ClaudeCode))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyGroup {
    Standard,
    Llmos,
    Legacy,
    ClaudeCode,
}

/// The value shape a key expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    String,
    StringList,
    /// A list of strings or one space/comma separated string.
    StringOrList,
    StringMap,
    Number01,
    Count,
    Semver,
    DateTime,
    Bool,
    Enum(&'static [&'static str]),
    Any,
}

#[derive(Debug)]
pub struct KeySpec {
    pub key: &'static str,
    pub group: KeyGroup,
    pub kind: ValueKind,
    pub doc: &'static str,
}

macro_rules! keys {
    ($($key:literal, $group:ident, $kind:expr, $doc:literal;)*) => {
        pub static SKILL_KEYS: &[KeySpec] = &[$(KeySpec { key: $key, group: KeyGroup::$group, kind: $kind, doc: $doc }),*];
    };
}

use ValueKind::*;

keys! {
    "name", Standard, String, "Required. The skill's name: 1–64 lowercase letters, digits and single hyphens, equal to its folder name.";
    "description", Standard, String, "Required. What the skill does and when to use it (at most 1024 characters). Agents read it to decide whether to load the skill.";
    "license", Standard, String, "The licence the skill is shared under, e.g. `Apache-2.0` or `Complete terms in LICENSE.txt`.";
    "compatibility", Standard, String, "Environment requirements (at most 500 characters), e.g. `Requires Python 3.11 and network access`.";
    "metadata", Standard, StringMap, "A map of string keys to string values for anything else (author, version, promoted-from …).";
    "allowed-tools", Standard, StringOrList, "Tools the skill may use without asking, e.g. `Bash(git:*) Read`.";
    "category", Llmos, String, "llmos: a free-form category for grouping skills.";
    "keywords", Llmos, StringList, "llmos: words that help rank this skill against a conversation.";
    "tags", Llmos, StringList, "llmos: like `keywords`.";
    "version", Llmos, Semver, "llmos: the skill's version, semver (`1.2.0`).";
    "author", Llmos, String, "llmos: who wrote the skill.";
    "source", Llmos, Enum(&["evolution", "human", "migration"]), "llmos provenance: `evolution` when the evolution engine wrote the skill.";
    "confidence", Llmos, Number01, "llmos provenance: the pattern's confidence, 0–1.";
    "occurrences", Llmos, Count, "llmos provenance: how many sessions showed the pattern.";
    "commits", Llmos, StringList, "llmos provenance: the session commits the skill was evolved from.";
    "created", Llmos, DateTime, "llmos provenance: when the skill was generated (`2026-11-23` or RFC 3339).";
    "generated-hash", Llmos, String, "llmos provenance: a hash of the generated body; when the body no longer matches, a person edited the skill and evolution will not overwrite it.";
    "skill_id", Legacy, String, "LLMos-Lite legacy: the old skill identifier.";
    "type", Legacy, String, "LLMos-Lite legacy: the node type of a workflow skill.";
    "execution_mode", Legacy, String, "LLMos-Lite legacy: where a node skill ran (browser, python …).";
    "inputs", Legacy, Any, "LLMos-Lite legacy: the node skill's inputs.";
    "outputs", Legacy, Any, "LLMos-Lite legacy: the node skill's outputs.";
    "language", Legacy, String, "LLMos-Lite legacy: the node skill's code language.";
    "when_to_use", ClaudeCode, String, "Claude Code: when to use the skill; appended to `description` in the skill listing (the two together are cut at 1,536 characters).";
    "argument-hint", ClaudeCode, String, "Claude Code: hint for the skill's arguments in autocomplete, e.g. `[issue-number]`.";
    "arguments", ClaudeCode, StringOrList, "Claude Code: named arguments the skill takes (`$name` in the body).";
    "disable-model-invocation", ClaudeCode, Bool, "Claude Code: only the user can invoke the skill.";
    "user-invocable", ClaudeCode, Bool, "Claude Code: whether the skill shows in the slash-command menu.";
    "disallowed-tools", ClaudeCode, StringOrList, "Claude Code: tools the skill may not use while active (string or list).";
    "model", ClaudeCode, String, "Claude Code: the model to use while the skill is active.";
    "effort", ClaudeCode, Enum(&["low", "medium", "high", "xhigh", "max"]), "Claude Code: the reasoning effort while the skill is active.";
    "context", ClaudeCode, Enum(&["fork"]), "Claude Code: `fork` runs the skill in a forked sub-agent context.";
    "agent", ClaudeCode, String, "Claude Code: which sub-agent type runs a forked skill.";
    "background", ClaudeCode, Bool, "Claude Code: run the forked skill in the background.";
    "hooks", ClaudeCode, Any, "Claude Code: hooks scoped to the skill's lifetime.";
    "paths", ClaudeCode, StringOrList, "Claude Code: glob patterns of files that make the skill relevant.";
    "shell", ClaudeCode, Enum(&["bash", "powershell"]), "Claude Code: the shell for the skill's `!` commands.";
}

pub fn skill_key(key: &str) -> Option<&'static KeySpec> {
    SKILL_KEYS.iter().find(|k| k.key == key)
}

/// Session frontmatter keys (one profile for all).
pub static SESSION_KEYS: &[KeySpec] = &[
    KeySpec { key: "title", group: KeyGroup::Standard, kind: String, doc: "The session's title; the commit subject is `session: <title>`." },
    KeySpec { key: "id", group: KeyGroup::Standard, kind: String, doc: "The session id: a sortable date-time and a slug, equal to the file name." },
    KeySpec {
        key: "status",
        group: KeyGroup::Standard,
        kind: Enum(&["uncommitted", "committed"]),
        doc: "`committed` after *Commit session*; llmos sets it back to `uncommitted` when it changes the session.",
    },
    KeySpec { key: "commit", group: KeyGroup::Standard, kind: Any, doc: "The SHA of the last commit of this session, set by llmos (`null` before the first)." },
    KeySpec { key: "created", group: KeyGroup::Standard, kind: DateTime, doc: "When the session was created (RFC 3339)." },
    KeySpec { key: "model", group: KeyGroup::Standard, kind: String, doc: "Overrides `[llm] model` of llmos.toml for this session." },
    KeySpec { key: "skills", group: KeyGroup::Standard, kind: StringList, doc: "Skills pinned into this session's context, by name." },
    KeySpec { key: "tags", group: KeyGroup::Standard, kind: StringList, doc: "Free-form tags." },
    KeySpec { key: "author", group: KeyGroup::Standard, kind: String, doc: "Who started the session." },
    KeySpec { key: "migrated-from", group: KeyGroup::Standard, kind: String, doc: "Set by `llmos migrate`: the LLMos-Lite file this session came from." },
    KeySpec {
        key: "imported-from",
        group: KeyGroup::Standard,
        kind: String,
        doc: "Set by `llmos import`: the agent transcript this session came from (`claude-code:<session id>` or `codex:<session id>`).",
    },
    KeySpec {
        key: "imported-bytes",
        group: KeyGroup::Standard,
        kind: Count,
        doc: "Set by `llmos import`: how much of the transcript was read; a transcript that grew past it is imported again.",
    },
    KeySpec { key: "project", group: KeyGroup::Standard, kind: String, doc: "The folder the agent worked in (set by `llmos import`)." },
];

pub fn session_key(key: &str) -> Option<&'static KeySpec> {
    SESSION_KEYS.iter().find(|k| k.key == key)
}
