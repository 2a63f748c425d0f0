//! Budget (docs/design.md §11): the first streamed token is in the document ≤ 20 ms after
//! the provider's first byte. A loopback provider streams a reply; the time from the
//! provider writing its first delta to the editor receiving the `workspace/applyEdit`
//! that carries it is measured over many replies.
//!
//! `cargo bench -p llmos --bench first_token`

#[allow(dead_code)]
#[path = "../../tests/e2e/harness.rs"]
mod harness;
#[allow(dead_code, unused_imports)]
#[path = "../../tests/e2e/positions.rs"]
mod positions;

use std::time::{Duration, Instant};

use llmos_llm::ProviderKind;
use llmos_llm::testing::{FakeProvider, Script};
use serde_json::json;

const RUNS: usize = 60;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("first_token: benchmark");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let fake = FakeProvider::start().await.unwrap();
        let fixture = format!(
            "//- llmos.toml\n[llm]\nprovider = \"anthropic\"\nmodel = \"m\"\nbase_url = \"{}\"\napi_key_env = \"\"\n//- volumes/user/sessions/b.md\n---\ntitle: B\nid: b\n---\n\n<!-- turn: user -->\nHello\n",
            fake.base_url(ProviderKind::Anthropic)
        );
        let s = harness::TestServer::start(&fixture).await;
        let uri = s.open("volumes/user/sessions/b.md").await;
        let mut latencies = Vec::new();
        for i in 0..RUNS {
            fake.push(Script::Reply { chunks: vec!["First".into(), " token".into(), " and more.".into()], delay_between: Duration::from_millis(30) });
            let before = s.request_times.lock().unwrap().len();
            let r = s.call("workspace/executeCommand", json!({ "command": "llmos.chat.send", "arguments": [{ "uri": uri, "wait": true }] })).await;
            assert_eq!(r["interrupted"], false, "{r}");
            let sent: Instant = fake.first_delta_sent_at(i).expect("the provider sent a delta");
            let first_edit = s.request_times.lock().unwrap()[before..].iter().find(|(m, _)| m == "workspace/applyEdit").map(|(_, t)| *t).expect("an edit");
            latencies.push(first_edit.saturating_duration_since(sent));
            // Next prompt under the new empty user turn.
            let end = s.text(&uri).len();
            s.edit(&uri, end..end, "Again\n").await;
        }
        latencies.sort();
        let median = latencies[latencies.len() / 2];
        let p95 = latencies[latencies.len() * 95 / 100];
        println!("first streamed token in the document after the provider's first byte: median {:.2} ms, p95 {:.2} ms over {RUNS} replies — budget ≤ 20 ms", median.as_secs_f64() * 1e3, p95.as_secs_f64() * 1e3);
    });
}
