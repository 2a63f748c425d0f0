//! Splitting the `---` frontmatter block off a Markdown document and parsing it.
//!
//! The splitter is ours (not a YAML library's) so that an unclosed block is reported
//! instead of silently swallowing the whole file, and so every range stays relative to
//! the whole document.

use std::ops::Range;

use crate::yaml::{self, YamlError, YamlNode};

/// Where the frontmatter block sits in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The opening `---` line, without its line break.
    pub open: Range<usize>,
    /// The YAML text between the delimiters.
    pub yaml: Range<usize>,
    /// The closing `---` (or `...`) line; `None` when the block never closes.
    pub close: Option<Range<usize>>,
}

/// Finds the frontmatter block: the document must start with a line that is exactly
/// `---` (a UTF-8 BOM and trailing spaces are tolerated).
pub fn split(text: &str) -> Option<Block> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let first_end = crate::line_bounds::line_end(text, start);
    if text.get(start..first_end).map(str::trim_end) != Some("---") {
        return None;
    }
    let open = start..first_end;
    let yaml_start = (first_end + 1).min(text.len());
    let mut pos = yaml_start;
    while pos < text.len() {
        let end = crate::line_bounds::line_end(text, pos);
        let line = text.get(pos..end).unwrap_or_default().trim_end();
        if line == "---" || line == "..." {
            return Some(Block { open, yaml: yaml_start..pos, close: Some(pos..end) });
        }
        pos = end + 1;
    }
    Some(Block { open, yaml: yaml_start..text.len(), close: None })
}

/// A document's frontmatter, parsed.
#[derive(Debug, Clone)]
pub struct Frontmatter {
    pub block: Option<Block>,
    /// The YAML root, `None` when there is no block, it is unclosed, empty or invalid.
    pub root: Option<YamlNode>,
    pub error: Option<YamlError>,
    /// Where the Markdown body starts (after the closing delimiter's line break).
    pub body_start: usize,
}

impl Frontmatter {
    pub fn parse(text: &str) -> Self {
        let Some(block) = split(text) else {
            return Self { block: None, root: None, error: None, body_start: 0 };
        };
        let Some(close) = block.close.clone() else {
            return Self { block: Some(block), root: None, error: None, body_start: text.len() };
        };
        let body_start = if close.end < text.len() { close.end + 1 } else { text.len() };
        let (root, error) = match yaml::parse(text, block.yaml.clone()) {
            Ok(root) => (root, None),
            Err(e) => (None, Some(e)),
        };
        Self { block: Some(block), root, error, body_start }
    }

    /// Top-level entries in document order (duplicates included), empty when the root is
    /// not a mapping.
    pub fn entries(&self) -> &[(YamlNode, YamlNode)] {
        match self.root.as_ref().map(|r| &r.value) {
            Some(yaml::YamlValue::Map(entries)) => entries,
            _ => &[],
        }
    }

    /// The first entry with this key.
    pub fn get(&self, key: &str) -> Option<&(YamlNode, YamlNode)> {
        self.entries().iter().find(|(k, _)| k.as_str() == Some(key))
    }

    pub fn value(&self, key: &str) -> Option<&YamlNode> {
        self.get(key).map(|(_, v)| v)
    }

    /// The string value of `key` when it is a scalar.
    pub fn str_value(&self, key: &str) -> Option<&str> {
        self.value(key).and_then(YamlNode::as_str)
    }

    /// Whether the block exists, is closed and parsed into a mapping (or is empty).
    pub fn is_usable(&self) -> bool {
        self.block.as_ref().is_some_and(|b| b.close.is_some())
            && self.error.is_none()
            && self.root.as_ref().is_none_or(|r| matches!(r.value, yaml::YamlValue::Map(_)))
    }

