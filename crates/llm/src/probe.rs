//! Is the configured provider usable? Answers the two questions a health check asks
//! before any chat: is the key's variable set (never what it holds), and does anything
//! answer HTTP at the base URL within a short timeout. The probe sends no key and no
//! prompt: any HTTP status counts as reachable, since an unauthenticated `GET` on an
//! API's base URL is usually answered 401 or 404.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::config::{KeyPolicy, LlmConfig};

/// Whether the key the config asks for is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum KeyStatus {
    /// `api_key_env = ""`: no key is ever sent.
    NotSent,
    /// The variable holds a non-blank value.
    Set { var: String },
    /// The variable is unset or blank; `required` is false for loopback servers,
    /// which get no key header then.
    Missing { var: String, required: bool },
}

/// Looks the key's variable up through `env` (tests pass their own lookup). Only
/// whether it is set leaves this function.
pub fn key_status(config: &LlmConfig, env: &dyn Fn(&str) -> Option<String>) -> KeyStatus {
    let (var, required) = match config.key_policy() {
        KeyPolicy::NoKey => return KeyStatus::NotSent,
        KeyPolicy::Required { var } => (var, true),
        KeyPolicy::Optional { var } => (var, false),
    };
    if env(&var).is_some_and(|value| !value.trim().is_empty()) { KeyStatus::Set { var } } else { KeyStatus::Missing { var, required } }
}

/// What one `GET` on the base URL gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Reachability {
    /// Something answered HTTP, with this status.
    Reached { status: u16, millis: u64 },
    /// No HTTP answer: refused, no such host, TLS failure or the timeout.
    Unreachable { reason: String },
    /// The base URL is not an http(s) URL, so nothing was sent.
    InvalidUrl { reason: String },
}

/// The probe's result and the URL it went to (without user info or query, where a
/// key might have been put).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    pub url: String,
    pub reachability: Reachability,
}

/// Sends one `GET` to the config's base URL and waits at most `timeout` for its
/// status line.
pub async fn probe(config: &LlmConfig, timeout: Duration) -> Probe {
    let url = match reqwest::Url::parse(config.effective_base_url()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && !url.cannot_be_a_base() => url,
        Ok(_) => return invalid("`base_url` must start with http:// or https://"),
        Err(error) => return invalid(&format!("`base_url` is not a valid URL ({error})")),
    };
    let shown = crate::client::shown_url(&url);
    let http = match reqwest::Client::builder().connect_timeout(timeout).timeout(timeout).redirect(reqwest::redirect::Policy::none()).build() {
        Ok(http) => http,
        Err(error) => return Probe { url: shown, reachability: Reachability::Unreachable { reason: format!("the HTTP client could not start ({error})") } },
    };
    let started = Instant::now();
    let reachability = match http.get(url).send().await {
        Ok(response) => Reachability::Reached { status: response.status().as_u16(), millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX) },
        Err(error) => Reachability::Unreachable { reason: describe(&error, timeout) },
    };
    Probe { url: shown, reachability }
}

fn invalid(reason: &str) -> Probe {
    Probe { url: String::new(), reachability: Reachability::InvalidUrl { reason: reason.to_string() } }
}

/// The innermost cause (e.g. "Connection refused (os error 111)"), which names no URL,
/// rather than reqwest's own message, which quotes it whole.
fn describe(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("no answer within {} ms", timeout.as_millis());
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let what = if error.is_connect() { "cannot connect" } else { "the request failed" };
    if std::ptr::addr_eq(cause, error as &dyn std::error::Error) { what.to_string() } else { format!("{what}: {cause}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProviderKind;

    fn config(base: &str, key_env: Option<&str>) -> LlmConfig {
        let mut c = LlmConfig::new(ProviderKind::OpenAi, "m");
        c.base_url = Some(base.to_string());
        c.api_key_env = key_env.map(str::to_string);
        c
    }

    #[test]
    fn key_status_names_the_variable_and_never_its_value() {
        let env = |var: &str| (var == "SET_KEY").then(|| "sk-secret".to_string());
        let hosted = |var| config("https://api.example.com/v1", Some(var));
        assert_eq!(key_status(&hosted("SET_KEY"), &env), KeyStatus::Set { var: "SET_KEY".into() });
        assert_eq!(key_status(&hosted("UNSET_KEY"), &env), KeyStatus::Missing { var: "UNSET_KEY".into(), required: true });
        assert_eq!(key_status(&config("http://127.0.0.1:9/v1", Some("UNSET_KEY")), &env), KeyStatus::Missing { var: "UNSET_KEY".into(), required: false });
        assert_eq!(key_status(&hosted(""), &env), KeyStatus::NotSent);
        let blank = |_: &str| Some("  ".to_string());
        assert_eq!(key_status(&hosted("SET_KEY"), &blank), KeyStatus::Missing { var: "SET_KEY".into(), required: true });
        let json = serde_json::to_string(&key_status(&hosted("SET_KEY"), &env)).unwrap_or_default();
        assert!(!json.contains("sk-secret"), "{json}");
    }

    #[tokio::test]
    async fn any_http_status_is_reachable_and_a_closed_port_is_not() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            if let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
            }
        });
        let probe_ = probe(&config(&format!("http://user:pw@127.0.0.1:{port}/v1?key=k"), None), Duration::from_secs(5)).await;
        assert!(matches!(probe_.reachability, Reachability::Reached { status: 404, .. }), "{probe_:?}");
        assert_eq!(probe_.url, format!("http://127.0.0.1:{port}/v1"));
        let _ = server.await;

        // The port is free again once the listener is gone: nothing answers there.
        let closed = probe(&config(&format!("http://127.0.0.1:{port}/v1"), None), Duration::from_secs(5)).await;
        match closed.reachability {
            Reachability::Unreachable { reason } => assert!(reason.starts_with("cannot connect"), "{reason}"),
            other => panic!("a closed port was reachable: {other:?}"),
        }
        let bad = probe(&config("ftp://example.com", None), Duration::from_secs(1)).await;
        assert!(matches!(bad.reachability, Reachability::InvalidUrl { .. }), "{bad:?}");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        // Accepts and then says nothing.
        let server = tokio::spawn(async move {
            let held = listener.accept().await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            drop(held);
        });
        let p = probe(&config(&format!("http://127.0.0.1:{port}/v1"), None), Duration::from_millis(300)).await;
        assert_eq!(p.reachability, Reachability::Unreachable { reason: "no answer within 300 ms".into() });
        server.abort();
    }
}
