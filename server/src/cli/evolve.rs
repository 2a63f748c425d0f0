//! `llmos evolve`: the evolution engine from a terminal.

use std::process::ExitCode;

use llmos_documents::VolumeKind;

use super::{Format, fail};
use llmos_engine::evolve::{self, RunOptions};

pub fn run(volume: String, since: Option<String>, dry_run: bool, detector: Option<String>, eval: bool, format: Format) -> ExitCode {
    let Some(volume) = VolumeKind::parse(&volume) else { return fail(format!("unknown volume `{volume}`: user, team or system")) };
    let since = match since.as_deref().map(llmos_engine::workspace::parse_since) {
        Some(Ok(t)) => Some(t),
        Some(Err(e)) => return fail(format!("--since: {e}")),
        None => None,
    };
    let config = match llmos_engine::workspace::load_config(None) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let asker = evolve::llm_asker(&config);
    let ask = asker.as_ref().map(|f| f.as_ref() as &dyn Fn(&str) -> Result<String, String>);
    let quiet = format == Format::Json;
    let progress = move |step: &str| {
        if !quiet {
            eprintln!("… {step}");
        }
    };
    let options = RunOptions { volume, since, dry_run, detector };
    let output = match evolve::run_with_eval(&config, &options, ask, &progress, &|| false, eval) {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    match format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&output.result).unwrap_or_default()),
        Format::Text => print_text(&output),
    }
    ExitCode::SUCCESS
}

pub fn print_text(output: &evolve::RunOutput) {
    let r = &output.result;
    println!("{} session commits analysed, {} patterns", r.commits_analyzed, r.patterns.len());
    for p in &r.patterns {
        println!("  {:<32} {:>3} sessions  {:>3.0}%  {}", p.name, p.occurrences, p.confidence * 100.0, p.authors.join(", "));
    }
    for s in &r.skills {
        println!("  skill {:?}: {} ({})", s.action, s.name, s.path);
        if let Some(t) = &s.trigger {
            println!("    trigger precision {:.2}, recall {:.2} ({} held out)", t.precision(), t.recall(), t.held_out);
        }
        if let Some(e) = &s.llm_eval {
            println!(
                "    with vs without the skill: win rate {:.2} over {} prompts; estimated tokens {} without, {} with, {} judging",
                e.win_rate(),
                e.trials,
                e.tokens_without,
                e.tokens_with,
                e.tokens_judge
            );
        }
    }
    for w in &r.warnings {
        println!("  warning: {w}");
    }
    if let Some(report) = &output.report {
        println!("report: {}", report.display());
    }
}
