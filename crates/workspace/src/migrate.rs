//! Importing LLMos-Lite data into an llmos volume (`llmos migrate`).
//!
//! LLMos-Lite kept sessions as JSON (`sessions/<id>.json`: `id, name, messages, artifacts,
//! traces`) and skills as flat Markdown files whose frontmatter used free-form names and
//! the node-skill keys (`skill_id`, `type`, `execution_mode`, …). This module turns both
//! into llmos documents — `sessions/<id>.md` transcripts and `skills/<name>/SKILL.md` —
//! and reports every change it had to make (renamed ids and names, mapped roles, derived
//! descriptions) so a person can review the import.
//!
//! The migration is planned completely before anything is written: a dry run returns the
//! same report as a real run. Existing files are never overwritten; a clash gets a `-2`
//! suffix. Every document is checked with the linter before it is written, so a source
//! that cannot be turned into a valid document is skipped with a reason instead of being
//! written broken. Bad input (malformed JSON, binary files, non-session JSON) is skipped,
//! never fatal; only a missing source, an empty source or a failed write stops the run.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use llmos_documents::frontmatter::Frontmatter;
use llmos_documents::lint::{DocContext, NoEnv, lint_session, lint_skill, yaml_scalar};
use llmos_documents::session::{Role, SessionDoc, escape_markers, render_marker};
use llmos_documents::slug::{MAX_NAME_CHARS, check_name, slugify};
use llmos_documents::yaml::{Style, YamlNode, YamlValue};
use llmos_documents::{Diagnostic, Profile, Severity, VolumeKind};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Files larger than this are not read: no LLMos-Lite session or skill comes near it.
const MAX_SOURCE_BYTES: u64 = 64 * 1024 * 1024;
/// Folders never worth walking into when the source is a whole LLMos-Lite checkout.
const IGNORED_DIRS: &[&str] = &[".git", "node_modules", "target", ".next", "dist", "build", ".llmos"];
const MAX_DESCRIPTION_CHARS: usize = 1024;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrateOptions {
    /// Plan and report, but write nothing.
    pub dry_run: bool,
}

/// What a migration did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationReport {
    pub dry_run: bool,
    pub sessions: Vec<MigratedItem>,
    pub skills: Vec<MigratedItem>,
    pub skipped: Vec<SkippedItem>,
}

/// One document written into the volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigratedItem {
    /// The source, relative to the migrated path (`sessions/abc.json`, or
    /// `export.json[2]` for the third session of a JSON array).
    pub from: String,
    /// The written file, relative to the volume root (`sessions/20241123-2201-abc.md`).
    pub to: String,
    /// Everything that was renamed, mapped, derived or dropped on the way.
    pub changes: Vec<String>,
}

/// A source file (or part of one) that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedItem {
    pub path: String,
    pub reason: String,
}

impl MigrationReport {
    /// Plain text for the terminal: one line per document, its changes indented below.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let verb = if self.dry_run { "would write" } else { "wrote" };
        for (kind, items) in [("session", &self.sessions), ("skill", &self.skills)] {
            for item in items {
                let _ = writeln!(out, "{kind} {} → {} ({verb})", item.from, item.to);
                for change in &item.changes {
                    let _ = writeln!(out, "  - {change}");
                }
            }
        }
        for skip in &self.skipped {
            let _ = writeln!(out, "skipped {}: {}", skip.path, skip.reason);
        }
        let _ = writeln!(out, "{} sessions, {} skills, {} skipped", self.sessions.len(), self.skills.len(), self.skipped.len());
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{} does not exist", path.display())]
    SourceMissing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("nothing to migrate in {}: no LLMos-Lite sessions (*.json) or skills (*.md) found", path.display())]
    NothingFound { path: PathBuf },
    #[error("the volume root {} is not a folder", path.display())]
    VolumeNotFolder { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("nothing was migrated: {0}")]
    Boundary(crate::boundary::BoundaryError),
}

/// Imports the LLMos-Lite sessions and skills found at `source` (a file or a folder, walked
/// recursively) into the volume at `volume_root`.
pub fn migrate(source: &Path, volume_root: &Path, options: &MigrateOptions) -> Result<MigrationReport, MigrateError> {
    if !source.exists() {
        return Err(MigrateError::SourceMissing { path: source.to_path_buf() });
    }
    if volume_root.exists() && !volume_root.is_dir() {
        return Err(MigrateError::VolumeNotFolder { path: volume_root.to_path_buf() });
    }
    let mut report = MigrationReport { dry_run: options.dry_run, ..MigrationReport::default() };
    let candidates = collect_candidates(source, volume_root, &mut report)?;
    if candidates.is_empty() && report.skipped.is_empty() {
        return Err(MigrateError::NothingFound { path: source.to_path_buf() });
    }

    let mut planner = Planner { volume_root, taken: HashSet::new() };
    let mut writes = Vec::new();
    for candidate in candidates {
        let bytes = match read_capped(&candidate.path) {
            Ok(bytes) => bytes,
            Err(reason) => {
                report.skipped.push(SkippedItem { path: candidate.display, reason });
                continue;
            }
        };
        let text = match decode_text(&bytes) {
            Ok(text) => text,
            Err(reason) => {
                report.skipped.push(SkippedItem { path: candidate.display, reason });
                continue;
            }
        };
        match candidate.kind {
            CandidateKind::Session => plan_sessions(&candidate, &text, &mut planner, &mut report, &mut writes),
            CandidateKind::Skill => plan_skill(&candidate, &text, &mut planner, &mut report, &mut writes),
        }
    }

    // Every target is checked before the first write: a `sessions/` or `skills/` that is
    // a link leading outside the volume refuses the whole migration, not half of it.
    for write in &writes {
        crate::boundary::check_inside(volume_root, &write.path).map_err(MigrateError::Boundary)?;
    }
    if !options.dry_run {
        for write in writes {
            write_new_file(&write.path, &write.text)?;
        }
    }
    Ok(report)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CandidateKind {
    Session,
    Skill,
}

struct Candidate {
    path: PathBuf,
    /// Relative to the migrated path, with `/` separators.
    display: String,
    kind: CandidateKind,
}

struct PlannedWrite {
    path: PathBuf,
    text: String,
}

fn collect_candidates(source: &Path, volume_root: &Path, report: &mut MigrationReport) -> Result<Vec<Candidate>, MigrateError> {
    if source.is_file() {
        let display = source.file_name().map_or_else(|| source.display().to_string(), |n| n.to_string_lossy().into_owned());
        return Ok(match candidate_kind(source) {
            Some(kind) => vec![Candidate { path: source.to_path_buf(), display, kind }],
            None => {
                report.skipped.push(SkippedItem { path: display, reason: "not an LLMos-Lite session (*.json) or skill (*.md)".into() });
                Vec::new()
            }
        });
    }
    std::fs::read_dir(source).map_err(|e| MigrateError::Read { path: source.to_path_buf(), source: e })?;
    // A volume inside the source (migrating a checkout into itself) must not be re-imported.
    let volume_canonical = volume_root.canonicalize().ok();
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(source).follow_links(false).sort_by_file_name().into_iter().filter_entry(|entry| {
        let ignored_dir =
            entry.depth() > 0 && entry.file_type().is_dir() && entry.file_name().to_str().is_some_and(|n| IGNORED_DIRS.contains(&n) || n.starts_with('.'));
        let inside_volume = volume_canonical.as_ref().is_some_and(|v| entry.file_type().is_dir() && entry.path().canonicalize().is_ok_and(|p| &p == v));
        !ignored_dir && !inside_volume
    });
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let path = e.path().map_or_else(|| source.display().to_string(), |p| relative_display(source, p));
                report.skipped.push(SkippedItem { path, reason: format!("cannot read: {e}") });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        if let Some(kind) = candidate_kind(entry.path()) {
            out.push(Candidate { path: entry.path().to_path_buf(), display: relative_display(source, entry.path()), kind });
        }
    }
    Ok(out)
}

