//! Sessions in git: new session, commit as context memory, export, and the commit state
//! shown in diagnostics, lenses and hovers. The commit logic is shared with the CLI.

use std::path::{Path, PathBuf};

use llmos_artifacts::{kind_for_path, parse_fence_artifact};
use llmos_documents::frontmatter::{apply_edits, set_fields};
use llmos_documents::{Diagnostic, Role, SessionDoc, VolumeKind, rules, slug};
use llmos_vcs::{ArtifactRef, ContextMemory, Volume, commit_message};
use llmos_workspace::Config;
use serde_json::{Value, json};

use crate::Workspace;

pub fn is_repository(dir: &Path) -> bool {
    Volume::open(dir).is_ok()
}

/// How a session's text relates to git.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitState {
    /// Identical to HEAD; the short sha of its commit.
    Clean(String),
    /// Committed before, changed since; the short sha of that commit.
    Changed(String),
    /// Never committed (or not in a repository).
    New,
}

pub fn commit_state(ws: &Workspace, path: &Path, text: &str) -> Option<CommitState> {
    let vol = ws.config.volume_of(path)?;
    // Remembered per (path, HEAD): typing in a committed session walks no history.
    let facts = ws.git.facts(&vol.path, path)?;
    let last = || facts.last_short.clone();
    Some(match &facts.head_blob {
        Some(blob) if blob == text.as_bytes() => CommitState::Clean(last().unwrap_or_default()),
        Some(_) => match last() {
            Some(short) => CommitState::Changed(short),
            None => CommitState::New,
        },
        None => CommitState::New,
    })
}

/// The "changed since commit abc1234" information diagnostic.
pub fn changed_since_commit(ws: &Workspace, path: &Path, doc: &SessionDoc, text: &str) -> Vec<Diagnostic> {
    if !doc.is_marked_committed() && doc.frontmatter.value("commit").is_none_or(|v| v.is_null()) {
        return Vec::new();
    }
    match commit_state(ws, path, text) {
        Some(CommitState::Changed(short)) => {
            let range = doc.frontmatter.get("commit").or_else(|| doc.frontmatter.get("status")).map_or(0..0, |(k, v)| k.span.start..v.span.end.max(k.span.end));
            vec![Diagnostic::new(&rules::SESSION_CHANGED_SINCE_COMMIT, range, format!("changed since commit {short}"))]
        }
        _ => Vec::new(),
    }
}

/// Hover on `commit:`: the session's own commit (whose parent is the recorded base) and
/// the base itself.
pub fn commit_hover(ws: &Workspace, path: &Path, sha: &str) -> Option<String> {
    let vol = ws.config.volume_of(path)?;
    let repo = Volume::open(&vol.path).ok()?;
    let describe = |c: &llmos_vcs::CommitSummary| {
        let files = c.changed_files.iter().take(20).map(|f| format!("- `{f}`")).collect::<Vec<_>>().join("\n");
        format!("**{}** `{}`\n\n{} <{}> · {}\n\n{}", c.subject, c.short, c.author, c.email, c.time, files)
    };
    let own = repo.last_commit_touching(path).ok().flatten();
    if sha == "null" || sha.is_empty() || sha == "~" {
        return own.map(|c| describe(&c)).or_else(|| Some("*not committed yet*".into()));
    }
    let base = repo.commit_info(sha).ok();
    match (own, base) {
        (Some(own), base) if own.parent.as_deref() == Some(sha) || base.is_none() => {
            Some(format!("{}\n\n---\ncommitted on top of `{}`", describe(&own), sha.chars().take(7).collect::<String>()))
        }
        (_, Some(base)) => Some(format!("{}\n\n---\n*base of the last session commit; the session has changed since*", describe(&base))),
        (_, None) => Some(format!("*no commit `{sha}` in this volume*")),
    }
}

