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

    /// `keywords` and `tags` together, plus their comma-separated forms under `metadata`
    /// (`llmos-keywords`, `keywords`, `tags`), for ranking and search.
    pub fn keywords(&self) -> Vec<&str> {
        let mut out: Vec<&str> =
            ["keywords", "tags"].iter().filter_map(|k| self.frontmatter.value(k)).filter_map(|v| v.string_items()).flatten().map(|(s, _)| s).collect();
        // Portable skills keep them under `metadata` as comma-separated strings.
        for key in ["llmos-keywords", "keywords", "tags"] {
            if let Some(listed) = self.metadata(key) {
                out.extend(listed.split(',').map(|k| k.trim().trim_matches(['[', ']', '"'])).filter(|k| !k.is_empty()));
            }
        }
        out
    }

    /// A string value of the `metadata` map.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        let map = self.frontmatter.value("metadata")?.as_map()?;
        map.iter().find(|(k, _)| k.as_str() == Some(key)).and_then(|(_, v)| v.as_str().filter(|_| !v.is_null()))
    }

    /// An llmos provenance value in either form: `metadata.llmos-<key>` (portable) or
    /// the older top-level `<key>` (a scalar).
    pub fn provenance(&self, key: &str) -> Option<&str> {
        self.metadata(&format!("llmos-{key}")).or_else(|| self.frontmatter.str_value(key))
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
                let target_range = src.rfind(dest_url.as_ref()).map(|i| abs.start + i..abs.start + i + dest_url.len()).unwrap_or(abs);
                out.push(BodyLink { target: dest_url.into_string(), target_range });
            }
        }
        out
    }
}
