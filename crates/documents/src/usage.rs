//! Token usage recorded on assistant markers (`tokens=IN/OUT`, `cache=READ/WRITE`),
//! summed per session and per model, and turned into cost with a price table.

use std::collections::BTreeMap;

use crate::session::{Role, SessionDoc};

/// Tokens of one reply or a sum of them. `input` counts every prompt token; `cache_read`
/// and `cache_write` say how many of them hit or filled the provider's prompt cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenCount {
    pub input: u64,
    pub output: u64,
    pub cache_read: u64,
    pub cache_write: u64,
}

impl TokenCount {
    pub fn add(&mut self, other: TokenCount) {
        self.input = self.input.saturating_add(other.input);
        self.output = self.output.saturating_add(other.output);
        self.cache_read = self.cache_read.saturating_add(other.cache_read);
        self.cache_write = self.cache_write.saturating_add(other.cache_write);
    }

    pub fn is_empty(&self) -> bool {
        *self == TokenCount::default()
    }
}

/// USD per million tokens of one model (`[prices."MODEL"]` in `llmos.toml`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    /// Cache reads; the input price when not given.
    pub cache_read: Option<f64>,
    /// Cache writes; the input price when not given.
    pub cache_write: Option<f64>,
}

impl Price {
    /// The cost of `tokens` in USD: uncached input, cache reads, cache writes and output
    /// each at their own price.
    pub fn cost(&self, tokens: &TokenCount) -> f64 {
        let uncached = tokens.input.saturating_sub(tokens.cache_read).saturating_sub(tokens.cache_write);
        let per = |n: u64, price: f64| n as f64 * price / 1_000_000.0;
        per(uncached, self.input)
            + per(tokens.cache_read, self.cache_read.unwrap_or(self.input))
            + per(tokens.cache_write, self.cache_write.unwrap_or(self.input))
            + per(tokens.output, self.output)
    }
}

/// What a session's replies cost, by model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionUsage {
    pub total: TokenCount,
    /// Replies that recorded usage.
    pub replies: usize,
    /// Per model (`model=` of the marker; empty when it has none).
    pub by_model: BTreeMap<String, TokenCount>,
}

impl SessionUsage {
    /// The cost with `prices` (looked up by model), or `None` when a model that used
    /// tokens has no price: a partial sum would mislead.
    pub fn cost(&self, price_of: impl Fn(&str) -> Option<Price>) -> Option<f64> {
        if self.by_model.is_empty() {
            return None;
        }
        self.by_model.iter().map(|(model, tokens)| price_of(model).map(|p| p.cost(tokens))).sum()
    }
}

/// `IN/OUT` as written on a marker.
pub fn parse_pair(value: &str) -> Option<(u64, u64)> {
    let (a, b) = value.split_once('/')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// The usage recorded on one turn's marker, if any.
pub fn turn_usage(turn: &crate::session::Turn) -> Option<TokenCount> {
    let (input, output) = parse_pair(turn.attr("tokens")?)?;
    let (cache_read, cache_write) = turn.attr("cache").and_then(parse_pair).unwrap_or((0, 0));
    Some(TokenCount { input, output, cache_read, cache_write })
}

/// The usage recorded on the assistant markers of a session.
pub fn session_usage(doc: &SessionDoc) -> SessionUsage {
    let mut usage = SessionUsage::default();
    for turn in doc.turns.iter().filter(|t| t.role == Some(Role::Assistant)) {
        let Some(tokens) = turn_usage(turn) else { continue };
        usage.total.add(tokens);
        usage.replies += 1;
        usage.by_model.entry(turn.attr("model").unwrap_or("").to_string()).or_default().add(tokens);
    }
    usage
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1,834 in / 412 out tokens` plus the cache part when there is one.
pub fn describe(tokens: &TokenCount) -> String {
    let mut s = format!("{} in / {} out tokens", thousands(tokens.input), thousands(tokens.output));
    if tokens.cache_read > 0 || tokens.cache_write > 0 {
        s.push_str(&format!(" ({} cached, {} written to cache)", thousands(tokens.cache_read), thousands(tokens.cache_write)));
    }
    s
}

/// `$0.0123`: cents for anything above a dollar, four places below.
pub fn dollars(cost: f64) -> String {
    if cost >= 1.0 { format!("${cost:.2}") } else { format!("${cost:.4}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_markers_by_model_and_prices_them() {
        let text = "---\ntitle: t\n---\n<!-- turn: user -->\nhi\n<!-- turn: assistant model=a tokens=1000000/1000 cache=400000/100000 -->\nx\n<!-- turn: user -->\nagain\n<!-- turn: assistant model=b tokens=10/20 -->\ny\n<!-- turn: assistant model=a tokens=bad -->\nz\n";
        let usage = session_usage(&SessionDoc::parse(text));
        assert_eq!(usage.replies, 2);
        assert_eq!(usage.total, TokenCount { input: 1_000_010, output: 1_020, cache_read: 400_000, cache_write: 100_000 });
        let a = Price { input: 3.0, output: 15.0, cache_read: Some(0.3), cache_write: Some(3.75) };
        let b = Price { input: 1.0, output: 1.0, cache_read: None, cache_write: None };
        // a: 500k uncached at 3 + 400k at 0.3 + 100k at 3.75 + 1000 out at 15 = 1.5 + 0.12 + 0.375 + 0.015
        let expected = 1.5 + 0.12 + 0.375 + 0.015 + 30.0 / 1_000_000.0;
        let cost = usage.cost(|m| match m {
            "a" => Some(a),
            "b" => Some(b),
            _ => None,
        });
        assert!((cost.unwrap() - expected).abs() < 1e-9, "{cost:?}");
        assert_eq!(usage.cost(|m| (m == "a").then_some(a)), None, "a model without a price gives no cost");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(12), "12");
        assert_eq!(dollars(0.01234), "$0.0123");
        assert_eq!(dollars(12.345), "$12.35");
    }
}
