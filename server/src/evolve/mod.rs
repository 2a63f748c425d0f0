//! One evolution run over a volume (docs/design.md §5), shared by `llmos evolve`, the
//! `llmos.evolution.run` command and the scheduler: read the session history, build a
//! record per session, detect patterns, keep the strong ones, write or update skills
//! (never over a person's edits), commit, and write a report.

pub mod state;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use llmos_documents::lint::{DocContext, NoEnv, lint_skill};
use llmos_documents::{SessionDoc, Severity, VolumeKind};
use llmos_evolution::{EvolutionResult, GenerationState, Pattern, SessionRecord, SkillAction, SkillOutcome, Thresholds};
use llmos_vcs::{HistoryOptions, Volume, commit_message};
use llmos_workspace::Config;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub volume: VolumeKind,
    /// Only commits newer than now − since; `None`: since the last run (7 days the first time).
    pub since: Option<Duration>,
    pub dry_run: bool,
    /// `local`, `llm` or `hybrid`; `None`: `[evolution] detector`.
    pub detector: Option<String>,
}

/// Asks the configured LLM one prompt and returns its answer (blocking).
pub type Ask<'a> = &'a dyn Fn(&str) -> Result<String, String>;

/// Progress reported while running: a step name and a count.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

#[derive(Debug)]
pub struct RunOutput {
    pub result: EvolutionResult,
    pub report: Option<PathBuf>,
}

/// Thresholds: the per-volume defaults with `[evolution.<volume>]` applied.
pub fn thresholds(config: &Config, kind: VolumeKind) -> Thresholds {
    let job = config.job(kind);
    let mut t = Thresholds::for_volume(kind);
    t.min_occurrences = job.min_occurrences;
    t.min_confidence = job.min_confidence;
    t.generate_min_confidence = job.generate_min_confidence;
    t
}

/// Reads the history since `since` into one record per session (its newest commit),
/// with the other user turns read from the session file at that commit.
pub fn read_records(repo: &Volume, since: Option<time::OffsetDateTime>, cancel: &dyn Fn() -> bool) -> Result<(usize, Vec<SessionRecord>), String> {
    let entries = repo.history(&HistoryOptions { since, limit: None, session_paths: false }).map_err(|e| e.to_string())?;
    let analyzed = entries.len();
    let mut newest: HashMap<String, usize> = HashMap::new();
    let mut records: Vec<SessionRecord> = Vec::with_capacity(entries.len());
    for e in entries {
        // Newest first: the first commit seen of a session holds all its turns.
        let key = e.commit.session.clone().unwrap_or_else(|| e.sha.clone());
        if newest.contains_key(&key) {
            continue;
        }
        if cancel() {
            return Err("cancelled".into());
        }
        let mut prompts = vec![e.commit.prompt.clone()];
        if let Some(id) = &e.commit.session
            && let Ok(Some(bytes)) = repo.file_at(&e.sha, Path::new(&repo.session_git_path(id)))
            && let Ok(text) = String::from_utf8(bytes)
        {
            let doc = SessionDoc::parse(&text);
            for p in doc.user_prompts(&text).into_iter().skip(1) {
                prompts.push(p);
            }
        }
        newest.insert(key, records.len());
        records.push(SessionRecord {
            sha: e.sha,
            author: e.author,
            email: e.email,
            time: e.timestamp,
            title: e.commit.title,
            prompts,
            artifacts: e.commit.artifacts.into_iter().map(|a| (a.kind, a.name)).collect(),
            traces: e.commit.traces,
            skills: e.commit.skills,
        });
    }
    Ok((analyzed, records))
}

