//! The rules that check skills and sessions.
//!
//! Each function takes the document text, where it lives ([`DocContext`]) and the
//! cross-file facts ([`LintEnv`]), and returns diagnostics with their quick fixes.
//! Severity overrides from `llmos.toml` are applied by the caller.

mod common;
mod session;
mod skill;

use std::path::{Path, PathBuf};

pub(crate) use common::entry_lines;
pub use common::{lint_encoding, lint_text_encoding, yaml_double_quote, yaml_scalar};
pub use session::{lint_parsed_session, lint_session};
pub use skill::{expected_skill_name, lint_skill};

use crate::{Profile, VolumeKind};

/// Where the document being linted lives.
#[derive(Debug, Clone)]
pub struct DocContext<'a> {
    pub path: &'a Path,
    pub volume: Option<VolumeKind>,
    pub profile: Profile,
}

/// A skill somewhere in the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillLocation {
    pub volume: VolumeKind,
    pub path: PathBuf,
}

/// What became of a relative link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkCheck {
    Ok,
    Missing(String),
    OutsideVolume(String),
    /// Not a local file link (a URL); not checked.
    NotLocal,
}

/// Cross-file facts the rules need.
pub trait LintEnv {
    /// Every skill with this name, in any volume.
    fn skills_named(&self, name: &str) -> Vec<SkillLocation>;
    /// Resolves a relative link written in the document at `doc_path`.
    fn check_link(&self, doc_path: &Path, target: &str) -> LinkCheck;
    /// [`LintEnv::check_link`] for every link of one document, in order. An environment
    /// that caches answers looks the document's folder and volume up once, not per link
    /// (a 1 MB transcript holds hundreds of links, checked on every keystroke).
    fn check_links(&self, doc_path: &Path, targets: &[&str]) -> Vec<LinkCheck> {
        targets.iter().map(|t| self.check_link(doc_path, t)).collect()
    }
}

/// A `LintEnv` that knows no other file: every link is fine and no skill exists.
/// For linting a lone document (tests, stdin).
pub struct NoEnv;

impl LintEnv for NoEnv {
    fn skills_named(&self, _name: &str) -> Vec<SkillLocation> {
        Vec::new()
    }

    fn check_link(&self, _doc_path: &Path, _target: &str) -> LinkCheck {
        LinkCheck::Ok
    }
}
