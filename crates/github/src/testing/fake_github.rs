//! The loopback GitHub. State lives behind one mutex that is never held across an
//! `.await`; handlers decide under the lock, then do slow work (running git) without it.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use tokio::io::BufReader;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use super::http::{Request, Response, read_request, write_response};
use crate::config::{GithubConfig, validate_repo_name};

const DOCS: &str = "https://docs.github.com/rest";
const DEFAULT_RATE_LIMIT: u64 = 5000;
const RATE_WINDOW: Duration = Duration::from_secs(3600);

/// How "create repository" should fail, until [`FakeGithub::fail_creates`] is given `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateFailure {
    /// 403, as for a token without the `repo` scope.
    Forbidden,
    /// 422 "Repository creation failed." with this entry in `errors[].message`.
    Unprocessable { detail: String },
}

/// One answer of the access-token endpoint, in the order they are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStep {
    Pending,
    SlowDown,
    /// Issues a new token for this (existing) user; `GET /user` then works with it.
    Grant {
        login: String,
    },
    Expired,
    Denied,
}

/// How the device flow behaves; see [`FakeGithub::script_device_flow`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceScript {
    pub client_id: String,
    pub interval_secs: u64,
    pub expires_in_secs: u64,
    pub steps: Vec<DeviceStep>,
}

/// What the fake saw, without any credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub status: u16,
    /// Sent `If-None-Match`.
    pub conditional: bool,
}

#[derive(Debug, Clone)]
struct FakeUser {
    login: String,
    id: u64,
}

#[derive(Debug, Clone)]
struct FakeOrg {
    login: String,
    id: u64,
    members: HashSet<String>,
}

#[derive(Debug, Clone)]
struct FakeRepo {
    id: u64,
    owner: String,
    owner_id: u64,
    owner_is_org: bool,
    name: String,
    private: bool,
}

#[derive(Debug)]
struct RateState {
    limit: u64,
    remaining: u64,
    reset: u64,
    limited_status: u16,
    retry_after: Option<u64>,
}

#[derive(Debug, Default)]
struct DeviceState {
    script: Option<DeviceScript>,
    steps: VecDeque<DeviceStep>,
    issued_device_code: Option<String>,
    issued: u64,
}

#[derive(Debug)]
struct State {
    base_url: String,
    git_base: String,
    repos_root: PathBuf,
    /// token → user
    tokens: HashMap<String, FakeUser>,
    /// lower-cased login → org
    orgs: HashMap<String, FakeOrg>,
    /// (lower-cased owner, lower-cased name) → repo
    repos: BTreeMap<(String, String), FakeRepo>,
    next_id: u64,
    create_failure: Option<CreateFailure>,
    rate: RateState,
    device: DeviceState,
    full_responses: HashMap<String, usize>,
    not_modified: HashMap<String, usize>,
    log: Vec<RecordedRequest>,
}

/// A stand-in for `api.github.com` and `github.com/login/...` on 127.0.0.1.
/// Stops when dropped.
pub struct FakeGithub {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGithub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeGithub {
    /// Listens on a free 127.0.0.1 port; repositories it creates go to
    /// `repos_root/OWNER/NAME.git`. Must be called inside a Tokio runtime.
    pub async fn start(repos_root: impl Into<PathBuf>) -> io::Result<FakeGithub> {
        let repos_root = repos_root.into();
        std::fs::create_dir_all(&repos_root)?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let state = Arc::new(Mutex::new(State {
            git_base: base_url.clone(),
            base_url,
            repos_root,
            tokens: HashMap::new(),
            orgs: HashMap::new(),
            repos: BTreeMap::new(),
            next_id: 1000,
            create_failure: None,
            rate: RateState {
                limit: DEFAULT_RATE_LIMIT,
                remaining: DEFAULT_RATE_LIMIT,
                reset: now_secs() + RATE_WINDOW.as_secs(),
                limited_status: 403,
                retry_after: None,
            },
            device: DeviceState::default(),
            full_responses: HashMap::new(),
            not_modified: HashMap::new(),
            log: Vec::new(),
        }));
        let server = tokio::spawn(accept_loop(listener, state.clone()));
        Ok(FakeGithub { addr, state, server })
    }

    /// `http://127.0.0.1:PORT`, both the API base and the OAuth base.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A configuration pointing everything at this fake (git URLs at the git base,
    /// see [`FakeGithub::set_git_base`]), with a 5 s rate-limit wait.
    pub fn config(&self) -> GithubConfig {
        let state = self.lock();
        GithubConfig {
            api_url: state.base_url.clone(),
            git_url: state.git_base.clone(),
            oauth_url: Some(state.base_url.clone()),
            token_env: None,
            client_id: state.device.script.as_ref().map(|s| s.client_id.clone()),
            max_rate_limit_wait: Duration::from_secs(5),
        }
    }

