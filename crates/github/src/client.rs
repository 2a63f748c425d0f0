//! The few GitHub REST calls llmos needs: who am I, does this repository exist, create
//! it. Every GET is conditional (ETag cache in memory, so a `304` costs no rate limit),
//! and the rate limit is read from every answer: a short wait is waited out, a long
//! one is reported as [`GithubError::RateLimited`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::config::{GithubConfig, RemoteError, validate_owner, validate_repo_name};
use crate::token::Token;

const API_VERSION: &str = "2022-11-28";
/// Added to a computed reset time: GitHub's reset is in whole seconds and clocks drift.
const RESET_SLACK: Duration = Duration::from_millis(250);
/// GitHub's advice when a 429 or secondary limit carries no timing headers.
const UNSPECIFIED_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// How many rate-limit waits one call may do before reporting.
const MAX_RATE_LIMIT_WAITS: usize = 2;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub login: String,
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RepoOwner {
    pub login: String,
    /// `User` or `Organization`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Repo {
    pub id: u64,
    pub name: String,
    pub full_name: String,
    pub owner: RepoOwner,
    pub private: bool,
    pub html_url: String,
    pub clone_url: String,
    #[serde(default)]
    pub default_branch: Option<String>,
}

/// What [`GithubClient::ensure_repository`] found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnsuredRepository {
    pub repo: Repo,
    /// `true` when this call created it (worth telling the user).
    pub created: bool,
}

/// The rate limit as of the last answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub remaining: u64,
    pub reset_at: SystemTime,
}

#[derive(Debug, Error)]
pub enum GithubError {
    #[error("cannot reach {host}: {detail}")]
    Unreachable { host: String, detail: String },
    #[error("GitHub refused the token (401: {message}); run `llmos login` or set a valid token in GITHUB_TOKEN")]
    TokenRefused { message: String },
    #[error("GitHub forbids {action} (403: {message}); the token may lack the `repo` scope or the permission")]
    Forbidden { action: String, message: String },
    #[error("{action}: not found on GitHub (404)")]
    NotFound { action: String },
    #[error("GitHub rejected {action} (422): {}", join_validation(message, details))]
    Validation { action: String, message: String, details: Vec<String> },
    #[error("GitHub's rate limit is exhausted; it resets {}", describe_reset(*reset_at))]
    RateLimited { reset_at: SystemTime },
    #[error("unexpected answer from GitHub to {action}: HTTP {status}: {message}")]
    Unexpected { action: String, status: u16, message: String },
    #[error("cannot read GitHub's answer to {action}: {detail}")]
    Decode { action: String, detail: String },
    #[error(transparent)]
    InvalidName(#[from] RemoteError),
    #[error("cannot set up the HTTP client: {detail}")]
    Client { detail: String },
}

fn join_validation(message: &str, details: &[String]) -> String {
    if details.is_empty() { message.to_string() } else { format!("{message} ({})", details.join("; ")) }
}

fn describe_reset(reset_at: SystemTime) -> String {
    let epoch = reset_at.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    match reset_at.duration_since(SystemTime::now()) {
        Ok(left) => format!("in {} s (at unix time {epoch}); try again then", left.as_secs() + 1),
        Err(_) => format!("at unix time {epoch}; try again"),
    }
}

struct CachedGet {
    etag: HeaderValue,
    body: Vec<u8>,
}

/// A GitHub REST client for one token. Cheap to share behind an `Arc`.
pub struct GithubClient {
    http: reqwest::Client,
    api_base: String,
    /// `host[:port]` of the API, for "cannot reach …" messages.
    api_host: String,
    token: Token,
    max_rate_limit_wait: Duration,
    etag_cache: Mutex<HashMap<String, CachedGet>>,
    rate_limit: Mutex<Option<RateLimit>>,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubClient").field("api_base", &self.api_base).field("token", &self.token).finish_non_exhaustive()
    }
}

