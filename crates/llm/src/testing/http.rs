//! Just enough HTTP/1.1 for the fake: read one request (Content-Length or chunked
//! body), write a status response or a streamed body, one request per connection
//! (`connection: close`), so every test request is a fresh, observable exchange.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

pub(crate) struct RawRequest {
    pub(crate) method: String,
    pub(crate) path: String,
    /// Names lowercased, in arrival order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

fn bad(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

/// Reads one request; `Ok(None)` when the peer closed before sending anything.
pub(crate) async fn read_request(stream: &mut TcpStream) -> io::Result<Option<RawRequest>> {
    let mut buffer = Vec::with_capacity(4096);
    let head_end = loop {
        if let Some(position) = find(&buffer, b"\r\n\r\n") {
            break position;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(bad("request head too large"));
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return if buffer.is_empty() { Ok(None) } else { Err(bad("connection closed inside the request head")) };
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut rest = buffer[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().ok_or_else(|| bad("empty request"))?;
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().ok_or_else(|| bad("no request target"))?.to_string();
    let headers: Vec<(String, String)> =
        lines.filter_map(|line| line.split_once(':')).map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string())).collect();
    let header = |name: &str| headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let body = if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_chunked(stream, rest).await?
    } else {
        let length: usize = header("content-length").map(|v| v.parse().map_err(|_| bad("bad content-length"))).transpose()?.unwrap_or(0);
        if length > MAX_BODY_BYTES {
            return Err(bad("request body too large"));
        }
        while rest.len() < length {
            let mut chunk = vec![0u8; (length - rest.len()).min(64 * 1024)];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(bad("connection closed inside the request body"));
            }
            rest.extend_from_slice(&chunk[..read]);
        }
        rest.truncate(length);
        rest
    };
    Ok(Some(RawRequest { method, path, headers, body }))
}

async fn read_chunked(stream: &mut TcpStream, mut pending: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(position) = find(&pending, b"\r\n") {
                break position;
            }
            fill(stream, &mut pending).await?;
        };
        let size_text = String::from_utf8_lossy(&pending[..line_end]).into_owned();
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
        pending.drain(..line_end + 2);
        if size == 0 {
            return Ok(body);
        }
        if body.len() + size > MAX_BODY_BYTES {
            return Err(bad("request body too large"));
        }
        while pending.len() < size + 2 {
            fill(stream, &mut pending).await?;
        }
        body.extend_from_slice(&pending[..size]);
        pending.drain(..size + 2);
    }
}

async fn fill(stream: &mut TcpStream, pending: &mut Vec<u8>) -> io::Result<()> {
    let mut chunk = [0u8; 4096];
    let read = stream.read(&mut chunk).await?;
    if read == 0 {
        return Err(bad("connection closed inside a chunked body"));
    }
    pending.extend_from_slice(&chunk[..read]);
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Overloaded",
        _ => "Status",
    }
}

/// A complete response with a Content-Length body.
pub(crate) async fn write_response(stream: &mut TcpStream, code: u16, headers: &[(String, String)], body: &str) -> io::Result<()> {
    let has_content_type = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    let mut head = format!("HTTP/1.1 {code} {}\r\n", reason_phrase(code));
    if !has_content_type {
        let content_type = if body.trim_start().starts_with('{') { "application/json" } else { "text/plain; charset=utf-8" };
        head.push_str(&format!("content-type: {content_type}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\nconnection: close\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.flush().await
}

/// How a streamed body is delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Framing {
    /// `transfer-encoding: chunked`, as the hosted providers send it; a connection
    /// closed before the last chunk is a transport error for the client.
    #[default]
    Chunked,
    /// No length: the body ends when the connection closes (HTTP/1.0 style, some
    /// local servers); an early close can only be detected from the SSE content.
    CloseDelimited,
}

/// Writes the head of a `text/event-stream` response.
pub(crate) async fn start_event_stream(stream: &mut TcpStream, framing: Framing) -> io::Result<()> {
    let mut head = String::from("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\nconnection: close\r\n");
    if framing == Framing::Chunked {
        head.push_str("transfer-encoding: chunked\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.flush().await
}

/// Writes one piece of the body and flushes it, so the client sees it now.
pub(crate) async fn write_body_piece(stream: &mut TcpStream, framing: Framing, piece: &str) -> io::Result<()> {
    if piece.is_empty() {
        return Ok(());
    }
    match framing {
        Framing::Chunked => {
            let framed = format!("{:x}\r\n{piece}\r\n", piece.len());
            stream.write_all(framed.as_bytes()).await?;
        }
        Framing::CloseDelimited => stream.write_all(piece.as_bytes()).await?,
    }
    stream.flush().await
}

/// Ends a streamed body properly and closes our side.
pub(crate) async fn finish_body(stream: &mut TcpStream, framing: Framing) -> io::Result<()> {
    if framing == Framing::Chunked {
        stream.write_all(b"0\r\n\r\n").await?;
    }
    stream.flush().await?;
    stream.shutdown().await
}
