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

    /// `keywords` and `tags` together, for ranking and search.
    pub fn keywords(&self) -> Vec<&str> {
        ["keywords", "tags"].iter().filter_map(|k| self.frontmatter.value(k)).filter_map(|v| v.string_items()).flatten().map(|(s, _)| s).collect()
    }

    /// Links in the body, found by the shared extractor so code spans and fences are respected.
    pub fn links(&self, text: &str) -> Vec<BodyLink> {
        crate::links::extract(text, self.body.clone()).into_iter().map(|l| BodyLink { target: l.target, target_range: l.target_range }).collect()
    }
}
