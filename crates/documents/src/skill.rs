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

    /// Links in the body, found by the shared extractor so code spans and fences are respected.
    pub fn links(&self, text: &str) -> Vec<BodyLink> {
        crate::links::extract(text, self.body.clone())
            .into_iter()
            .map(|l| BodyLink { target: l.target, target_range: l.target_range, range: l.range })
            .collect()
    }
}
