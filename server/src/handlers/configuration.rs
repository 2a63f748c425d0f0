//! `workspace/didChangeConfiguration`: editor settings that override `llmos.toml` for
//! this session (profile).

use llmos_documents::Profile;
use tower_lsp_server::ls_types::DidChangeConfigurationParams;

use crate::lsp::Backend;

pub fn did_change_configuration(backend: &Backend, params: DidChangeConfigurationParams) {
    let settings = params.settings.get("llmos").cloned().unwrap_or(params.settings);
    let profile = settings.get("profile").and_then(|v| v.as_str()).and_then(Profile::parse);
    {
        let mut state = backend.state();
        if profile.is_some() {
            state.profile_override = profile;
        }
    }
    super::diagnostics::refresh_all(backend);
}
