//! A small span-carrying YAML tree built from saphyr's parser events.
//!
//! We build our own tree (instead of saphyr's loaded `MarkedYaml`) so that duplicate keys
//! are kept and reported at the key rather than aborting the whole load, and so every
//! span is a byte range in the *whole document*: saphyr counts characters from the start
//! of the YAML text it was given.

use std::borrow::Cow;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct YamlNode {
    pub span: Range<usize>,
    pub value: YamlValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum YamlValue {
    Scalar {
        text: String,
        style: Style,
    },
    Seq(Vec<YamlNode>),
    Map(Vec<(YamlNode, YamlNode)>),
    /// An alias (`*anchor`); llmos never needs to resolve one.
    Alias,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// A YAML syntax error at the position the parser reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub offset: usize,
    pub message: String,
}

impl YamlNode {
    /// The scalar's text, whatever its style.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// A scalar that YAML's core schema reads as null (`~`, `null`, empty).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, YamlValue::Scalar { text, style: Style::Plain } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// A plain scalar that the core schema reads as something other than a string.
    pub fn is_plain_non_string(&self) -> bool {
        self.is_null() || self.as_bool().is_some() || self.as_f64().is_some()
    }

    pub fn as_bool(&self) -> Option<bool> {
        match &self.value {
            YamlValue::Scalar { text, style: Style::Plain } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// A plain scalar the core schema reads as a number.
    pub fn as_f64(&self) -> Option<f64> {
        match &self.value {
            YamlValue::Scalar { text, style: Style::Plain } => {
                let t = text.as_str();
                let numeric = t.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+' || b == b'.');
                if numeric { t.parse::<f64>().ok() } else { None }
            }
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[YamlNode]> {
        match &self.value {
            YamlValue::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(YamlNode, YamlNode)]> {
        match &self.value {
            YamlValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A human word for the node's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            YamlValue::Scalar { .. } if self.is_null() => "null",
            YamlValue::Scalar { .. } if self.as_bool().is_some() => "a boolean",
            YamlValue::Scalar { .. } if self.as_f64().is_some() => "a number",
            YamlValue::Scalar { .. } => "a string",
            YamlValue::Seq(_) => "a list",
            YamlValue::Map(_) => "a mapping",
            YamlValue::Alias => "an alias",
        }
    }

    /// Strings of a list of scalars, or of a single scalar (for keys that accept both).
    pub fn string_items(&self) -> Option<Vec<(&str, Range<usize>)>> {
        match &self.value {
            YamlValue::Seq(items) => items.iter().map(|i| i.as_str().map(|s| (s, i.span.clone()))).collect(),
            YamlValue::Scalar { text, .. } => Some(vec![(text.as_str(), self.span.clone())]),
            _ => None,
        }
    }
}

/// Converts saphyr's character indices (relative to the YAML slice) to document bytes.
struct CharToByte<'a> {
    yaml: &'a str,
    base: usize,
    ascii: bool,
    // Cursor for monotone lookups: (char index, byte index) last seen.
    cursor: (usize, usize),
}

impl<'a> CharToByte<'a> {
    fn new(yaml: &'a str, base: usize) -> Self {
        Self { yaml, base, ascii: yaml.is_ascii(), cursor: (0, 0) }
    }

    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return self.base + char_index.min(self.yaml.len());
        }
        let (mut ci, mut bi) = if char_index >= self.cursor.0 { self.cursor } else { (0, 0) };
        // `bi` only ever advances by whole characters, so it is a char boundary.
        let mut chars = self.yaml.get(bi..).unwrap_or_default().chars();
        while ci < char_index {
            match chars.next() {
                Some(c) => {
                    ci += 1;
                    bi += c.len_utf8();
                }
                None => break,
            }
        }
        self.cursor = (ci, bi);
        self.base + bi
    }

    fn range(&mut self, span: &Span) -> Range<usize> {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index()).max(start);
        start..end
    }
}

/// Deepest nesting of lists and mappings accepted. Frontmatter needs a handful of
/// levels; 20,000 nested `- ` would otherwise build a tree whose recursive drop and
/// walks overflow the stack.
pub const MAX_DEPTH: usize = 64;

enum Frame {
    Seq { start: usize, items: Vec<YamlNode> },
    Map { start: usize, entries: Vec<(YamlNode, YamlNode)>, key: Option<YamlNode> },
}

/// Parses `range` of `text` as one YAML document. `Ok(None)` for an empty document.
pub fn parse(text: &str, range: Range<usize>) -> Result<Option<YamlNode>, YamlError> {
    let yaml = text
        .get(range.clone())
        .ok_or_else(|| YamlError { offset: range.start.min(text.len()), message: "the YAML range does not fall on character boundaries".to_string() })?;
    let mut conv = CharToByte::new(yaml, range.start);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<YamlNode> = None;
    let mut parser = Parser::new_from_str(yaml);
    for event in &mut parser {
        let (event, span) = event.map_err(|e| {
            let offset = conv.byte(e.marker().index());
            YamlError { offset, message: e.info().to_string() }
        })?;
        let node = match event {
            Event::Scalar(value, style, _, _) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                let span = conv.range(&span);
                Some(YamlNode { span, value: YamlValue::Scalar { text: Cow::into_owned(value), style } })
            }
            Event::Alias(_) => Some(YamlNode { span: conv.range(&span), value: YamlValue::Alias }),
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(YamlError {
                    offset: conv.byte(span.start.index()),
                    message: format!("nested deeper than {MAX_DEPTH} levels; llmos reads no deeper"),
                });
            }
            Event::SequenceStart(..) => {
                let start = conv.byte(span.start.index());
                stack.push(Frame::Seq { start, items: Vec::new() });
                None
            }
            Event::MappingStart(..) => {
                let start = conv.byte(span.start.index());
                stack.push(Frame::Map { start, entries: Vec::new(), key: None });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = conv.byte(span.end.index());
                match stack.pop() {
                    Some(Frame::Seq { start, items }) => {
                        let end = items.last().map_or(end, |l| l.span.end.max(end));
                        Some(YamlNode { span: start..end.max(start), value: YamlValue::Seq(items) })
                    }
                    Some(Frame::Map { start, entries, .. }) => {
                        let end = entries.last().map_or(end, |(_, v)| v.span.end.max(end));
                        Some(YamlNode { span: start..end.max(start), value: YamlValue::Map(entries) })
                    }
                    None => None,
                }
            }
            Event::DocumentStart(_) | Event::DocumentEnd | Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
        };
        if let Some(node) = node {
            match stack.last_mut() {
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    Some(k) => entries.push((k, node)),
                    None => *key = Some(node),
                },
                None => {
                    if root.is_none() {
                        root = Some(node);
                    }
                }
            }
        }
    }
    Ok(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(text: &str) -> Result<Option<YamlNode>, YamlError> {
        parse(text, 0..text.len())
    }

    #[test]
    fn spans_are_document_bytes() {
        let text = "name: ünï\ndescription: \"quoted: yes\"\ntags: [a, b]\n";
        let root = parse_all(text).unwrap().unwrap();
        let map = root.as_map().unwrap();
        assert_eq!(map.len(), 3);
        let (k, v) = &map[0];
        assert_eq!(&text[k.span.clone()], "name");
        assert_eq!(&text[v.span.clone()], "ünï");
        let (_, d) = &map[1];
        assert_eq!(d.as_str(), Some("quoted: yes"));
        assert!(text[d.span.clone()].contains("quoted: yes"));
        let (k3, tags) = &map[2];
        assert_eq!(&text[k3.span.clone()], "tags");
        let items = tags.string_items().unwrap();
        assert_eq!(items.iter().map(|i| i.0).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(&text[items[1].1.clone()], "b");
    }

    #[test]
    fn duplicates_are_kept() {
        let root = parse_all("a: 1\na: 2\n").unwrap().unwrap();
        assert_eq!(root.as_map().unwrap().len(), 2);
    }

    #[test]
    fn error_points_at_the_reported_position() {
        let text = "name: x\ndescription: Use this: when\n";
        let err = parse_all(text).unwrap_err();
        let line_start = text.find("description").unwrap();
        assert!(err.offset >= line_start, "{err:?}");
        assert!(!err.message.is_empty());
    }

    #[test]
    fn types() {
        let root = parse_all("a: 1.5\nb: true\nc: ~\nd: '1'\n").unwrap().unwrap();
        let m = root.as_map().unwrap();
        assert_eq!(m[0].1.as_f64(), Some(1.5));
        assert_eq!(m[1].1.as_bool(), Some(true));
        assert!(m[2].1.is_null());
        assert_eq!(m[3].1.as_f64(), None);
        assert_eq!(m[3].1.type_name(), "a string");
    }

    #[test]
    fn deep_nesting_is_an_error_at_the_limit_not_a_stack_overflow() {
        let text = format!("metadata:\n{}x\n", "- ".repeat(20_000));
        let err = parse_all(&text).unwrap_err();
        assert!(err.message.contains("nested deeper than 64"), "{err:?}");
        let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_all(&flow).is_err());
        let ok = format!("a:\n{}x\n", "- ".repeat(MAX_DEPTH - 2));
        assert!(parse_all(&ok).is_ok());
    }
}
