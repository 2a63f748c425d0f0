//! Budget (docs/design.md §11): hover / completion / definition on a workspace of 10,000
//! skills + 10,000 sessions in ≤ 0.5 ms median each.
//!
//! Requests go through the real server over in-memory pipes with `Content-Length`
//! framing, one at a time, on a generated session that pins skills and links artifacts:
//! hover on a pinned skill name and on an artifact link, completion after `skills: [`
//! and after `](../` in the body, definition on a pinned skill name.
//!
//! Knobs (environment): `LLMOS_BENCH_SKILLS`, `LLMOS_BENCH_SESSIONS` (10,000 each),
//! `LLMOS_BENCH_REQUESTS` (300 per kind), `LLMOS_BENCH_SEED` (1).

mod support;

use std::time::{Duration, Instant};

use llmos_documents::VolumeKind;
use llmos_workspace::generate::generate_workspace;
use serde_json::{Value, json};
use support::{Client, Stats, env_usize, position, runtime};

const BUDGET_MS: f64 = 0.5;
const WARMUP: usize = 20;

fn main() {
    let skills = env_usize("LLMOS_BENCH_SKILLS", 10_000);
    let sessions = env_usize("LLMOS_BENCH_SESSIONS", 10_000);
    let requests = env_usize("LLMOS_BENCH_REQUESTS", 300).max(1);
    let seed = env_usize("LLMOS_BENCH_SEED", 1) as u64;
    let dir = tempfile::Builder::new().prefix("llmos-bench-requests-").tempdir().expect("temp dir");
    let generated = generate_workspace(dir.path(), skills, sessions, seed).expect("generate workspace");
    // A user session that pins skills and links a CSV (the preview that does the most work).
    let usable = |s: &&llmos_workspace::generate::GeneratedSession| s.volume == VolumeKind::User && !s.pinned.is_empty() && !s.artifact_links.is_empty();
    let session = generated
        .sessions
        .iter()
        .filter(usable)
        .find(|s| s.artifact_links.iter().any(|l| l.ends_with(".csv")))
        .or_else(|| generated.sessions.iter().find(usable))
        .expect("a session with pins and artifact links");
    let link = session.artifact_links.iter().find(|l| l.ends_with(".csv")).unwrap_or(&session.artifact_links[0]).clone();
    let text = std::fs::read_to_string(&session.path).expect("read session");
    println!(
        "workspace: {} skills, {} sessions; session {} ({} bytes) pins {:?}, link {link}",
        generated.skills.len(),
        generated.sessions.len(),
        session.id,
        text.len(),
        session.pinned
    );

    let uri = support::uri_of(&session.path);
    // A half-typed link at the end of the body, for path completion.
    let typed = "See [plot](../";
    let edited = format!("{text}{typed}");
    let at = |offset: usize| json!({ "textDocument": { "uri": uri }, "position": position(&edited, offset) });
    let pins = edited.find("skills: [").expect("pinned skills") + "skills: [".len();
    let link_at = edited.find(&link).expect("link") + 3;
    let cases: Vec<Case> = vec![
        ("hover on a pinned skill name", "textDocument/hover", at(pins + 1), |r| first_line(r["contents"]["value"].as_str())),
        ("hover on an artifact link (csv preview)", "textDocument/hover", at(link_at), |r| first_line(r["contents"]["value"].as_str())),
        ("completion after `skills: [`", "textDocument/completion", at(pins), describe_items),
        ("completion after `](../` in the body", "textDocument/completion", at(edited.len()), describe_items),
        ("definition on a pinned skill name", "textDocument/definition", at(pins + 1), |r| {
            r["uri"].as_str().unwrap_or("none").rsplit("volumes/").next().unwrap_or("").to_string()
        }),
    ];

    let rt = runtime();
    let results = rt.block_on(async {
        let client = Client::connect();
        client.initialize(dir.path()).await;
        client.wait_ready(Duration::from_millis(5)).await;
        client.open(&uri, &text).await;
        client.diagnostics(&uri, 1).await;
        let end = position(&text, text.len());
        client
            .notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "range": { "start": end, "end": end }, "text": typed }] }),
            )
            .await;
        client.diagnostics(&uri, 2).await;
        let mut results = Vec::new();
        for (what, method, params, describe) in &cases {
            let mut samples = Vec::with_capacity(requests);
            let mut last = Value::Null;
            for n in 0..WARMUP + requests {
                let t = Instant::now();
                last = client.request(method, params.clone()).await;
                if n >= WARMUP {
                    samples.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
            assert!(!last.is_null(), "{what}: no answer");
            results.push((*what, Stats::new(samples), describe(&last)));
        }
        client.shutdown().await;
        results
    });
    rt.shutdown_background();
    println!();
    for (what, stats, answer) in results {
        println!("{}  [{answer}]", stats.report(what, Some(BUDGET_MS)));
    }
    in_process(dir.path(), &uri, &edited, &cases);
}

