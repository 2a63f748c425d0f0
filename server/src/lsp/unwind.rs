//! Unwind guards: a panic inside one handler or background task must not end the
//! server or silently stop a feature. Requests answer `-32603` (internal error),
//! notifications and tasks are logged with the method or task name, and the server
//! keeps serving.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};

/// The text of a panic payload (`panic!("...")` carries a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// Runs a request handler; a panic becomes a `-32603` answer naming the method.
pub async fn request<T>(method: &str, fut: impl Future<Output = Result<T>>) -> Result<T> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let why = panic_message(payload.as_ref());
            tracing::error!(method, "handler panicked: {why}");
            Err(Error { code: ErrorCode::InternalError, message: format!("llmos failed internally while handling {method}: {why}").into(), data: None })
        }
    }
}

/// Runs a notification handler or a background task; a panic is logged and `None` returned.
pub async fn task<T>(name: &str, fut: impl Future<Output = T>) -> Option<T> {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(value) => Some(value),
        Err(payload) => {
            tracing::error!(task = name, "panicked: {}", panic_message(payload.as_ref()));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_request_answers_internal_error_with_the_method() {
        let answer: Result<u32> = request("textDocument/hover", async { panic!("boom at byte 11") }).await;
        let err = answer.expect_err("a panic must become an error answer");
        assert_eq!(err.code, ErrorCode::InternalError);
        assert!(err.message.contains("textDocument/hover") && err.message.contains("boom at byte 11"), "{}", err.message);
    }

    #[tokio::test]
    async fn a_request_that_does_not_panic_passes_through() {
        assert_eq!(request("x", async { Ok(7) }).await.ok(), Some(7));
    }

    #[tokio::test]
    async fn a_panicking_task_returns_none_and_the_next_one_runs() {
        assert_eq!(task("diagnostics", async { panic!("{}", String::from("owned message")) }).await, None::<()>);
        assert_eq!(task("diagnostics", async { 3 }).await, Some(3));
    }

    #[test]
    fn panic_messages_of_both_payload_kinds_are_read() {
        assert_eq!(panic_message(&"static"), "static");
        assert_eq!(panic_message(&String::from("owned")), "owned");
        assert_eq!(panic_message(&5u8), "a panic without a message");
    }
}