    /// Where created repositories' `clone_url`s point, e.g. a [`super::GitDaemon::url`].
    pub fn set_git_base(&self, git_base: &str) {
        self.lock().git_base = git_base.trim_end_matches('/').to_string();
    }

    pub fn repos_root(&self) -> PathBuf {
        self.lock().repos_root.clone()
    }

    /// Where `OWNER/NAME` lives (or would live) on disk.
    pub fn bare_repo_path(&self, owner: &str, name: &str) -> PathBuf {
        self.lock().repos_root.join(owner).join(format!("{name}.git"))
    }

    /// A user whose requests authenticate with `token`.
    pub fn add_user(&self, login: &str, token: &str) {
        let mut state = self.lock();
        let id = state.next_id();
        state.tokens.insert(token.to_string(), FakeUser { login: login.to_string(), id });
    }

    /// An organisation; only `members` may create repositories in it or see its private ones.
    pub fn add_org(&self, login: &str, members: &[&str]) {
        let mut state = self.lock();
        let id = state.next_id();
        let members = members.iter().map(|m| m.to_ascii_lowercase()).collect();
        state.orgs.insert(login.to_ascii_lowercase(), FakeOrg { login: login.to_string(), id, members });
    }

    /// A repository that already exists (with its bare repository on disk).
    pub async fn add_repo(&self, owner: &str, name: &str, private: bool) -> io::Result<()> {
        let path = self.bare_repo_path(owner, name);
        init_bare(&path).await?;
        let mut state = self.lock();
        let (owner_id, owner_is_org) = match state.orgs.get(&owner.to_ascii_lowercase()) {
            Some(org) => (org.id, true),
            None => (state.tokens.values().find(|u| u.login.eq_ignore_ascii_case(owner)).map_or(1, |u| u.id), false),
        };
        let id = state.next_id();
        state.repos.insert(key(owner, name), FakeRepo { id, owner: owner.to_string(), owner_id, owner_is_org, name: name.to_string(), private });
        Ok(())
    }

    pub fn repo_exists(&self, owner: &str, name: &str) -> bool {
        self.lock().repos.contains_key(&key(owner, name))
    }

    /// Makes every "create repository" fail this way (`None` to stop).
    pub fn fail_creates(&self, failure: Option<CreateFailure>) {
        self.lock().create_failure = failure;
    }

    /// Uses up the rate limit; it resets after `reset_in` (rounded up to seconds, as
    /// `x-ratelimit-reset` is whole seconds). Limited requests get a 403.
    pub fn exhaust_rate_limit(&self, reset_in: Duration) {
        self.exhaust_rate_limit_with(reset_in, 403, None);
    }

    /// [`FakeGithub::exhaust_rate_limit`] answering `status` (403 or 429) and, if
    /// given, `retry-after` seconds, as GitHub's secondary limits do.
    pub fn exhaust_rate_limit_with(&self, reset_in: Duration, status: u16, retry_after: Option<u64>) {
        let mut state = self.lock();
        state.rate.remaining = 0;
        state.rate.reset = now_secs() + reset_in.as_secs() + u64::from(reset_in.subsec_nanos() > 0);
        state.rate.limited_status = status;
        state.rate.retry_after = retry_after;
    }

    /// Sets the per-window limit (and the remaining count) to `limit`.
    pub fn set_rate_limit(&self, limit: u64) {
        let mut state = self.lock();
        state.rate.limit = limit;
        state.rate.remaining = limit;
    }

    pub fn script_device_flow(&self, script: DeviceScript) {
        let mut state = self.lock();
        state.device.steps = script.steps.iter().cloned().collect();
        state.device.script = Some(script);
        state.device.issued_device_code = None;
    }

    /// Full (200) answers to GETs of `path`, e.g. `/user`.
    pub fn full_responses(&self, path: &str) -> usize {
        self.lock().full_responses.get(path).copied().unwrap_or(0)
    }