/// `(what, method, params, describe the answer)`.
type Case = (&'static str, &'static str, Value, fn(&Value) -> String);

/// The same requests answered by calling the handlers directly (no framing, no JSON
/// parsing of the request), then the answer serialised alone: where the time goes.
fn in_process(root: &std::path::Path, uri: &str, text: &str, cases: &[Case]) {
    use llmos_server::handlers;
    use tower_lsp_server::ls_types as lsp;

    println!();
    println!("in-process breakdown (handler call, then serde_json::to_vec of its answer):");
    let (service, _socket) = llmos_server::lsp::service();
    let backend = service.inner();
    let (config, _) = llmos_workspace::Config::load(root);
    let index = llmos_workspace::Index::build(&config);
    {
        let mut ws = backend.ws_write();
        ws.config = config;
        ws.index = index;
        ws.ready = true;
        ws.has_root = true;
    }
    let uri: lsp::Uri = uri.parse().expect("uri");
    backend.state().docs.insert(uri.clone(), llmos_server::lsp::state::OpenDoc::new(uri, text, 2));
    for (what, method, params, _) in cases {
        let params = params.clone();
        let answer = || -> Value {
            match *method {
                "textDocument/hover" => json!(handlers::hover::hover(backend, serde_json::from_value(params.clone()).expect("hover params"))),
                "textDocument/completion" => {
                    json!(handlers::completion::completion(backend, serde_json::from_value(params.clone()).expect("completion params")))
                }
                _ => json!(handlers::definition::goto_definition(backend, serde_json::from_value(params.clone()).expect("definition params"))),
            }
        };
        // Time the handler alone: the typed answer, before any JSON.
        let handler = support::time_sync(10, 100, || match *method {
            "textDocument/hover" => drop(handlers::hover::hover(backend, serde_json::from_value(params.clone()).expect("hover params"))),
            "textDocument/completion" => drop(handlers::completion::completion(backend, serde_json::from_value(params.clone()).expect("completion params"))),
            _ => drop(handlers::definition::goto_definition(backend, serde_json::from_value(params.clone()).expect("definition params"))),
        });
        let value = answer();
        let bytes = serde_json::to_vec(&value).expect("json").len();
        let serialise = support::time_sync(3, 30, || drop(serde_json::to_vec(&value)));
        let parse = support::time_sync(3, 30, || drop(serde_json::from_slice::<Value>(&serde_json::to_vec(&value).expect("json"))));
        println!("  {}", handler.report(&format!("{what}: handler"), None));
        println!("  {}", serialise.report(&format!("  answer to JSON ({bytes} bytes)"), None));
        println!("  {}", parse.report("  client: to JSON + parse", None));
    }
    // Path completion walks the volume's artifacts folder on every request.
    let artifacts = root.join("volumes/user/artifacts");
    let mut entries = 0;
    let walk = support::time_sync(3, 30, || {
        entries = walkdir::WalkDir::new(&artifacts).max_depth(6).follow_links(false).into_iter().filter_map(Result::ok).take(2000).count();
    });
    println!("  {}", walk.report(&format!("  walkdir of volumes/user/artifacts alone ({entries} entries)"), None));
}

/// Completion answers are a plain array or a list marked incomplete when capped.
fn describe_items(r: &Value) -> String {
    match (r.as_array(), r["items"].as_array()) {
        (Some(items), _) => format!("{} items", items.len()),
        (None, Some(items)) => format!("{} items, isIncomplete={}", items.len(), r["isIncomplete"]),
        _ => "no items".into(),
    }
}

fn first_line(s: Option<&str>) -> String {
    s.unwrap_or("").lines().next().unwrap_or("").chars().take(70).collect()
}
