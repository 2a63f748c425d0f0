//! Making a skill a portable Agent Skill: only the six standard top-level keys, with
//! everything else moved under `metadata` as strings.
//!
//! llmos's own provenance keys get an `llmos-` prefix there (`source` →
//! `llmos-source`), so they cannot collide with other tools' metadata; lists become
//! one string (`commits` space-separated, others comma-separated). Used by the
//! quick fix, by `llmos promote`, and by anything else that writes a skill.

use crate::frontmatter::Frontmatter;
use crate::lint::{yaml_double_quote, yaml_scalar};
use crate::profile::{KeyGroup, skill_key};
use crate::yaml::{YamlNode, YamlValue};

/// Top-level keys older llmos versions wrote for evolved skills.
pub const PROVENANCE_KEYS: &[&str] = &["source", "confidence", "occurrences", "commits", "created", "generated-hash", "keywords"];

/// The metadata key a top-level key moves to.
pub fn metadata_key(key: &str) -> String {
    if PROVENANCE_KEYS.contains(&key) { format!("llmos-{key}") } else { key.to_string() }
}

/// A value as one metadata string: scalars as written, lists joined (`commits` by
/// spaces, others by `, `), nested maps in flow style. `None` for aliases.
pub fn metadata_value(key: &str, value: &YamlNode) -> Option<String> {
    match &value.value {
        YamlValue::Scalar { text, .. } => Some(text.clone()),
        YamlValue::Seq(items) => {
            let joiner = if key == "commits" { " " } else { ", " };
            let parts: Option<Vec<String>> = items.iter().map(|i| metadata_value(key, i)).collect();
            parts.map(|p| p.join(joiner))
        }
        YamlValue::Map(entries) => {
            let parts: Option<Vec<String>> =
                entries.iter().map(|(k, v)| Some(format!("{}: {}", k.as_str()?, metadata_value("", v).map(|s| yaml_double_quote(&s))?))).collect();
            parts.map(|p| format!("{{{}}}", p.join(", ")))
        }
        YamlValue::Alias => None,
    }
}

fn is_standard(key: &str) -> bool {
    skill_key(key).is_some_and(|s| s.group == KeyGroup::Standard)
}

/// Whether the skill has top-level keys outside the standard.
pub fn is_portable(text: &str) -> bool {
    let fm = Frontmatter::parse(text);
    fm.entries().iter().all(|(k, _)| k.as_str().is_some_and(is_standard))
}

/// The skill with every non-standard top-level key moved under `metadata` (creating
/// it when absent). `None` when the frontmatter is unusable, `metadata` is not a map,
/// or a value cannot be a string; the text unchanged when it is already portable.
pub fn make_portable(text: &str) -> Option<String> {
    let fm = Frontmatter::parse(text);
    if !fm.is_usable() || fm.root.is_none() {
        return None;
    }
    let block = fm.block.as_ref()?;
    if is_portable(text) {
        return Some(text.to_string());
    }
    let mut kept = String::new();
    let mut metadata: Vec<(String, String)> = Vec::new();
    let mut moved: Vec<(String, String)> = Vec::new();
    for (key, value) in fm.entries() {
        let name = key.as_str()?;
        if name == "metadata" {
            for (k, v) in value.as_map()? {
                metadata.push((k.as_str()?.to_string(), v.as_str().map(str::to_string).or_else(|| metadata_value("", v))?));
            }
        } else if is_standard(name) {
            let range = crate::lint::entry_lines(text, key, value);
            kept.push_str(text.get(range)?);
            if !kept.ends_with('\n') {
                kept.push('\n');
            }
        } else if !value.is_null() {
            moved.push((metadata_key(name), metadata_value(name, value)?));
        }
    }
    for (k, v) in moved {
        if !metadata.iter().any(|(m, _)| *m == k) {
            metadata.push((k, v));
        }
    }
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(text.get(..block.yaml.start)?);
    out.push_str(&kept);
    if !metadata.is_empty() {
        out.push_str("metadata:\n");
        for (k, v) in &metadata {
            out.push_str(&format!("  {}: {}\n", yaml_scalar(k), yaml_double_quote(v)));
        }
    }
    out.push_str(text.get(block.yaml.end..)?);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_provenance_with_prefix_and_keeps_the_rest() {
        let text = "---\nname: a\nsource: evolution\nconfidence: 0.9\ncommits:\n  - \"x1\"\n  - y2\ndescription: >\n  Folded, use when\nauthor: Ada\nmetadata:\n  version: \"1\"\n---\nbody ---\n";
        let out = make_portable(text).unwrap();
        assert_eq!(
            out,
            "---\nname: a\ndescription: >\n  Folded, use when\nmetadata:\n  version: \"1\"\n  llmos-source: \"evolution\"\n  llmos-confidence: \"0.9\"\n  llmos-commits: \"x1 y2\"\n  author: \"Ada\"\n---\nbody ---\n"
        );
        assert!(is_portable(&out));
        assert_eq!(make_portable(&out).as_deref(), Some(out.as_str()));
    }

    #[test]
    fn refuses_what_it_cannot_convert() {
        assert_eq!(make_portable("no frontmatter"), None);
        assert_eq!(make_portable("---\nname: a\nmetadata: 3\nx: 1\n---\n"), None);
        assert_eq!(make_portable("---\n[1, 2]\n---\n"), None);
    }
}