    /// 304 answers to GETs of `path`.
    pub fn not_modified_responses(&self, path: &str) -> usize {
        self.lock().not_modified.get(path).copied().unwrap_or(0)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().log.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

fn key(owner: &str, name: &str) -> (String, String) {
    (owner.to_ascii_lowercase(), name.to_ascii_lowercase())
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl State {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn user_for(&self, req: &Request) -> Option<FakeUser> {
        let auth = req.header("authorization")?;
        let token = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("token "))?;
        self.tokens.get(token.trim()).cloned()
    }

    fn rate_headers(&self, response: Response) -> Response {
        response
            .with_header("x-ratelimit-limit", self.rate.limit.to_string())
            .with_header("x-ratelimit-remaining", self.rate.remaining.to_string())
            .with_header("x-ratelimit-reset", self.rate.reset.to_string())
            .with_header("x-ratelimit-used", (self.rate.limit - self.rate.remaining.min(self.rate.limit)).to_string())
            .with_header("x-ratelimit-resource", "core")
    }

    fn repo_json(&self, repo: &FakeRepo) -> Value {
        let full_name = format!("{}/{}", repo.owner, repo.name);
        json!({
            "id": repo.id,
            "node_id": format!("R_fake{}", repo.id),
            "name": repo.name,
            "full_name": full_name,
            "private": repo.private,
            "visibility": if repo.private { "private" } else { "public" },
            "owner": {
                "login": repo.owner,
                "id": repo.owner_id,
                "type": if repo.owner_is_org { "Organization" } else { "User" },
            },
            "html_url": format!("{}/{full_name}", self.base_url),
            "description": null,
            "fork": false,
            "url": format!("{}/repos/{full_name}", self.base_url),
            "clone_url": format!("{}/{full_name}.git", self.git_base),
            "default_branch": "main",
        })
    }
}

fn error_json(status: u16, message: &str) -> Response {
    Response::json(status, &json!({ "message": message, "documentation_url": DOCS, "status": status.to_string() }))
}

async fn accept_loop(listener: TcpListener, state: Arc<Mutex<State>>) {
    // Owned here so that aborting this task (on drop) also ends every connection.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                connections.spawn(serve_connection(stream, state.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    while let Ok(Some(req)) = read_request(&mut reader).await {
        let conditional = req.header("if-none-match").is_some();
        let response = handle(&state, &req).await;
        lock(&state).log.push(RecordedRequest { method: req.method.clone(), path: req.path.clone(), status: response.status, conditional });
        if write_response(&mut write, &response).await.is_err() {
            return;
        }
        if req.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            return;
        }
    }
}

async fn handle(state: &Mutex<State>, req: &Request) -> Response {
    let segments: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["login", "device", "code"]) => device_code(state, req),
        ("POST", ["login", "oauth", "access_token"]) => access_token(state, req),
        ("GET", ["user"]) => api(state, req, get_user),
        ("GET", ["repos", owner, name]) => api(state, req, |s, user| get_repo(s, user, owner, name)),
        ("POST", ["user", "repos"]) => create_repo(state, req, None).await,
        ("POST", ["orgs", org, "repos"]) => create_repo(state, req, Some(org)).await,
        _ => error_json(404, "Not Found"),
    }
}

/// Authentication, rate limit and ETags around a read-only API handler.
fn api(state: &Mutex<State>, req: &Request, handler: impl FnOnce(&State, &FakeUser) -> Response) -> Response {
    let mut s = lock(state);
    let user = match admit(&mut s, req) {
        Ok(user) => user,
        Err(refusal) => return refusal,
    };
    let response = handler(&s, &user);
    if response.status != 200 {
        s.rate.remaining = s.rate.remaining.saturating_sub(1);
        return s.rate_headers(response);
    }
    // GitHub's ETags vary with the body and the credentials (`Vary: Authorization`).
    let mut hasher = DefaultHasher::new();
    response.body.hash(&mut hasher);
    user.login.hash(&mut hasher);
    let etag = format!("W/\"{:016x}\"", hasher.finish());
    if req.header("if-none-match") == Some(etag.as_str()) {
        *s.not_modified.entry(req.path.clone()).or_default() += 1;
        // Conditional requests answered 304 do not count against the limit.
        let not_modified = Response { status: 304, headers: Vec::new(), body: Vec::new() }.with_header("etag", etag);
        return s.rate_headers(not_modified);
    }
    *s.full_responses.entry(req.path.clone()).or_default() += 1;
    s.rate.remaining = s.rate.remaining.saturating_sub(1);
    s.rate_headers(response.with_header("etag", etag).with_header("vary", "Accept, Authorization"))
}

