//! `llmos check`: the server's rules for CI. Exit 0 without errors, 1 with errors, 2 when
//! it could not run.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use llmos_documents::line_index::ColumnUnit;
use llmos_documents::{LineIndex, Profile, Severity};
use llmos_workspace::check::{FileReport, check_paths};
use serde::Serialize;

use super::{Format, fail};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonDiagnostic {
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    severity: &'static str,
    code: &'static str,
    message: String,
}

pub fn run(paths: Vec<PathBuf>, profile: Option<String>, format: Format) -> ExitCode {
    let profile = match profile.as_deref().map(|p| Profile::parse(p).ok_or(p)) {
        Some(Err(p)) => return fail(format!("unknown profile `{p}`: llmos, agentskills or claude-code")),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    let paths = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths };
    let reports = match check_paths(&paths, profile) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let diags = flatten(&reports, &cwd);
    let errors = diags.iter().filter(|d| d.severity == "error").count();
    match format {
        Format::Json => match serde_json::to_string_pretty(&diags) {
            Ok(s) => println!("{s}"),
            Err(e) => return fail(e),
        },
        Format::Text => {
            for d in &diags {
                println!("{}:{}:{}: {}[{}]: {}", d.path, d.line, d.column, d.severity, d.code, d.message);
            }
            let warnings = diags.iter().filter(|d| d.severity == "warning").count();
            eprintln!("{} file(s) checked: {errors} error(s), {warnings} warning(s)", reports.len());
        }
    }
    if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn flatten(reports: &[FileReport], cwd: &Path) -> Vec<JsonDiagnostic> {
    let mut out = Vec::new();
    for r in reports {
        let index = LineIndex::new(&r.text);
        let shown = r.path.strip_prefix(cwd).unwrap_or(&r.path).display().to_string();
        let mut diags: Vec<_> = r.diagnostics.iter().collect();
        diags.sort_by_key(|d| (d.range.start, d.severity));
        for d in diags {
            let (l, c) = index.position(&r.text, d.range.start, ColumnUnit::Chars);
            let (el, ec) = index.position(&r.text, d.range.end, ColumnUnit::Chars);
            out.push(JsonDiagnostic {
                path: shown.clone(),
                line: l + 1,
                column: c + 1,
                end_line: el + 1,
                end_column: ec + 1,
                severity: severity(d.severity),
                code: d.rule,
                message: d.message.clone(),
            });
        }
    }
    out
}

fn severity(s: Severity) -> &'static str {
    s.as_str()
}
