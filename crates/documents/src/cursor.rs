//! What sits under the cursor in a skill or session: a frontmatter key or value, a
//! link, an inline artifact, a turn marker. Hover, completion, definition, references
//! and rename all start here.

use std::ops::Range;

use crate::frontmatter::Frontmatter;
use crate::session::SessionDoc;
use crate::yaml::YamlNode;

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// On a top-level frontmatter key.
    Key { key: String, range: Range<usize> },
    /// On a top-level key's value; `item` is the list item under the cursor, if any.
    Value { key: String, range: Range<usize>, item: Option<(String, Range<usize>)> },
    /// Inside the frontmatter but on no key or value (a blank line, say).
    FrontmatterBlank,
    /// On a link's target or text.
    Link { target: String, range: Range<usize> },
    /// On the info string of a fence with `artifact=NAME`.
    InlineArtifact { name: String, fence: usize, range: Range<usize> },
    /// On a turn marker line.
    Marker { turn: usize },
    /// Anywhere else in the body.
    Body,
}

fn contains(range: &Range<usize>, offset: usize) -> bool {
    range.start <= offset && offset <= range.end
}

/// The frontmatter part of the answer, shared by skills and sessions.
pub fn in_frontmatter(fm: &Frontmatter, offset: usize) -> Option<Target> {
    let block = fm.block.as_ref()?;
    let end = block.close.as_ref().map_or(usize::MAX, |c| c.start);
    if offset < block.yaml.start || offset > end {
        return None;
    }
    for (k, v) in fm.entries() {
        let Some(key) = k.as_str() else { continue };
        if contains(&k.span, offset) {
            return Some(Target::Key { key: key.to_string(), range: k.span.clone() });
        }
        if contains(&value_extent(v), offset) || (offset > k.span.end && v.span.is_empty() && v.span.start == offset) {
            let item =
                v.as_seq().and_then(|items| items.iter().find(|i| contains(&i.span, offset))).and_then(|i| i.as_str().map(|s| (s.to_string(), i.span.clone())));
            return Some(Target::Value { key: key.to_string(), range: v.span.clone(), item });
        }
    }
    Some(Target::FrontmatterBlank)
}

fn value_extent(v: &YamlNode) -> Range<usize> {
    v.span.clone()
}

/// The target under `offset` in a session.
pub fn in_session(doc: &SessionDoc, offset: usize) -> Target {
    if let Some(t) = in_frontmatter(&doc.frontmatter, offset) {
        return t;
    }
    if let Some((i, _)) = doc.turns.iter().enumerate().find(|(_, t)| contains(&t.marker, offset)) {
        return Target::Marker { turn: i };
    }
    if let Some(l) = doc.links.iter().find(|l| contains(&l.range, offset)) {
        return Target::Link { target: l.target.clone(), range: l.target_range.clone() };
    }
    if let Some((i, f)) = doc.fences.iter().enumerate().find(|(_, f)| contains(&f.info_range, offset) && f.artifact.is_some()) {
        return Target::InlineArtifact { name: f.artifact.clone().unwrap_or_default(), fence: i, range: f.info_range.clone() };
    }
    Target::Body
}

/// The target under `offset` in a skill.
pub fn in_skill(text: &str, doc: &crate::SkillDoc, offset: usize) -> Target {
    if let Some(t) = in_frontmatter(&doc.frontmatter, offset) {
        return t;
    }
    // The whole link counts, its text as much as its destination, as in sessions.
    for link in doc.links(text) {
        if contains(&link.range, offset) {
            return Target::Link { target: link.target, range: link.target_range };
        }
    }
    Target::Body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_values_and_items() {
        let text = "---\ntitle: T\nskills: [alpha, beta]\n---\n<!-- turn: user -->\nsee [x](a.py)\n";
        let doc = SessionDoc::parse(text);
        let at = |needle: &str| in_session(&doc, text.find(needle).unwrap() + 1);
        assert!(matches!(at("title"), Target::Key { key, .. } if key == "title"));
        assert!(matches!(at("beta"), Target::Value { key, item: Some((i, _)), .. } if key == "skills" && i == "beta"));
        assert!(matches!(at("turn: user"), Target::Marker { turn: 0 }));
        assert!(matches!(at("a.py"), Target::Link { target, .. } if target == "a.py"));
        assert_eq!(at("see"), Target::Body);
    }

    proptest::proptest! {
        /// Every offset of `[text](target)`, text and destination alike, finds the link in
        /// a skill and in a session; the offsets just outside it do not.
        #[test]
        fn a_link_is_found_over_its_whole_span(text in "[a-z][a-z ]{0,12}[a-z]", target in "[a-z]{1,8}/[a-z]{1,8}\\.md", before in "[A-Z][a-z]{0,10} ") {
            let link = format!("[{text}]({target})");
            let body = format!("{before}{link} after.\n");
            let skill = format!("---\nname: s\n---\n{body}");
            let session = format!("---\ntitle: t\n---\n<!-- turn: user -->\n{body}");
            for (doc, is_skill) in [(&skill, true), (&session, false)] {
                let start = doc.find(&link).unwrap();
                let end = start + link.len();
                let at = |offset: usize| if is_skill { in_skill(doc, &crate::SkillDoc::parse(doc), offset) } else { in_session(&SessionDoc::parse(doc), offset) };
                for offset in start..=end {
                    let found = matches!(at(offset), Target::Link { target: t, .. } if t == target);
                    proptest::prop_assert!(found, "offset {} in {:?}", offset - start, link);
                }
                let outside = [at(start - 2), at(end + 2)];
                let is_link = |t: &Target| matches!(t, Target::Link { .. });
                proptest::prop_assert!(!outside.iter().any(is_link), "found outside: {:?}", outside);
            }
        }
    }
}