fn candidate_kind(path: &Path) -> Option<CandidateKind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "json" => Some(CandidateKind::Session),
        "md" | "markdown" => Some(CandidateKind::Skill),
        _ => None,
    }
}

fn relative_display(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    match crate::bounded::read_bytes(path, MAX_SOURCE_BYTES) {
        Ok(bytes) => Ok(bytes),
        Err(crate::bounded::FileError::TooLarge { size, .. }) => {
            Err(format!("the file is {} MB; files over {} MB are not migrated", size / (1024 * 1024), MAX_SOURCE_BYTES / (1024 * 1024)))
        }
        Err(e) => Err(format!("cannot read: {e}")),
    }
}

/// UTF-8 text with line breaks normalised, or why the file is not text.
fn decode_text(bytes: &[u8]) -> Result<String, String> {
    if bytes.contains(&0) {
        return Err("binary file (it contains NUL bytes)".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (invalid byte at offset {})", e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(text.replace("\r\n", "\n"))
}

/// Creates the file, refusing to replace one that appeared since the plan was made.
fn write_new_file(path: &Path, text: &str) -> Result<(), MigrateError> {
    let err = |e| MigrateError::Write { path: path.to_path_buf(), source: e };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(err)?;
    file.write_all(text.as_bytes()).map_err(err)
}

/// Hands out file names that exist neither on disk nor earlier in this run.
struct Planner<'a> {
    volume_root: &'a Path,
    taken: HashSet<PathBuf>,
}

impl Planner<'_> {
    /// A free session id starting from `id`: `id`, `id-2`, `id-3`, …
    fn session_id(&mut self, id: &str) -> String {
        let dir = self.volume_root.join("sessions");
        let mut n = 1;
        loop {
            let candidate = with_suffix(id, n, usize::MAX);
            let path = dir.join(format!("{candidate}.md"));
            if !path.exists() && !self.taken.contains(&path) {
                self.taken.insert(path);
                return candidate;
            }
            n += 1;
        }
    }

    /// A free skill name starting from `name`, kept within the 64-character limit.
    fn skill_name(&mut self, name: &str) -> String {
        let dir = self.volume_root.join("skills");
        let mut n = 1;
        loop {
            let candidate = with_suffix(name, n, MAX_NAME_CHARS);
            let folder = dir.join(&candidate);
            let flat = dir.join(format!("{candidate}.md"));
            if !folder.exists() && !flat.exists() && !self.taken.contains(&folder) {
                self.taken.insert(folder);
                return candidate;
            }
            n += 1;
        }
    }
}

fn with_suffix(base: &str, n: usize, max_chars: usize) -> String {
    if n == 1 {
        return base.to_string();
    }
    let suffix = format!("-{n}");
    let mut stem: String = base.chars().take(max_chars.saturating_sub(suffix.len())).collect();
    while stem.ends_with('-') {
        stem.pop();
    }
    format!("{stem}{suffix}")
}

/// The diagnostics that would make a written document invalid.
fn lint_errors(diagnostics: &[Diagnostic]) -> Vec<&Diagnostic> {
    diagnostics.iter().filter(|d| d.severity == Severity::Error).collect()
}

/// Migrated skills are checked against the Agent Skills standard, so the repair loop
/// moves every non-standard key under `metadata`: the result is a portable skill.
fn lint_context(path: &Path) -> DocContext<'_> {
    DocContext { path, volume: Some(VolumeKind::User), profile: Profile::Agentskills }
}

// ---------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------

fn plan_sessions(candidate: &Candidate, text: &str, planner: &mut Planner<'_>, report: &mut MigrationReport, writes: &mut Vec<PlannedWrite>) {
    let json: Value = match serde_json::from_str(text) {
        Ok(json) => json,
        Err(e) => {
            report.skipped.push(SkippedItem { path: candidate.display.clone(), reason: format!("malformed JSON: {e}") });
            return;
        }
    };
    // LLMos-Lite kept sessions one per file, but its localStorage export is an array.
    let sessions: Vec<(String, &Value)> = match &json {
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (format!("{}[{i}]", candidate.display), v)).collect(),
        Value::Object(map) if !map.contains_key("messages") && map.get("sessions").is_some_and(Value::is_array) => map
            .get("sessions")
            .and_then(Value::as_array)
            .map(|items| items.iter().enumerate().map(|(i, v)| (format!("{}#sessions[{i}]", candidate.display), v)).collect())
            .unwrap_or_default(),
        _ => vec![(candidate.display.clone(), &json)],
    };
    if sessions.is_empty() {
        report.skipped.push(SkippedItem { path: candidate.display.clone(), reason: "an empty list: no sessions in it".into() });
        return;
    }
    let fallback_time = std::fs::metadata(&candidate.path).and_then(|m| m.modified()).ok().map(OffsetDateTime::from);
    for (display, value) in sessions {
        match LiteSession::from_json(value) {
            Ok(session) => {
                let (id, text, changes) = render_session(&session, &display, fallback_time, planner);
                let path = planner.volume_root.join("sessions").join(format!("{id}.md"));
                let errors: Vec<String> =
                    lint_errors(&lint_session(&text, &lint_context(&path), &NoEnv)).iter().map(|d| format!("{}: {}", d.rule, d.message)).collect();
                if !errors.is_empty() {
                    planner.taken.remove(&path);
                    report.skipped.push(SkippedItem { path: display, reason: format!("the converted session would not be valid: {}", errors.join("; ")) });
                    continue;
                }
                report.sessions.push(MigratedItem { from: display, to: format!("sessions/{id}.md"), changes });
                writes.push(PlannedWrite { path, text });
            }
            Err(reason) => report.skipped.push(SkippedItem { path: display, reason }),
        }
    }
}

