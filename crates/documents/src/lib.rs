//! Parsing and linting of llmos documents: skills, sessions and their YAML frontmatter.
//!
//! Everything here works on `&str` and byte offsets and returns plain data. Nothing knows
//! about LSP, files on disk or git: cross-file facts (does a skill exist, does a linked
//! file exist) come in through [`lint::LintEnv`], so the same rules run in the language
//! server, in `llmos check` and in unit tests.

// Offsets here come from user text and YAML spans: slicing must be checked (`.get`,
// iterators) so that no input can end the server or `llmos check` with a panic.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod cursor;
pub mod diagnostic;
pub mod duration;
pub mod frontmatter;
pub mod line_bounds;
pub mod line_index;
pub mod links;
pub mod lint;
pub mod listing;
pub mod marker_escape;
pub mod portable;
pub mod profile;
pub mod rules;
pub mod session;
pub mod session_edit;
pub mod skill;
pub mod slug;
pub mod usage;
pub mod volume;
pub mod yaml;

pub use diagnostic::{Diagnostic, Edit, Fix, Severity};
pub use line_index::LineIndex;
pub use profile::Profile;
pub use session::{Role, SessionDoc};
pub use skill::SkillDoc;
pub use volume::VolumeKind;
