//! Diagnostics and fixes in byte offsets, independent of any protocol.

use std::ops::Range;
use std::path::PathBuf;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "info" | "information" => Some(Severity::Info),
            "hint" => Some(Severity::Hint),
            _ => None,
        }
    }
}

/// One finding of a rule, with the exact byte range it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Stable rule id such as `skill/name-format`.
    pub rule: &'static str,
    pub severity: Severity,
    pub range: Range<usize>,
    pub message: String,
    pub fixes: Vec<Fix>,
}

impl Diagnostic {
    pub fn new(rule: &'static crate::rules::Rule, range: Range<usize>, message: impl Into<String>) -> Self {
        Self { rule: rule.id, severity: rule.severity, range, message: message.into(), fixes: Vec::new() }
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fixes.push(fix);
        self
    }
}

/// A quick fix: text edits in the same document and, optionally, a file rename.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
    pub rename: Option<Rename>,
    /// The fix a client may apply without asking (LSP `isPreferred`).
    pub preferred: bool,
}

impl Fix {
    pub fn edit(title: impl Into<String>, edits: Vec<Edit>) -> Self {
        Self { title: title.into(), edits, rename: None, preferred: false }
    }

    pub fn preferred(mut self) -> Self {
        self.preferred = true;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub new_text: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, new_text: impl Into<String>) -> Self {
        Self { range, new_text: new_text.into() }
    }

    pub fn insert(at: usize, new_text: impl Into<String>) -> Self {
        Self { range: at..at, new_text: new_text.into() }
    }
}

/// A file or folder rename that belongs to a fix (e.g. folder renamed to match a skill name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub from: PathBuf,
    pub to: PathBuf,
}
