//! A skill document: frontmatter plus Markdown body.

use std::ops::Range;

use crate::frontmatter::Frontmatter;

#[derive(Debug, Clone)]
pub struct SkillDoc {
    pub frontmatter: Frontmatter,
    pub body: Range<usize>,
}

/// A relative link found in a skill body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyLink {
    pub target: String,
    pub target_range: Range<usize>,
    /// The whole link, text and destination (`[text](target)`).
    pub range: Range<usize>,
}

impl SkillDoc {
    pub fn parse(text: &str) -> Self {
        let frontmatter = Frontmatter::parse(text);
        let body = frontmatter.body_start..text.len();
        Self { frontmatter, body }
    }

    pub fn name(&self) -> Option<&str> {
        self.frontmatter.str_value("name")
    }

    pub fn description(&self) -> Option<&str> {
        self.frontmatter.str_value("description")
    }

    /// `keywords` and `tags` together, for ranking and search.
    pub fn keywords(&self) -> Vec<&str> {
        ["keywords", "tags"].iter().filter_map(|k| self.frontmatter.value(k)).filter_map(|v| v.string_items()).flatten().map(|(s, _)| s).collect()
    }

    /// Links in the body, found with pulldown-cmark so code spans and fences are respected.
    pub fn links(&self, text: &str) -> Vec<BodyLink> {
        use pulldown_cmark::{Event, Parser, Tag};
        let body = &text[self.body.clone()];
        let mut out = Vec::new();
        for (event, range) in Parser::new(body).into_offset_iter() {
            if let Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) = event {
                let abs = self.body.start + range.start..self.body.start + range.end;
                let src = &text[abs.clone()];
                // The destination's own range: its last occurrence inside the link's source text.
                let target_range = src.rfind(dest_url.as_ref()).map(|i| abs.start + i..abs.start + i + dest_url.len()).unwrap_or(abs.clone());
                out.push(BodyLink { target: dest_url.into_string(), target_range, range: abs });
            }
        }
        out
    }
}