    /// Where a new key line can be inserted (the start of the closing delimiter line).
    pub fn insert_offset(&self) -> Option<usize> {
        self.block.as_ref()?.close.as_ref().map(|c| c.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_closed_block() {
        let text = "---\nname: a\n---\nbody\n";
        let b = split(text).unwrap();
        assert_eq!(&text[b.yaml.clone()], "name: a\n");
        assert_eq!(&text[b.close.clone().unwrap()], "---");
        let fm = Frontmatter::parse(text);
        assert_eq!(&text[fm.body_start..], "body\n");
        assert_eq!(fm.str_value("name"), Some("a"));
    }

    #[test]
    fn unclosed_and_absent() {
        assert!(split("# title\n---\n").is_none());
        let b = split("---\nname: a\n").unwrap();
        assert!(b.close.is_none());
        assert!(split("").is_none());
        let crlf = "---\r\nname: a\r\n---\r\nbody";
        let fm = Frontmatter::parse(crlf);
        assert_eq!(fm.str_value("name"), Some("a"));
        assert_eq!(&crlf[fm.body_start..], "body");
    }
}

/// Edits that set top-level scalar keys to the given YAML text (already rendered, e.g.
/// `committed` or `null`), replacing an existing value or adding the key before the
/// closing delimiter. Returns `None` when the document has no usable frontmatter.
pub fn set_fields(text: &str, fields: &[(&str, &str)]) -> Option<Vec<crate::Edit>> {
    let fm = Frontmatter::parse(text);
    if !fm.is_usable() {
        return None;
    }
    let insert_at = fm.insert_offset()?;
    let mut edits = Vec::new();
    let mut added = String::new();
    for (key, value) in fields {
        match fm.get(key) {
            Some((k, v)) => {
                // An empty value (`commit:`) has an empty span right after the colon.
                let range = if v.span.is_empty() && v.span.start <= k.span.end { k.span.end + 1..k.span.end + 1 } else { v.span.clone() };
                let replacement = if v.span.is_empty() { format!(" {value}") } else { value.to_string() };
                if text.get(range.clone()) != Some(replacement.as_str()) {
                    edits.push(crate::Edit::replace(range, replacement));
                }
            }
            None => {
                added.push_str(&format!("{key}: {value}\n"));
            }
        }
    }
    if !added.is_empty() {
        edits.push(crate::Edit::insert(insert_at, added));
    }
    Some(edits)
}

/// Applies non-overlapping edits (in any order) to a text.
pub fn apply_edits(text: &str, edits: &[crate::Edit]) -> String {
    let mut sorted: Vec<&crate::Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut pos = 0;
    for e in sorted {
        // An edit's ends inside a character (a caller's bad arithmetic) are moved back to
        // that character's start rather than panicking.
        let start = crate::line_index::floor_char_boundary(text, e.range.start.clamp(pos, text.len()));
        out.push_str(text.get(pos..start).unwrap_or_default());
        out.push_str(&e.new_text);
        pos = crate::line_index::floor_char_boundary(text, e.range.end.clamp(start, text.len())).max(start);
    }
    out.push_str(text.get(pos..).unwrap_or_default());
    out
}

#[cfg(test)]
mod set_tests {
    use super::*;

    #[test]
    fn sets_existing_and_new_fields() {
        let text = "---\ntitle: T\nstatus: uncommitted\ncommit: null\n---\nbody\n";
        let edits = set_fields(text, &[("status", "committed"), ("commit", "abc"), ("model", "m")]).unwrap();
        let out = apply_edits(text, &edits);
        assert_eq!(out, "---\ntitle: T\nstatus: committed\ncommit: abc\nmodel: m\n---\nbody\n");
        let empty = "---\ncommit:\n---\n";
        assert_eq!(apply_edits(empty, &set_fields(empty, &[("commit", "x")]).unwrap()), "---\ncommit: x\n---\n");
        assert!(set_fields("no frontmatter", &[("a", "b")]).is_none());
    }

    #[test]
    fn an_edit_inside_a_character_moves_to_its_start() {
        // "é" is bytes 1..3; an edit at byte 2 used to panic on the slice.
        assert_eq!(apply_edits("aéb", &[crate::Edit::insert(2, "X")]), "aXéb");
        assert_eq!(apply_edits("aéb", &[crate::Edit::replace(2..3, "Y")]), "aYb");
    }
}

/// Edits that set `metadata.<key>` to a string, creating the `metadata` map when absent.
/// `None` when the frontmatter is unusable or `metadata` is not a mapping.
pub fn set_metadata_field(text: &str, key: &str, value: &str) -> Option<Vec<crate::Edit>> {
    let fm = Frontmatter::parse(text);
    if !fm.is_usable() {
        return None;
    }
    let rendered = crate::lint::yaml_scalar(value);
    match fm.get("metadata") {
        None => Some(vec![crate::Edit::insert(fm.insert_offset()?, format!("metadata:\n  {key}: {rendered}\n"))]),
        Some((mk, mv)) => {
            let map = mv.as_map()?;
            if let Some((_, v)) = map.iter().find(|(k, _)| k.as_str() == Some(key)) {
                return Some(vec![crate::Edit::replace(v.span.clone(), rendered)]);
            }
            match map.last() {
                Some((lk, lv)) => {
                    let indent = lk.span.start.saturating_sub(crate::line_bounds::line_start(text, lk.span.start));
                    let end = crate::line_bounds::next_line_start(text, lv.span.end.max(lk.span.end));
                    Some(vec![crate::Edit::insert(end, format!("{}{key}: {rendered}\n", " ".repeat(indent)))])
                }
                None => {
                    let start = crate::line_bounds::line_start(text, mk.span.start);
                    let end = crate::line_bounds::next_line_start(text, mv.span.end.max(mk.span.end));
                    Some(vec![crate::Edit::replace(start..end, format!("metadata:\n  {key}: {rendered}\n"))])
                }
            }
        }
    }
}

#[cfg(test)]
mod metadata_tests {
    use super::*;

    #[test]
    fn sets_metadata_in_every_shape() {
        let apply = |t: &str| apply_edits(t, &set_metadata_field(t, "promoted-from", "user").unwrap());
        assert_eq!(apply("---\nname: a\n---\nb"), "---\nname: a\nmetadata:\n  promoted-from: user\n---\nb");
        assert_eq!(apply("---\nmetadata:\n    x: y\nname: a\n---\n"), "---\nmetadata:\n    x: y\n    promoted-from: user\nname: a\n---\n");
        assert_eq!(apply("---\nmetadata: {}\n---\n"), "---\nmetadata:\n  promoted-from: user\n---\n");
        assert_eq!(apply("---\nmetadata:\n  promoted-from: team\n---\n"), "---\nmetadata:\n  promoted-from: user\n---\n");
        assert!(set_metadata_field("---\nmetadata: 3\n---\n", "k", "v").is_none());
    }
}