/// Checks the token and the rate limit, as GitHub does before anything else.
fn admit(s: &mut State, req: &Request) -> Result<FakeUser, Response> {
    let now = now_secs();
    if now >= s.rate.reset {
        s.rate.remaining = s.rate.limit;
        s.rate.reset = now + RATE_WINDOW.as_secs();
    }
    let Some(user) = s.user_for(req) else {
        let message = if req.header("authorization").is_some() { "Bad credentials" } else { "Requires authentication" };
        return Err(s.rate_headers(error_json(401, message)));
    };
    if s.rate.remaining == 0 {
        let message = format!("API rate limit exceeded for user ID {}. If you reach out to GitHub Support for help, please include the request ID.", user.id);
        let mut limited = s.rate_headers(error_json(s.rate.limited_status, &message));
        if let Some(secs) = s.rate.retry_after {
            limited = limited.with_header("retry-after", secs.to_string());
        }
        return Err(limited);
    }
    Ok(user)
}

fn get_user(_s: &State, user: &FakeUser) -> Response {
    Response::json(
        200,
        &json!({
            "login": user.login,
            "id": user.id,
            "node_id": format!("U_fake{}", user.id),
            "type": "User",
            "site_admin": false,
            "name": user.login,
            "email": null,
        }),
    )
}

fn get_repo(s: &State, user: &FakeUser, owner: &str, name: &str) -> Response {
    match s.repos.get(&key(owner, name)) {
        Some(repo) if !repo.private || can_see_private(s, user, &repo.owner) => Response::json(200, &s.repo_json(repo)),
        // GitHub hides private repositories behind a 404, not a 403.
        _ => error_json(404, "Not Found"),
    }
}

fn can_see_private(s: &State, user: &FakeUser, owner: &str) -> bool {
    owner.eq_ignore_ascii_case(&user.login) || s.orgs.get(&owner.to_ascii_lowercase()).is_some_and(|o| o.members.contains(&user.login.to_ascii_lowercase()))
}

async fn create_repo(state: &Mutex<State>, req: &Request, org: Option<&str>) -> Response {
    let (path, repo) = {
        let mut s = lock(state);
        let user = match admit(&mut s, req) {
            Ok(user) => user,
            Err(refusal) => return refusal,
        };
        s.rate.remaining = s.rate.remaining.saturating_sub(1);
        match plan_create(&mut s, req, &user, org) {
            Ok(planned) => planned,
            Err(refusal) => return s.rate_headers(refusal),
        }
    };
    if let Err(e) = init_bare(&path).await {
        return error_json(500, &format!("fake github: git init --bare failed: {e}"));
    }
    let mut s = lock(state);
    let body = s.repo_json(&repo);
    s.repos.insert(key(&repo.owner, &repo.name), repo);
    s.rate_headers(Response::json(201, &body).with_header("location", format!("{}/repos/{}", s.base_url, body["full_name"].as_str().unwrap_or(""))))
}

/// Everything GitHub checks before creating; returns where the bare repository goes.
fn plan_create(s: &mut State, req: &Request, user: &FakeUser, org: Option<&str>) -> Result<(PathBuf, FakeRepo), Response> {
    let (owner, owner_id, owner_is_org) = match org {
        None => (user.login.clone(), user.id, false),
        Some(org) => {
            let Some(found) = s.orgs.get(&org.to_ascii_lowercase()) else {
                return Err(error_json(404, "Not Found"));
            };
            if !found.members.contains(&user.login.to_ascii_lowercase()) {
                return Err(error_json(403, "You need admin access to the organization before adding a repository to it."));
            }
            (found.login.clone(), found.id, true)
        }
    };
    match &s.create_failure {
        Some(CreateFailure::Forbidden) => {
            return Err(error_json(403, "Resource not accessible by personal access token"));
        }
        Some(CreateFailure::Unprocessable { detail }) => {
            return Err(creation_failed("custom", detail));
        }
        None => {}
    }
    let body: Value = serde_json::from_slice(&req.body).map_err(|_| error_json(400, "Problems parsing JSON"))?;
    let Some(name) = body.get("name").and_then(Value::as_str) else {
        return Err(Response::json(
            422,
            &json!({"message": "Repository creation failed.", "errors": [{"resource": "Repository", "code": "missing_field", "field": "name"}], "documentation_url": DOCS, "status": "422"}),
        ));
    };
    if let Err(e) = validate_repo_name(name) {
        return Err(creation_failed("invalid", &format!("name is invalid: {e}")));
    }
    if s.repos.contains_key(&key(&owner, name)) {
        return Err(creation_failed("custom", "name already exists on this account"));
    }
    let private = body.get("private").and_then(Value::as_bool).unwrap_or(false);
    let id = s.next_id();
    let path = s.repos_root.join(&owner).join(format!("{name}.git"));
    Ok((path, FakeRepo { id, owner, owner_id, owner_is_org, name: name.to_string(), private }))
}

fn creation_failed(code: &str, message: &str) -> Response {
    Response::json(
        422,
        &json!({
            "message": "Repository creation failed.",
            "errors": [{"resource": "Repository", "code": code, "field": "name", "message": message}],
            "documentation_url": DOCS,
            "status": "422",
        }),
    )
}

