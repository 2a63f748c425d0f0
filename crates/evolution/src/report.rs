//! The run's result and its human-readable forms: a Markdown report and an SVG
//! chart of occurrences per day (docs/design.md §5 step 7). Pure text rendering;
//! where the files go is the caller's business.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::record::Pattern;
use crate::trigger::TriggerEval;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SkillAction {
    Created,
    Updated,
    Proposed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillOutcome {
    pub name: String,
    pub path: String,
    pub action: SkillAction,
    /// The held-out trigger evaluation, when one ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerEval>,
    /// Why the skill was only proposed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `llmos evolve --eval`: held-out prompts answered with and without the skill.
    #[serde(default, rename = "llmEval", skip_serializing_if = "Option::is_none")]
    pub llm_eval: Option<LlmEval>,
}

/// Held-out prompts answered with and without the skill, each pair judged by the LLM
/// against the answer the session accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LlmEval {
    pub trials: usize,
    /// The answer with the skill was judged closer.
    pub wins: usize,
    pub losses: usize,
    pub ties: usize,
    /// Trials the provider or the judge failed (not counted above).
    pub failed: usize,
    /// Estimated tokens (4 characters a token) sent and received: answering without
    /// the skill, with it, and judging.
    pub tokens_without: usize,
    pub tokens_with: usize,
    pub tokens_judge: usize,
}

impl LlmEval {
    /// Wins over judged trials, ties counting half.
    pub fn win_rate(&self) -> f64 {
        let judged = self.wins + self.losses + self.ties;
        if judged == 0 { 0.0 } else { (self.wins as f64 + self.ties as f64 / 2.0) / judged as f64 }
    }
}

/// What a run found and did; serialises to the JSON of `llmos evolve --format json`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvolutionResult {
    pub commits_analyzed: usize,
    pub patterns: Vec<Pattern>,
    pub skills: Vec<SkillOutcome>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

const SECONDS_PER_DAY: i64 = 86_400;

fn day_of(unix: i64) -> i64 {
    unix.div_euclid(SECONDS_PER_DAY)
}

fn date(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix).map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())).unwrap_or_else(|_| "?".to_string())
}

