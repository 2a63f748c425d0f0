//! `llmos chat SESSION [-m TEXT]`: send a session from a terminal. The reply is printed
//! as it streams and merged into the session file as it is at the end, written atomically
//! (a partial reply is kept and marked when the stream fails or Ctrl-C is pressed).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use llmos_documents::{Role, SessionDoc};
use llmos_llm::{CancellationToken, LlmClient, process_env};
use llmos_workspace::{Config, Index};

use super::{fail, workspace_root};
use crate::chat::{self, MarkerEscaper};
use crate::commands::chat::{append_reply, stop_attrs, write_atomically};

pub fn run(session: PathBuf, message: Option<String>) -> ExitCode {
    let path = match std::path::absolute(&session) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let mut text = match llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let root = match workspace_root(Some(path.clone())) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let (config, _) = Config::load(&root);
    let index = Index::build(&config);
    if let Some(m) = &message {
        text = with_user_message(&text, m);
    }
    let prepared = match chat::prepare(&config, &index, &text) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let client = match LlmClient::new(&prepared.config, &process_env) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let model = prepared.config.model.clone();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    let cancel = CancellationToken::new();
    let (reply, result) = runtime.block_on(async {
        let ctrl_c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                ctrl_c.cancel();
            }
        });
        let mut escaper = MarkerEscaper::new();
        let mut reply = String::new();
        let mut stdout = std::io::stdout();
        let result = client
            .stream_chat(&prepared.request, &cancel, |delta| {
                let safe = escaper.push(delta);
                let _ = stdout.write_all(safe.as_bytes());
                let _ = stdout.flush();
                reply.push_str(&safe);
            })
            .await;
        let rest = escaper.finish();
        print!("{rest}");
        reply.push_str(&rest);
        println!();
        (reply, result)
    });
    let owned_attrs = stop_attrs(&result);
    let attrs: Vec<(&str, &str)> = owned_attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // The file may have been edited while the reply streamed (an editor saved, a line
    // was appended): merge into what is there now, as the server does for a closed
    // document, instead of writing back the copy read at the start.
    let current = match llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES) {
        Ok(now) => match &message {
            Some(m) => with_user_message(&now, m),
            None => now,
        },
        Err(_) => text,
    };
    let new_text = if reply.is_empty() { current } else { append_reply(&current, &reply, &attrs, &model) };
    if let Err(e) = write_atomically(&path, &new_text) {
        return fail(format!("cannot write {}: {e}", path.display()));
    }
    match result {
        Ok(outcome) if outcome.hit_token_limit() => {
            eprintln!("llmos: the reply was cut at the token limit (max_tokens in [llm] of llmos.toml); marked stop=max_tokens");
            ExitCode::SUCCESS
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) if e.is_cancelled() => {
            eprintln!("llmos: reply interrupted; the partial reply was kept");
            ExitCode::from(1)
        }
        Err(e) => {
            if !reply.is_empty() {
                eprintln!("llmos: the partial reply was kept and marked interrupted");
            }
            fail(e)
        }
    }
}

/// The session with `message` as the last user turn: written into an empty last user
/// turn, or as a new user turn.
fn with_user_message(text: &str, message: &str) -> String {
    let doc = SessionDoc::parse(text);
    let message = llmos_documents::session::escape_markers(message.trim());
    match doc.turns.last() {
        Some(t) if t.role == Some(Role::User) && t.is_blank(text) => format!("{}\n{message}\n", &text[..t.marker.end]),
        _ => {
            let lead = if text.ends_with("\n\n") {
                ""
            } else if text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{text}{lead}<!-- turn: user -->\n{message}\n")
        }
    }
}