/// Runs the pipeline. `llm` is used by the `llm` and `hybrid` detectors.
pub fn run(config: &Config, options: &RunOptions, llm: Option<Ask<'_>>, progress: Progress<'_>, cancel: &dyn Fn() -> bool) -> Result<RunOutput, String> {
    let vol = config.volume(options.volume);
    let repo = Volume::open(&vol.path).map_err(|e| e.to_string())?;
    let mut st = state::load(config, options.volume);
    let since = match options.since {
        Some(d) => Some(time::OffsetDateTime::now_utc() - d),
        None => Some(
            st.last_run
                .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                .unwrap_or_else(|| time::OffsetDateTime::now_utc() - Duration::from_secs(7 * 86_400)),
        ),
    };
    progress("reading history");
    let (analyzed, records) = read_records(&repo, since, cancel)?;
    progress(&format!("detecting patterns in {} sessions", records.len()));
    let detector = options.detector.clone().unwrap_or_else(|| config.evolution.detector.clone());
    let mut warnings = Vec::new();
    let patterns = detect(&detector, &records, llm, &mut warnings)?;
    if cancel() {
        return Err("cancelled".into());
    }
    let thresholds = thresholds(config, options.volume);
    let mut kept = thresholds.filter(patterns);
    for p in &mut kept {
        p.confidence = thresholds.boosted_confidence(p);
    }
    let mut result = EvolutionResult { commits_analyzed: analyzed, patterns: kept.clone(), skills: Vec::new(), warnings };
    let writable = vol.writable || options.volume != VolumeKind::System;
    if !writable && !options.dry_run {
        result
            .warnings
            .push("the system volume is read-only: patterns were analysed, no skill was written (set `[volumes.system] writable = true` to allow it)".into());
    }
    if writable {
        progress(&format!("generating skills for {} patterns", kept.iter().filter(|p| thresholds.should_generate(p)).count()));
        for p in kept.iter().filter(|p| thresholds.should_generate(p)) {
            match generate(config, &repo, &vol.path, options.volume, p, options.dry_run) {
                Ok(Some(outcome)) => result.skills.push(outcome),
                Ok(None) => {}
                Err(e) => result.warnings.push(format!("{}: {e}", p.name)),
            }
        }
    }
    if !options.dry_run && !config.evolution.install.is_empty() {
        crate::cli::install::install_evolved(&config.evolution.install, &mut result);
    }
    let mut report = None;
    if !options.dry_run {
        report = write_report(config, options.volume, &result).map_err(|e| format!("cannot write the report: {e}"))?.into();
        st.last_run = Some(time::OffsetDateTime::now_utc().unix_timestamp());
        st.last_result = Some(state::Summary { commits_analyzed: result.commits_analyzed, patterns: result.patterns.len(), skills: result.skills.len() });
        state::save(config, options.volume, &st).map_err(|e| format!("cannot save the scheduler state: {e}"))?;
    }
    Ok(RunOutput { result, report })
}

fn detect(detector: &str, records: &[SessionRecord], llm: Option<Ask<'_>>, warnings: &mut Vec<String>) -> Result<Vec<Pattern>, String> {
    let local = || llmos_evolution::detect_local(records);
    match (detector, llm) {
        ("local", _) => Ok(local()),
        ("llm" | "hybrid", None) => {
            warnings.push(format!("the `{detector}` detector needs an [llm] in llmos.toml; used local detection"));
            Ok(local())
        }
        ("llm", Some(ask)) => {
            let mut found = Vec::new();
            for range in llmos_evolution::batches(records, 200) {
                let batch = &records[range];
                let prompt = llmos_evolution::build_detection_prompt(batch);
                let parsed = ask(&prompt).and_then(|t| llmos_evolution::parse_detection_response(&t, batch.len()).map_err(|e| e.to_string()));
                let parsed = match parsed {
                    Ok(p) => Ok(p),
                    Err(_) => ask(&prompt).and_then(|t| llmos_evolution::parse_detection_response(&t, batch.len()).map_err(|e| e.to_string())),
                };
                match parsed {
                    Ok(list) => found.extend(list.iter().map(|l| llmos_evolution::pattern_from_llm(batch, l))),
                    Err(e) => {
                        warnings.push(format!("the LLM's answer could not be used twice ({e}); used local detection"));
                        return Ok(local());
                    }
                }
            }
            Ok(llmos_evolution::merge_batch_patterns(found))
        }
        ("hybrid", Some(ask)) => {
            let mut patterns = local();
            for p in &mut patterns {
                let named = ask(&llmos_evolution::build_naming_prompt(p)).and_then(|t| llmos_evolution::parse_naming_response(&t).map_err(|e| e.to_string()));
                match named {
                    Ok(n) => {
                        p.name = n.name;
                        p.description = n.description;
                    }
                    Err(e) => warnings.push(format!("naming `{}` with the LLM failed ({e}); kept the local name", p.name)),
                }
            }
            Ok(patterns)
        }
        (other, _) => Err(format!("unknown detector `{other}`: local, llm or hybrid")),
    }
}

