//! Which detected patterns are kept, and which are strong enough to become skills
//! (docs/design.md §5 steps 4–5).

use serde::{Deserialize, Serialize};

use crate::record::Pattern;

/// The kind of volume a run analyses sets the default thresholds; it is the one
/// volume kind of the documents crate.
pub use llmos_documents::VolumeKind;

/// Confidence added per author beyond the first on volumes that reward
/// agreement between people (team volumes).
pub const TEAM_BOOST_PER_EXTRA_AUTHOR: f64 = 0.05;
/// The most that several authors can add.
pub const TEAM_BOOST_MAX: f64 = 0.15;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Thresholds {
    pub min_occurrences: usize,
    pub min_confidence: f64,
    pub generate_min_confidence: f64,
    /// Confidence gained per distinct author beyond the first (0 disables the
    /// boost); the total gain is capped at [`TEAM_BOOST_MAX`] and confidence at 1.
    pub author_boost: f64,
}

impl Thresholds {
    /// Defaults: user 2 / 0.7, team 3 / 0.75 with the multi-author boost,
    /// system 5 / 0.85; a skill is generated from 0.85.
    pub fn for_volume(kind: VolumeKind) -> Thresholds {
        let (min_occurrences, min_confidence, author_boost) = match kind {
            VolumeKind::User => (2, 0.7, 0.0),
            VolumeKind::Team => (3, 0.75, TEAM_BOOST_PER_EXTRA_AUTHOR),
            VolumeKind::System => (5, 0.85, 0.0),
        };
        Thresholds { min_occurrences, min_confidence, generate_min_confidence: 0.85, author_boost }
    }

    /// Confidence after the multi-author boost:
    /// `min(1, c + min(0.15, author_boost · (authors − 1)))`.
    pub fn boosted_confidence(&self, pattern: &Pattern) -> f64 {
        let extra_authors = pattern.authors.len().saturating_sub(1) as f64;
        let boost = (self.author_boost.max(0.0) * extra_authors).min(TEAM_BOOST_MAX);
        (pattern.confidence + boost).clamp(0.0, 1.0)
    }

    /// Applies the boost, then keeps the patterns with enough occurrences and
    /// confidence, strongest first (ties by name, so the order is stable).
    pub fn filter(&self, patterns: Vec<Pattern>) -> Vec<Pattern> {
        let mut kept: Vec<Pattern> = patterns
            .into_iter()
            .map(|mut p| {
                p.confidence = self.boosted_confidence(&p);
                p
            })
            .filter(|p| p.occurrences >= self.min_occurrences && p.confidence >= self.min_confidence)
            .collect();
        kept.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then(b.occurrences.cmp(&a.occurrences)).then(a.name.cmp(&b.name)));
        kept
    }

    /// Whether a kept pattern is strong enough to generate a skill from.
    pub fn should_generate(&self, pattern: &Pattern) -> bool {
        pattern.confidence >= self.generate_min_confidence && pattern.occurrences >= self.min_occurrences
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::for_volume(VolumeKind::User)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(name: &str, occurrences: usize, confidence: f64, authors: &[&str]) -> Pattern {
        Pattern {
            name: name.into(),
            description: String::new(),
            occurrences,
            confidence,
            commits: vec![],
            times: vec![],
            prompts: vec![],
            authors: authors.iter().map(|a| a.to_string()).collect(),
            artifact_kinds: vec![],
            first_seen: 0,
            last_seen: 0,
            keywords: vec![],
        }
    }

    #[test]
    fn defaults_per_volume() {
        let user = Thresholds::for_volume(VolumeKind::User);
        assert_eq!((user.min_occurrences, user.min_confidence), (2, 0.7));
        let team = Thresholds::for_volume(VolumeKind::Team);
        assert_eq!((team.min_occurrences, team.min_confidence), (3, 0.75));
        let system = Thresholds::for_volume(VolumeKind::System);
        assert_eq!((system.min_occurrences, system.min_confidence), (5, 0.85));
        assert_eq!(system.generate_min_confidence, 0.85);
    }

    #[test]
    fn filter_keeps_strong_patterns_in_order() {
        let user = Thresholds::for_volume(VolumeKind::User);
        let kept = user.filter(vec![
            pattern("weak", 10, 0.5, &["a"]),
            pattern("rare", 1, 0.99, &["a"]),
            pattern("ok", 2, 0.7, &["a"]),
            pattern("best", 5, 0.9, &["a"]),
        ]);
        let names: Vec<&str> = kept.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["best", "ok"]);
        assert!(user.should_generate(&kept[0]));
        assert!(!user.should_generate(&kept[1]));
    }

    #[test]
    fn several_authors_gain_confidence_on_team_volumes_only() {
        let team = Thresholds::for_volume(VolumeKind::Team);
        let user = Thresholds::for_volume(VolumeKind::User);
        let p = pattern("p", 4, 0.68, &["a", "b", "c"]);
        assert!((team.boosted_confidence(&p) - 0.78).abs() < 1e-9);
        assert_eq!(user.boosted_confidence(&p), 0.68);
        assert_eq!(team.filter(vec![p.clone()]).len(), 1);
        assert!(user.filter(vec![p]).is_empty());
        let many = pattern("m", 4, 0.95, &["a", "b", "c", "d", "e", "f", "g"]);
        assert_eq!(team.boosted_confidence(&many), 1.0);
        let capped = pattern("c", 4, 0.5, &["a", "b", "c", "d", "e", "f", "g"]);
        assert!((team.boosted_confidence(&capped) - 0.65).abs() < 1e-9);
    }
}
