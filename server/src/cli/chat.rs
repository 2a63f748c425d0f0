//! `llmos chat SESSION [-m TEXT]`: send a session from a terminal. The reply is printed
//! as it streams and merged into the session file as it is at the end, written atomically
//! (a partial reply is kept and marked when the stream fails or Ctrl-C is pressed).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use llmos_engine::Workspace;
use llmos_engine::chat::{self, merge_reply_into_file, stream_reply, with_user_message};
use llmos_llm::{CancellationToken, LlmClient, process_env};

use super::fail;

pub fn run(session: PathBuf, message: Option<String>) -> ExitCode {
    let path = match std::path::absolute(&session) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let original = match llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let ws = match Workspace::open(Some(path.clone())) {
        Ok(ws) => ws,
        Err(e) => return fail(e),
    };
    let with_message = |text: String| match &message {
        Some(m) => with_user_message(&text, m),
        None => text,
    };
    let prepared = match chat::prepare(&ws.config, &ws.index, &with_message(original.clone())) {
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
    let streamed = runtime.block_on(async {
        let ctrl_c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                ctrl_c.cancel();
            }
        });
        let mut stdout = std::io::stdout();
        let mut print = |text: &str| {
            let _ = stdout.write_all(text.as_bytes());
            let _ = stdout.flush();
        };
        let streamed = stream_reply(&client, &prepared.request, &cancel, &mut print).await;
        println!();
        streamed
    });
    // The file may have been edited while the reply streamed (an editor saved, a line
    // was appended): the reply is merged into what is there now.
    if let Err(e) = merge_reply_into_file(&path, &original, &streamed, &model, with_message) {
        return fail(e);
    }
    match &streamed.result {
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
            if !streamed.reply.is_empty() {
                eprintln!("llmos: the partial reply was kept and marked interrupted");
            }
            fail(e)
        }
    }
}
