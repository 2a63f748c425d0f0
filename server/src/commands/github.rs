//! `llmos.github.login {}`: the editor's side of `llmos_engine::github`.

use llmos_engine::github::{finish_device_login, github_config, has_env_token, login, start_device_login};
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{MessageType, ShowDocumentParams, Uri};

use super::user_error;
use crate::lsp::Backend;

/// `llmos.github.login {}`: returns the code at once; the login finishes in the
/// background and reports with a message.
pub async fn run_login(backend: &Backend, _args: &Value) -> Result<Value> {
    let cfg = github_config(&backend.ws_read().config);
    if has_env_token(&cfg) {
        let (login, via) = login(&cfg, |_| {}).await.map_err(user_error)?;
        return Ok(json!({ "login": login, "via": via }));
    }
    let code = start_device_login(&cfg).await.map_err(user_error)?;
    let user_code = code.user_code.clone();
    let page = code.verification_uri.clone();
    backend.client.show_message(MessageType::INFO, format!("GitHub login: enter the code {user_code} at {page}")).await;
    if let Ok(uri) = page.parse::<Uri>() {
        let _ = backend.client.show_document(ShowDocumentParams { uri, external: Some(true), take_focus: Some(true), selection: None }).await;
    }
    let client = backend.client.clone();
    tokio::spawn(async move {
        // A panic while polling must not end the login silently.
        let result = crate::lsp::unwind::task("github login", finish_device_login(&cfg, &code))
            .await
            .unwrap_or_else(|| Err("llmos failed internally; see the log".to_string()));
        match result {
            Ok((login, _)) => client.show_message(MessageType::INFO, format!("llmos: logged in to GitHub as {login}")).await,
            Err(e) => client.show_message(MessageType::ERROR, format!("llmos: GitHub login failed: {e}")).await,
        }
    });
    Ok(json!({ "userCode": user_code, "verificationUri": page }))
}