impl GithubClient {
    pub fn new(cfg: &GithubConfig, token: Token) -> Result<GithubClient, GithubError> {
        let api_base = cfg.api_base().to_string();
        let url = reqwest::Url::parse(&api_base).map_err(|e| GithubError::Client { detail: format!("api_url `{api_base}` is not a URL: {e}") })?;
        let api_host = match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => {
                return Err(GithubError::Client { detail: format!("api_url `{api_base}` has no host") });
            }
        };
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/vnd.github+json"));
        headers.insert("x-github-api-version", HeaderValue::from_static(API_VERSION));
        let http = reqwest::Client::builder()
            .user_agent("llmos")
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| GithubError::Client { detail: e.to_string() })?;
        Ok(GithubClient {
            http,
            api_base,
            api_host,
            token,
            max_rate_limit_wait: cfg.max_rate_limit_wait,
            etag_cache: Mutex::new(HashMap::new()),
            rate_limit: Mutex::new(None),
        })
    }

    /// The rate limit as of the last answer, if GitHub sent one.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        *lock(&self.rate_limit)
    }

    /// `GET /user`: whom the token belongs to.
    pub async fn get_user(&self) -> Result<User, GithubError> {
        let action = "reading the signed-in user (GET /user)";
        let resp = self.request(Method::GET, "/user", None, action).await?;
        match resp.status {
            StatusCode::OK => decode(&resp.body, action),
            status => Err(error_for(status, &self.redact(&resp.body), action)),
        }
    }

    /// `GET /repos/{owner}/{repo}`; `None` on 404 (absent, or invisible to this token).
    pub async fn get_repo(&self, owner: &str, repo: &str) -> Result<Option<Repo>, GithubError> {
        validate_owner(owner)?;
        validate_repo_name(repo)?;
        let action = format!("reading repository {owner}/{repo}");
        let resp = self.request(Method::GET, &format!("/repos/{owner}/{repo}"), None, &action).await?;
        match resp.status {
            StatusCode::OK => decode(&resp.body, &action).map(Some),
            StatusCode::NOT_FOUND => Ok(None),
            status => Err(error_for(status, &self.redact(&resp.body), &action)),
        }
    }

    /// `POST /user/repos`: a repository owned by the token's user.
    pub async fn create_user_repo(&self, name: &str, private: bool) -> Result<Repo, GithubError> {
        validate_repo_name(name)?;
        let action = format!("creating repository {name} for the signed-in user");
        self.create("/user/repos".to_string(), name, private, &action).await
    }

    /// `POST /orgs/{org}/repos`: a repository owned by an organisation.
    pub async fn create_org_repo(&self, org: &str, name: &str, private: bool) -> Result<Repo, GithubError> {
        validate_owner(org)?;
        validate_repo_name(name)?;
        let action = format!("creating repository {org}/{name} in organisation {org}");
        self.create(format!("/orgs/{org}/repos"), name, private, &action).await
    }

    /// Finds `owner/repo`, creating it when absent: under the user when `owner` is the
    /// token's login, otherwise under the organisation `owner`. An existing
    /// repository is used as is (its visibility is not changed).
    pub async fn ensure_repository(&self, owner: &str, repo: &str, private: bool) -> Result<EnsuredRepository, GithubError> {
        if let Some(found) = self.get_repo(owner, repo).await? {
            return Ok(EnsuredRepository { repo: found, created: false });
        }
        let user = self.get_user().await?;
        let created = if owner.eq_ignore_ascii_case(&user.login) {
            self.create_user_repo(repo, private).await
        } else {
            self.create_org_repo(owner, repo, private).await.map_err(|e| match e {
                GithubError::NotFound { .. } => GithubError::NotFound {
                    action: format!(
                        "creating repository {owner}/{repo}: `{owner}` is neither the signed-in user ({}) nor an organisation the token can see",
                        user.login
                    ),
                },
                other => other,
            })
        };
        match created {
            Ok(repo) => Ok(EnsuredRepository { repo, created: true }),
            // Someone else (another llmos, a teammate) created it between our GET and POST.
            Err(GithubError::Validation { details, .. }) if details.iter().any(|d| d.contains("already exists")) => match self.get_repo(owner, repo).await? {
                Some(found) => Ok(EnsuredRepository { repo: found, created: false }),
                None => Err(GithubError::NotFound { action: format!("reading repository {owner}/{repo} after GitHub said it already exists") }),
            },
            Err(e) => Err(e),
        }
    }

    async fn create(&self, path: String, name: &str, private: bool, action: &str) -> Result<Repo, GithubError> {
        let body = serde_json::json!({ "name": name, "private": private, "auto_init": false });
        let resp = self.request(Method::POST, &path, Some(body), action).await?;
        match resp.status {
            StatusCode::CREATED | StatusCode::OK => decode(&resp.body, action),
            status => Err(error_for(status, &self.redact(&resp.body), action)),
        }
    }

    /// Sends one request, waiting out short rate limits, answering `304` from the
    /// ETag cache. Non-rate-limit error statuses are returned for the caller to map,
    /// because what a 404 means depends on the call.
    async fn request(&self, method: Method, path: &str, body: Option<serde_json::Value>, action: &str) -> Result<RawResponse, GithubError> {
        let url = format!("{}{path}", self.api_base);
        let mut waits = 0;
        loop {
            self.wait_for_known_reset().await?;
            let cached_etag = if method == Method::GET { lock(&self.etag_cache).get(&url).map(|c| c.etag.clone()) } else { None };
            let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
                .map_err(|_| GithubError::Client { detail: "the token cannot be sent in an HTTP header".to_string() })?;
            auth.set_sensitive(true);
            let mut req = self.http.request(method.clone(), &url).header(header::AUTHORIZATION, auth);
            if let Some(etag) = &cached_etag {
                req = req.header(header::IF_NONE_MATCH, etag.clone());
            }
            if let Some(body) = &body {
                req = req.json(body);
            }
            let resp = req.send().await.map_err(|e| self.network_error(&e))?;
            let status = resp.status();
            let headers = resp.headers().clone();
            let bytes = resp.bytes().await.map_err(|e| self.network_error(&e))?;
            tracing::debug!(%method, path, status = status.as_u16(), "github api");
            self.record_rate_limit(&headers);

            if let Some(reset_at) = rate_limited(status, &headers, &bytes) {
                waits += 1;
                if waits > MAX_RATE_LIMIT_WAITS {
                    return Err(GithubError::RateLimited { reset_at });
                }
                self.wait_until(reset_at).await?;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return match lock(&self.etag_cache).get(&url) {
                    Some(cached) => Ok(RawResponse { status: StatusCode::OK, body: cached.body.clone() }),
                    None => {
                        Err(GithubError::Unexpected { action: action.to_string(), status: 304, message: "Not Modified without a cached answer".to_string() })
                    }
                };
            }
            if method == Method::GET
                && status == StatusCode::OK
                && let Some(etag) = headers.get(header::ETAG)
            {
                let cached = CachedGet { etag: etag.clone(), body: bytes.to_vec() };
                lock(&self.etag_cache).insert(url, cached);
            }
            return Ok(RawResponse { status, body: bytes.to_vec() });
        }
    }

    /// When the last answer said nothing is left, there is no point asking again
    /// before the reset.
    async fn wait_for_known_reset(&self) -> Result<(), GithubError> {
        let known = *lock(&self.rate_limit);
        if let Some(RateLimit { remaining: 0, reset_at }) = known {
            if reset_at > SystemTime::now() {
                self.wait_until(reset_at).await?;
            }
            *lock(&self.rate_limit) = None;
        }
        Ok(())
    }

    async fn wait_until(&self, reset_at: SystemTime) -> Result<(), GithubError> {
        let wait = reset_at.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO) + RESET_SLACK;
        if wait > self.max_rate_limit_wait + RESET_SLACK {
            return Err(GithubError::RateLimited { reset_at });
        }
        tracing::info!(seconds = wait.as_secs_f64(), "GitHub rate limit exhausted; waiting for the reset");
        tokio::time::sleep(wait).await;
        Ok(())
    }

    fn record_rate_limit(&self, headers: &HeaderMap) {
        let remaining = header_u64(headers, "x-ratelimit-remaining");
        let reset = header_u64(headers, "x-ratelimit-reset");
        if let (Some(remaining), Some(reset)) = (remaining, reset) {
            *lock(&self.rate_limit) = Some(RateLimit { remaining, reset_at: UNIX_EPOCH + Duration::from_secs(reset) });
        }
    }

    fn network_error(&self, e: &reqwest::Error) -> GithubError {
        let detail = if e.is_timeout() { "timed out".to_string() } else { innermost_cause(e) };
        GithubError::Unreachable { host: self.api_host.clone(), detail }
    }
}

