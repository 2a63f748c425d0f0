//! The API key: read once from the environment, held in a type whose `Debug`
//! prints nothing of it, and scrubbed from any provider text we keep (OpenAI, for
//! one, echoes a masked key in its 401 message).

use std::fmt;

use crate::config::{KeyPolicy, LlmConfig};
use crate::error::LlmError;

/// The key and the variable it came from.
#[derive(Clone)]
pub(crate) struct ApiKey {
    var: String,
    value: String,
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey {{ var: {:?}, value: <redacted> }}", self.var)
    }
}

impl ApiKey {
    pub(crate) fn var(&self) -> &str {
        &self.var
    }

    pub(crate) fn expose(&self) -> &str {
        &self.value
    }
}

/// Reads the key the config asks for. `env` is the environment lookup (tests pass
/// their own so they never touch the process environment); a variable set to an
/// empty string counts as unset.
pub(crate) fn resolve_key(config: &LlmConfig, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<ApiKey>, LlmError> {
    let lookup =
        |var: &str| env(var).map(|value| value.trim().to_string()).filter(|value| !value.is_empty()).map(|value| ApiKey { var: var.to_string(), value });
    match config.key_policy() {
        KeyPolicy::NoKey => Ok(None),
        KeyPolicy::Optional { var } => Ok(lookup(&var)),
        KeyPolicy::Required { var } => match lookup(&var) {
            Some(key) => Ok(Some(key)),
            None => Err(LlmError::KeyMissing { provider: config.provider, var }),
        },
    }
}

const REDACTED: &str = "[redacted]";
/// Shortest run of the key's characters that we treat as a leak of it.
const LEAK_WINDOW: usize = 8;
/// Provider messages are for a one-line notification, not a log dump.
const MAX_MESSAGE_CHARS: usize = 400;

/// Makes provider-supplied text safe to show: removes the key, any word sharing
/// eight consecutive characters with it, and masked secrets like `sk-ab****wxyz`;
/// collapses whitespace and caps the length.
pub(crate) fn scrub(text: &str, key: Option<&ApiKey>) -> String {
    let key = key.map(ApiKey::expose).filter(|key| !key.is_empty());
    let mut words: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let leaks = word.contains("***") || key.is_some_and(|key| word.contains(key) || shares_window(word, key));
        words.push(if leaks { REDACTED.to_string() } else { word.to_string() });
    }
    let joined = words.join(" ");
    if joined.chars().count() > MAX_MESSAGE_CHARS {
        let cut: String = joined.chars().take(MAX_MESSAGE_CHARS).collect();
        format!("{cut}…")
    } else {
        joined
    }
}

/// Removes the key from a streamed reply before any of it is shown or written (a proxy
/// that echoes request headers would otherwise put it into the session and then into
/// git). The key may arrive split across deltas, so the shortest tail that could still
/// be the start of the key is held back until the next delta or the end.
pub(crate) struct KeyFilter {
    key: Option<String>,
    pending: String,
    shown: String,
}

impl KeyFilter {
    pub(crate) fn new(key: Option<&ApiKey>) -> Self {
        Self { key: key.map(|k| k.expose().to_string()).filter(|k| !k.is_empty()), pending: String::new(), shown: String::new() }
    }

    /// The part of the reply so far that is safe to pass on now.
    pub(crate) fn push(&mut self, delta: &str) -> String {
        let Some(key) = &self.key else {
            self.shown.push_str(delta);
            return delta.to_string();
        };
        self.pending.push_str(delta);
        if self.pending.contains(key.as_str()) {
            self.pending = self.pending.replace(key.as_str(), REDACTED);
        }
        let len = self.pending.len();
        let hold = (1..key.len().min(len + 1))
            .rev()
            .find(|&n| self.pending.is_char_boundary(len - n) && self.pending.as_bytes().get(len - n..).is_some_and(|tail| key.as_bytes().starts_with(tail)))
            .unwrap_or(0);
        let rest = self.pending.split_off(len - hold);
        let emit = std::mem::replace(&mut self.pending, rest);
        self.shown.push_str(&emit);
        emit
    }

    /// What was held back, at the end of the reply; a held tail that carries a
    /// recognisable piece of the key is redacted.
    pub(crate) fn finish(&mut self) -> String {
        let tail = std::mem::take(&mut self.pending);
        let tail = match &self.key {
            Some(key) if shares_window(&tail, key) => REDACTED.to_string(),
            _ => tail,
        };
        self.shown.push_str(&tail);
        tail
    }