/// The context-memory summary of a session.
pub fn context_memory(config: &Config, path: &Path, text: &str) -> ContextMemory {
    let doc = SessionDoc::parse(text);
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("session").to_string();
    let mut artifacts: Vec<ArtifactRef> = Vec::new();
    let mut push = |kind: String, name: String| {
        if !artifacts.iter().any(|a| a.kind == kind && a.name == name) {
            artifacts.push(ArtifactRef { kind, name });
        }
    };
    for f in &doc.fences {
        if let Some(a) = parse_fence_artifact(&f.info) {
            push(a.kind.as_str().to_string(), a.name);
        }
    }
    for l in &doc.links {
        let target = l.target.split(['#', '?']).next().unwrap_or("");
        let name = Path::new(target).file_name().and_then(|n| n.to_str()).unwrap_or(target).to_string();
        if let Some(skill) = llmos_workspace::index::linked_skill_name(path, &l.target) {
            push("skill".into(), skill);
        } else if !name.is_empty() {
            push(kind_for_path(Path::new(target)).as_str().to_string(), name);
        }
    }
    let model = doc
        .model()
        .map(str::to_string)
        .or_else(|| doc.turns.iter().rev().filter(|t| t.role == Some(Role::Assistant)).find_map(|t| t.attr("model").map(str::to_string)))
        .or_else(|| config.llm.as_ref().and_then(|l| l.model.clone()));
    ContextMemory {
        title: doc.title().map(str::to_string).unwrap_or_else(|| stem.clone()),
        prompt: doc.first_prompt(text).unwrap_or_default(),
        messages: doc.message_count(text),
        artifacts,
        traces: doc.trace_count(),
        session: doc.id().map(str::to_string).unwrap_or(stem),
        skills: doc.pinned_skills().into_iter().map(|(s, _)| s.to_string()).collect(),
        model,
        tokens: session_tokens(&doc),
    }
}

/// The session's recorded usage for the commit's Stats, `None` when no reply recorded any.
fn session_tokens(doc: &SessionDoc) -> Option<llmos_vcs::TokenStats> {
    let usage = llmos_documents::usage::session_usage(doc);
    (usage.replies > 0).then_some(llmos_vcs::TokenStats { input: usage.total.input, output: usage.total.output })
}

/// The result of committing a session.
pub struct Committed {
    pub sha: String,
    pub short: String,
    /// The text now on disk and in HEAD.
    pub text: String,
}

/// Commits `text` as the session at `path`: stamps `status: committed` and
/// `commit: <base>`, writes the file and commits that path alone. Nothing is written
/// when it fails.
pub fn commit_text(config: &Config, path: &Path, text: &str) -> Result<Committed, String> {
    commit_text_at(config, path, text, None)
}

/// [`commit_text`] authored at `when` (unix seconds; `None`: now).
pub fn commit_text_at(config: &Config, path: &Path, text: &str, when: Option<i64>) -> Result<Committed, String> {
    commit_text_with(config, path, text, when, true)
}

/// [`commit_text`] for a session open in an editor: the file on disk is left for the
/// editor to save (see [`Volume::commit_buffer_with`]).
pub fn commit_buffer_text(config: &Config, path: &Path, text: &str) -> Result<Committed, String> {
    commit_text_with(config, path, text, None, false)
}

fn commit_text_with(config: &Config, path: &Path, text: &str, when: Option<i64>, write_file: bool) -> Result<Committed, String> {
    let vol = config.volume_of(path).ok_or_else(|| format!("{} is not inside a volume of this workspace", path.display()))?;
    if vol.kind == VolumeKind::System && !vol.writable {
        return Err("the system volume is read-only; set `[volumes.system] writable = true` in llmos.toml to commit there".into());
    }
    let repo = Volume::open(&vol.path).map_err(|e| e.to_string())?;
    if SessionDoc::parse(text).frontmatter.block.is_none() {
        return Err("the session has no frontmatter; add it (quick fix “Add frontmatter”) before committing".into());
    }
    if repo.blob_at_head(path).ok().flatten().as_deref() == Some(text.as_bytes()) {
        let short = repo.last_commit_touching(path).ok().flatten().map(|c| c.short).unwrap_or_default();
        return Err(format!("nothing to commit: the session is unchanged since commit {short}"));
    }
    // The context memory does not depend on the two stamped fields, so the message can be
    // rendered before the base is known.
    let message = commit_message::render(&context_memory(config, path, text));
    let edits_for = |base: &str| set_fields(text, &[("status", "committed"), ("commit", base)]);
    if edits_for("null").is_none() {
        return Err("the frontmatter is not valid YAML; fix it before committing".into());
    }
    let mut stamped = String::new();
    let build = |base: Option<&llmos_vcs::CommitId>| {
        let base = base.map_or("null".to_string(), |b| b.sha());
        stamped = edits_for(&base).map_or_else(|| text.to_string(), |e| apply_edits(text, &e));
        stamped.clone().into_bytes()
    };
    let id = if write_file { repo.commit_file_with_at(path, &message, when, build) } else { repo.commit_buffer_with(path, &message, build) }
        .map_err(|e| e.to_string())?;
    Ok(Committed { sha: id.sha(), short: id.short(), text: stamped })
}

