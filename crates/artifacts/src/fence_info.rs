//! Inline artifacts: fenced code blocks whose info string names an artifact
//! (```` ```python artifact=vqe.py type=code ````, docs/design.md §3.2).
//!
//! Only the info string is parsed here; finding fences in a document is the documents
//! crate's job.

use crate::kind::{ArtifactKind, kind_for_path, language_for_extension};
use std::path::Path;

/// An inline artifact declared by a fence info string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceArtifact {
    /// The `artifact=` value.
    pub name: String,
    /// The info string's first word when it is not an attribute (`python`).
    pub language: Option<String>,
    /// The `type=` value as written, even when it is not a known type.
    pub declared_type: Option<String>,
    pub kind: ArtifactKind,
}

/// The inline artifact named by a fence info string, or `None` when it has no
/// `artifact=` attribute (or an empty one).
///
/// Values may be quoted (`artifact="my plot.csv"`, single or double quotes). The kind is
/// taken from `type=` when it names a known type, else from the artifact's file name,
/// else from the fence language (`Code`), else `Other`.
pub fn parse_fence_artifact(info_string: &str) -> Option<FenceArtifact> {
    let words = split_info_words(info_string);
    let mut language = None;
    let mut name = None;
    let mut declared_type = None;
    for (index, word) in words.into_iter().enumerate() {
        match word.split_once('=') {
            Some((key, value)) => match key.trim().to_ascii_lowercase().as_str() {
                "artifact" => name = Some(value.to_string()),
                "type" => declared_type = Some(value.to_string()),
                _ => {}
            },
            None if index == 0 && !word.is_empty() => language = Some(word),
            None => {}
        }
    }
    let name = name.filter(|name| !name.trim().is_empty())?;
    let kind = fence_kind(&name, language.as_deref(), declared_type.as_deref());
    Some(FenceArtifact { name, language, declared_type, kind })
}

/// The artifact kind of a fence info string; `None` when it declares no artifact.
pub fn kind_for_fence(info_string: &str) -> Option<ArtifactKind> {
    parse_fence_artifact(info_string).map(|artifact| artifact.kind)
}

fn fence_kind(name: &str, language: Option<&str>, declared_type: Option<&str>) -> ArtifactKind {
    let from_name = kind_for_path(Path::new(name));
    if let Some(declared) = declared_type {
        let code_language = language.map(normalise_fence_language).or_else(|| match &from_name {
            ArtifactKind::Code { language } => Some(language.clone()),
            _ => None,
        });
        if let Some(kind) = ArtifactKind::from_type_name(declared, code_language.as_deref()) {
            return kind;
        }
    }
    if from_name != ArtifactKind::Other {
        return from_name;
    }
    match language {
        Some(language) => ArtifactKind::Code { language: normalise_fence_language(language) },
        None => ArtifactKind::Other,
    }
}

/// Fence languages are kept as written, except that a bare extension (`py`) becomes the
/// id the other previews use (`python`) so that both kinds of artifact compare equal.
fn normalise_fence_language(language: &str) -> String {
    let lower = language.to_ascii_lowercase();
    language_for_extension(&lower).map(str::to_string).unwrap_or(lower)
}

/// Splits an info string at whitespace, honouring `"…"` and `'…'` quotes (with `\"`
/// escapes inside double quotes) and dropping the quotes. An unclosed quote runs to the end.
fn split_info_words(info: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = info.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' | '\'' => {
                in_word = true;
                let quote = ch;
                while let Some(inner) = chars.next() {
                    if inner == quote {
                        break;
                    }
                    if inner == '\\'
                        && quote == '"'
                        && let Some(&next) = chars.peek()
                        && (next == '"' || next == '\\')
                    {
                        current.push(next);
                        chars.next();
                        continue;
                    }
                    current.push(inner);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}