/// An LLMos-Lite session as read from JSON, already normalised.
struct LiteSession {
    id: Option<String>,
    name: Option<String>,
    created: Option<Value>,
    messages: Vec<LiteMessage>,
    artifacts: Vec<LiteArtifact>,
    traces: Vec<String>,
    /// Problems met while reading (unreadable entries), reported as changes.
    notes: Vec<String>,
}

struct LiteMessage {
    role_text: String,
    content: String,
    timestamp: Option<Value>,
    model: Option<String>,
}

struct LiteArtifact {
    name: Option<String>,
    kind: Option<String>,
    language: Option<String>,
    content: Option<String>,
    /// The content came from a JSON value, so it is JSON whatever the name says.
    content_is_json: bool,
}

impl LiteSession {
    fn from_json(value: &Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err(format!("not an LLMos-Lite session: the JSON is {}, not an object with `messages`", json_kind(value)));
        };
        let Some(messages) = map.get("messages") else {
            return Err("not an LLMos-Lite session: no `messages` list".into());
        };
        let Value::Array(messages) = messages else {
            return Err(format!("not an LLMos-Lite session: `messages` is {}, not a list", json_kind(messages)));
        };
        let mut notes = Vec::new();
        let mut out_messages = Vec::new();
        // LLMos-Lite's own UI kept trace ids and an artifact name on each message.
        let mut message_traces = Vec::new();
        let mut message_artifacts = Vec::new();
        for (i, message) in messages.iter().enumerate() {
            match message {
                Value::Object(m) => {
                    if let Some(Value::Array(traces)) = m.get("traces") {
                        message_traces.extend(traces.iter().map(trace_text));
                    }
                    if let Some(artifact) = m.get("artifact").filter(|a| !a.is_null()) {
                        message_artifacts.extend(LiteArtifact::from_json(artifact, &mut notes));
                    }
                    out_messages.push(LiteMessage {
                        role_text: m.get("role").and_then(Value::as_str).unwrap_or("").to_string(),
                        content: content_text(m.get("content").or_else(|| m.get("text")).unwrap_or(&Value::Null)),
                        timestamp: m.get("timestamp").or_else(|| m.get("createdAt")).or_else(|| m.get("time")).cloned(),
                        model: m.get("model").and_then(Value::as_str).map(str::to_string),
                    });
                }
                Value::String(s) => {
                    notes.push(format!("message {} had no role; imported as a user turn", i + 1));
                    out_messages.push(LiteMessage { role_text: String::new(), content: s.clone(), timestamp: None, model: None });
                }
                other => notes.push(format!("dropped message {}: it is {}, not an object", i + 1, json_kind(other))),
            }
        }
        let mut artifacts: Vec<LiteArtifact> = match map.get("artifacts") {
            Some(Value::Array(items)) => items.iter().filter_map(|a| LiteArtifact::from_json(a, &mut notes)).collect(),
            None | Some(Value::Null) => Vec::new(),
            Some(other) => {
                notes.push(format!("dropped `artifacts`: it is {}, not a list", json_kind(other)));
                Vec::new()
            }
        };
        for artifact in message_artifacts {
            if !artifacts.iter().any(|a| a.name.is_some() && a.name == artifact.name) {
                artifacts.push(artifact);
            }
        }
        let mut traces: Vec<String> = match map.get("traces") {
            Some(Value::Array(items)) => items.iter().map(trace_text).collect(),
            // LLMos-Lite's session-level `traces` is a count of the messages' trace ids.
            None | Some(Value::Null | Value::Number(_)) => Vec::new(),
            Some(other) => {
                notes.push(format!("dropped `traces`: it is {}, not a list", json_kind(other)));
                Vec::new()
            }
        };
        traces.extend(message_traces);
        let string_field = |keys: &[&str]| keys.iter().find_map(|k| map.get(*k).and_then(scalar_text)).filter(|s| !s.trim().is_empty());
        if let Some(goal) = string_field(&["goal"]) {
            notes.push(format!("the session goal is not kept (llmos has no place for it): {:?}", collapse(&goal)));
        }
        if map.get("status").and_then(Value::as_str) == Some("committed") {
            let hash = string_field(&["commitHash"]).map(|h| format!(" as {h}")).unwrap_or_default();
            notes.push(format!("committed in LLMos-Lite{hash}; `status: uncommitted` until it is committed in this volume"));
        }
        Ok(Self {
            id: string_field(&["id"]),
            name: string_field(&["name", "title"]),
            created: ["createdAt", "created", "timestamp", "updatedAt"].iter().find_map(|k| map.get(*k)).cloned(),
            messages: out_messages,
            artifacts,
            traces,
            notes,
        })
    }
}

impl LiteArtifact {
    fn from_json(value: &Value, notes: &mut Vec<String>) -> Option<Self> {
        match value {
            Value::String(s) => {
                // The commit-message style `type: name` names both.
                let (kind, name) = match s.split_once(": ") {
                    Some((kind, name)) if !kind.contains(char::is_whitespace) && !name.trim().is_empty() => (Some(kind.to_string()), name.trim().to_string()),
                    _ => (None, s.trim().to_string()),
                };
                Some(Self { name: Some(name).filter(|n| !n.is_empty()), kind, language: None, content: None, content_is_json: false })
            }
            Value::Object(map) => {
                let text =
                    |keys: &[&str]| keys.iter().find_map(|k| map.get(*k).and_then(Value::as_str)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
                let name = text(&["name", "filename", "fileName", "title", "id"])
                    .or_else(|| text(&["path", "filePath"]).map(|p| p.rsplit(['/', '\\']).next().unwrap_or(&p).to_string()));
                let (content, content_is_json) = match ["content", "code", "data", "source"].iter().find_map(|k| map.get(*k)) {
                    None | Some(Value::Null) => (None, false),
                    Some(Value::String(s)) if s.trim().is_empty() => (None, false),
                    Some(Value::String(s)) => (Some(s.replace("\r\n", "\n")), false),
                    Some(other) => (serde_json::to_string_pretty(other).ok(), true),
                };
                Some(Self { name, kind: text(&["type", "kind"]), language: text(&["language", "lang"]), content, content_is_json })
            }
            other => {
                notes.push(format!("dropped an artifact that is {}, not a name or an object", json_kind(other)));
                None
            }
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Message content: a string, or the text parts of a content list (the Anthropic and
/// OpenAI multi-part shapes).
fn content_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.replace("\r\n", "\n"),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| match part {
                Value::String(s) => Some(s.replace("\r\n", "\n")),
                Value::Object(m) => m.get("text").and_then(Value::as_str).map(|s| s.replace("\r\n", "\n")),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n\n"),
        other => other.to_string(),
    }
}

fn trace_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.replace("\r\n", "\n"),
        // LLMos-Lite's UI kept only trace ids.
        Value::Number(n) => format!("LLMos-Lite trace {n}"),
        Value::Object(_) | Value::Array(_) => serde_json::to_string_pretty(value).unwrap_or_default(),
        other => other.to_string(),
    }
}

/// Reads a timestamp: RFC 3339, an ISO date-time without zone (taken as UTC), a date, or
/// epoch seconds or milliseconds (as a number or a string of digits).
fn parse_timestamp(value: &Value) -> Option<OffsetDateTime> {
    match value {
        Value::Number(n) => from_epoch(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?),
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                return from_epoch(s.parse().ok()?);
            }
            if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
                return Some(t);
            }
            let no_zone = time::macros::format_description!(
                version = 2,
                "[year]-[month]-[day][first [T][ ]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
            );
            if let Ok(t) = time::PrimitiveDateTime::parse(s, &no_zone) {
                return Some(t.assume_utc());
            }
            let date_only = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(s, &date_only).ok().map(|d| d.midnight().assume_utc())
        }
        _ => None,
    }
}