struct RawResponse {
    status: StatusCode,
    body: Vec<u8>,
}

/// When GitHub says "rate limited", the time to wait until. Primary limits are a
/// 403/429 with `x-ratelimit-remaining: 0`; secondary limits carry `retry-after` or
/// only say so in the message.
fn rate_limited(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<SystemTime> {
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    let now = SystemTime::now();
    if let Some(secs) = header_u64(headers, "retry-after") {
        return Some(now + Duration::from_secs(secs));
    }
    if header_u64(headers, "x-ratelimit-remaining") == Some(0) {
        let reset = header_u64(headers, "x-ratelimit-reset").map(|s| UNIX_EPOCH + Duration::from_secs(s));
        return Some(reset.unwrap_or(now + UNSPECIFIED_RATE_LIMIT_WAIT));
    }
    let says_rate_limit = parse_error_body(body).0.to_ascii_lowercase().contains("rate limit");
    (status == StatusCode::TOO_MANY_REQUESTS || says_rate_limit).then(|| now + UNSPECIFIED_RATE_LIMIT_WAIT)
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// GitHub's error body: `{"message": "...", "errors": [{"message": "..."} | {"code": "...", "field": "..."}]}`.
fn parse_error_body(body: &[u8]) -> (String, Vec<String>) {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(default)]
        message: Option<String>,
        #[serde(default)]
        errors: Vec<serde_json::Value>,
    }
    let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return (if text.is_empty() { "no message".to_string() } else { text.chars().take(200).collect() }, Vec::new());
    };
    let details = parsed
        .errors
        .iter()
        .map(|e| match e {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(o) => match o.get("message").and_then(|m| m.as_str()) {
                Some(m) => m.to_string(),
                None => {
                    let field = |k: &str| o.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_string();
                    format!("{} {} {}", field("resource"), field("field"), field("code"))
                }
            },
            other => other.to_string(),
        })
        .collect();
    (parsed.message.unwrap_or_else(|| "no message".to_string()), details)
}

