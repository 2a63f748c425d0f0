//! The one place where positions, URIs and diagnostics change shape between the core
//! crates (byte offsets, paths, plain structs) and LSP.

use std::ops::Range;
use std::path::{Path, PathBuf};

use llmos_documents::line_index::ColumnUnit;
use llmos_documents::{Diagnostic, LineIndex, Severity, rules};
use tower_lsp_server::ls_types::{self as lsp, Uri};

/// A text with its line index and the client's column unit.
pub struct PosConv<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub unit: ColumnUnit,
}

impl PosConv<'_> {
    pub fn position(&self, offset: usize) -> lsp::Position {
        let (line, col) = self.index.position(self.text, offset, self.unit);
        lsp::Position::new(line as u32, col as u32)
    }

    pub fn range(&self, range: &Range<usize>) -> lsp::Range {
        lsp::Range::new(self.position(range.start), self.position(range.end))
    }

    /// Clamps positions past the end of a line or the document.
    pub fn offset(&self, pos: lsp::Position) -> usize {
        self.index.offset(self.text, pos.line as usize, pos.character as usize, self.unit)
    }

    pub fn offsets(&self, range: lsp::Range) -> Range<usize> {
        let a = self.offset(range.start);
        let b = self.offset(range.end);
        a.min(b)..a.max(b)
    }

    pub fn diagnostic(&self, d: &Diagnostic) -> lsp::Diagnostic {
        self.diagnostic_with(d, rules::doc_url(d.rule).parse().ok())
    }

    /// Every diagnostic of a document: each rule's documentation link parsed once, not
    /// once per diagnostic (this runs on every keystroke).
    pub fn diagnostics(&self, ds: &[Diagnostic]) -> Vec<lsp::Diagnostic> {
        let mut hrefs: std::collections::HashMap<&'static str, Option<Uri>> = std::collections::HashMap::new();
        ds.iter()
            .map(|d| {
                let href = hrefs.entry(d.rule).or_insert_with(|| rules::doc_url(d.rule).parse().ok()).clone();
                self.diagnostic_with(d, href)
            })
            .collect()
    }

    fn diagnostic_with(&self, d: &Diagnostic, href: Option<Uri>) -> lsp::Diagnostic {
        lsp::Diagnostic {
            range: self.range(&d.range),
            severity: Some(severity(d.severity)),
            code: Some(lsp::NumberOrString::String(d.rule.to_string())),
            code_description: href.map(|href| lsp::CodeDescription { href }),
            source: Some("llmos".into()),
            message: d.message.clone(),
            related_information: None,
            tags: None,
            data: None,
        }
    }

    pub fn text_edit(&self, e: &llmos_documents::Edit) -> lsp::TextEdit {
        lsp::TextEdit { range: self.range(&e.range), new_text: e.new_text.clone() }
    }
}

pub fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

/// A `file:` URI's path; `None` for other schemes.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn path_to_uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

pub fn column_unit(encoding: &lsp::PositionEncodingKind) -> ColumnUnit {
    if *encoding == lsp::PositionEncodingKind::UTF8 { ColumnUnit::Utf8 } else { ColumnUnit::Utf16 }
}
