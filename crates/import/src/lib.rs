//! Importing the work people already did with other coding agents: Claude Code
//! transcripts (`~/.claude/projects/<project>/<session>.jsonl`) and Codex CLI rollouts
//! (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`) become llmos sessions.
//!
//! This crate only reads and renders: [`claude_code::read`] and [`codex::read`] turn a
//! JSONL transcript into a [`Transcript`] (plain turns, tool calls, written files, token
//! usage, counts of what was skipped), [`scrub`] removes secrets, and [`render`] writes
//! the session Markdown. Finding the files, writing and committing is the CLI's job
//! (`llmos import`), so a unit test needs neither a workspace nor git.
//!
//! Neither format is specified by its vendor; the readers follow what the public
//! write-ups and parsers describe and skip whatever they do not recognise, counting it.

// Input from users, files, the network and git is sliced only through checked
// accessors (`.get`, iterators), so no input can panic here.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod claude_code;
pub mod codex;
pub mod discover;
pub mod render;
pub mod scrub;
pub mod transcript;

pub use render::{RenderedSession, render, render_as};
pub use scrub::Scrubber;
pub use transcript::{Part, ReadStats, Source, Transcript, Turn, TurnRole, Usage};