    /// Everything passed on so far.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }
}

fn shares_window(word: &str, key: &str) -> bool {
    let key = key.as_bytes();
    if key.len() < LEAK_WINDOW {
        return false;
    }
    key.windows(LEAK_WINDOW).any(|window| word.as_bytes().windows(LEAK_WINDOW).any(|w| w == window))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderKind;

    fn key(value: &str) -> ApiKey {
        ApiKey { var: "K".into(), value: value.into() }
    }

    #[test]
    fn debug_hides_the_value() {
        let key = key("sk-canary-123456789");
        let debug = format!("{key:?}");
        assert!(!debug.contains("canary"), "{debug}");
        assert!(debug.contains("\"K\""));
    }

    #[test]
    fn scrub_removes_whole_partial_and_masked_keys() {
        let key = key("sk-canary-0123456789abcdef");
        let text = "Incorrect API key provided: sk-canary-0123456789abcdef. \
                    Also sk-ca****************cdef and prefix sk-canary-01xx and tail 89abcdef!";
        let clean = scrub(text, Some(&key));
        assert!(!clean.contains("canary"), "{clean}");
        assert!(!clean.contains("89abcdef"), "{clean}");
        assert!(!clean.contains("cdef"), "{clean}");
        assert!(clean.starts_with("Incorrect API key provided: [redacted]"));
        assert_eq!(scrub("  model   not\nfound ", None), "model not found");
        let long = "x ".repeat(1000);
        assert!(scrub(&long, None).chars().count() <= MAX_MESSAGE_CHARS + 1);
    }

    #[test]
    fn resolve_follows_the_policy() {
        let mut config = LlmConfig::new(ProviderKind::OpenAi, "gpt");
        let none = |_: &str| None;
        let blank = |_: &str| Some("  ".to_string());
        let set = |var: &str| (var == "OPENAI_API_KEY").then(|| "sk-1".to_string());
        assert!(matches!(
            resolve_key(&config, &none),
            Err(LlmError::KeyMissing { var, .. }) if var == "OPENAI_API_KEY"
        ));
        assert!(matches!(resolve_key(&config, &blank), Err(LlmError::KeyMissing { .. })));
        assert_eq!(resolve_key(&config, &set).unwrap().unwrap().expose(), "sk-1");
        config.base_url = Some("http://127.0.0.1:11434/v1".into());
        assert!(resolve_key(&config, &none).unwrap().is_none());
        assert!(resolve_key(&config, &set).unwrap().is_some());
        config.base_url = None;
        config.api_key_env = Some(String::new());
        assert!(resolve_key(&config, &set).unwrap().is_none());
    }

    proptest::proptest! {
        /// However a reply is cut into deltas, the key never comes out, and text without
        /// it comes out unchanged.
        #[test]
        fn the_key_filter_never_lets_the_key_through(
            parts in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just("sk-canary-123456789".to_string()),
                proptest::strategy::Just("sk-".to_string()),
                proptest::strategy::Just("canary-1234".to_string()),
                "[a-z sk-é]{0,6}",
            ], 0..12),
            cuts in proptest::collection::vec(0usize..64, 0..8),
        ) {
            let text: String = parts.concat();
            let mut chunks = Vec::new();
            let mut rest = text.as_str();
            for c in cuts {
                let mut at = c.min(rest.len());
                while !rest.is_char_boundary(at) { at -= 1; }
                let (a, b) = rest.split_at(at);
                chunks.push(a.to_string());
                rest = b;
            }
            chunks.push(rest.to_string());
            let k = key("sk-canary-123456789");
            let mut filter = KeyFilter::new(Some(&k));
            let mut out = String::new();
            for c in &chunks {
                out.push_str(&filter.push(c));
            }
            out.push_str(&filter.finish());
            proptest::prop_assert_eq!(&out, filter.shown());
            proptest::prop_assert!(!out.contains("sk-canary-123456789"), "{:?} → {:?}", chunks, out);
            if !text.contains("sk-canary-123456789") && !shares_window(&text, "sk-canary-123456789") {
                proptest::prop_assert_eq!(out, text);
            }
        }
    }
}
