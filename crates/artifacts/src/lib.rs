//! Artifacts of sessions: what kind a file or an inline fence holds, where a link in a
//! document points (never outside its volume), and size-capped Markdown previews for
//! hovers (docs/design.md §3.2, §4).
//!
//! LSP-agnostic: takes paths and strings, returns paths, errors and Markdown. The server
//! turns previews into hovers and paths into URIs.

// Input from users, files, the network and git is sliced only through checked
// accessors (`.get`, iterators), so no input can panic here.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

mod fence_info;
mod file_head;
mod kind;
mod link;
mod preview;
mod resolver;
pub mod xml;

pub use fence_info::{FenceArtifact, kind_for_fence, parse_fence_artifact};
pub use kind::{ArtifactKind, kind_for_path, language_for_extension};
pub use link::{LinkError, resolve_link, volume_relative_target};
pub use preview::{Preview, PreviewOptions, SkillCard, preview_file, preview_file_as, preview_inline, preview_link, render_skill_card};
pub use resolver::LinkResolver;
