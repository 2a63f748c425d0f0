//! Secret scrubbing: everything an import writes passes through [`Scrubber::scrub`]
//! first, so provider keys, tokens, `Authorization` headers, private keys and
//! `.env`-style secret assignments never reach a file or a commit.
//!
//! The patterns favour recall: a redacted false positive costs a reader a few
//! characters; a missed key costs its owner the key. Each replacement names what was
//! A secret becomes [`REDACTED`], a black bar with no letters in it: readers know it at
//! once, and evolution, which mines the words of prompts, does not take it for a word
//! that recurs across sessions.

use std::borrow::Cow;

use regex::{Captures, Regex};

/// What a secret is replaced with.
pub const REDACTED: &str = "████████";

/// Replaces secrets with [`REDACTED`] and counts them.
pub struct Scrubber {
    /// Whole-match patterns: the match is the secret.
    tokens: Vec<Regex>,
    /// `Authorization: Bearer …`, `x-api-key: …`: keep the header name.
    header: Regex,
    /// `NAME=value` where NAME contains KEY, TOKEN, SECRET or PASSWORD: keep the name.
    assignment: Regex,
}

impl Default for Scrubber {
    fn default() -> Self {
        Self::new()
    }
}

const PATTERNS: &[(&str, &str)] = &[
    ("private-key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\z)"),
    ("anthropic-key", r"sk-ant-[A-Za-z0-9_\-]{16,}"),
    ("openai-key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("github-token", r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    ("gitlab-token", r"glpat-[A-Za-z0-9_\-]{20,}"),
    ("aws-access-key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    ("google-api-key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("slack-token", r"xox[abposr]-[A-Za-z0-9_\-]{10,}"),
    ("stripe-key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("huggingface-token", r"\bhf_[A-Za-z0-9]{30,}"),
    ("groq-key", r"\bgsk_[A-Za-z0-9]{30,}"),
    ("xai-key", r"\bxai-[A-Za-z0-9]{30,}"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{30,}"),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ("url-password", r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:[^\s@/]{3,}@"),
];

impl Scrubber {
    pub fn new() -> Scrubber {
        // The patterns are constants, compiled by a unit test too: this cannot fail at run time.
        #[allow(clippy::expect_used)]
        let compile = |re: &str| Regex::new(re).expect("a constant pattern compiles");
        Scrubber {
            tokens: PATTERNS.iter().map(|(_, re)| compile(re)).collect(),
            header: compile(
                r#"(?i)\b((?:proxy-)?authorization|x-api-key|api-key|x-goog-api-key)(["']?\s*[:=]\s*["']?)((?:bearer|basic|token)\s+)?([^\s"',;`]+)"#,
            ),
            assignment: compile(
                r#"(?i)\b((?:export\s+)?[A-Za-z_][A-Za-z0-9_.\-]*(?:key|token|secret|password|passwd)[A-Za-z0-9_]*)(\s*=\s*)("[^"\n]*"|'[^'\n]*'|[^\s"'`;,)]+)"#,
            ),
        }
    }

    /// `text` with every secret replaced, and how many were replaced.
    pub fn scrub<'a>(&self, text: &'a str) -> (Cow<'a, str>, usize) {
        let mut count = 0;
        let mut out: Cow<'a, str> = Cow::Borrowed(text);
        for re in &self.tokens {
            if re.is_match(&out) {
                let replaced = re.replace_all(&out, |_: &Captures| {
                    count += 1;
                    REDACTED
                });
                out = Cow::Owned(replaced.into_owned());
            }
        }
        if self.header.is_match(&out) {
            let replaced = self.header.replace_all(&out, |c: &Captures| {
                let value = c.get(4).map_or("", |m| m.as_str());
                if value.starts_with(REDACTED) {
                    return c[0].to_string();
                }
                count += 1;
                format!("{}{}{}{REDACTED}", &c[1], &c[2], c.get(3).map_or("", |m| m.as_str()))
            });
            out = Cow::Owned(replaced.into_owned());
        }
        if self.assignment.is_match(&out) {
            let replaced = self.assignment.replace_all(&out, |c: &Captures| {
                let value = &c[3];
                if !looks_like_secret_value(value) {
                    return c[0].to_string();
                }
                count += 1;
                format!("{}{}{REDACTED}", &c[1], &c[2])
            });
            out = Cow::Owned(replaced.into_owned());
        }
        (out, count)
    }
}

/// A value that could be a secret rather than a number, a flag, a reference to one
/// (`$TOKEN`, `os.environ[...]`) or an already redacted one.
fn looks_like_secret_value(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    if v.len() < 4 || v.starts_with(REDACTED) {
        return false;
    }
    if v.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'_') {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if matches!(lower.as_str(), "true" | "false" | "null" | "none" | "undefined" | "required" | "optional") {
        return false;
    }
    let references = ["$", "os.", "process.env", "env.", "env(", "getenv", "std::env", "settings.", "config.", "self.", "<", "{{", "%(", "${"];
    !references.iter().any(|r| lower.starts_with(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for (kind, re) in PATTERNS {
            assert!(Regex::new(re).is_ok(), "{kind}");
        }
        let _ = Scrubber::new();
    }
}
