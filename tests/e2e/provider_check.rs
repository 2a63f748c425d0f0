//! `llmos/providerCheck` through the LSP: what a health view learns about the provider —
//! configured, the key's variable set (never its value), the base URL answering.

use llmos_llm::ProviderKind;
use llmos_llm::testing::FakeProvider;
use serde_json::{Value, json};

use crate::harness::TestServer;

fn fixture(llm: &str) -> String {
    format!("//- llmos.toml\n{llm}//- volumes/user/sessions/a.md\n---\ntitle: A\nid: a\nstatus: uncommitted\ncommit: null\n---\n\n<!-- turn: user -->\nHi.\n")
}

async fn check(s: &TestServer) -> Value {
    s.call("llmos/providerCheck", Value::Null).await
}

#[tokio::test]
async fn a_loopback_provider_answers_and_needs_no_key() {
    let fake = FakeProvider::start().await.unwrap();
    let base = fake.base_url(ProviderKind::OpenAi);
    // A variable no test environment sets: a loopback server does not need it.
    let s = TestServer::start(&fixture(&format!(
        "[llm]\nprovider = \"openai\"\nmodel = \"m\"\nbase_url = \"{base}\"\napi_key_env = \"LLMOS_E2E_PROBE_UNSET_KEY\"\n"
    )))
    .await;
    let r = check(&s).await;
    assert_eq!(r["configured"], true, "{r}");
    assert_eq!(r["model"], "m", "{r}");
    assert_eq!(r["key"], json!({ "state": "missing", "var": "LLMOS_E2E_PROBE_UNSET_KEY", "required": false }), "{r}");
    assert_eq!(r["reachability"]["state"], "reached", "{r}");
    assert!(r["reachability"]["status"].as_u64().is_some_and(|status| (100..600).contains(&status)), "{r}");
    assert!(r["baseUrl"].as_str().is_some_and(|u| u.starts_with(&base)), "{r}");
}

#[tokio::test]
async fn a_hosted_provider_without_its_key_and_nothing_listening() {
    // A port that was just free: nothing answers there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let s = TestServer::start(&fixture(&format!(
        "[llm]\nprovider = \"anthropic\"\nmodel = \"c\"\nbase_url = \"http://user:hunter2@localhost.:{port}/?key=sk-in-query\"\napi_key_env = \"LLMOS_E2E_PROBE_UNSET_KEY\"\n"
    )))
    .await;
    let r = check(&s).await;
    assert_eq!(r["key"], json!({ "state": "missing", "var": "LLMOS_E2E_PROBE_UNSET_KEY", "required": true }), "{r}");
    assert_eq!(r["reachability"]["state"], "unreachable", "{r}");
    let shown = r.to_string();
    assert!(!shown.contains("hunter2") && !shown.contains("sk-in-query"), "credentials from the URL are shown: {shown}");
}

#[tokio::test]
async fn no_llm_table_is_reported_as_not_configured() {
    let s = TestServer::start(&fixture("")).await;
    assert_eq!(check(&s).await, json!({ "configured": false }));
}
