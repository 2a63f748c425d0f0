//! One evolution run over a volume (docs/design.md §5), shared by `llmos evolve`, the
//! `llmos.evolution.run` command and the scheduler: read the session history, build a
//! record per session, detect patterns, keep the strong ones, write or update skills
//! (never over a person's edits), commit, and write a report.

mod eval;
pub mod state;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use llmos_documents::lint::{DocContext, NoEnv, lint_skill};
use llmos_documents::{Role, SessionDoc, Severity, SkillDoc, VolumeKind};
use llmos_evolution::distill::{CodeBlock, TraceError};
use llmos_evolution::trigger::{self, SkillCard, TriggerEval};
use llmos_evolution::{EvolutionResult, GenerationState, Pattern, SessionRecord, SkillAction, SkillOutcome, Thresholds};
use llmos_vcs::{HistoryOptions, Volume, commit_message};
use llmos_workspace::Config;

/// What to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub volume: VolumeKind,
    /// Only commits newer than this; `None`: since the last run (7 days the first time).
    pub since: Option<time::OffsetDateTime>,
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
        let mut session_path = None;
        let mut code = Vec::new();
        let mut errors = Vec::new();
        let mut answer = None;
        if let Some(id) = &e.commit.session {
            let git_path = repo.session_git_path(id);
            if let Ok(Some(bytes)) = repo.file_at(&e.sha, Path::new(&git_path))
                && let Ok(text) = String::from_utf8(bytes)
            {
                let doc = SessionDoc::parse(&text);
                for p in doc.user_prompts(&text).into_iter().skip(1) {
                    prompts.push(p);
                }
                (code, errors) = session_material(&doc, &text);
                answer = doc.turns.iter().find(|t| t.role == Some(Role::Assistant)).map(|t| cap_chars(t.text(&text).trim(), CODE_BLOCK_CHARS));
                session_path = Some(git_path);
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
            session_path,
            code,
            errors,
            answer,
        });
    }
    Ok((analyzed, records))
}

/// The most code a record keeps per block and per session: the skill shows a capped
/// excerpt, and a history of thousands of sessions must stay in memory.
const CODE_BLOCK_CHARS: usize = 8_000;
const CODE_BLOCKS: usize = 8;

fn cap_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The code blocks of a session's assistant turns and the error lines of its traces,
/// each with the first line that followed it (the fix, or the user's next request).
fn session_material(doc: &SessionDoc, text: &str) -> (Vec<CodeBlock>, Vec<TraceError>) {
    let mut code = Vec::new();
    let mut errors = Vec::new();
    let role_of = |turn: Option<usize>| turn.and_then(|t| doc.turns.get(t)).and_then(|t| t.role);
    for fence in doc.fences.iter().filter(|f| f.closed && role_of(f.turn) == Some(Role::Assistant)) {
        let Some(content) = text.get(fence.content.clone()) else { continue };
        if fence.is_trace() {
            let Some(error) = content.lines().rev().map(str::trim).find(|l| l.contains("Error") || l.contains("Exception") || l.starts_with("error")) else {
                continue;
            };
            // What came next: the rest of this turn after the trace, else the next turn.
            let after_in_turn = fence.turn.and_then(|t| doc.turns.get(t)).and_then(|t| text.get(fence.range.end..t.content.end)).unwrap_or("");
            let next_turn = fence.turn.and_then(|t| doc.turns.get(t + 1)).map(|t| t.text(text)).unwrap_or("");
            let fix = [after_in_turn, next_turn]
                .iter()
                .flat_map(|t| t.lines())
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with("```") && !l.starts_with("<!--"))
                .map(|l| cap_chars(l, 300));
            errors.push(TraceError { error: cap_chars(error, 300), fix });
        } else if code.len() < CODE_BLOCKS {
            code.push(CodeBlock {
                language: fence.language.clone().unwrap_or_default(),
                name: fence.artifact.clone(),
                text: cap_chars(content, CODE_BLOCK_CHARS),
            });
        }
    }
    (code, errors)
}

/// Runs the pipeline. `llm` is used by the `llm` and `hybrid` detectors and writes
/// skill bodies.
pub fn run(config: &Config, options: &RunOptions, llm: Option<Ask<'_>>, progress: Progress<'_>, cancel: &dyn Fn() -> bool) -> Result<RunOutput, String> {
    run_with_eval(config, options, llm, progress, cancel, false)
}

