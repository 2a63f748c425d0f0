//! GitHub's OAuth device flow (`llmos login`): [`start`] asks for a code the user
//! types at `verification_uri`; [`poll`] then waits for them to approve it.
//!
//! The endpoints live on the web host (`github.com`), not the API host; see
//! [`GithubConfig::oauth_base`]. Waiting goes through a [`PollClock`] so the editor can
//! cancel a login and tests run without real sleeps; expiry is counted on that clock
//! too, so it is deterministic under test.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{self, HeaderValue};
use serde::Deserialize;
use thiserror::Error;

use crate::client::innermost_cause;
use crate::config::GithubConfig;
use crate::token::{Token, TokenError};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.5: each `slow_down` adds five seconds to the polling interval.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// GitHub's default when it omits `interval`.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What the user needs to authorise this device, plus the secret code to poll with.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCode {
    device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in: Duration,
    pub interval: Duration,
}

impl fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCode")
            .field("device_code", &"<redacted>")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish()
    }
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    Elapsed,
    Cancelled,
}

/// The clock [`poll`] waits on. Implement it to cancel a login (return
/// [`Wait::Cancelled`]) or, in tests, to record the requested intervals and return at once.
pub trait PollClock: Send + Sync {
    fn sleep(&self, duration: Duration) -> impl Future<Output = Wait> + Send;
}

/// Real time; cancelled when the watched flag turns `true`.
#[derive(Debug, Clone, Default)]
pub struct TokioClock {
    cancel: Option<tokio::sync::watch::Receiver<bool>>,
}

impl TokioClock {
    pub fn new() -> TokioClock {
        TokioClock { cancel: None }
    }

    /// Stops the login as soon as `true` is sent on the channel.
    pub fn cancellable(cancel: tokio::sync::watch::Receiver<bool>) -> TokioClock {
        TokioClock { cancel: Some(cancel) }
    }
}

impl PollClock for TokioClock {
    async fn sleep(&self, duration: Duration) -> Wait {
        let deadline = tokio::time::Instant::now() + duration;
        let Some(cancel) = &self.cancel else {
            tokio::time::sleep_until(deadline).await;
            return Wait::Elapsed;
        };
        let mut cancel = cancel.clone();
        if *cancel.borrow_and_update() {
            return Wait::Cancelled;
        }
        let cancelled = tokio::select! {
            () = tokio::time::sleep_until(deadline) => return Wait::Elapsed,
            changed = cancel.wait_for(|cancelled| *cancelled) => changed.is_ok(),
        };
        if cancelled {
            return Wait::Cancelled;
        }
        // The sender was dropped without cancelling: nobody can cancel any more.
        tokio::time::sleep_until(deadline).await;
        Wait::Elapsed
    }
}

