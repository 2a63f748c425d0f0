//! GitHub: configuration, where the token comes from, and the device-flow login shared
//! by `llmos login` and `llmos.github.login`. The token lives in the user's
//! configuration folder (mode 0600), never in the workspace, a git config or a URL.

use llmos_github::device_flow::{self, DeviceCode, TokioClock};
use llmos_github::{GithubClient, GithubConfig, Token, TokenSource, TokenStore};
use llmos_workspace::Config;
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{MessageType, ShowDocumentParams, Uri};

use super::user_error;
use crate::lsp::Backend;

pub fn github_config(config: &Config) -> GithubConfig {
    let g = &config.github;
    GithubConfig {
        api_url: g.api_url.clone(),
        git_url: g.git_url.clone(),
        oauth_url: g.oauth_url.clone(),
        token_env: g.token_env.clone(),
        client_id: g.client_id.clone(),
        ..GithubConfig::default()
    }
}

/// The token store: `$LLMOS_CONFIG_DIR` when set, else the user's configuration folder.
pub fn token_store() -> std::result::Result<TokenStore, String> {
    match std::env::var_os("LLMOS_CONFIG_DIR") {
        Some(dir) if !dir.is_empty() => Ok(TokenStore::in_dir(dir)),
        _ => TokenStore::user_default().map_err(|e| e.to_string()),
    }
}

/// The token to use: the environment first, then the stored device-flow token.
pub fn resolve_token(cfg: &GithubConfig) -> std::result::Result<Option<Token>, String> {
    let source = TokenSource::new(cfg, token_store().ok());
    source.resolve().map(|r| r.map(|t| t.token)).map_err(|e| e.to_string())
}

/// Logs in: a token from the environment is checked and used; otherwise the device
/// flow runs, `show` is told the code and page, and the token is stored.
pub async fn login(cfg: &GithubConfig, show: impl FnOnce(&DeviceCode)) -> std::result::Result<(String, String), String> {
    let env_only = TokenSource::new(cfg, None);
    if let Some(found) = env_only.resolve().map_err(|e| e.to_string())? {
        let user = GithubClient::new(cfg, found.token).map_err(|e| e.to_string())?.get_user().await.map_err(|e| e.to_string())?;
        return Ok((user.login, format!("the token from {:?}", found.origin)));
    }
    let code = device_flow::start(cfg).await.map_err(|e| e.to_string())?;
    show(&code);
    let token = device_flow::poll(cfg, &code, &TokioClock::new()).await.map_err(|e| e.to_string())?;
    let user = GithubClient::new(cfg, token.clone()).map_err(|e| e.to_string())?.get_user().await.map_err(|e| e.to_string())?;
    let store = token_store()?;
    let path = store.save(&token).map_err(|e| e.to_string())?;
    Ok((user.login, path.display().to_string()))
}

/// `llmos.github.login {}`: returns the code at once; the login finishes in the
/// background and reports with a message.
pub async fn run_login(backend: &Backend, _args: &Value) -> Result<Value> {
    let cfg = github_config(&backend.ws_read().config);
    let env_only = TokenSource::new(&cfg, None);
    if env_only.resolve().ok().flatten().is_some() {
        let (login, via) = login(&cfg, |_| {}).await.map_err(user_error)?;
        return Ok(json!({ "login": login, "via": via }));
    }
    let code = device_flow::start(&cfg).await.map_err(|e| user_error(e.to_string()))?;
    let user_code = code.user_code.clone();
    let page = code.verification_uri.clone();
    backend.client.show_message(MessageType::INFO, format!("GitHub login: enter the code {user_code} at {page}")).await;
    if let Ok(uri) = page.parse::<Uri>() {
        let _ = backend.client.show_document(ShowDocumentParams { uri, external: Some(true), take_focus: Some(true), selection: None }).await;
    }
    let client = backend.client.clone();
    tokio::spawn(async move {
        let poll = async {
            let token = device_flow::poll(&cfg, &code, &TokioClock::new()).await.map_err(|e| e.to_string())?;
            let user = GithubClient::new(&cfg, token.clone()).map_err(|e| e.to_string())?.get_user().await.map_err(|e| e.to_string())?;
            token_store()?.save(&token).map_err(|e| e.to_string())?;
            Ok::<String, String>(user.login)
        };
        // A panic while polling must not end the login silently.
        let result = crate::lsp::unwind::task("github login", poll).await.unwrap_or_else(|| Err("llmos failed internally; see the log".to_string()));
        match result {
            Ok(login) => client.show_message(MessageType::INFO, format!("llmos: logged in to GitHub as {login}")).await,
            Err(e) => client.show_message(MessageType::ERROR, format!("llmos: GitHub login failed: {e}")).await,
        }
    });
    Ok(json!({ "userCode": user_code, "verificationUri": page }))
}
