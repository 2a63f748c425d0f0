//! A [`Transcript`] as an llmos session (DESIGN.md §3.2): frontmatter that records where
//! it came from, user and assistant turns in order, tool calls as size-capped `trace`
//! blocks, the first write of each file as a short artifact preview, and each reply's
//! model and token usage on its marker. Every piece of text is scrubbed of secrets
//! before it is placed, and the finished document is scrubbed once more.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use llmos_documents::Role;
use llmos_documents::lint::yaml_scalar;
use llmos_documents::session::{collapse_whitespace, escape_markers, render_marker};
use llmos_documents::slug::slugify;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::scrub::Scrubber;
use crate::transcript::{Part, Transcript, TurnRole, Usage};

/// Longest tool input kept in a trace, in chars.
pub const TRACE_INPUT_CHARS: usize = 600;
/// Longest tool output kept in a trace: chars and lines.
pub const TRACE_OUTPUT_CHARS: usize = 2_000;
pub const TRACE_OUTPUT_LINES: usize = 40;
/// Lines of a written file shown in its artifact preview.
pub const PREVIEW_LINES: usize = 20;
const PREVIEW_LINE_CHARS: usize = 200;
const TITLE_CHARS: usize = 80;

/// A rendered session, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedSession {
    /// The session id and file stem: `YYYYMMDD-HHMM-<slug>-<8 chars of the agent's id>`.
    pub id: String,
    pub title: String,
    pub text: String,
    /// How many secrets were replaced.
    pub secrets: usize,
    pub usage: Usage,
}

/// The stable part of an imported session's id and `imported-from` value:
/// `claude-code:<session id>`.
pub fn origin(transcript: &Transcript, fallback: &str) -> String {
    format!("{}:{}", transcript.source.as_str(), transcript.session_id.as_deref().unwrap_or(fallback))
}

/// Renders `transcript`; `origin` is its [`origin`], `bytes` how much of the file was read.
pub fn render(transcript: &Transcript, origin: &str, bytes: u64, scrubber: &Scrubber) -> RenderedSession {
    render_as(transcript, origin, bytes, scrubber, None)
}

/// [`render`] under a given session id: a grown transcript keeps the id it was first
/// imported under, even when its title changed since.
pub fn render_as(transcript: &Transcript, origin: &str, bytes: u64, scrubber: &Scrubber, id: Option<&str>) -> RenderedSession {
    let mut secrets = 0;
    let mut clean = |text: &str| -> String {
        let (out, n) = scrubber.scrub(text);
        secrets += n;
        out.into_owned()
    };

    let prompt = transcript.first_prompt().unwrap_or_default();
    let title = clean(&cut_chars(&collapse_whitespace(transcript.title.as_deref().unwrap_or(&prompt)), TITLE_CHARS));
    let title = if title.is_empty() { format!("{} session", transcript.source.as_str()) } else { title };
    let id = id.map_or_else(|| session_id(transcript.started, &title, origin), str::to_string);

    let mut out = String::new();
    out.push_str("---\n");
    let _ = writeln!(out, "title: {}", yaml_scalar(&title));
    let _ = writeln!(out, "id: {id}");
    out.push_str("status: uncommitted\ncommit: null\n");
    if let Some(created) = transcript.started.and_then(rfc3339) {
        let _ = writeln!(out, "created: {created}");
    }
    let _ = writeln!(out, "tags: [{}]", transcript.source.as_str());
    if let Some(project) = &transcript.project {
        let _ = writeln!(out, "project: {}", yaml_scalar(&clean(project)));
    }
    let _ = writeln!(out, "imported-from: {}", yaml_scalar(&clean(origin)));
    let _ = writeln!(out, "imported-bytes: {bytes}");
    out.push_str("---\n");

    let mut written: HashSet<String> = HashSet::new();
    for turn in &transcript.turns {
        out.push_str(llmos_documents::session::blank_line_before(&out));
        match turn.role {
            TurnRole::User => out.push_str(&render_marker(Role::User, &[])),
            TurnRole::System => out.push_str(&render_marker(Role::System, &[])),
            TurnRole::Assistant => {
                let model = turn.model.as_deref().map(marker_value);
                let tokens = (!turn.usage.is_empty()).then(|| format!("{}/{}", turn.usage.input, turn.usage.output));
                let cache = (turn.usage.cache_read > 0 || turn.usage.cache_write > 0).then(|| format!("{}/{}", turn.usage.cache_read, turn.usage.cache_write));
                let mut attrs: Vec<(&str, &str)> = Vec::new();
                if let Some(m) = &model {
                    attrs.push(("model", m));
                }
                if let Some(t) = &tokens {
                    attrs.push(("tokens", t));
                }
                if let Some(c) = &cache {
                    attrs.push(("cache", c));
                }
                out.push_str(&render_marker(Role::Assistant, &attrs));
            }
        }
        out.push_str("\n\n");
        for part in &turn.parts {
            match part {
                Part::Text(text) => {
                    let text = escape_markers(&clean(text.trim()));
                    out.push_str(&text);
                    // A fence the agent's text left open would swallow every later turn
                    // marker: close it, as llmos does at the end of a reply.
                    if let Some(closer) = llmos_documents::session::open_fence_closer(&text) {
                        out.push('\n');
                        out.push_str(&closer);
                    }
                    out.push_str("\n\n");
                }
                Part::Image { media_type } => {
                    let _ = write!(out, "*[{} image; not imported]*\n\n", clean(&collapse_whitespace(media_type)));
                }
                Part::Tool { name, input, output, is_error, .. } => {
                    let mut body = String::new();
                    let _ = writeln!(body, "$ {}: {}", collapse_whitespace(name), cut_chars(input.trim(), TRACE_INPUT_CHARS));
                    if let Some(output) = output {
                        body.push_str(&cap_lines(output, TRACE_OUTPUT_LINES, TRACE_OUTPUT_CHARS));
                        if *is_error {
                            body.push_str("\n[error]");
                        }
                    } else {
                        body.push_str("[no result recorded]");
                    }
                    push_fence(&mut out, "trace", &clean(&body));
                }
                Part::FileWrite { path, content, edit } => {
                    let name = artifact_name(path, transcript.project.as_deref());
                    if name.is_empty() || !written.insert(name.clone()) {
                        continue;
                    }
                    let name = clean(&name);
                    let total = content.lines().count();
                    let preview = cap_lines(content, PREVIEW_LINES, PREVIEW_LINES * PREVIEW_LINE_CHARS);
                    let language = Path::new(&name).extension().and_then(|e| e.to_str()).unwrap_or("text").to_ascii_lowercase();
                    let verb = if *edit { "Edited" } else { "Wrote" };
                    let _ = write!(out, "*{verb} `{}`", clean(path).replace('`', "'"));
                    if total > PREVIEW_LINES {
                        let _ = write!(out, " (preview: {PREVIEW_LINES} of {total} lines)");
                    }
                    out.push_str(":*\n\n");
                    push_fence(&mut out, &format!("{language} artifact={}", fence_word(&name)), &clean(&preview));
                }
            }
        }
    }
    if transcript.turns.last().is_none_or(|t| t.role != TurnRole::User) {
        // Like a reply written by llmos, the session ends with an empty user turn.
        out.push_str(llmos_documents::session::blank_line_before(&out));
        out.push_str(&render_marker(Role::User, &[]));
        out.push('\n');
    }
    // A last pass over the whole document, in case a secret straddled two pieces.
    let (text, n) = scrubber.scrub(&out);
    secrets += n;
    RenderedSession { id, title, text: text.into_owned(), secrets, usage: transcript.usage() }
}