async fn init_bare(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let out = tokio::process::Command::new("git").arg("init").arg("--bare").arg("--quiet").arg("--initial-branch=main").arg(path).output().await?;
    if out.status.success() { Ok(()) } else { Err(io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string())) }
}

/// OAuth endpoints take form or JSON bodies and answer JSON only when asked to.
fn oauth_params(req: &Request) -> HashMap<String, String> {
    let is_json = req.header("content-type").is_some_and(|c| c.starts_with("application/json"));
    if is_json {
        let parsed: HashMap<String, Value> = serde_json::from_slice(&req.body).unwrap_or_default();
        parsed.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect()
    } else {
        form_urlencoded::parse(&req.body).into_owned().collect()
    }
}

fn oauth_answer(req: &Request, value: Value) -> Response {
    let wants_json = req.header("accept").is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Response::json(200, &value);
    }
    let pairs: Vec<(String, String)> =
        value.as_object().map(|o| o.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect()).unwrap_or_default();
    Response {
        status: 200,
        headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())],
        body: form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish().into_bytes(),
    }
}

fn oauth_error(req: &Request, error: &str, description: &str) -> Response {
    oauth_answer(
        req,
        json!({ "error": error, "error_description": description, "error_uri": "https://docs.github.com/developers/apps/authorizing-oauth-apps" }),
    )
}

fn device_code(state: &Mutex<State>, req: &Request) -> Response {
    let s = &mut *lock(state);
    let params = oauth_params(req);
    let Some(script) = s.device.script.clone() else {
        return oauth_error(req, "device_flow_disabled", "Device Flow must be explicitly enabled for this App");
    };
    if params.get("client_id") != Some(&script.client_id) {
        return error_json(404, "Not Found");
    }
    s.device.issued += 1;
    let device_code = format!("fake-device-code-{}", s.device.issued);
    s.device.issued_device_code = Some(device_code.clone());
    s.device.steps = script.steps.iter().cloned().collect();
    oauth_answer(
        req,
        json!({
            "device_code": device_code,
            "user_code": format!("WDJB-{:04}", s.device.issued),
            "verification_uri": format!("{}/login/device", s.base_url),
            "expires_in": script.expires_in_secs,
            "interval": script.interval_secs,
        }),
    )
}

fn access_token(state: &Mutex<State>, req: &Request) -> Response {
    let s = &mut *lock(state);
    let params = oauth_params(req);
    let Some(script) = s.device.script.clone() else {
        return oauth_error(req, "device_flow_disabled", "Device Flow must be explicitly enabled for this App");
    };
    if params.get("grant_type").map(String::as_str) != Some("urn:ietf:params:oauth:grant-type:device_code") {
        return oauth_error(req, "unsupported_grant_type", "The grant type must be urn:ietf:params:oauth:grant-type:device_code.");
    }
    if params.get("client_id") != Some(&script.client_id) {
        return oauth_error(req, "incorrect_client_credentials", "The client_id is not valid.");
    }
    if s.device.issued_device_code.is_none() || params.get("device_code") != s.device.issued_device_code.as_ref() {
        return oauth_error(req, "incorrect_device_code", "The device_code provided is not valid.");
    }
    match s.device.steps.pop_front().unwrap_or(DeviceStep::Expired) {
        DeviceStep::Pending => oauth_error(req, "authorization_pending", "The authorization request is still pending."),
        DeviceStep::SlowDown => {
            let mut answer = json!({ "error": "slow_down", "error_description": "Too many requests have been made in the same timeframe.", "interval": script.interval_secs + 5 });
            if let Some(o) = answer.as_object_mut() {
                o.insert("error_uri".into(), json!("https://docs.github.com/developers/apps/authorizing-oauth-apps"));
            }
            oauth_answer(req, answer)
        }
        DeviceStep::Expired => oauth_error(req, "expired_token", "The device_code has expired."),
        DeviceStep::Denied => oauth_error(req, "access_denied", "The authorization request was denied."),
        DeviceStep::Grant { login } => {
            let issued = s.device.issued;
            let token = format!("gho_fake{issued:04}{}", login.len());
            let id = s.tokens.values().find(|u| u.login == login).map(|u| u.id);
            let id = id.unwrap_or_else(|| s.next_id());
            s.tokens.insert(token.clone(), FakeUser { login, id });
            s.device.issued_device_code = None;
            oauth_answer(req, json!({ "access_token": token, "token_type": "bearer", "scope": "repo" }))
        }
    }
}