impl GithubClient {
    /// GitHub's error text with the token removed: an answer that quotes the request
    /// (a proxy, a misbehaving enterprise server) must not carry it into a message.
    fn redact(&self, body: &[u8]) -> Vec<u8> {
        let token = self.token.expose().as_bytes();
        let find = |hay: &[u8]| hay.windows(token.len()).position(|w| w == token);
        if token.is_empty() || find(body).is_none() {
            return body.to_vec();
        }
        let mut out = Vec::with_capacity(body.len());
        let mut rest = body;
        while let Some(i) = find(rest) {
            out.extend_from_slice(rest.get(..i).unwrap_or_default());
            out.extend_from_slice(b"[redacted]");
            rest = rest.get(i + token.len()..).unwrap_or_default();
        }
        out.extend_from_slice(rest);
        out
    }
}

fn error_for(status: StatusCode, body: &[u8], action: &str) -> GithubError {
    let (message, details) = parse_error_body(body);
    let action = action.to_string();
    match status {
        StatusCode::UNAUTHORIZED => GithubError::TokenRefused { message },
        StatusCode::FORBIDDEN => GithubError::Forbidden { action, message: join_validation(&message, &details) },
        StatusCode::NOT_FOUND => GithubError::NotFound { action },
        StatusCode::UNPROCESSABLE_ENTITY => GithubError::Validation { action, message, details },
        status => GithubError::Unexpected { action, status: status.as_u16(), message: join_validation(&message, &details) },
    }
}

fn decode<T: DeserializeOwned>(body: &[u8], action: &str) -> Result<T, GithubError> {
    serde_json::from_slice(body).map_err(|e| GithubError::Decode { action: action.to_string(), detail: e.to_string() })
}

/// The most specific message in an error chain ("Connection refused (os error 111)"
/// rather than reqwest's "error sending request for url").
pub(crate) fn innermost_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded maps are always left consistent, so a panic elsewhere is no reason to stop.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_join_details() {
        let body = br#"{"message":"Repository creation failed.","errors":[{"resource":"Repository","code":"custom","field":"name","message":"name already exists on this account"},{"resource":"Repository","code":"invalid","field":"name"}]}"#;
        let e = error_for(StatusCode::UNPROCESSABLE_ENTITY, body, "creating x");
        assert_eq!(
            e.to_string(),
            "GitHub rejected creating x (422): Repository creation failed. (name already exists on this account; Repository name invalid)"
        );
    }

    #[test]
    fn non_json_error_bodies_still_say_something() {
        let e = error_for(StatusCode::BAD_GATEWAY, b"", "reading y");
        assert_eq!(e.to_string(), "unexpected answer from GitHub to reading y: HTTP 502: no message");
        let e = error_for(StatusCode::FORBIDDEN, b"<html>nope</html>", "creating z");
        assert!(e.to_string().contains("<html>nope</html>"));
    }

    #[test]
    fn rate_limit_detection() {
        let mut h = HeaderMap::new();
        assert!(rate_limited(StatusCode::FORBIDDEN, &h, br#"{"message":"Must have admin rights"}"#).is_none());
        assert!(rate_limited(StatusCode::FORBIDDEN, &h, br#"{"message":"You have exceeded a secondary rate limit"}"#).is_some());
        assert!(rate_limited(StatusCode::TOO_MANY_REQUESTS, &h, b"").is_some());
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("2000000000"));
        assert_eq!(rate_limited(StatusCode::FORBIDDEN, &h, b""), Some(UNIX_EPOCH + Duration::from_secs(2_000_000_000)));
        assert!(rate_limited(StatusCode::OK, &h, b"").is_none());
    }
}
