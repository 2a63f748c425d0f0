//! Budget (docs/design.md §11): `didChange` → `publishDiagnostics` on a 1 MB session
//! transcript in ≤ 2 ms median, debounce excluded (`debounceMs: 0`).
//!
//! Each keystroke is a single-character insert at a different place in the transcript's
//! body; the next one is sent when the diagnostics for the previous version arrived.
//! After the end-to-end figures, the same steps the server runs per keystroke are timed
//! one by one in-process, to show where the time goes.
//!
//! Knobs (environment): `LLMOS_BENCH_KEYSTROKES` (300), `LLMOS_BENCH_TRANSCRIPT_BYTES`
//! (1,000,000), `LLMOS_BENCH_SKILLS` / `LLMOS_BENCH_SESSIONS` around it (1,000 each).

mod support;

use std::time::{Duration, Instant};

use llmos_documents::VolumeKind;
use llmos_documents::line_index::ColumnUnit;
use llmos_server::lsp::state::{OpenDoc, Workspace};
use llmos_workspace::generate::{generate_transcript, generate_workspace};
use llmos_workspace::{Config, Index};
use serde_json::json;
use support::{Client, Rng, Stats, env_usize, position, runtime, time_sync};
use tower_lsp_server::ls_types as lsp;

const BUDGET_MS: f64 = 2.0;
const WARMUP: usize = 20;

