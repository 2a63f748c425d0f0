//! What llmos does, without LSP: the use cases the language server and the CLI share.
//!
//! Each module is one use case over the core crates (`documents`, `workspace`, `vcs`,
//! `llm`, `evolution`, `github`, `artifacts`): it takes paths, text and a [`Workspace`]
//! and returns plain values or a message for the user. `server/` is the LSP adapter
//! (convert positions and URIs, call the engine, convert back); `server/src/cli` is the
//! terminal adapter over the same functions. Neither holds application logic of its own.
//!
//! | module | use case |
//! |---|---|
//! | [`workspace`] | the loaded workspace: config, index, link and git caches; opening one from a folder |
//! | [`search`] | skills and sessions by fuzzy name, title and description
//! | [`session`] | commit state and hover, context memory, commit a session, new session, export |
//! | [`chat`] | build the request, stream a reply through a [`chat::ReplySink`], how a reply opens and ends, the reply tracker |
//! | [`complete`] | what to offer at a cursor: keys, values, skill names, markers, link targets, `llmos.toml` keys
//! | [`evolve`] | one evolution run: history → records → patterns → skills → report; the scheduler's state |
//! | [`scheduler`] | which evolution jobs are due and their countdowns |
//! | [`promote`] | copy a skill to the next volume and commit it there |
//! | [`references`] | the skill under a cursor and every session that pins or links it
//! | [`sync`] | pull and push volumes through their remotes (GitHub or plain git) |
//! | [`github`] | GitHub configuration, token lookup, device-flow login |
//! | [`import`] | Claude Code and Codex transcripts become committed sessions
//! | [`install`] | put a skill where coding agents read skills, and take it away
//! | [`status`] | volumes, provider, jobs and the agent listing size |
//! | [`git_cache`] | git facts per (path, HEAD), so a keystroke walks no history |

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod chat;
pub mod complete;
pub mod evolve;
pub mod git_cache;
pub mod github;
pub mod import;
pub mod install;
pub mod promote;
pub mod references;
pub mod scheduler;
pub mod search;
pub mod session;
pub mod status;
pub mod sync;
pub mod workspace;

pub use workspace::Workspace;
