//! The `[llm]` table of `llmos.toml` as a plain struct, its defaults, and the
//! duration syntax (`"90s"`, `"2m"`, `"1h30m"`, `"7d"`) other crates reuse for their
//! own settings. Reading the file is the workspace crate's job; this module only
//! describes what a valid table deserializes into.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Which wire protocol the provider speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum ProviderKind {
    /// Anthropic Messages API (`POST {base}/v1/messages`).
    #[serde(rename = "anthropic")]
    Anthropic,
    /// OpenAI Chat Completions and every server that copies it (OpenRouter, Ollama,
    /// llama.cpp, vLLM, LM Studio): `POST {base}/chat/completions`.
    #[serde(rename = "openai")]
    OpenAi,
}

impl ProviderKind {
    /// The name used in `llmos.toml` (`"anthropic"` or `"openai"`).
    pub fn config_name(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::OpenAi => "openai",
        }
    }

    /// Base URL used when `base_url` is not set.
    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "https://api.anthropic.com",
            ProviderKind::OpenAi => "https://api.openai.com/v1",
        }
    }

    /// Environment variable read for the key when `api_key_env` is not set.
    pub fn default_api_key_env(self) -> &'static str {
        match self {
            ProviderKind::Anthropic => "ANTHROPIC_API_KEY",
            ProviderKind::OpenAi => "OPENAI_API_KEY",
        }
    }
}

/// Human-facing name, used in error messages.
impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProviderKind::Anthropic => "Anthropic",
            ProviderKind::OpenAi => "OpenAI-compatible",
        })
    }
}

/// `provider` value that is neither `anthropic` nor `openai`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown LLM provider {0:?}: use \"anthropic\" or \"openai\"")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderKind {
    type Err = UnknownProvider;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "anthropic" => Ok(ProviderKind::Anthropic),
            "openai" => Ok(ProviderKind::OpenAi),
            other => Err(UnknownProvider(other.to_string())),
        }
    }
}

/// The `[llm]` table. Field names are the `llmos.toml` keys; `timeout`,
/// `retry_backoff` and `max_retry_wait` accept a duration string (`"60s"`) or a
/// number of seconds.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LlmConfig {
    pub provider: ProviderKind,
    pub model: String,
    /// Defaults to [`ProviderKind::default_base_url`].
    #[serde(default)]
    pub base_url: Option<String>,
    /// Name of the environment variable holding the key (never the key itself).
    /// `None` means the provider's default variable; `Some("")` means "send no key"
    /// (local servers). See [`LlmConfig::key_policy`].
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Bounds the wait for the response headers and every silence between two
    /// events of the stream; a long reply that keeps streaming is never cut.
    #[serde(default = "default_timeout", deserialize_with = "deserialize_duration")]
    pub timeout: Duration,
    /// Retries after HTTP 429 or 5xx, only before any text was received.
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// First backoff when the server sends no `retry-after`; doubles each retry.
    #[serde(default = "default_retry_backoff", deserialize_with = "deserialize_duration")]
    pub retry_backoff: Duration,
    /// Upper bound on the sum of all waits between retries; a `retry-after` that
    /// would exceed it ends the request at once with the rate-limit error.
    #[serde(default = "default_max_retry_wait", deserialize_with = "deserialize_duration")]
    pub max_retry_wait: Duration,
}

pub const DEFAULT_MAX_TOKENS: u32 = 4096;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
pub const DEFAULT_MAX_RETRIES: u32 = 3;
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_secs(1);
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

fn default_max_tokens() -> u32 {
    DEFAULT_MAX_TOKENS
}
fn default_timeout() -> Duration {
    DEFAULT_TIMEOUT
}
fn default_max_retries() -> u32 {
    DEFAULT_MAX_RETRIES
}
fn default_retry_backoff() -> Duration {
    DEFAULT_RETRY_BACKOFF
}
fn default_max_retry_wait() -> Duration {
    DEFAULT_MAX_RETRY_WAIT
}

/// How the API key is found, derived from `api_key_env` and `base_url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPolicy {
    /// `api_key_env = ""`: no key header is sent.
    NoKey,
    /// Read the variable; if it is unset or empty, fail naming it.
    Required { var: String },
    /// The base URL is loopback (Ollama, llama.cpp, a test server): read the
    /// variable and send the key when set, otherwise send no key header.
    Optional { var: String },
}

impl LlmConfig {
    /// A config with every optional key at its default.
    pub fn new(provider: ProviderKind, model: impl Into<String>) -> Self {
        LlmConfig {
            provider,
            model: model.into(),
            base_url: None,
            api_key_env: None,
            max_tokens: DEFAULT_MAX_TOKENS,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
        }
    }

    /// `base_url`, or the provider's default when unset or blank.
    pub fn effective_base_url(&self) -> &str {
        match self.base_url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => url,
            _ => self.provider.default_base_url(),
        }
    }

    /// Whether a key is needed: an explicit empty `api_key_env` never sends one; a
    /// loopback base URL sends one only if the variable is set; anything else
    /// requires it, so a forgotten key on a hosted API is reported before any
    /// request instead of as a 401.
    pub fn key_policy(&self) -> KeyPolicy {
        let var = match self.api_key_env.as_deref().map(str::trim) {
            Some("") => return KeyPolicy::NoKey,
            Some(var) => var.to_string(),
            None => self.provider.default_api_key_env().to_string(),
        };
        if is_loopback_url(self.effective_base_url()) { KeyPolicy::Optional { var } } else { KeyPolicy::Required { var } }
    }
}

