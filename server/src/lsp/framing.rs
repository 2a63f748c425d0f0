//! A guard in front of the protocol stream: tower-lsp-server stops reading after a frame
//! it cannot decode, which would end the session over one bad message. Every frame is
//! checked here first; a frame whose body is not JSON is replaced by a request for
//! `llmos/invalidMessage`, which answers with a JSON-RPC parse error, and the server
//! keeps serving.

use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// Largest frame accepted; larger ones are answered with an error and skipped.
const MAX_FRAME: usize = 256 * 1024 * 1024;

pub fn guard<I>(input: I) -> DuplexStream
where
    I: AsyncRead + Unpin + Send + 'static,
{
    let (mut tx, rx) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut reader = BufReader::new(input);
        let mut bad = 0u64;
        loop {
            let mut len: Option<usize> = None;
            let mut saw_header = false;
            loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end();
                if text.is_empty() {
                    if saw_header {
                        break;
                    }
                    continue;
                }
                saw_header = true;
                if let Some((name, value)) = text.split_once(':')
                    && name.trim().eq_ignore_ascii_case("content-length")
                {
                    len = value.trim().parse().ok();
                }
            }
            let frame = match len {
                Some(n) if n <= MAX_FRAME => {
                    let mut body = vec![0; n];
                    if reader.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok() {
                        normalise_status_params(body)
                    } else {
                        bad += 1;
                        invalid(bad, "the message body is not valid JSON")
                    }
                }
                Some(_) => {
                    bad += 1;
                    // Too large to hold: skip what we cannot read by looking for the next header.
                    invalid(bad, "the message is larger than llmos accepts")
                }
                None => {
                    bad += 1;
                    invalid(bad, "the message has no valid Content-Length header")
                }
            };
            let header = format!("Content-Length: {}\r\n\r\n", frame.len());
            if tx.write_all(header.as_bytes()).await.is_err() || tx.write_all(&frame).await.is_err() {
                return;
            }
        }
    });
    rx
}

fn invalid(n: u64, why: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({ "jsonrpc": "2.0", "id": format!("llmos-invalid-{n}"), "method": "llmos/invalidMessage", "params": { "reason": why } }))
        .unwrap_or_default()
}

/// `llmos/status` takes no params; some clients send `{}` or `[]`, which the router
/// would refuse, so empty params are dropped here.
fn normalise_status_params(body: Vec<u8>) -> Vec<u8> {
    if memchr::memmem::find(&body, b"llmos/status").is_none() {
        return body;
    }
    let Ok(mut msg) = serde_json::from_slice::<serde_json::Value>(&body) else { return body };
    let empty = match msg.get("params") {
        Some(serde_json::Value::Object(m)) => m.is_empty(),
        Some(serde_json::Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    if msg.get("method").and_then(|m| m.as_str()) == Some("llmos/status") && empty {
        if let Some(obj) = msg.as_object_mut() {
            obj.remove("params");
        }
        return serde_json::to_vec(&msg).unwrap_or(body);
    }
    body
}