fn session_id(started: Option<OffsetDateTime>, title: &str, origin: &str) -> String {
    let date = started.map(|t| {
        let t = t.to_offset(time::UtcOffset::UTC);
        format!("{:04}{:02}{:02}-{:02}{:02}", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
    });
    let slug = slugify(title)
        .map(|s| {
            // Whole words up to 40 chars: a cut word reads as a typo in a file name.
            let mut short = String::new();
            for word in s.split('-') {
                if !short.is_empty() && short.len() + 1 + word.len() > 40 {
                    break;
                }
                if !short.is_empty() {
                    short.push('-');
                }
                short.push_str(word);
            }
            short.chars().take(40).collect::<String>()
        })
        .unwrap_or_else(|| "session".into());
    // The end of the agent's id: Codex ids are UUIDv7, whose first digits are a timestamp.
    let digits: Vec<char> = origin.rsplit(':').next().unwrap_or("").chars().filter(char::is_ascii_alphanumeric).collect();
    let tail: String = digits.iter().skip(digits.len().saturating_sub(8)).collect::<String>().to_ascii_lowercase();
    let mut parts: Vec<String> = Vec::new();
    parts.extend(date);
    parts.push(slug);
    if !tail.is_empty() {
        parts.push(tail);
    }
    parts.join("-")
}

/// A file path as an artifact name: relative to the project when inside it.
fn artifact_name(path: &str, project: Option<&str>) -> String {
    let p = Path::new(path);
    let rel = project.and_then(|root| p.strip_prefix(root).ok()).filter(|r| !r.as_os_str().is_empty());
    let name = match rel {
        Some(rel) => rel.to_string_lossy().into_owned(),
        // Codex patches name files relative to the project already.
        None if p.is_relative() && !path.starts_with("..") => path.to_string(),
        None => p.file_name().map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned()),
    };
    name.replace(['"', '`', '\n', '\r'], "")
}

/// A fence info word: quoted when it holds spaces.
fn fence_word(word: &str) -> String {
    if word.contains(char::is_whitespace) || word.contains('\'') { format!("\"{word}\"") } else { word.to_string() }
}

/// A marker attribute value is one word.
fn marker_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join("-").replace("-->", "")
}

/// Writes a fenced block whose fence is longer than any backtick run inside.
fn push_fence(out: &mut String, info: &str, body: &str) {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    let body = body.trim_end_matches('\n');
    let _ = write!(out, "{fence}{info}\n{body}\n{fence}\n\n");
}

/// At most `lines` lines and `chars` chars, saying how much was cut.
fn cap_lines(text: &str, lines: usize, chars: usize) -> String {
    let total_lines = text.lines().count();
    let mut kept: String = text.lines().take(lines).collect::<Vec<_>>().join("\n");
    let mut cut = total_lines > lines;
    if kept.chars().count() > chars {
        kept = kept.chars().take(chars).collect();
        cut = true;
    }
    if cut {
        let _ = write!(kept, "\n… ({} lines, {} chars in all)", total_lines, text.chars().count());
    }
    kept
}

fn cut_chars(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

fn rfc3339(t: OffsetDateTime) -> Option<String> {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.replace_nanosecond(0).unwrap_or(t).format(&Rfc3339).ok()
}
