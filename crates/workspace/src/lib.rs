//! The workspace: `llmos.toml`, the three volumes, and the index of every skill and
//! session in them.
//!
//! This crate reads the file system; it knows nothing of LSP or git. The index holds small
//! summaries (names, titles, pinned skills), not whole texts, so a workspace of 20,000
//! documents stays small in memory.

// Input from users, files, the network and git is sliced only through checked
// accessors (`.get`, iterators), so no input can panic here.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod boundary;
pub mod bounded;
pub mod check;
pub mod config;
pub mod discover;
pub mod duration;
pub mod generate;
pub mod index;
pub mod kind;
pub mod migrate;

pub use config::Config;
pub use index::{Index, SessionEntry, SkillEntry};
pub use kind::{DocKind, classify};