/// `HH:MM` or `HH:MM:SS`.
fn is_time_of_day(s: &str) -> bool {
    let parts: Vec<&str> = s.trim().split(':').collect();
    (2..=3).contains(&parts.len()) && parts.iter().all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// LLMos-Lite ids are `session-<Date.now()>-<random>`: a 13-digit run of JavaScript
/// milliseconds (years 2001–2286).
fn epoch_millis_in_id(id: &str) -> Option<OffsetDateTime> {
    id.split(|c: char| !c.is_ascii_digit()).find(|run| run.len() == 13).and_then(|run| run.parse::<i64>().ok()).and_then(from_epoch)
}

fn from_epoch(n: i64) -> Option<OffsetDateTime> {
    // Below 10^11 a number is seconds (that is the year 5138); above, JavaScript millis.
    let nanos = if n.unsigned_abs() < 100_000_000_000 { i128::from(n) * 1_000_000_000 } else { i128::from(n) * 1_000_000 };
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC).replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_default()
}

fn id_prefix(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}{:02}{:02}-{:02}{:02}-", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

fn has_date_prefix(id: &str) -> bool {
    let b = id.as_bytes();
    matches!(
        (b.get(..8), b.get(8), b.get(9..13), b.get(13)),
        (Some(date), Some(b'-'), Some(time), Some(b'-')) if date.iter().all(u8::is_ascii_digit) && time.iter().all(u8::is_ascii_digit)
    )
}

/// Renders one session; returns its id, text and the changes made.
fn render_session(session: &LiteSession, display: &str, fallback_time: Option<OffsetDateTime>, planner: &mut Planner<'_>) -> (String, String, Vec<String>) {
    let mut changes = session.notes.clone();

    let first_time = session.messages.iter().find_map(|m| m.timestamp.as_ref().and_then(parse_timestamp));
    let session_time = first_time.or_else(|| session.created.as_ref().and_then(parse_timestamp));
    let session_time = match session_time {
        Some(t) => Some(t),
        None => {
            let from_id = session.id.as_deref().and_then(epoch_millis_in_id);
            if from_id.is_some() {
                changes.push("`created` and the id's date come from the timestamp in the LLMos-Lite id".into());
            }
            from_id
        }
    };
    let timestamps = || session.messages.iter().filter_map(|m| m.timestamp.as_ref()).filter(|t| !t.is_null() && parse_timestamp(t).is_none());
    // LLMos-Lite's UI stamped messages with the time of day only ("14:32").
    if let Some(time_only) = timestamps().find_map(|t| t.as_str().filter(|s| is_time_of_day(s))) {
        changes.push(format!("message times without a date (such as {time_only:?}) were dropped"));
    }
    let unreadable: Vec<String> = timestamps().filter(|t| !t.as_str().is_some_and(is_time_of_day)).map(|t| t.to_string()).take(3).collect();
    if !unreadable.is_empty() {
        changes.push(format!("ignored unreadable timestamps: {}", unreadable.join(", ")));
    }

    let first_prompt = session.messages.iter().find(|m| m.role_text == "user" && !m.content.trim().is_empty()).map(|m| m.content.as_str());
    let title = match (&session.name, first_prompt) {
        (Some(name), _) => collapse(name),
        (None, Some(prompt)) => {
            let title = cut_chars(&collapse(prompt), 60);
            changes.push(format!("no name: the title is taken from the first prompt ({title:?})"));
            title
        }
        (None, None) => {
            changes.push("no name: the title is the session id".into());
            session.id.clone().unwrap_or_else(|| "Migrated session".into())
        }
    };

    let slug = session.id.as_deref().and_then(slugify).or_else(|| slugify(&title)).unwrap_or_else(|| "session".into());
    let wanted = match session_time {
        Some(t) if !has_date_prefix(&slug) => format!("{}{slug}", id_prefix(t)),
        _ => slug,
    };
    let id = planner.session_id(&wanted);
    match &session.id {
        Some(original) if *original != id => changes.push(format!("id `{original}` → `{id}`")),
        None => changes.push(format!("no id: using `{id}`")),
        _ => {}
    }
    if id != wanted {
        changes.push(format!("`sessions/{wanted}.md` already exists: wrote `sessions/{id}.md`"));
    }

    let created = match session_time.or(fallback_time) {
        Some(t) => {
            if session_time.is_none() {
                changes.push("no timestamps: `created` is the file's modification time".into());
            }
            Some(rfc3339(t))
        }
        None => {
            changes.push("no timestamps: `created` left out".into());
            None
        }
    };

    let mut out = String::with_capacity(256 + session.messages.iter().map(|m| m.content.len() + 32).sum::<usize>());
    out.push_str("---\n");
    let _ = writeln!(out, "title: {}", yaml_scalar(&title));
    let _ = writeln!(out, "id: {}", yaml_scalar(&id));
    out.push_str("status: uncommitted\ncommit: null\n");
    if let Some(created) = &created {
        let _ = writeln!(out, "created: {created}");
    }
    let _ = writeln!(out, "migrated-from: {}", yaml_scalar(display));
    out.push_str("---\n");

    let mut turns: Vec<(Role, Option<String>, String)> = Vec::new();
    let mut unknown_roles: Vec<(String, usize)> = Vec::new();
    for message in &session.messages {
        let role = Role::parse(message.role_text.trim()).unwrap_or_else(|| {
            let text = if message.role_text.trim().is_empty() { "(none)".to_string() } else { message.role_text.clone() };
            match unknown_roles.iter_mut().find(|(r, _)| *r == text) {
                Some((_, n)) => *n += 1,
                None => unknown_roles.push((text, 1)),
            }
            Role::User
        });
        let model = message.model.clone().filter(|m| role == Role::Assistant && !m.is_empty() && !m.contains(char::is_whitespace) && !m.contains("-->"));
        let mut content = message.content.trim_end().to_string();
        // A fence left open would swallow every later turn marker (and the artifacts).
        if let Some(close) = unclosed_fence(&content) {
            content.push('\n');
            content.push_str(&close);
            changes.push(format!("closed a code fence left open in message {}", turns.len() + 1));
        }
        turns.push((role, model, content));
    }
    for (role, n) in &unknown_roles {
        let times = if *n == 1 { String::new() } else { format!(" ({n} messages)") };
        changes.push(format!("unknown role `{role}` mapped to `user`{times}"));
    }
    let escaped = turns.iter().filter(|(_, _, c)| escape_markers(c) != *c).count();
    if escaped > 0 {
        changes.push(format!("escaped lines that looked like turn markers in {escaped} message(s)"));
    }

    let (inline, listed): (Vec<&LiteArtifact>, Vec<&LiteArtifact>) = session.artifacts.iter().partition(|a| a.content.is_some());
    let mut tail = String::new();
    for (i, artifact) in inline.iter().enumerate() {
        let name = artifact_name(artifact, i, &mut changes);
        let language = artifact_language(artifact, &name);
        let mut info = format!("{language} artifact={name}");
        if let Some(kind) = artifact.kind.as_deref().and_then(slugify).filter(|k| k != "code") {
            let _ = write!(info, " type={kind}");
        }
        push_fence(&mut tail, &info, artifact.content.as_deref().unwrap_or_default());
    }
    if !listed.is_empty() {
        tail.push_str("\nArtifacts (names only; their content was not in the LLMos-Lite session):\n");
        for (i, artifact) in listed.iter().enumerate() {
            // A list item has no info string to break, so the name stays as it was.
            let name = match &artifact.name {
                Some(name) => collapse(name),
                None => artifact_name(artifact, inline.len() + i, &mut changes),
            };
            match artifact.kind.as_deref() {
                Some(kind) => {
                    let _ = writeln!(tail, "- {}: {name}", collapse(kind));
                }
                None => {
                    let _ = writeln!(tail, "- {name}");
                }
            }
        }
    }
    for trace in &session.traces {
        push_fence(&mut tail, "trace", trace);
    }
    if !tail.is_empty() {
        match turns.iter().rposition(|(role, _, _)| *role == Role::Assistant) {
            Some(i) => {
                if let Some(turn) = turns.get_mut(i) {
                    turn.2 = format!("{}\n{tail}", turn.2.trim_end());
                }
            }
            None => {
                changes.push("no assistant message: artifacts and traces go into a new assistant turn at the end".into());
                turns.push((Role::Assistant, None, tail.trim_start().to_string()));
            }
        }
    }
    if !inline.is_empty() || !listed.is_empty() || !session.traces.is_empty() {
        changes.push(format!("{} artifact(s) inline, {} listed by name, {} trace(s)", inline.len(), listed.len(), session.traces.len()));
    }
    if turns.is_empty() {
        changes.push("no messages: wrote an empty user turn".into());
        turns.push((Role::User, None, String::new()));
    }

    for (role, model, content) in &turns {
        out.push('\n');
        let attrs: Vec<(&str, &str)> = model.as_deref().map(|m| vec![("model", m)]).unwrap_or_default();
        out.push_str(&render_marker(*role, &attrs));
        out.push('\n');
        let content = escape_markers(content.trim_matches('\n'));
        if !content.is_empty() {
            out.push_str(&content);
            out.push('\n');
        }
    }

    // The turn scanner must see exactly the turns written; anything else is a bug here.
    let parsed = SessionDoc::parse(&out);
    if parsed.turns.len() != turns.len() {
        changes.push(format!("warning: wrote {} turns but the transcript reads as {}", turns.len(), parsed.turns.len()));
    }
    (id, out, changes)
}

