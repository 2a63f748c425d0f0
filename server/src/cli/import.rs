//! `llmos import claude-code|codex [PATH]`: other agents' transcripts become committed
//! sessions in a volume, dated at their original time.
//!
//! Reading, scrubbing and rendering are `llmos_import`'s; this module finds the files,
//! decides what is new, grown or unchanged (the `imported-from` and `imported-bytes`
//! keys of sessions already in the volume), and commits each session with the
//! context-memory message through the same path as *Commit session*, oldest first, so
//! `llmos history` and evolution see the real timeline. Nothing leaves the machine.

use std::collections::HashMap;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use llmos_documents::{SessionDoc, VolumeKind};
use llmos_import::{ReadStats, Scrubber, Source, Usage, claude_code, codex, discover, render_as};
use serde::Serialize;
use time::OffsetDateTime;

use super::{Format, fail};

/// Transcripts larger than this are skipped: months of work stay far below it.
const MAX_TRANSCRIPT_BYTES: u64 = 512 * 1024 * 1024;

pub struct ImportArgs {
    pub agent: String,
    pub path: Option<PathBuf>,
    pub volume: String,
    pub since: Option<String>,
    pub project: Option<String>,
    pub dry_run: bool,
    pub format: Format,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportReport {
    dry_run: bool,
    source: String,
    imported: Vec<ImportedSession>,
    unchanged: usize,
    skipped: Vec<Skipped>,
    /// Secrets replaced in what was (or would be) written.
    secrets_scrubbed: usize,
    /// Transcript lines that were not JSON objects.
    malformed_lines: usize,
    /// Records of a kind the reader does not know.
    unknown_records: usize,
    tokens: Usage,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportedSession {
    /// `new` or `updated` (the transcript grew since it was imported).
    status: &'static str,
    from: String,
    session: String,
    title: String,
    started: Option<String>,
    turns: usize,
    secrets_scrubbed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
}

#[derive(Debug, Serialize)]
struct Skipped {
    path: String,
    reason: String,
}

/// A session the run will write.
struct Planned {
    from: PathBuf,
    path: PathBuf,
    text: String,
    ended: Option<OffsetDateTime>,
    index: usize,
}

pub fn run(args: ImportArgs) -> ExitCode {
    let source = match args.agent.as_str() {
        "claude-code" => Source::ClaudeCode,
        "codex" => Source::Codex,
        other => return fail(format!("unknown agent `{other}`: claude-code or codex")),
    };
    let Some(kind) = VolumeKind::parse(&args.volume) else { return fail(format!("unknown volume `{}`: user, team or system", args.volume)) };
    let since = match args.since.as_deref().map(llmos_engine::workspace::parse_since) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return fail(format!("--since: {e}")),
        None => None,
    };
    let config = match llmos_engine::workspace::load_config(None) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let vol = config.volume(kind);
    if !vol.writable {
        return fail(format!("the {kind} volume is read-only; import into the user or team volume"));
    }
    if llmos_vcs::Volume::open(&vol.path).is_err() {
        return fail(format!("the {kind} volume at {} is not a git repository (run `llmos init`)", vol.path.display()));
    }
    let from = match args.path.clone().or_else(|| default_root(source)) {
        Some(p) => p,
        None => return fail("cannot tell where your home folder is; pass the transcripts' folder"),
    };
    let files = match discover::transcripts(&from) {
        Ok(f) => f,
        Err(e) => return fail(format!("{e} (pass the folder that holds the {} transcripts)", source.as_str())),
    };

    let sessions_dir = vol.path.join("sessions");
    let known = imported_sessions(&sessions_dir);
    let scrubber = Scrubber::new();
    let mut report = ImportReport { dry_run: args.dry_run, source: source.as_str().into(), ..ImportReport::default() };
    let mut planned: Vec<Planned> = Vec::new();
    let mut taken: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let progress = Progress::new(files.len(), args.format == Format::Text && std::io::stderr().is_terminal());

    for (n, file) in files.iter().enumerate() {
        let display = display_path(&from, file);
        progress.show(n, &display);
        let size = match std::fs::metadata(file) {
            Ok(m) => m.len(),
            Err(e) => {
                report.skipped.push(Skipped { path: display, reason: format!("cannot read: {e}") });
                continue;
            }
        };
        if size > MAX_TRANSCRIPT_BYTES {
            report
                .skipped
                .push(Skipped { path: display, reason: format!("{} MB is more than the {} MB read at most", size >> 20, MAX_TRANSCRIPT_BYTES >> 20) });
            continue;
        }
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                report.skipped.push(Skipped { path: display, reason: format!("cannot read: {e}") });
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let transcript = match source {
            Source::ClaudeCode => claude_code::read(&text),
            Source::Codex => codex::read(&text),
        };
        count_stats(&mut report, &transcript.stats);
        if !transcript.has_prompt() {
            report.skipped.push(Skipped { path: display, reason: "no prompt in it (empty, unreadable or not a transcript)".into() });
            continue;
        }
        if let Some(project) = &args.project
            && !project_matches(transcript.project.as_deref(), project)
        {
            continue;
        }
        if let Some(since) = since
            && transcript.ended.or(transcript.started).is_some_and(|t| t < since)
        {
            continue;
        }
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("transcript");
        let origin = llmos_import::render::origin(&transcript, stem);
        let (existing, status) = match known.get(&origin) {
            Some(k) if k.bytes == Some(size) => {
                report.unchanged += 1;
                continue;
            }
            Some(k) => {
                if k.changed_by_hand {
                    report.skipped.push(Skipped {
                        path: display,
                        reason: format!(
                            "grew since it was imported, but {} has changes that are not committed; commit or discard them first",
                            rel(&vol.path, &k.path)
                        ),
                    });
                    continue;
                }
                (Some(k), "updated")
            }
            None => (None, "new"),
        };
        let id = existing.and_then(|k| k.path.file_stem()).and_then(|s| s.to_str());
        let mut rendered = render_as(&transcript, &origin, size, &scrubber, id);
        if existing.is_none() {
            let free = free_id(&sessions_dir, &rendered.id, &taken);
            if free != rendered.id {
                rendered = render_as(&transcript, &origin, size, &scrubber, Some(&free));
            }
        }
        let path = sessions_dir.join(format!("{}.md", rendered.id));
        taken.insert(path.clone());
        report.secrets_scrubbed += rendered.secrets;
        report.tokens.add(rendered.usage);
        report.imported.push(ImportedSession {
            status,
            from: display,
            session: rel(&vol.path, &path),
            title: rendered.title.clone(),
            started: transcript.started.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
            turns: transcript.turns.len(),
            secrets_scrubbed: rendered.secrets,
            commit: None,
        });
        planned.push(Planned {
            from: file.clone(),
            path,
            text: rendered.text,
            ended: transcript.ended.or(transcript.started),
            index: report.imported.len() - 1,
        });
    }
    progress.finish();

    let mut failed = false;
    if !args.dry_run {
        // Oldest first, so the volume's history reads in the order the work happened.
        planned.sort_by_key(|p| p.ended.map(OffsetDateTime::unix_timestamp));
        for p in planned {
            let when = p.ended.map(OffsetDateTime::unix_timestamp);
            match llmos_engine::session::commit_text_at(&config, &p.path, &p.text, when) {
                Ok(c) => report.imported[p.index].commit = Some(c.short),
                Err(e) => {
                    failed = true;
                    report.skipped.push(Skipped { path: display_path(&from, &p.from), reason: format!("not committed: {e}") });
                }
            }
        }
        report.imported.retain(|i| i.commit.is_some());
    }
    print_report(&report, args.format);
    // A transcript that could not be committed is an error the caller must see; one
    // that is not a transcript is not.
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn default_root(source: Source) -> Option<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from)?;
    let codex_home = std::env::var_os("CODEX_HOME").map(PathBuf::from);
    Some(discover::default_root(source, &home, codex_home.as_deref()))
}