/// Writes (or updates, or proposes) the skill of one pattern and commits it.
fn generate(config: &Config, repo: &Volume, volume_root: &Path, kind: VolumeKind, pattern: &Pattern, dry_run: bool) -> Result<Option<SkillOutcome>, String> {
    let dir = volume_root.join("skills").join(&pattern.name);
    let path = dir.join("SKILL.md");
    let flat = volume_root.join("skills").join(format!("{}.md", pattern.name));
    let created = time::OffsetDateTime::now_utc().date().to_string();
    let (target, text, action) = match llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES)
        .ok()
        .or_else(|| llmos_workspace::bounded::read_text(&flat, llmos_workspace::bounded::DEFAULT_MAX_BYTES).ok())
    {
        None => (path.clone(), llmos_evolution::render_skill(pattern, &created), SkillAction::Created),
        Some(existing) => match llmos_evolution::generation_state(&existing) {
            GenerationState::Unedited => match llmos_evolution::update_skill(&existing, pattern) {
                Some(updated) => (path.clone(), updated, SkillAction::Updated),
                None => return Ok(None),
            },
            // A person wrote or edited it: the new evidence goes beside it.
            GenerationState::Edited | GenerationState::NotGenerated => {
                (dir.join("SKILL.proposed.md"), llmos_evolution::render_skill(pattern, &created), SkillAction::Proposed)
            }
        },
    };
    // A proposal never replaces one already there: the person may have written notes
    // into it that were never committed. The new evidence gets the next free name
    // (`SKILL.proposed-2.md`, …); an identical proposal is not written twice.
    let target = if action == SkillAction::Proposed {
        match free_proposal_path(&dir, &text) {
            Some(p) => p,
            None => return Ok(None),
        }
    } else {
        target
    };
    // Every generated skill passes the skill rules before it is written.
    let lint_path = if action == SkillAction::Proposed { path.clone() } else { target.clone() };
    let ctx = DocContext { path: &lint_path, volume: Some(kind), profile: config.profile };
    let errors: Vec<String> =
        lint_skill(&text, &ctx, &NoEnv).into_iter().filter(|d| d.severity == Severity::Error).map(|d| format!("{} {}", d.rule, d.message)).collect();
    if !errors.is_empty() {
        return Err(format!("the generated skill failed the skill rules and was not written: {}", errors.join("; ")));
    }
    let outcome = SkillOutcome { name: pattern.name.clone(), path: target.display().to_string(), action };
    if dry_run {
        return Ok(Some(outcome));
    }
    let subject = commit_message::render_skill_subject(&pattern.name, pattern.occurrences, pattern.confidence);
    repo.commit_files(&[(target, text.into_bytes())], subject.trim_end()).map_err(|e| e.to_string())?;
    Ok(Some(outcome))
}

/// The first proposal name not taken, or `None` when one of them already holds `text`.
fn free_proposal_path(dir: &Path, text: &str) -> Option<PathBuf> {
    for n in 1..1000 {
        let candidate = if n == 1 { dir.join("SKILL.proposed.md") } else { dir.join(format!("SKILL.proposed-{n}.md")) };
        match std::fs::symlink_metadata(&candidate) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(candidate),
            _ if llmos_workspace::bounded::read_text(&candidate, llmos_workspace::bounded::DEFAULT_MAX_BYTES).ok().as_deref() == Some(text) => return None,
            _ => {}
        }
    }
    None
}

fn write_report(config: &Config, kind: VolumeKind, result: &EvolutionResult) -> std::io::Result<PathBuf> {
    let dir = config.root.join(".llmos").join("reports");
    std::fs::create_dir_all(&dir)?;
    let stamp = time::OffsetDateTime::now_utc();
    let base = format!(
        "evolution-{}-{:04}{:02}{:02}-{:02}{:02}{:02}",
        kind.as_str(),
        stamp.year(),
        u8::from(stamp.month()),
        stamp.day(),
        stamp.hour(),
        stamp.minute(),
        stamp.second()
    );
    let svg = dir.join(format!("{base}.svg"));
    std::fs::write(&svg, llmos_evolution::render_occurrences_svg(&result.patterns))?;
    let md = dir.join(format!("{base}.md"));
    std::fs::write(&md, llmos_evolution::render_report(result, Some(&format!("{base}.svg"))))?;
    Ok(md)
}
