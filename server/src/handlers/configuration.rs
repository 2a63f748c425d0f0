//! Editor settings (initializationOptions and `workspace/didChangeConfiguration`) that
//! override `llmos.toml` for this session: profile, `llm {provider, model, baseUrl,
//! apiKeyEnv}`, `evolution {user|team|system: {every}}`.

use llmos_documents::{Profile, VolumeKind};
use llmos_workspace::Config;
use llmos_workspace::config::LlmSettings;
use serde_json::Value;
use tower_lsp_server::ls_types::DidChangeConfigurationParams;

use crate::lsp::Backend;

pub fn did_change_configuration(backend: &Backend, params: DidChangeConfigurationParams) {
    let settings = params.settings.get("llmos").cloned().unwrap_or(params.settings);
    {
        let mut state = backend.state();
        if let Some(p) = settings.get("profile").and_then(Value::as_str).and_then(Profile::parse) {
            state.profile_override = Some(p);
        }
        state.editor_settings = settings;
    }
    // Re-read llmos.toml and apply the new settings on top.
    super::watched_files::reload_config(backend);
}

/// Applies editor settings on top of a configuration read from llmos.toml. Empty or
/// unknown values are ignored, so a blank setting never erases the file's value.
pub fn apply(config: &mut Config, settings: &Value) {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(llm) = settings.get("llm") {
        let provider = text(llm.get("provider")).filter(|p| matches!(p.as_str(), "anthropic" | "openai"));
        if provider.is_some() || config.llm.is_some() {
            let base = config.llm.clone().unwrap_or(LlmSettings {
                provider: String::new(),
                model: None,
                base_url: None,
                api_key_env: None,
                max_tokens: None,
                timeout: None,
            });
            let mut merged = base;
            if let Some(p) = provider {
                merged.provider = p;
            }
            if let Some(m) = text(llm.get("model")) {
                merged.model = Some(m);
            }
            if let Some(u) = text(llm.get("baseUrl")).filter(|u| llmos_workspace::config::is_http_url(u)) {
                merged.base_url = Some(u.trim_end_matches('/').to_string());
            }
            if let Some(k) = llm.get("apiKeyEnv").and_then(Value::as_str) {
                merged.api_key_env = Some(k.trim().to_string());
            }
            if !merged.provider.is_empty() {
                config.llm = Some(merged);
            }
        }
    }
    if let Some(evolution) = settings.get("evolution") {
        for kind in VolumeKind::ALL {
            let Some(every) = text(evolution.get(kind.as_str()).and_then(|v| v.get("every"))) else { continue };
            let job = config.evolution.jobs.iter_mut().find(|j| j.volume == kind);
            if let Some(job) = job {
                if matches!(every.as_str(), "off" | "never") {
                    job.every = None;
                } else if let Ok(d) = llmos_workspace::duration::parse_duration(&every)
                    && !d.is_zero()
                {
                    job.every = Some(d);
                }
            }
        }
    }
}