/// `--project` matches the folder the agent worked in: the whole path, or its last parts.
fn project_matches(project: Option<&str>, wanted: &str) -> bool {
    let Some(project) = project else { return false };
    let wanted = wanted.trim_end_matches(['/', '\\']);
    let project = project.trim_end_matches(['/', '\\']);
    !wanted.is_empty() && (project == wanted || project.ends_with(&format!("/{wanted}")) || project.ends_with(&format!("\\{wanted}")))
}

/// A session in the volume that an earlier import wrote.
struct Known {
    path: PathBuf,
    bytes: Option<u64>,
    /// The file differs from what is committed: a person edited it.
    changed_by_hand: bool,
}

/// The sessions an earlier import wrote, by origin (`claude-code:<id>`).
fn imported_sessions(dir: &Path) -> HashMap<String, Known> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    let repo = dir.parent().and_then(|v| llmos_vcs::Volume::open(v).ok());
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        // Only the frontmatter matters; a quick check skips every other session.
        if !text.contains("\nimported-from:") {
            continue;
        }
        let doc = SessionDoc::parse(&text);
        let Some(origin) = doc.frontmatter.str_value("imported-from") else { continue };
        let bytes = doc.frontmatter.value("imported-bytes").and_then(|v| v.as_str()).and_then(|s| s.trim().parse().ok());
        let committed = repo.as_ref().and_then(|r| r.blob_at_head(&path).ok().flatten());
        let changed_by_hand = committed.is_some_and(|blob| blob != text.as_bytes());
        out.insert(origin.to_string(), Known { path, bytes, changed_by_hand });
    }
    out
}

