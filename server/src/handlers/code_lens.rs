//! `textDocument/codeLens`: "Send" and "Commit session"/"committed abc1234" on sessions,
//! "used by N sessions" and "Promote to …" on skills, evolution countdowns on
//! `[evolution.*]` in `llmos.toml`.

use llmos_documents::{Role, SessionDoc, VolumeKind};
use llmos_workspace::DocKind;
use tower_lsp_server::ls_types::*;

use crate::lsp::Backend;

pub fn code_lens(backend: &Backend, params: CodeLensParams) -> Option<Vec<CodeLens>> {
    let uri = params.text_document.uri;
    let super::OpenDocument { snap, path, kind, unit } = super::open_document(backend, &uri)?;
    let conv = snap.conv(unit);
    let ws = backend.ws_read();
    let arg = serde_json::json!({ "uri": uri.as_str() });
    let lens = |range: Range, title: String, command: &str, args: serde_json::Value| CodeLens {
        range,
        command: Some(Command { title, command: command.to_string(), arguments: (!args.is_null()).then(|| vec![args]) }),
        data: None,
    };
    let top = Range::default();
    let mut out = Vec::new();
    match kind {
        DocKind::Session => {
            let doc = SessionDoc::parse(&snap.text);
            if backend.jobs.is_chatting(&uri) {
                // Once the reply's first words are in, the last turn is the assistant's:
                // Cancel sits on whichever turn is last, for as long as the reply runs.
                if let Some(last) = doc.turns.last() {
                    out.push(lens(conv.range(&last.marker), "Receiving reply… · Cancel".to_string(), "llmos.chat.cancel", arg.clone()));
                }
            } else if let Some(last) = doc.turns.last().filter(|t| t.role == Some(Role::User)) {
                out.push(lens(conv.range(&last.marker), "Send".to_string(), "llmos.chat.send", arg.clone()));
            }
            let usage = llmos_documents::usage::session_usage(&doc);
            if usage.replies > 0 {
                let cost = usage.cost(|m| ws.config.price(m)).map(|c| format!(" · {}", llmos_documents::usage::dollars(c))).unwrap_or_default();
                let t = usage.total;
                let title = format!("{} in / {} out tokens{cost}", llmos_documents::usage::thousands(t.input), llmos_documents::usage::thousands(t.output));
                out.push(lens(top, title, "", serde_json::Value::Null));
            }
            match llmos_engine::session::commit_state(&ws, &path, &snap.text) {
                Some(llmos_engine::session::CommitState::Clean(short)) => out.push(lens(top, format!("committed {short}"), "", serde_json::Value::Null)),
                _ => out.push(lens(top, "Commit session".into(), "llmos.session.commit", arg.clone())),
            }
        }
        DocKind::Skill => {
            let name = ws.index.skill_at(&path).map(|s| s.name.clone()).unwrap_or_default();
            let used = ws.index.usage_count(&name);
            let plural = if used == 1 { "" } else { "s" };
            out.push(lens(top, format!("used by {used} session{plural}"), "", serde_json::Value::Null));
            if let Some(vol) = ws.config.volume_of(&path).map(|v| v.kind)
                && let Some(next) = vol.next()
            {
                let writable = next != VolumeKind::System || ws.config.volume(VolumeKind::System).writable;
                if writable {
                    out.push(lens(top, format!("Promote to {next}"), "llmos.skill.promote", serde_json::json!({ "uri": uri.as_str(), "to": next.as_str() })));
                }
            }
        }
        DocKind::Config => {
            for job in &ws.config.evolution.jobs {
                let Some(header) = &job.header else { continue };
                let title = llmos_engine::scheduler::countdown(&ws.config, job.volume);
                out.push(lens(conv.range(header), title, "llmos.evolution.run", serde_json::json!({ "volume": job.volume.as_str() })));
            }
        }
    }
    Some(out)
}