/// The `commit:` value a committed text carries (`null` when none).
pub fn committed_base(text: &str) -> String {
    SessionDoc::parse(text).frontmatter.str_value("commit").unwrap_or("null").to_string()
}

/// A new session id: sortable date-time plus a slug of the title.
pub fn new_session_id(title: &str, now: time::OffsetDateTime) -> String {
    let slug = slug::slugify(title).map(|s| s.chars().take(40).collect::<String>()).unwrap_or_else(|| "session".into());
    let slug = slug.trim_end_matches('-').to_string();
    format!("{:04}{:02}{:02}-{:02}{:02}-{slug}", now.year(), u8::from(now.month()), now.day(), now.hour(), now.minute())
}

/// The text of a new session.
pub fn new_session_text(title: &str, id: &str, now: time::OffsetDateTime) -> String {
    let created = now.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let title = llmos_documents::lint::yaml_scalar(title);
    format!("---\ntitle: {title}\nid: {id}\nstatus: uncommitted\ncommit: null\ncreated: {created}\n---\n\n<!-- turn: user -->\n\n")
}

/// Creates `sessions/<id>.md` in the volume; a unique id when one exists already.
pub fn create_session(config: &Config, volume: VolumeKind, title: &str) -> Result<PathBuf, String> {
    let vol = config.volume(volume);
    if volume == VolumeKind::System && !vol.writable {
        return Err("the system volume is read-only; create sessions in the user or team volume".into());
    }
    let dir = vol.path.join("sessions");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let now = time::OffsetDateTime::now_utc();
    let base = new_session_id(title, now);
    for n in 1..1000 {
        let id = if n == 1 { base.clone() } else { format!("{base}-{n}") };
        let path = dir.join(format!("{id}.md"));
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(mut f) => {
                use std::io::Write;
                f.write_all(new_session_text(title, &id, now).as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
    Err("could not find a free session id".into())
}

/// Plain Markdown (no markers) or JSON `{id, title, messages, artifacts, traces}`.
pub fn export_text(config: &Config, path: &Path, text: &str, format: &str) -> Result<Value, String> {
    let doc = SessionDoc::parse(text);
    let memory = context_memory(config, path, text);
    let messages: Vec<Value> = doc
        .turns
        .iter()
        .filter(|t| !t.is_blank(text))
        .map(|t| json!({ "role": t.role.map_or(t.role_text.as_str(), |r| r.as_str()), "content": t.text(text).trim() }))
        .collect();
    match format {
        "json" => Ok(json!({
            "id": memory.session,
            "title": memory.title,
            "messages": messages,
            "artifacts": memory.artifacts.iter().map(|a| json!({ "type": a.kind, "name": a.name })).collect::<Vec<_>>(),
            "traces": memory.traces,
        })),
        "markdown" | "md" => {
            let mut out = format!("# {}\n", memory.title);
            for t in doc.turns.iter().filter(|t| !t.is_blank(text)) {
                let role = t.role.map_or(t.role_text.as_str(), |r| r.title());
                out.push_str(&format!("\n## {role}\n\n{}\n", t.text(text).trim()));
            }
            Ok(Value::String(out))
        }
        other => Err(format!("unknown export format `{other}`: markdown or json")),
    }
}
