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
    let first_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    if text[start..first_end].trim_end() != "---" {
        return None;
    }
    let open = start..first_end;
    let yaml_start = (first_end + 1).min(text.len());
    let mut pos = yaml_start;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..end].trim_end();
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
