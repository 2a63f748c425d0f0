//! GitHub: configuration, where the token comes from, and the device-flow login shared
//! by `llmos login` and `llmos.github.login`. The token lives in the user's
//! configuration folder (mode 0600), never in the workspace, a git config or a URL.

use llmos_github::device_flow::{self, DeviceCode, TokioClock};
use llmos_github::{GithubClient, GithubConfig, Token, TokenSource, TokenStore};
use llmos_workspace::Config;

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
pub fn token_store() -> Result<TokenStore, String> {
    match std::env::var_os("LLMOS_CONFIG_DIR") {
        Some(dir) if !dir.is_empty() => Ok(TokenStore::in_dir(dir)),
        _ => TokenStore::user_default().map_err(|e| e.to_string()),
    }
}

/// The token to use: the environment first, then the stored device-flow token.
pub fn resolve_token(cfg: &GithubConfig) -> Result<Option<Token>, String> {
    let source = TokenSource::new(cfg, token_store().ok());
    source.resolve().map(|r| r.map(|t| t.token)).map_err(|e| e.to_string())
}

/// Logs in: a token from the environment is checked and used; otherwise the device
/// flow runs, `show` is told the code and page, and the token is stored.
pub async fn login(cfg: &GithubConfig, show: impl FnOnce(&DeviceCode)) -> Result<(String, String), String> {
    let env_only = TokenSource::new(cfg, None);
    if let Some(found) = env_only.resolve().map_err(|e| e.to_string())? {
        let user = GithubClient::new(cfg, found.token).map_err(|e| e.to_string())?.get_user().await.map_err(|e| e.to_string())?;
        return Ok((user.login, format!("the token from {:?}", found.origin)));
    }
    let code = start_device_login(cfg).await?;
    show(&code);
    finish_device_login(cfg, &code).await
}

/// Whether a token in the environment makes the device flow unnecessary.
pub fn has_env_token(cfg: &GithubConfig) -> bool {
    TokenSource::new(cfg, None).resolve().ok().flatten().is_some()
}

/// The device flow's first step: the code the user enters and the page to enter it at.
pub async fn start_device_login(cfg: &GithubConfig) -> Result<DeviceCode, String> {
    device_flow::start(cfg).await.map_err(|e| e.to_string())
}

/// Waits for the user to enter `code`, checks the token and stores it; the GitHub login
/// and where the token was stored.
pub async fn finish_device_login(cfg: &GithubConfig, code: &DeviceCode) -> Result<(String, String), String> {
    let token = device_flow::poll(cfg, code, &TokioClock::new()).await.map_err(|e| e.to_string())?;
    let user = GithubClient::new(cfg, token.clone()).map_err(|e| e.to_string())?.get_user().await.map_err(|e| e.to_string())?;
    let store = token_store()?;
    let path = store.save(&token).map_err(|e| e.to_string())?;
    Ok((user.login, path.display().to_string()))
}