/// `id`, or `id-2`, `id-3`, … when a file of that name exists or is planned.
fn free_id(dir: &Path, id: &str, taken: &std::collections::HashSet<PathBuf>) -> String {
    let mut n = 1;
    loop {
        let candidate = if n == 1 { id.to_string() } else { format!("{id}-{n}") };
        let path = dir.join(format!("{candidate}.md"));
        if !path.exists() && !taken.contains(&path) {
            return candidate;
        }
        n += 1;
    }
}

fn count_stats(report: &mut ImportReport, stats: &ReadStats) {
    report.malformed_lines += stats.malformed;
    report.unknown_records += stats.unknown;
}

fn display_path(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root).ok().filter(|r| !r.as_os_str().is_empty()) {
        Some(rel) => rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"),
        None => path.display().to_string(),
    }
}

fn rel(root: &Path, path: &Path) -> String {
    display_path(root, path)
}

fn print_report(report: &ImportReport, format: Format) {
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(report).unwrap_or_default());
        return;
    }
    let verb = |status: &str| match (report.dry_run, status) {
        (true, "new") => "would import",
        (true, _) => "would update",
        (false, "new") => "imported",
        (false, _) => "updated",
    };
    for s in &report.imported {
        let commit = s.commit.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default();
        let secrets = if s.secrets_scrubbed > 0 { format!(", {} secrets scrubbed", s.secrets_scrubbed) } else { String::new() };
        println!("{} {} → {}{commit} ({} turns{secrets})", verb(s.status), s.from, s.session, s.turns);
    }
    for s in &report.skipped {
        println!("skipped {}: {}", s.path, s.reason);
    }
    let new = report.imported.iter().filter(|s| s.status == "new").count();
    let updated = report.imported.len() - new;
    println!(
        "{new} new, {updated} updated, {} unchanged, {} skipped; {} secrets scrubbed; {} malformed lines skipped; tokens {} in / {} out",
        report.unchanged,
        report.skipped.len(),
        report.secrets_scrubbed,
        report.malformed_lines,
        report.tokens.input,
        report.tokens.output
    );
    // Evolution looks back 7 days on its first run; imported work is usually older.
    let oldest = report
        .imported
        .iter()
        .filter_map(|s| s.started.as_deref())
        .filter_map(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
        .min();
    if let Some(oldest) = oldest {
        let days = (OffsetDateTime::now_utc() - oldest).whole_days() + 1;
        if days > 7 {
            println!("to learn from this history: llmos evolve --since {days}d");
        }
    }
}

/// A one-line progress bar on a terminal; nothing otherwise (the report follows).
struct Progress {
    total: usize,
    enabled: bool,
}

impl Progress {
    fn new(total: usize, enabled: bool) -> Progress {
        Progress { total, enabled: enabled && total > 1 }
    }

    fn show(&self, done: usize, name: &str) {
        if !self.enabled {
            return;
        }
        const WIDTH: usize = 24;
        let filled = done * WIDTH / self.total.max(1);
        let name: String = name.chars().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K[{}{}] {done}/{} {name}", "#".repeat(filled), " ".repeat(WIDTH - filled), self.total);
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}