/// True for `localhost`, `127.0.0.0/8` and `[::1]` hosts.
pub(crate) fn is_loopback_url(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost") || host.ends_with(".localhost"),
    }
}

pub use llmos_documents::duration::{DurationError, format_duration, parse_duration};

/// Serde helper: a duration written as a string (`"60s"`) or a number of seconds.
/// Public so other crates' config structs can use it with `deserialize_with`.
pub fn deserialize_duration<'de, D>(deserializer: D) -> Result<Duration, D::Error>
where
    D: Deserializer<'de>,
{
    struct DurationVisitor;

    impl serde::de::Visitor<'_> for DurationVisitor {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration such as \"60s\", \"2m\" or a number of seconds")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Duration, E> {
            parse_duration(text).map_err(E::custom)
        }

        fn visit_u64<E: serde::de::Error>(self, seconds: u64) -> Result<Duration, E> {
            Ok(Duration::from_secs(seconds))
        }

        fn visit_i64<E: serde::de::Error>(self, seconds: i64) -> Result<Duration, E> {
            u64::try_from(seconds).map(Duration::from_secs).map_err(|_| E::custom("a duration cannot be negative"))
        }

        fn visit_f64<E: serde::de::Error>(self, seconds: f64) -> Result<Duration, E> {
            Duration::try_from_secs_f64(seconds).map_err(|_| E::custom("a duration must be a finite, non-negative number"))
        }
    }

    deserializer.deserialize_any(DurationVisitor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_policy_follows_api_key_env_and_loopback() {
        let mut config = LlmConfig::new(ProviderKind::Anthropic, "claude");
        assert_eq!(config.key_policy(), KeyPolicy::Required { var: "ANTHROPIC_API_KEY".into() });
        config.base_url = Some("http://127.0.0.1:11434/v1".into());
        assert_eq!(config.key_policy(), KeyPolicy::Optional { var: "ANTHROPIC_API_KEY".into() });
        config.base_url = Some("http://localhost:8080".into());
        config.api_key_env = Some("MY_KEY".into());
        assert_eq!(config.key_policy(), KeyPolicy::Optional { var: "MY_KEY".into() });
        config.base_url = Some("https://openrouter.ai/api/v1".into());
        assert_eq!(config.key_policy(), KeyPolicy::Required { var: "MY_KEY".into() });
        config.api_key_env = Some(String::new());
        assert_eq!(config.key_policy(), KeyPolicy::NoKey);
        // A host that merely starts with 127 is not loopback.
        assert!(!is_loopback_url("http://127.0.0.1.example.com/v1"));
        assert!(is_loopback_url("http://[::1]:8080"));
        assert!(!is_loopback_url("not a url"));
    }

    #[derive(Debug, Deserialize)]
    struct File {
        llm: LlmConfig,
    }

    #[test]
    fn deserializes_the_llm_table_with_defaults() {
        let file: File = toml::from_str(
            "[llm]\nprovider = \"openai\"\nmodel = \"llama3\"\nbase_url = \"http://localhost:11434/v1\"\n\
             api_key_env = \"\"\ntimeout = \"2m\"\n",
        )
        .unwrap();
        let mut expected = LlmConfig::new(ProviderKind::OpenAi, "llama3");
        expected.base_url = Some("http://localhost:11434/v1".into());
        expected.api_key_env = Some(String::new());
        expected.timeout = Duration::from_secs(120);
        assert_eq!(file.llm, expected);

        let file: File = toml::from_str("[llm]\nprovider = \"anthropic\"\nmodel = \"claude\"\nmax_tokens = 100\ntimeout = 30\nmax_retries = 0\n").unwrap();
        assert_eq!(file.llm.timeout, Duration::from_secs(30));
        assert_eq!(file.llm.max_tokens, 100);
        assert_eq!(file.llm.max_retries, 0);
        assert_eq!(file.llm.effective_base_url(), "https://api.anthropic.com");
    }

    #[test]
    fn refuses_bad_llm_tables_with_the_reason() {
        let error = |text: &str| toml::from_str::<File>(text).unwrap_err().to_string();
        let bad_timeout = error("[llm]\nprovider = \"openai\"\nmodel = \"m\"\ntimeout = \"soon\"\n");
        assert!(bad_timeout.contains("\"soon\" is not a duration"), "{bad_timeout}");
        let negative = error("[llm]\nprovider = \"openai\"\nmodel = \"m\"\ntimeout = -5\n");
        assert!(negative.contains("negative"), "{negative}");
        let provider = error("[llm]\nprovider = \"gemini\"\nmodel = \"m\"\n");
        assert!(provider.contains("anthropic"), "{provider}");
        let no_model = error("[llm]\nprovider = \"openai\"\n");
        assert!(no_model.contains("model"), "{no_model}");
    }

    #[test]
    fn provider_names() {
        assert_eq!("openai".parse(), Ok(ProviderKind::OpenAi));
        assert_eq!("anthropic".parse(), Ok(ProviderKind::Anthropic));
        assert!("gemini".parse::<ProviderKind>().is_err());
        assert_eq!(ProviderKind::OpenAi.config_name(), "openai");
    }
}