fn main() {
    let keystrokes = env_usize("LLMOS_BENCH_KEYSTROKES", 300).max(1);
    let bytes = env_usize("LLMOS_BENCH_TRANSCRIPT_BYTES", 1_000_000);
    let dir = tempfile::Builder::new().prefix("llmos-bench-keystroke-").tempdir().expect("temp dir");
    let generated =
        generate_workspace(dir.path(), env_usize("LLMOS_BENCH_SKILLS", 1_000), env_usize("LLMOS_BENCH_SESSIONS", 1_000), 2).expect("generate workspace");
    let transcript =
        generate_transcript(dir.path(), VolumeKind::User, "20261123-2201-long-transcript", bytes, &generated.skill_names(), 3).expect("transcript");
    let text = std::fs::read_to_string(&transcript.path).expect("read transcript");
    let doc = llmos_documents::SessionDoc::parse(&text);
    println!(
        "transcript: {:.2} MB, {} lines, {} turns, {} fences, {} links ({} to missing files), {} pinned skills; workspace {}+{}",
        text.len() as f64 / 1e6,
        text.lines().count(),
        doc.turns.len(),
        doc.fences.len(),
        doc.links.len(),
        transcript.missing_links.len(),
        transcript.pinned.len(),
        generated.skills.len(),
        generated.sessions.len(),
    );
    let body_start = doc.frontmatter.body_start;

    let rt = runtime();
    let (open_ms, samples) = rt.block_on(async {
        let client = Client::connect();
        client.initialize(dir.path()).await;
        client.wait_ready(Duration::from_millis(2)).await;
        let uri = support::uri_of(&transcript.path);
        let t = Instant::now();
        client.open(&uri, &text).await;
        let first = client.diagnostics(&uri, 1).await;
        let open_ms = t.elapsed().as_secs_f64() * 1e3;
        println!("didOpen → diagnostics: {open_ms:.2} ms, {} diagnostics", first.len());
        let mut editor_text = text.clone();
        let mut rng = Rng(0x5eed_1234_abcd);
        let mut samples = Vec::with_capacity(keystrokes);
        let mut cpu_start = 0.0;
        for n in 0..WARMUP + keystrokes {
            if n == WARMUP {
                cpu_start = support::cpu_ms();
            }
            let offset = body_start + rng.below(editor_text.len() - body_start);
            let offset = (0..=offset).rev().find(|&i| editor_text.is_char_boundary(i)).unwrap_or(body_start);
            let ch = ["e", "t", "a", "o", " ", "n"][n % 6];
            let at = position(&editor_text, offset);
            editor_text.insert_str(offset, ch);
            let version = 2 + n as i64;
            let change = json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": { "start": at, "end": at }, "text": ch }],
            });
            let t = Instant::now();
            client.notify("textDocument/didChange", change).await;
            client.diagnostics(&uri, version).await;
            if n >= WARMUP {
                samples.push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
        // Client and server share this process: the CPU time per keystroke counts both
        // (JSON both ways included), which on a loaded machine says more than wall time.
        println!("CPU time per keystroke (user+sys, all threads, client included): {:.3} ms", (support::cpu_ms() - cpu_start) / keystrokes as f64);
        // Budget: didOpen → diagnostics for a skill ≤ 2 ms median.
        let mut opens = Vec::new();
        for skill in generated.skills.iter().take(200) {
            let skill_text = std::fs::read_to_string(&skill.path).expect("read skill");
            let skill_uri = support::uri_of(&skill.path);
            let t = Instant::now();
            client.open(&skill_uri, &skill_text).await;
            client.diagnostics(&skill_uri, 1).await;
            opens.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!("{}", Stats::new(opens).report("didOpen → publishDiagnostics (skill)", Some(2.0)));
        client.shutdown().await;
        (open_ms, samples)
    });
    rt.shutdown_background();
    let _ = open_ms;
    let stats = Stats::new(samples);
    println!();
    println!("{}", stats.report(&format!("didChange → publishDiagnostics ({:.1} MB)", bytes as f64 / 1e6), Some(BUDGET_MS)));

    phases(dir.path(), &transcript.path, &text, body_start);
}

/// The per-keystroke steps of the server, timed one by one on the same transcript.
fn phases(root: &std::path::Path, path: &std::path::Path, text: &str, body_start: usize) {
    println!();
    println!("in-process breakdown of one keystroke (same steps as handlers::did_change + diagnostics::run):");
    let (config, _) = Config::load(root);
    let index = Index::build(&config);
    let mut ws = Workspace::empty(config.clone());
    ws.index = index;
    ws.ready = true;
    ws.has_root = true;
    let profile = ws.profile(None);
    let uri = lsp::Uri::from_file_path(path).expect("uri");
    let mut doc = OpenDoc::new(uri.clone(), text, 1);
    let mut rng = Rng(42);
    let runs = 50;
    let insert = |doc: &mut OpenDoc, rng: &mut Rng| {
        let off = body_start + rng.below(text.len() - body_start);
        let line = text[..off].matches('\n').count() as u32;
        let change = lsp::TextDocumentContentChangeEvent {
            range: Some(lsp::Range::new(lsp::Position::new(line, 0), lsp::Position::new(line, 0))),
            range_length: None,
            text: "e".into(),
        };
        doc.apply(&change, ColumnUnit::Utf16);
    };
    let s = time_sync(3, runs, || insert(&mut doc, &mut rng));
    println!("  {}", s.report("OpenDoc::apply (rope edit)", None));
    let s = time_sync(3, runs, || {
        insert(&mut doc, &mut rng);
        let _ = doc.snapshot();
    });
    println!("  {}", s.report("apply + OpenDoc::snapshot (rope→String, LineIndex)", None));
    let snap = doc.snapshot();
    let s = time_sync(3, runs, || {
        let _ = llmos_documents::LineIndex::new(&snap.text);
    });
    println!("  {}", s.report("  LineIndex::new alone", None));
    let s = time_sync(3, runs, || {
        let _ = llmos_documents::SessionDoc::parse(&snap.text);
    });
    println!("  {}", s.report("SessionDoc::parse (a full parse)", None));
    // What a keystroke in prose costs: the last parse shifted, the edited paragraph re-read.
    let mut parsed = llmos_documents::SessionDoc::parse(&snap.text);
    let mut before = snap.clone();
    let s = time_sync(3, runs, || {
        insert(&mut doc, &mut rng);
        let after = doc.snapshot();
        parsed = llmos_documents::session_edit::reparse_owned(&before.text, std::mem::replace(&mut parsed, empty_doc()), &after.text);
        before = after;
    });
    println!("  {}", s.report("apply + snapshot + session_edit::reparse_owned", None));
    let snap = doc.snapshot();
    let mut index_copy = ws.index.clone();
    let s = time_sync(3, runs, || {
        index_copy.update(&config, path, &snap.text);
    });
    println!("  {}", s.report("Index::update (re-parse for the index)", None));
    let s = time_sync(3, runs, || {
        let _ = llmos_workspace::check::lint_document(&config, &ws.index, path, &snap.text, profile);
    });
    println!("  {}", s.report("check::lint_document (lint_session)", None));
    let parsed = llmos_documents::SessionDoc::parse(&snap.text);
    let volume_root = config.volume_of(path).map(|v| v.path.clone()).expect("transcript is in a volume");
    let s = time_sync(1, 20, || {
        for link in &parsed.links {
            let _ = llmos_workspace::index::check_link_in(&volume_root, path, &link.target);
        }
    });
    println!("  {}", s.report(&format!("  of which check_link_in × {} links (lint_links)", parsed.links.len()), None));
    let s = time_sync(1, 20, || {
        for _ in &parsed.links {
            let _ = volume_root.canonicalize();
        }
    });
    println!("  {}", s.report(&format!("    of which canonicalize(volume root) × {}", parsed.links.len()), None));
    let s = time_sync(3, runs, || {
        let _ = llmos_engine::session::changed_since_commit(&ws, path, &parsed, &snap.text);
    });
    println!("  {}", s.report("session::changed_since_commit", None));
    let s = time_sync(3, runs, || {
        let _ = llmos_server::handlers::diagnostics::compute(&ws, &snap, profile);
    });
    println!("  {}", s.report("diagnostics::compute (all of the above lints)", None));
    let diags = llmos_server::handlers::diagnostics::compute(&ws, &snap, profile);
    let conv = snap.conv(ColumnUnit::Utf16);
    let s = time_sync(3, runs, || {
        let _: Vec<lsp::Diagnostic> = conv.diagnostics(&diags);
    });
    println!("  {}", s.report(&format!("convert {} diagnostics to LSP", diags.len()), None));
    let lsp_diags: Vec<lsp::Diagnostic> = conv.diagnostics(&diags);
    let s = time_sync(3, runs, || {
        let _ = serde_json::to_vec(&lsp::PublishDiagnosticsParams { uri: snap.uri.clone(), diagnostics: lsp_diags.clone(), version: Some(1) });
    });
    println!("  {}", s.report("serialise publishDiagnostics", None));
}

fn empty_doc() -> llmos_documents::SessionDoc {
    llmos_documents::SessionDoc::parse("")
}