/// [`run`], and with `eval` (`llmos evolve --eval`) each written skill is also judged
/// by the LLM with and without it on its pattern's held-out prompts.
pub fn run_with_eval(
    config: &Config,
    options: &RunOptions,
    llm: Option<Ask<'_>>,
    progress: Progress<'_>,
    cancel: &dyn Fn() -> bool,
    eval: bool,
) -> Result<RunOutput, String> {
    let vol = config.volume(options.volume);
    // Nothing is read or written through a link leading out of the volume or workspace.
    for (root, path) in
        [(&vol.path, vol.path.join("skills")), (&config.root, config.root.join(".llmos/reports")), (&config.root, config.root.join(".llmos/evolution"))]
    {
        llmos_workspace::boundary::check_inside(root, &path).map_err(|e| format!("evolution refused: {e}"))?;
    }
    let repo = Volume::open(&vol.path).map_err(|e| e.to_string())?;
    let mut st = state::load(config, options.volume);
    let since = match options.since {
        Some(t) => Some(t),
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
    let judge = eval;
    if judge && llm.is_none() {
        result.warnings.push("--eval needs an [llm] in llmos.toml; only the offline trigger evaluation ran".into());
    }
    let writable = vol.writable || options.volume != VolumeKind::System;
    if !writable && !options.dry_run {
        result
            .warnings
            .push("the system volume is read-only: patterns were analysed, no skill was written (set `[volumes.system] writable = true` to allow it)".into());
    }
    if writable {
        progress(&format!("generating skills for {} patterns", kept.iter().filter(|p| thresholds.should_generate(p)).count()));
        let to_generate: Vec<&Pattern> = kept.iter().filter(|p| thresholds.should_generate(p)).collect();
        let mut competitors: Vec<SkillCard> = existing_cards(&vol.path);
        competitors.extend(to_generate.iter().map(|p| trigger::card_of(p)));
        let floors = (config.evolution.min_trigger_precision, config.evolution.min_trigger_recall);
        for p in to_generate {
            let members = llmos_evolution::distill::members(&records, p);
            let material = llmos_evolution::distill(&members);
            let eval = trigger::evaluate_pattern(p, &records, &competitors);
            let written = match llm {
                Some(ask) => write_body(config, &vol.path, options.volume, ask, p, &material, &eval, &mut result.warnings),
                None => None,
            };
            match generate(config, &repo, &vol.path, options.volume, p, &material, &eval, written.as_deref(), floors, options.dry_run) {
                Ok(Some(mut outcome)) => {
                    if let (true, Some(ask)) = (judge, llm) {
                        progress(&format!("judging {} with and without the skill", p.name));
                        let text = std::fs::read_to_string(&outcome.path)
                            .unwrap_or_else(|_| llmos_evolution::render_distilled_with(p, &material, Some(&eval), "dry-run", written.as_deref()));
                        outcome.llm_eval = Some(eval::judge_skill(ask, p, &records, &text));
                    }
                    result.skills.push(outcome)
                }
                Ok(None) => {}
                Err(e) => result.warnings.push(format!("{}: {e}", p.name)),
            }
        }
    }
    if !options.dry_run && !config.evolution.install.is_empty() {
        crate::install::install_evolved(&config.evolution.install, &mut result);
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

/// The skills already in the volume, as the chat's ranker sees them.
fn existing_cards(volume_root: &Path) -> Vec<SkillCard> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(volume_root.join("skills")) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        let file = if path.is_dir() { path.join("SKILL.md") } else { path };
        if file.extension().is_none_or(|e| e != "md") || llmos_workspace::boundary::check_inside(volume_root, &file).is_err() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        let doc = SkillDoc::parse(&text);
        let (Some(name), Some(description)) = (doc.name(), doc.description()) else { continue };
        out.push(SkillCard {
            name: name.to_string(),
            description: description.to_string(),
            keywords: doc.keywords().into_iter().map(str::to_string).collect(),
        });
    }
    out
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
                let Some(batch) = records.get(range) else { continue };
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

/// With an LLM: the model writes the body from the pattern's material; the whole skill
/// must pass the skill rules, else the offline body is used and a warning says why.
#[allow(clippy::too_many_arguments)]
fn write_body(
    config: &Config,
    volume_root: &Path,
    kind: VolumeKind,
    ask: Ask<'_>,
    pattern: &Pattern,
    material: &llmos_evolution::Material,
    eval: &TriggerEval,
    warnings: &mut Vec<String>,
) -> Option<String> {
    use llmos_evolution::writer;
    let body = ask(&writer::build_body_prompt(pattern, material)).and_then(|answer| writer::parse_body(&answer).map_err(|e| e.to_string()));
    let body = match body {
        Ok(body) => body,
        Err(e) => {
            warnings.push(format!("{}: the LLM's skill body could not be used ({e}); wrote the offline body", pattern.name));
            return None;
        }
    };
    let text = llmos_evolution::render_distilled_with(pattern, material, Some(eval), "2000-01-01", Some(&body));
    let path = volume_root.join("skills").join(&pattern.name).join("SKILL.md");
    let ctx = DocContext { path: &path, volume: Some(kind), profile: config.profile };
    let errors: Vec<String> =
        lint_skill(&text, &ctx, &NoEnv).into_iter().filter(|d| d.severity == Severity::Error).map(|d| format!("{} {}", d.rule, d.message)).collect();
    if !errors.is_empty() {
        warnings.push(format!("{}: the LLM's skill body failed the skill rules ({}); wrote the offline body", pattern.name, errors.join("; ")));
        return None;
    }
    Some(body)
}

/// Writes (or updates, or proposes) the skill of one pattern and commits it. A new
/// skill whose trigger evaluation falls below the floors is only proposed.
#[allow(clippy::too_many_arguments)]
fn generate(
    config: &Config,
    repo: &Volume,
    volume_root: &Path,
    kind: VolumeKind,
    pattern: &Pattern,
    material: &llmos_evolution::Material,
    eval: &TriggerEval,
    written: Option<&str>,
    (min_precision, min_recall): (f64, f64),
    dry_run: bool,
) -> Result<Option<SkillOutcome>, String> {
    let dir = volume_root.join("skills").join(&pattern.name);
    llmos_workspace::boundary::check_inside(volume_root, &dir).map_err(|e| e.to_string())?;
    let path = dir.join("SKILL.md");
    let flat = volume_root.join("skills").join(format!("{}.md", pattern.name));
    let created = time::OffsetDateTime::now_utc().date().to_string();
    let render = || llmos_evolution::render_distilled_with(pattern, material, Some(eval), &created, written);
    let below = eval.precision() < min_precision || eval.recall() < min_recall;
    let mut reason = None;
    let (target, text, action) = match llmos_workspace::bounded::read_text(&path, llmos_workspace::bounded::DEFAULT_MAX_BYTES)
        .ok()
        .or_else(|| llmos_workspace::bounded::read_text(&flat, llmos_workspace::bounded::DEFAULT_MAX_BYTES).ok())
    {
        None if below => {
            reason =
                Some(format!("trigger precision {:.2} / recall {:.2} below the floors {min_precision:.2} / {min_recall:.2}", eval.precision(), eval.recall()));
            (dir.join("SKILL.proposed.md"), render(), SkillAction::Proposed)
        }
        None => (path.clone(), render(), SkillAction::Created),
        Some(existing) => match llmos_evolution::generation_state(&existing) {
            GenerationState::Unedited => match llmos_evolution::update_skill(&existing, pattern) {
                Some(updated) => (path.clone(), updated, SkillAction::Updated),
                None => return Ok(None),
            },
            // A person wrote or edited it: the new evidence goes beside it.
            GenerationState::Edited | GenerationState::NotGenerated => (dir.join("SKILL.proposed.md"), render(), SkillAction::Proposed),
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
    let outcome = SkillOutcome { name: pattern.name.clone(), path: target.display().to_string(), action, trigger: Some(eval.clone()), reason, llm_eval: None };
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
    llmos_workspace::boundary::write_inside(&config.root, &svg, llmos_evolution::render_occurrences_svg(&result.patterns))?;
    let md = dir.join(format!("{base}.md"));
    llmos_workspace::boundary::write_inside(&config.root, &md, llmos_evolution::render_report(result, Some(&format!("{base}.svg"))))?;
    Ok(md)
}

/// A blocking "ask the LLM" function for the `llm`/`hybrid` detectors, when configured.
pub type Asker = std::sync::Arc<dyn Fn(&str) -> std::result::Result<String, String> + Send + Sync>;

/// The configured LLM as an [`Asker`]; `None` when no LLM is configured or its key is missing.
pub fn llm_asker(config: &Config) -> Option<Asker> {
    let cfg = crate::chat::llm_config(config, None).ok()?;
    let client = llmos_llm::LlmClient::new(&cfg, &llmos_llm::process_env).ok()?;
    let client = std::sync::Arc::new(client);
    Some(std::sync::Arc::new(move |prompt: &str| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let request = llmos_llm::ChatRequest {
            system: "You analyse work histories and answer only with JSON.".into(),
            messages: vec![llmos_llm::ChatMessage { role: llmos_llm::Role::User, content: prompt.to_string() }],
            model: None,
            max_tokens: None,
        };
        runtime.block_on(client.complete(&request, &llmos_llm::CancellationToken::new())).map_err(|e| e.to_string())
    }))
}

/// Why a run will only report (write no skill), when it will: the system volume is
/// read-only unless `[volumes.system] writable = true`.
pub fn report_only_reason(config: &Config, options: &RunOptions) -> Option<&'static str> {
    (options.volume == VolumeKind::System && !config.volume(options.volume).writable && !options.dry_run)
        .then_some("the system volume is read-only: evolution will only report patterns, no skill is written (`[volumes.system] writable = true` allows it)")
}