fn artifact_name(artifact: &LiteArtifact, index: usize, changes: &mut Vec<String>) -> String {
    match &artifact.name {
        Some(name) => {
            // The info string is split on whitespace and a backtick would end the fence.
            let clean: String = name.chars().map(|c| if c.is_whitespace() || c == '`' || c == '"' || c == '\'' { '_' } else { c }).collect();
            if clean != *name {
                changes.push(format!("artifact `{name}` renamed `{clean}`"));
            }
            clean
        }
        None => {
            let name = format!("artifact-{}", index + 1);
            changes.push(format!("an artifact without a name is called `{name}`"));
            name
        }
    }
}

fn artifact_language(artifact: &LiteArtifact, name: &str) -> String {
    if let Some(lang) = artifact.language.as_deref().and_then(slugify) {
        return lang;
    }
    if artifact.content_is_json {
        return "json".into();
    }
    let lower = name.to_ascii_lowercase();
    let by_extension = match lower.rsplit_once('.').map(|(_, ext)| ext) {
        Some("py") => Some("python"),
        Some("js" | "mjs" | "cjs") => Some("javascript"),
        Some("ts") => Some("typescript"),
        Some("tsx") => Some("tsx"),
        Some("jsx") => Some("jsx"),
        Some("json") => Some("json"),
        Some("csv") => Some("csv"),
        Some("md" | "markdown") => Some("markdown"),
        Some("html" | "htm") => Some("html"),
        Some("css") => Some("css"),
        Some("rs") => Some("rust"),
        Some("sh" | "bash") => Some("bash"),
        Some("yaml" | "yml") => Some("yaml"),
        Some("toml") => Some("toml"),
        Some("qasm") => Some("qasm"),
        Some("svg" | "xml") => Some("xml"),
        Some("sql") => Some("sql"),
        Some("glsl") => Some("glsl"),
        Some("txt") => Some("text"),
        _ => None,
    };
    if let Some(lang) = by_extension {
        return lang.into();
    }
    match artifact.kind.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("quantum-circuit" | "3d-scene" | "scene" | "circuit") => "json".into(),
        Some("plot") => if artifact.content.as_deref().is_some_and(|c| c.trim_start().starts_with(['{', '['])) { "json" } else { "csv" }.into(),
        Some("markdown" | "skill" | "document") => "markdown".into(),
        Some(kind) => match kind {
            "python" | "javascript" | "typescript" | "html" | "css" | "rust" | "bash" | "sql" => kind.into(),
            _ => "text".into(),
        },
        None => "text".into(),
    }
}

/// Appends a fenced block, using a fence longer than any backtick run in the content.
fn push_fence(out: &mut String, info: &str, content: &str) {
    let longest = content.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let content = escape_markers(content.trim_matches('\n'));
    let _ = write!(out, "\n{fence}{info}\n{content}");
    if !content.is_empty() {
        out.push('\n');
    }
    let _ = writeln!(out, "{fence}");
}

