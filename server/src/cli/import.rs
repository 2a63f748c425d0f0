//! `llmos import claude-code|codex [PATH]`: the terminal side of `llmos_engine::import`
//! (a progress line on a terminal, then the report as text or JSON).

use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use llmos_documents::VolumeKind;
use llmos_engine::import::{ImportOptions, ImportReport};
use llmos_import::Source;
use time::OffsetDateTime;

use super::{Format, fail};

pub struct ImportArgs {
    pub agent: String,
    pub path: Option<PathBuf>,
    pub volume: VolumeKind,
    pub since: Option<OffsetDateTime>,
    pub project: Option<String>,
    pub dry_run: bool,
    pub format: Format,
}

pub fn run(args: ImportArgs) -> ExitCode {
    let source = match args.agent.as_str() {
        "claude-code" => Source::ClaudeCode,
        "codex" => Source::Codex,
        other => return fail(format!("unknown agent `{other}`: claude-code or codex")),
    };
    let config = match llmos_engine::workspace::load_config(None) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let options = ImportOptions { source, path: args.path, volume: args.volume, since: args.since, project: args.project, dry_run: args.dry_run };
    let bar = std::cell::RefCell::new(None::<Progress>);
    let progress = |done: usize, total: usize, name: &str| {
        bar.borrow_mut().get_or_insert_with(|| Progress::new(total, args.format == Format::Text && std::io::stderr().is_terminal())).show(done, name);
    };
    let report = llmos_engine::import::import(&config, &options, &progress);
    if let Some(bar) = bar.borrow().as_ref() {
        bar.finish();
    }
    let report = match report {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    print_report(&report, args.format);
    // A transcript that could not be committed is an error the caller must see; one
    // that is not a transcript is not.
    if report.failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
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