fn table_cell(text: &str) -> String {
    text.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The Markdown report; `chart_link`, when given, is embedded as an image
/// (e.g. the path of the SVG from [`render_occurrences_svg`]).
pub fn render_report(result: &EvolutionResult, chart_link: Option<&str>) -> String {
    let mut out = String::from("# Evolution report\n\n");
    out.push_str(&format!(
        "{} commits analysed, {} patterns kept, {} skills written or proposed.\n\n",
        result.commits_analyzed,
        result.patterns.len(),
        result.skills.len()
    ));
    for warning in &result.warnings {
        out.push_str(&format!("> Warning: {}\n\n", table_cell(warning)));
    }
    if result.patterns.is_empty() {
        out.push_str("No recurring pattern was strong enough to keep.\n");
    } else {
        out.push_str("## Patterns\n\n");
        out.push_str("| Pattern | Occurrences | Confidence | Authors | First seen | Last seen |\n");
        out.push_str("|---|---:|---:|---|---|---|\n");
        for p in &result.patterns {
            out.push_str(&format!(
                "| `{}` | {} | {:.0}% | {} | {} | {} |\n",
                table_cell(&p.name),
                p.occurrences,
                p.confidence * 100.0,
                table_cell(&p.authors.join(", ")),
                date(p.first_seen),
                date(p.last_seen)
            ));
        }
        out.push('\n');
        if let Some(link) = chart_link {
            out.push_str(&format!("![Occurrences per day]({link})\n\n"));
        }
        for p in &result.patterns {
            out.push_str(&format!("### `{}`\n\n{}\n\n", table_cell(&p.name), p.description));
            for prompt in p.prompts.iter().take(3) {
                let line: String = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
                out.push_str(&format!("- {}\n", line.chars().take(200).collect::<String>()));
            }
            out.push('\n');
        }
    }
    if !result.skills.is_empty() {
        out.push_str("## Skills\n\n| Skill | Action | Trigger precision | Trigger recall | Path |\n|---|---|---:|---:|---|\n");
        for s in &result.skills {
            let action = match (s.action, &s.reason) {
                (SkillAction::Created, _) => "created".to_string(),
                (SkillAction::Updated, _) => "updated".to_string(),
                (SkillAction::Proposed, Some(reason)) => format!("proposed ({reason})"),
                (SkillAction::Proposed, None) => "proposed (the existing skill was edited by a person)".to_string(),
            };
            let (precision, recall) = match &s.trigger {
                Some(t) => (
                    format!("{:.2} ({}/{})", t.precision(), t.true_positives, t.true_positives + t.false_positives),
                    format!("{:.2} ({}/{})", t.recall(), t.true_positives, t.held_out),
                ),
                None => ("–".to_string(), "–".to_string()),
            };
            out.push_str(&format!("| `{}` | {} | {precision} | {recall} | {} |\n", table_cell(&s.name), table_cell(&action), table_cell(&s.path)));
        }
        for s in result.skills.iter().filter(|s| s.llm_eval.is_some()) {
            if let Some(e) = &s.llm_eval {
                out.push_str(&format!(
                    "\n`{}` with vs without the skill (LLM judge against the accepted answers): win rate {:.2} over {} held-out prompts ({} won, {} lost, {} tied, {} failed); estimated tokens: {} without, {} with, {} judging.\n",
                    table_cell(&s.name),
                    e.win_rate(),
                    e.trials,
                    e.wins,
                    e.losses,
                    e.ties,
                    e.failed,
                    e.tokens_without,
                    e.tokens_with,
                    e.tokens_judge
                ));
            }
        }
        if result.skills.iter().any(|s| s.trigger.is_some()) {
            out.push_str("\nTrigger figures: the chat's skill ranker run on the newest 40 % of each pattern's sessions (held out of the skill) and on other work's prompts.\n");
        }
    }
    out
}

const PALETTE: [&str; 8] = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f"];
/// Days the chart spans at most.
const MAX_DAYS: usize = 731;
/// Series drawn; the rest are counted in the legend.
const MAX_SERIES: usize = PALETTE.len();

/// An SVG line chart of occurrences per day, one series per pattern (the
/// largest eight), with axes, labels and a legend.
pub fn render_occurrences_svg(patterns: &[Pattern]) -> String {
    const W: f64 = 820.0;
    const H: f64 = 360.0;
    const LEFT: f64 = 50.0;
    const RIGHT: f64 = 220.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 50.0;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"24\" font-size=\"15\">Occurrences per day</text>\n"
    );
    let mut series: Vec<&Pattern> = patterns.iter().filter(|p| !p.times.is_empty()).collect();
    series.sort_by(|a, b| b.occurrences.cmp(&a.occurrences).then(a.name.cmp(&b.name)));
    let hidden = series.len().saturating_sub(MAX_SERIES);
    series.truncate(MAX_SERIES);
    let (Some(first), Some(last)) =
        (series.iter().flat_map(|p| p.times.iter()).map(|t| day_of(*t)).min(), series.iter().flat_map(|p| p.times.iter()).map(|t| day_of(*t)).max())
    else {
        out.push_str(&format!("<text x=\"{LEFT}\" y=\"{}\">No patterns</text>\n</svg>\n", H / 2.0));
        return out;
    };
    // A bad commit date (1970, year 9999) must not stretch the chart over
    // centuries: show at most the last two years of the data.
    let first = first.max(last - (MAX_DAYS as i64 - 1));
    let days = (last - first + 1) as usize;
    let counts: Vec<Vec<u32>> = series
        .iter()
        .map(|p| {
            let mut per_day = vec![0u32; days];
            for t in &p.times {
                // Days before the window (negative) are left out.
                if let Some(n) = usize::try_from(day_of(*t) - first).ok().and_then(|day| per_day.get_mut(day)) {
                    *n += 1;
                }
            }
            per_day
        })
        .collect();
    let max = counts.iter().flatten().copied().max().unwrap_or(1).max(1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = |day: usize| {
        if days <= 1 { LEFT + plot_w / 2.0 } else { LEFT + plot_w * day as f64 / (days - 1) as f64 }
    };
    let y = |count: u32| TOP + plot_h - plot_h * f64::from(count) / f64::from(max);

    // Axes, y ticks and x labels (first, middle, last day).
    out.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{}\" stroke=\"#333\"/>\n<line x1=\"{LEFT}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#333\"/>\n",
        TOP + plot_h,
        LEFT + plot_w
    ));
    let ticks = max.min(5);
    for k in 0..=ticks {
        let value = (f64::from(max) * f64::from(k) / f64::from(ticks)).round() as u32;
        out.push_str(&format!("<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{value}</text>\n", LEFT - 6.0, y(value) + 4.0));
    }
    let mut label_days = vec![0usize, (days - 1) / 2, days - 1];
    label_days.dedup();
    for d in label_days {
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
            x(d),
            TOP + plot_h + 18.0,
            date((first + d as i64) * SECONDS_PER_DAY)
        ));
    }
    out.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">day</text>\n<text x=\"14\" y=\"{:.1}\" transform=\"rotate(-90 14 {:.1})\" text-anchor=\"middle\">occurrences</text>\n",
        LEFT + plot_w / 2.0,
        H - 8.0,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    ));

    for ((i, (pattern, per_day)), color) in series.iter().zip(&counts).enumerate().zip(PALETTE.iter().cycle()) {
        let points: Vec<String> = per_day.iter().enumerate().map(|(d, c)| format!("{:.1},{:.1}", x(d), y(*c))).collect();
        if let [only] = per_day.as_slice() {
            out.push_str(&format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{color}\"/>\n", x(0), y(*only)));
        } else {
            out.push_str(&format!("<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>\n", points.join(" ")));
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = LEFT + plot_w + 20.0;
        let name: String = pattern.name.chars().take(26).collect();
        out.push_str(&format!(
            "<rect x=\"{lx}\" y=\"{:.1}\" width=\"12\" height=\"12\" fill=\"{color}\"/>\n<text x=\"{}\" y=\"{:.1}\">{} ({})</text>\n",
            ly - 10.0,
            lx + 18.0,
            ly,
            llmos_artifacts::xml::escape(&name),
            pattern.occurrences
        ));
    }
    if hidden > 0 {
        out.push_str(&format!("<text x=\"{}\" y=\"{:.1}\">+{hidden} more</text>\n", LEFT + plot_w + 20.0, TOP + 10.0 + 20.0 * MAX_SERIES as f64));
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(name: &str, times: &[i64]) -> Pattern {
        Pattern {
            name: name.into(),
            description: "Recurring <work> & more".into(),
            occurrences: times.len(),
            confidence: 0.876,
            commits: times.iter().map(|t| format!("sha{t}")).collect(),
            times: times.to_vec(),
            prompts: vec!["a | b".into()],
            authors: vec!["ada".into(), "b|ob".into()],
            artifact_kinds: vec![],
            first_seen: times.iter().copied().min().unwrap_or(0),
            last_seen: times.iter().copied().max().unwrap_or(0),
            keywords: vec![],
        }
    }

    #[test]
    fn report_has_a_table_and_escapes_pipes() {
        let result = EvolutionResult {
            commits_analyzed: 10,
            patterns: vec![pattern("plots", &[0, 86_400])],
            skills: vec![SkillOutcome {
                name: "plots".into(),
                path: "skills/plots/SKILL.md".into(),
                action: SkillAction::Proposed,
                trigger: Some(TriggerEval { held_out: 2, true_positives: 1, negatives: 4, false_positives: 1 }),
                reason: Some("trigger precision 0.50".into()),
                llm_eval: Some(LlmEval { trials: 2, wins: 1, losses: 0, ties: 1, ..LlmEval::default() }),
            }],
            warnings: vec!["LLM answered prose; used local detection".into()],
        };
        let md = render_report(&result, Some("occurrences.svg"));
        assert!(md.contains("| `plots` | 2 | 88% | ada, b\\|ob | 1970-01-01 | 1970-01-02 |"), "{md}");
        assert!(md.contains("![Occurrences per day](occurrences.svg)"));
        assert!(md.contains("> Warning: LLM answered prose"));
        assert!(md.contains("| `plots` | proposed (trigger precision 0.50) | 0.50 (1/2) | 0.50 (1/2) |"), "{md}");
        assert!(md.contains("win rate 0.75 over 2 held-out prompts"), "{md}");
        let empty = render_report(&EvolutionResult::default(), None);
        assert!(empty.contains("No recurring pattern"));
    }

    #[test]
    fn json_uses_the_documented_keys() {
        let result = EvolutionResult { commits_analyzed: 1, ..Default::default() };
        let json = serde_json::to_string(&result).unwrap();
        assert_eq!(json, r#"{"commitsAnalyzed":1,"patterns":[],"skills":[]}"#);
    }

    #[test]
    fn svg_is_escaped_and_balanced() {
        let svg = render_occurrences_svg(&[pattern("a<&>b", &[0, 3600, 3 * 86_400]), pattern("c", &[86_400])]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("a&lt;&amp;&gt;b (3)"));
        assert!(!svg.contains("a<&>b"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("1970-01-01") && svg.contains("1970-01-04"));
        assert!(svg.trim_end().ends_with("</svg>"));
        let empty = render_occurrences_svg(&[]);
        assert!(empty.contains("No patterns") && empty.trim_end().ends_with("</svg>"));
        let single_day = render_occurrences_svg(&[pattern("x", &[5, 6])]);
        assert!(single_day.contains("<circle"));
        let absurd = render_occurrences_svg(&[pattern("y", &[i64::MIN / 2, 0, 1_700_000_000])]);
        assert!(absurd.contains("2023-11-14") && !absurd.contains("1970-01-01"));
    }
}