/// The closing line for a fenced block still open at the end of `text`, if any; the same
/// fence rules as the session scanner (up to three spaces, three or more ` or ~).
fn unclosed_fence(text: &str) -> Option<String> {
    let mut open: Option<(char, usize)> = None;
    for line in text.lines() {
        let trimmed = line.trim_start_matches(' ');
        if line.len() - trimmed.len() > 3 {
            continue;
        }
        let Some(ch) = trimmed.chars().next().filter(|c| *c == '`' || *c == '~') else { continue };
        let run = trimmed.chars().take_while(|c| *c == ch).count();
        if run < 3 {
            continue;
        }
        // `run` counts backticks or tildes, one byte each.
        let rest = trimmed.get(run..).unwrap_or_default();
        match open {
            None if !(ch == '`' && rest.contains('`')) => open = Some((ch, run)),
            Some((open_ch, open_run)) if ch == open_ch && run >= open_run && rest.trim().is_empty() => open = None,
            _ => {}
        }
    }
    open.map(|(ch, run)| ch.to_string().repeat(run))
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    if let Some(space) = cut.rfind(' ').filter(|&i| i > max / 2) {
        cut.truncate(space);
    }
    cut.push('…');
    cut
}

// ---------------------------------------------------------------------------------------
// Skills
// ---------------------------------------------------------------------------------------

/// One top-level frontmatter entry of the skill being converted.
struct Entry {
    key: String,
    /// The entry as YAML lines (ending in a line break): the original text when it can be
    /// kept, else rendered from the parsed value.
    text: String,
    value: Option<YamlNode>,
}

fn plan_skill(candidate: &Candidate, text: &str, planner: &mut Planner<'_>, report: &mut MigrationReport, writes: &mut Vec<PlannedWrite>) {
    let skip = |report: &mut MigrationReport, reason: String| report.skipped.push(SkippedItem { path: candidate.display.clone(), reason });
    let fm = Frontmatter::parse(text);
    let Some(block) = &fm.block else {
        return skip(report, "not a skill: no `---` frontmatter".into());
    };
    if block.close.is_none() {
        return skip(report, "the frontmatter is never closed by a `---` line".into());
    }
    if let Some(error) = &fm.error {
        let line = text.bytes().take(error.offset).filter(|&b| b == b'\n').count() + 1;
        return skip(report, format!("the frontmatter is not valid YAML (line {line}): {}", error.message));
    }
    if !fm.is_usable() || fm.root.is_none() {
        return skip(report, "not a skill: the frontmatter is not a mapping of keys".into());
    }
    let recognised = ["name", "skill_id", "description"].iter().any(|k| fm.get(k).is_some());
    if !recognised {
        return skip(report, "not a skill: the frontmatter has no `name`, `skill_id` or `description`".into());
    }

    let mut changes = Vec::new();
    let mut entries = split_entries(text, &fm, block.yaml.clone());

    // Name: a valid `skill_id`, else `name`, else any `skill_id`, else the file stem (or the
    // folder of a SKILL.md), slugified.
    let stem = skill_file_stem(&candidate.path);
    let field = |key: &str| fm.get(key).and_then(|(_, v)| v.as_str().filter(|s| !v.is_null() && !s.trim().is_empty())).map(|s| s.trim().to_string());
    let (display_name, skill_id) = (field("name"), field("skill_id"));
    // `skill_id` is the identifier LLMos-Lite's workflows and commit messages used; when it
    // is already a valid name it beats the display `name`, so those references still hold.
    let id_is_name = skill_id.as_deref().is_some_and(|id| check_name(id).is_ok());
    let source_name = match (&skill_id, &display_name) {
        (Some(id), _) if id_is_name => id.clone(),
        (_, Some(name)) => name.clone(),
        (Some(id), None) => id.clone(),
        (None, None) => stem.clone(),
    };
    let original = display_name.clone().unwrap_or_else(|| source_name.clone());
    let slug = slugify(&source_name).or_else(|| slugify(&stem)).unwrap_or_else(|| "migrated-skill".into());
    let name = planner.skill_name(&slug);
    if name != slug {
        changes.push(format!("a skill named `{slug}` already exists: named this one `{name}`"));
    }
    if name != original {
        let why = if id_is_name && display_name.as_ref().is_some_and(|d| *d != source_name) { " (its `skill_id`)" } else { "" };
        changes.push(format!("name `{original}` → `{name}`{why}"));
    }
    set_entry(&mut entries, "name", format!("name: {}\n", yaml_scalar(&name)));

    // Description: keep a good one, cut a long one, derive a missing one.
    let body = text.get(fm.body_start.min(text.len())..).unwrap_or_default();
    let description_node = fm.value("description");
    let description = description_node.and_then(|v| v.as_str().filter(|_| !v.is_null())).map(str::trim).filter(|s| !s.is_empty());
    match description {
        Some(d) if description_node.is_some_and(YamlNode::is_plain_non_string) && d.chars().count() <= MAX_DESCRIPTION_CHARS => {
            changes.push(format!("description `{d}` quoted to make it a string"));
            set_entry(&mut entries, "description", format!("description: {}\n", yaml_scalar(d)));
        }
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => {
            let cut = cut_chars(&collapse(d), MAX_DESCRIPTION_CHARS);
            changes.push(format!("description cut to {MAX_DESCRIPTION_CHARS} characters"));
            set_entry(&mut entries, "description", format!("description: {}\n", yaml_scalar(&cut)));
        }
        Some(_) => {}
        None => {
            let derived = derive_description(body, &original);
            changes.push(format!("no description: derived {derived:?}"));
            set_entry(&mut entries, "description", format!("description: {}\n", yaml_scalar(&derived)));
        }
    }

    // LLMos-Lite wrote keywords as one comma-separated string; llmos wants a list.
    for key in ["keywords", "tags"] {
        if let Some(entry) = entries.iter_mut().find(|e| e.key == key)
            && let Some(YamlValue::Scalar { text: value, .. }) = entry.value.as_ref().map(|v| &v.value)
            && !entry.value.as_ref().is_some_and(YamlNode::is_null)
        {
            let items: Vec<String> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(flow_scalar).collect();
            entry.text = format!("{key}: [{}]\n", items.join(", "));
            changes.push(format!("`{key}` turned from a string into a list"));
        }
    }

    let mut metadata: Vec<(String, String)> = Vec::new();
    if name != original {
        metadata.push(("original-name".into(), original.clone()));
    }

    // Repair: entries the linter rejects move under `metadata` (or, if they cannot be a
    // string, are dropped), each move reported. Bounded: every round removes an entry.
    let path = planner.volume_root.join("skills").join(&name).join("SKILL.md");
    let mut output = String::new();
    for _ in 0..=entries.len() + 1 {
        let (text, ranges) = render_skill(&entries, &metadata, body, &mut changes);
        output = text;
        let diagnostics = lint_skill(&output, &lint_context(&path), &NoEnv);
        let errors = lint_errors(&diagnostics);
        let Some(culprit) = errors.iter().find_map(|d| ranges.iter().position(|r| r.contains(&d.range.start)).map(|i| (i, *d))) else {
            break;
        };
        let (index, diagnostic) = culprit;
        let entry = entries.remove(index);
        if diagnostic.rule == "frontmatter/duplicate-key" {
            changes.push(format!("dropped a second `{}` key (duplicate)", entry.key));
            continue;
        }
        if matches!(entry.key.as_str(), "name" | "description" | "metadata") {
            // Those are ours; a failure there cannot be repaired by moving them.
            entries.insert(index, entry);
            break;
        }
        if entry.value.as_ref().is_some_and(YamlNode::is_null) {
            changes.push(format!("dropped `{}` (it has no value)", entry.key));
            continue;
        }
        match entry.value.as_ref().and_then(metadata_string) {
            Some(value) if !metadata.iter().any(|(k, _)| *k == llmos_documents::portable::metadata_key(&entry.key)) => {
                let key = llmos_documents::portable::metadata_key(&entry.key);
                changes.push(format!("moved `{}` under `metadata` as `{key}` ({})", entry.key, diagnostic.message));
                metadata.push((key, value));
            }
            _ => changes.push(format!("dropped `{}` ({})", entry.key, diagnostic.message)),
        }
    }
    let errors: Vec<String> = lint_errors(&lint_skill(&output, &lint_context(&path), &NoEnv)).iter().map(|d| format!("{}: {}", d.rule, d.message)).collect();
    if !errors.is_empty() {
        planner.taken.remove(&path.parent().map(Path::to_path_buf).unwrap_or_default());
        return skip(report, format!("the converted skill would not be valid: {}", errors.join("; ")));
    }
    report.skills.push(MigratedItem { from: candidate.display.clone(), to: format!("skills/{name}/SKILL.md"), changes });
    writes.push(PlannedWrite { path, text: output });
}

