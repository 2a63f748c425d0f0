//! `llmos/providerCheck`: the provider as `:checkhealth llmos` (or any client's health
//! view) needs it: configured or not, whether the key's variable is set (its name only,
//! never its value) and whether the base URL answers within a short timeout.

use std::time::Duration;

use serde_json::{Value, json};

use crate::lsp::Backend;

/// Short enough that a health check never seems to hang.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

pub async fn provider_check(backend: &Backend) -> Value {
    let config = backend.ws_read().config.clone();
    if config.llm.is_none() {
        return json!({ "configured": false });
    }
    let llm = match llmos_engine::chat::llm_config(&config, None) {
        Ok(llm) => llm,
        Err(error) => return json!({ "configured": true, "error": error }),
    };
    let key = llmos_llm::key_status(&llm, &llmos_llm::process_env);
    let probe = llmos_llm::probe(&llm, PROBE_TIMEOUT).await;
    json!({
        "configured": true,
        "provider": llm.provider.to_string(),
        "model": llm.model,
        "baseUrl": probe.url,
        "key": key,
        "reachability": probe.reachability,
    })
}