#[derive(Debug, Error)]
pub enum DeviceFlowError {
    #[error("no GitHub OAuth client id: set `client_id` under `[github]` in llmos.toml, or provide a token in GITHUB_TOKEN")]
    NoClientId,
    #[error("cannot reach {host}: {detail}")]
    Unreachable { host: String, detail: String },
    #[error("the login code expired before it was approved; run the login again")]
    Expired,
    #[error("the login was denied in the browser")]
    Denied,
    #[error("the login was cancelled")]
    Cancelled,
    #[error("GitHub refused the login: {error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused { error: String, description: Option<String> },
    #[error("unexpected answer from {endpoint}: HTTP {status}: {message}")]
    Unexpected { endpoint: String, status: u16, message: String },
    #[error("GitHub sent an unusable token: {0}")]
    BadToken(#[from] TokenError),
}

/// Both endpoints answer with these fields (and GitHub reports errors with 200).
#[derive(Deserialize, Default)]
struct OauthAnswer {
    device_code: Option<String>,
    user_code: Option<String>,
    verification_uri: Option<String>,
    expires_in: Option<u64>,
    interval: Option<u64>,
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `POST /login/device/code` with `scope=repo`.
pub async fn start(cfg: &GithubConfig) -> Result<DeviceCode, DeviceFlowError> {
    let client_id = client_id(cfg)?;
    let answer = post_form(cfg, "/login/device/code", &[("client_id", client_id), ("scope", "repo")]).await?;
    if let Some(error) = answer.error {
        return Err(DeviceFlowError::Refused { error, description: answer.error_description });
    }
    let missing =
        |field: &str| DeviceFlowError::Unexpected { endpoint: "/login/device/code".to_string(), status: 200, message: format!("the answer has no `{field}`") };
    Ok(DeviceCode {
        device_code: answer.device_code.ok_or_else(|| missing("device_code"))?,
        user_code: answer.user_code.ok_or_else(|| missing("user_code"))?,
        verification_uri: answer.verification_uri.ok_or_else(|| missing("verification_uri"))?,
        expires_in: Duration::from_secs(answer.expires_in.ok_or_else(|| missing("expires_in"))?),
        interval: answer.interval.filter(|s| *s > 0).map(Duration::from_secs).unwrap_or(DEFAULT_INTERVAL),
    })
}

/// Polls `POST /login/oauth/access_token` every `interval` (growing on `slow_down`)
/// until the user approves, denies, or the code expires.
pub async fn poll(cfg: &GithubConfig, code: &DeviceCode, clock: &impl PollClock) -> Result<Token, DeviceFlowError> {
    let client_id = client_id(cfg)?;
    let mut interval = code.interval;
    let mut waited = Duration::ZERO;
    loop {
        if clock.sleep(interval).await == Wait::Cancelled {
            return Err(DeviceFlowError::Cancelled);
        }
        waited += interval;
        // Polling with a dead code only earns an `expired_token`.
        if waited >= code.expires_in {
            return Err(DeviceFlowError::Expired);
        }
        let pairs = [("client_id", client_id), ("device_code", code.device_code.as_str()), ("grant_type", DEVICE_GRANT)];
        let answer = post_form(cfg, "/login/oauth/access_token", &pairs).await?;
        if let Some(token) = answer.access_token {
            return Ok(Token::new(token)?);
        }
        match answer.error.as_deref() {
            Some("authorization_pending") => {}
            Some("slow_down") => {
                let suggested = answer.interval.map(Duration::from_secs).unwrap_or_default();
                interval = suggested.max(interval + SLOW_DOWN_STEP);
                tracing::debug!(seconds = interval.as_secs(), "device flow: slow_down");
            }
            Some("expired_token") => return Err(DeviceFlowError::Expired),
            Some("access_denied") => return Err(DeviceFlowError::Denied),
            Some(other) => {
                return Err(DeviceFlowError::Refused { error: other.to_string(), description: answer.error_description });
            }
            None => {
                return Err(DeviceFlowError::Unexpected {
                    endpoint: "/login/oauth/access_token".to_string(),
                    status: 200,
                    message: "neither `access_token` nor `error` in the answer".to_string(),
                });
            }
        }
    }
}

fn client_id(cfg: &GithubConfig) -> Result<&str, DeviceFlowError> {
    cfg.client_id.as_deref().map(str::trim).filter(|id| !id.is_empty()).ok_or(DeviceFlowError::NoClientId)
}

async fn post_form(cfg: &GithubConfig, path: &str, pairs: &[(&str, &str)]) -> Result<OauthAnswer, DeviceFlowError> {
    let url = format!("{}{path}", cfg.oauth_base());
    let host = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| u.host_str().map(|h| u.port().map_or_else(|| h.to_string(), |p| format!("{h}:{p}"))))
        .unwrap_or_else(|| cfg.oauth_base().to_string());
    let unreachable = |e: reqwest::Error| DeviceFlowError::Unreachable {
        host: host.clone(),
        detail: if e.is_timeout() { "timed out".to_string() } else { innermost_cause(&e) },
    };
    let http = reqwest::Client::builder()
        .user_agent("llmos")
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(unreachable)?;
    let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let resp = http
        .post(&url)
        .header(header::ACCEPT, HeaderValue::from_static("application/json"))
        .header(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"))
        .body(body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = resp.status();
    let body = resp.bytes().await.map_err(unreachable)?;
    tracing::debug!(path, status = status.as_u16(), "github oauth");
    match serde_json::from_slice::<OauthAnswer>(&body) {
        Ok(answer) if status == StatusCode::OK || answer.error.is_some() => Ok(answer),
        _ => {
            let text = String::from_utf8_lossy(&body);
            Err(DeviceFlowError::Unexpected { endpoint: path.to_string(), status: status.as_u16(), message: text.trim().chars().take(200).collect() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_code_debug_hides_the_polling_secret() {
        let code = DeviceCode {
            device_code: "secret-device-code".into(),
            user_code: "WDJB-MJHT".into(),
            verification_uri: "https://github.com/login/device".into(),
            expires_in: Duration::from_secs(900),
            interval: Duration::from_secs(5),
        };
        let shown = format!("{code:?}");
        assert!(!shown.contains("secret-device-code"));
        assert!(shown.contains("WDJB-MJHT"));
    }

    #[tokio::test]
    async fn missing_client_id_is_explained() {
        let err = start(&GithubConfig::default()).await.unwrap_err();
        assert!(matches!(err, DeviceFlowError::NoClientId));
        assert!(err.to_string().contains("client_id"));
    }

    #[tokio::test]
    async fn cancellation_stops_a_wait() {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let clock = TokioClock::cancellable(rx);
        let waiting = tokio::spawn(async move { clock.sleep(Duration::from_secs(3600)).await });
        tx.send(true).unwrap();
        assert_eq!(waiting.await.unwrap(), Wait::Cancelled);
    }
}