fn skill_file_stem(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("skill");
    if stem.eq_ignore_ascii_case("skill")
        && let Some(folder) = path.parent().and_then(Path::file_name).and_then(|f| f.to_str())
    {
        return folder.to_string();
    }
    stem.to_string()
}

/// Cuts the frontmatter into one entry per top-level key, keeping each entry's own lines
/// (and comments) when the mapping is in block style; a flow mapping is re-rendered.
fn split_entries(text: &str, fm: &Frontmatter, yaml: std::ops::Range<usize>) -> Vec<Entry> {
    let pairs = fm.entries();
    let line_start = |at: usize| llmos_documents::line_bounds::line_start(text, at);
    let starts: Vec<usize> = pairs.iter().map(|(k, _)| line_start(k.span.start)).collect();
    let block_style = pairs.iter().zip(&starts).all(|((k, _), &s)| k.span.start == s) && starts.windows(2).all(|w| matches!(w, [a, b] if a < b));
    let mut entries: Vec<Entry> = pairs
        .iter()
        .enumerate()
        .flat_map(|(i, (k, v))| {
            let key = k.as_str().unwrap_or_default().to_string();
            if !block_style {
                return vec![Entry { text: format!("{}: {}\n", flow_scalar(&key), render_value(v)), key, value: Some(v.clone()) }];
            }
            let end = starts.get(i + 1).copied().unwrap_or(yaml.end);
            let mut own = starts.get(i).and_then(|&start| text.get(start..end)).unwrap_or_default().to_string();
            if !own.ends_with('\n') {
                own.push('\n');
            }
            // Comment and blank lines after the value belong to no key: they must survive
            // when this entry is rewritten or moved.
            let trivia = trailing_trivia(&own);
            let trailer = own.split_off(own.len() - trivia);
            let mut out = vec![Entry { key, text: own, value: Some(v.clone()) }];
            if !trailer.is_empty() {
                out.push(Entry { key: String::new(), text: trailer, value: None });
            }
            out
        })
        .collect();
    if block_style
        && let Some(&first) = starts.first()
        && first > yaml.start
    {
        entries.insert(0, Entry { key: String::new(), text: text.get(yaml.start..first).unwrap_or_default().to_string(), value: None });
    }
    entries
}

/// Bytes at the end of an entry's text made of blank lines and column-0 comments. An
/// indented `#` line may be content of a block scalar, so it stays with the value.
fn trailing_trivia(entry: &str) -> usize {
    let mut lines: Vec<&str> = entry.split_inclusive('\n').collect();
    let mut size = 0;
    // The first line holds the key; it is never trivia.
    while lines.len() > 1 {
        let Some(last) = lines.last() else { break };
        if last.trim().is_empty() || last.starts_with('#') {
            size += last.len();
            lines.pop();
        } else {
            break;
        }
    }
    size
}

fn set_entry(entries: &mut Vec<Entry>, key: &str, text: String) {
    match entries.iter_mut().find(|e| e.key == key) {
        Some(entry) => {
            entry.text = text;
            entry.value = None;
        }
        None => {
            let at = if key == "description" { entries.iter().position(|e| e.key == "name").map_or(0, |i| i + 1) } else { 0 };
            entries.insert(at, Entry { key: key.into(), text, value: None });
        }
    }
}

/// The skill's text and, for each entry, the byte range it occupies in that text (so a
/// lint diagnostic can be traced back to the entry that caused it).
fn render_skill(entries: &[Entry], metadata: &[(String, String)], body: &str, changes: &mut Vec<String>) -> (String, Vec<std::ops::Range<usize>>) {
    let mut out = String::from("---\n");
    let mut ranges = Vec::with_capacity(entries.len());
    let mut wrote_metadata = metadata.is_empty();
    for entry in entries {
        let start = out.len();
        if entry.key == "metadata" && (!metadata.is_empty() || !is_string_map(entry.value.as_ref())) {
            out.push_str(&render_metadata(entry.value.as_ref(), metadata, changes));
            wrote_metadata = true;
        } else {
            out.push_str(&entry.text);
        }
        ranges.push(start..out.len());
    }
    if !wrote_metadata {
        out.push_str(&render_metadata(None, metadata, changes));
    }
    out.push_str("---\n");
    out.push_str(body);
    (out, ranges)
}

fn is_string_map(value: Option<&YamlNode>) -> bool {
    value.and_then(YamlNode::as_map).is_some_and(|m| m.iter().all(|(k, v)| k.as_str().is_some() && v.as_str().is_some()))
}

/// `metadata:` with the source's own entries (as strings) followed by ours.
fn render_metadata(existing: Option<&YamlNode>, added: &[(String, String)], changes: &mut Vec<String>) -> String {
    let mut out = String::from("metadata:\n");
    let mut seen = HashSet::new();
    if let Some(map) = existing.and_then(YamlNode::as_map) {
        for (k, v) in map {
            let Some(key) = k.as_str() else { continue };
            let value = metadata_string(v).unwrap_or_default();
            if seen.insert(key.to_string()) {
                let _ = writeln!(out, "  {}: {}", yaml_scalar(key), yaml_scalar(&value));
            }
        }
    } else if let Some(other) = existing.filter(|v| !v.is_null()) {
        let note = format!("dropped `metadata` ({}, not a mapping)", other.type_name());
        if !changes.contains(&note) {
            changes.push(note);
        }
    }
    for (k, v) in added {
        if seen.insert(k.clone()) {
            let _ = writeln!(out, "  {}: {}", yaml_scalar(k), yaml_scalar(v));
        }
    }
    if seen.is_empty() {
        // An empty block mapping would read as null.
        return "metadata: {}\n".into();
    }
    out
}

/// A value as a metadata string: scalars as they are, lists of scalars comma-joined,
/// anything else as compact JSON-like text.
fn metadata_string(value: &YamlNode) -> Option<String> {
    match &value.value {
        YamlValue::Scalar { text, .. } => Some(text.clone()),
        // A list of strings reads best comma-joined; anything nested keeps its flow form.
        YamlValue::Seq(items) => {
            items.iter().map(|i| i.as_str().map(str::to_string)).collect::<Option<Vec<_>>>().map(|v| v.join(", ")).or_else(|| Some(render_value(value)))
        }
        YamlValue::Map(_) => Some(render_value(value)),
        YamlValue::Alias => None,
    }
}

/// A value in YAML flow style, for entries that cannot keep their original text.
fn render_value(value: &YamlNode) -> String {
    match &value.value {
        YamlValue::Scalar { text, style: Style::Plain } if value.is_plain_non_string() => text.clone(),
        YamlValue::Scalar { text, .. } => flow_scalar(text),
        YamlValue::Seq(items) => format!("[{}]", items.iter().map(render_value).collect::<Vec<_>>().join(", ")),
        YamlValue::Map(entries) => {
            format!("{{{}}}", entries.iter().map(|(k, v)| format!("{}: {}", render_value(k), render_value(v))).collect::<Vec<_>>().join(", "))
        }
        YamlValue::Alias => "null".into(),
    }
}

/// A scalar safe inside a flow collection, where `,[]{}` end a plain scalar.
fn flow_scalar(s: &str) -> String {
    if s.contains([',', '[', ']', '{', '}']) { llmos_documents::lint::yaml_double_quote(s) } else { yaml_scalar(s) }
}

/// A description from the body's first paragraph (headings, fences and comments skipped),
/// or a plain sentence naming the skill when the body has no prose.
fn derive_description(body: &str, original_name: &str) -> String {
    let mut paragraph: Vec<&str> = Vec::new();
    let mut heading: Option<&str> = None;
    let mut in_fence: Option<(char, usize)> = None;
    for line in body.lines() {
        let trimmed = line.trim();
        let fence_char = trimmed.chars().next().filter(|c| *c == '`' || *c == '~');
        if let Some(ch) = fence_char {
            let run = trimmed.chars().take_while(|c| *c == ch).count();
            if run >= 3 {
                in_fence = match in_fence {
                    None => Some((ch, run)),
                    Some((open, n)) if open == ch && run >= n => None,
                    other => other,
                };
                if !paragraph.is_empty() {
                    break;
                }
                continue;
            }
        }
        if in_fence.is_some() {
            continue;
        }
        if trimmed.is_empty() {
            if !paragraph.is_empty() {
                break;
            }
            continue;
        }
        if let Some(h) = trimmed.strip_prefix('#') {
            if !paragraph.is_empty() {
                break;
            }
            heading.get_or_insert(h.trim_start_matches('#').trim());
            continue;
        }
        if trimmed.starts_with("<!--") || trimmed.chars().all(|c| matches!(c, '-' | '*' | '_' | '=')) {
            continue;
        }
        paragraph.push(trimmed.trim_start_matches('>').trim());
    }
    let text = collapse(&paragraph.join(" "));
    let text = if text.is_empty() { heading.map(collapse).filter(|h| !h.is_empty()).unwrap_or_default() } else { text };
    if text.is_empty() {
        return format!("{} (migrated from LLMos-Lite).", collapse(original_name));
    }
    cut_chars(&text, MAX_DESCRIPTION_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `YYYYMMDD-HHMM-`, checked on characters here and on bytes in the code.
        #[test]
        fn date_prefixes_match_a_char_pattern(id in proptest::prop_oneof!["[0-9é-]{0,16}", "[0-9]{7,8}[-é][0-9]{3,4}[-é0-9][a-zé]{0,3}"]) {
            let chars: Vec<char> = id.chars().take(14).collect();
            let expected = chars.len() == 14
                && chars.iter().enumerate().all(|(i, c)| if i == 8 || i == 13 { *c == '-' } else { c.is_ascii_digit() });
            proptest::prop_assert_eq!(has_date_prefix(&id), expected);
        }
    }

    #[test]
    fn timestamps_in_every_shape() {
        let expect = "2024-11-23T22:01:02Z";
        for v in [
            serde_json::json!("2024-11-23T22:01:02Z"),
            serde_json::json!("2024-11-23T22:01:02.517Z"),
            serde_json::json!("2024-11-23T23:01:02+01:00"),
            serde_json::json!("2024-11-23T22:01:02"),
            serde_json::json!("2024-11-23 22:01:02"),
            serde_json::json!(1732399262000_i64),
            serde_json::json!(1732399262),
            serde_json::json!("1732399262000"),
        ] {
            assert_eq!(parse_timestamp(&v).map(rfc3339).as_deref(), Some(expect), "{v}");
        }
        assert_eq!(parse_timestamp(&serde_json::json!("2024-11-23")).map(rfc3339).as_deref(), Some("2024-11-23T00:00:00Z"));
        for bad in [serde_json::json!("yesterday"), serde_json::json!(true), serde_json::json!(""), serde_json::json!(i64::MAX)] {
            assert!(parse_timestamp(&bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn unclosed_fences_are_found() {
        assert_eq!(unclosed_fence("```python\nx = 1\n"), Some("```".into()));
        assert_eq!(unclosed_fence("````\n```\n"), Some("````".into()));
        assert_eq!(unclosed_fence("```\nx\n```\n"), None);
        assert_eq!(unclosed_fence("~~~\n```\n~~~"), None);
        assert_eq!(unclosed_fence("plain ``` text"), None);
    }

    #[test]
    fn suffixes_stay_within_limits() {
        assert_eq!(with_suffix("abc", 1, 64), "abc");
        assert_eq!(with_suffix("abc", 2, 64), "abc-2");
        let long = "a".repeat(64);
        assert_eq!(with_suffix(&long, 2, 64).len(), 64);
        assert_eq!(with_suffix("abcd-efgh", 10, 8), "abcd-10");
    }

    #[test]
    fn descriptions_come_from_prose() {
        let body = "\n# Data Helper\n\n```python\nprint(1)\n```\n\nAnalyses CSV files\nand plots them.\n\nMore.\n";
        assert_eq!(derive_description(body, "x"), "Analyses CSV files and plots them.");
        assert_eq!(derive_description("# Only a heading\n", "x"), "Only a heading");
        assert_eq!(derive_description("", "My Skill"), "My Skill (migrated from LLMos-Lite).");
        assert!(derive_description(&"word ".repeat(400), "x").chars().count() <= MAX_DESCRIPTION_CHARS);
    }
}
