//! Hover previews of artifacts as Markdown (docs/design.md §4 "Hover previews").
//!
//! Every preview reads at most what it needs: the head of a code or Markdown file, the
//! whole of a JSON or CSV file only up to [`PreviewOptions::max_bytes`], the header of an
//! image. Whatever is wrong with a file — missing, a directory, empty, binary, huge,
//! malformed — becomes a short message in the Markdown, never a panic or an error the
//! caller must handle. Turning the Markdown into an LSP hover and a path into a URI is the
//! server's job.

mod circuit;
mod code;
mod image_size;
mod markdown_format;
mod markdown_section;
mod plot;
mod scene;
mod skill_card;
mod svg_chart;

pub use skill_card::{SkillCard, render_skill_card};

use skill_card::SkillPreview;

use crate::fence_info::FenceArtifact;
use crate::file_head::{FileHead, as_text, human_size, read_head};
use crate::kind::{ArtifactKind, kind_for_path};
use crate::link::resolve_link;
use markdown_format::{clip_line, escape_inline};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// How a preview may be rendered and how much it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviewOptions {
    /// The client renders Markdown images in hovers: plots get an inline SVG chart
    /// instead of a text sparkline.
    pub images: bool,
    /// The most bytes read for a file that must be read whole (JSON) or a CSV head.
    /// Code and Markdown heads read at most 64 KiB and never more than this.
    pub max_bytes: u64,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions { images: false, max_bytes: 256 * 1024 }
    }
}

/// A rendered preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub kind: ArtifactKind,
    /// The hover's Markdown: a `**name** · kind` line, then the preview or a short message.
    pub markdown: String,
    /// For images: the file to show. The crate builds no URIs; see
    /// [`Preview::markdown_with_image`].
    pub image_path: Option<PathBuf>,
    /// For images: the alt text, `name, format · W × H px`, so a client that shows only
    /// the alt text of an image (most terminal editors) still says what it is.
    pub image_alt: Option<String>,
}

impl Preview {
    /// The Markdown with the image (for image previews) shown above it, `link` being the
    /// URI the caller built for [`Preview::image_path`]. Other previews are unchanged.
    pub fn markdown_with_image(&self, link: &str) -> String {
        match &self.image_path {
            Some(path) => {
                let alt = match &self.image_alt {
                    Some(alt) => escape_inline(alt),
                    None => path.file_name().map(|name| escape_inline(&name.to_string_lossy())).unwrap_or_default(),
                };
                format!("![{alt}](<{link}>)\n\n{}", self.markdown)
            }
            None => self.markdown.clone(),
        }
    }
}

/// Resolves a link written in a document (see [`resolve_link`]) and previews the file.
/// A link that leaves the volume is never read: the preview says so instead.
pub fn preview_link(volume_root: &Path, document_path: &Path, link_target: &str, options: &PreviewOptions) -> Preview {
    match resolve_link(volume_root, document_path, link_target) {
        Ok(path) => preview_file(&path, options),
        Err(err) => {
            let target = link_target.split(['#', '?']).next().unwrap_or(link_target);
            let kind = kind_for_path(Path::new(target));
            Preview { markdown: message(&clip_line(target.trim(), 80), &kind, &err.to_string()), kind, image_path: None, image_alt: None }
        }
    }
}

/// Previews the file at `path` by the kind its name gives. The caller vouches that the
/// path is allowed (use [`preview_link`] for links from documents).
pub fn preview_file(path: &Path, options: &PreviewOptions) -> Preview {
    preview_file_as(path, &kind_for_path(path), options)
}

/// Previews the file at `path` as `kind` (for a `type=` that overrides the file name).
pub fn preview_file_as(path: &Path, kind: &ArtifactKind, options: &PreviewOptions) -> Preview {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let body = match fs::metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Err("file not found".to_string()),
        Err(err) => Err(format!("cannot read the file: {err}")),
        Ok(metadata) if metadata.is_dir() => Err("is a directory".to_string()),
        // FIFOs and devices would block or never end.
        Ok(metadata) if !metadata.is_file() => Err("not a regular file".to_string()),
        Ok(metadata) if metadata.len() == 0 => Err("empty file".to_string()),
        Ok(metadata) => file_body(path, kind, metadata.len(), options),
    };
    let (image_path, image_alt) = match (&body, kind) {
        (Ok(Body::Text(size)), ArtifactKind::Image) => (Some(path.to_path_buf()), Some(format!("{name}, {size}"))),
        (Ok(_), ArtifactKind::Image) => (Some(path.to_path_buf()), None),
        _ => (None, None),
    };
    Preview { kind: kind.clone(), markdown: compose(&name, kind, body), image_path, image_alt }
}

/// Previews an inline artifact from the content of its fence.
pub fn preview_inline(artifact: &FenceArtifact, content: &str, options: &PreviewOptions) -> Preview {
    let kind = &artifact.kind;
    let body = if content.trim().is_empty() {
        Err("empty".to_string())
    } else if content.len() as u64 > options.max_bytes {
        Err(too_large(content.len() as u64, options.max_bytes))
    } else {
        text_body(content, kind, false, options)
    };
    let name = clip_line(&artifact.name, 80);
    Preview { kind: kind.clone(), markdown: compose(&name, kind, body), image_path: None, image_alt: None }
}

/// What a previewer produced: text to show under the `**name** · kind` header, or a skill
/// card, which has a header of its own.
enum Body {
    Text(String),
    Card(String),
}

fn compose(name: &str, kind: &ArtifactKind, body: Result<Body, String>) -> String {
    match body {
        Ok(Body::Text(text)) => format!("{}\n\n{text}", header(name, kind)),
        Ok(Body::Card(card)) => card,
        Err(problem) => message(name, kind, &problem),
    }
}

fn header(name: &str, kind: &ArtifactKind) -> String {
    format!("**{}** · {}", escape_inline(name), kind.label())
}

fn message(name: &str, kind: &ArtifactKind, problem: &str) -> String {
    format!("{}\n\n⚠ {}", header(name, kind), escape_inline(problem))
}

fn too_large(total: u64, limit: u64) -> String {
    format!("too large to preview ({}, the limit is {})", human_size(total), human_size(limit))
}

fn file_body(path: &Path, kind: &ArtifactKind, total_len: u64, options: &PreviewOptions) -> Result<Body, String> {
    let read_error = |err: io::Error| format!("cannot read the file: {err}");
    let is_svg = path.extension().is_some_and(|ext| ext.eq_ignore_ascii_case("svg"));
    let is_csv = path.extension().is_some_and(|ext| !ext.eq_ignore_ascii_case("json"));
    match kind {
        ArtifactKind::Image if is_svg => {
            let head = read_head(path, image_size::SVG_HEAD_BYTES.min(options.max_bytes)).map_err(read_error)?;
            let text = as_text(&head.bytes, head.is_truncated()).ok_or("not an SVG file (binary content)")?;
            image_size::svg_size(text).map(|size| size.describe()).ok_or_else(|| "not an SVG file (no `<svg>` element)".to_string())
        }
        ArtifactKind::Image => {
            let mut file = io::BufReader::new(File::open(path).map_err(read_error)?);
            let size = image_size::raster_size(&mut file).map_err(read_error)?;
            Ok(match size {
                Some(size) => size.describe(),
                None => format!("{} · pixel size unknown (no image header it recognises)", human_size(total_len)),
            })
        }
        ArtifactKind::Code { language } => {
            let head = read_head(path, code::HEAD_BYTES.min(options.max_bytes)).map_err(read_error)?;
            code::preview_code_file(path, &head, language)
        }
        ArtifactKind::Other => {
            let head = read_head(path, code::HEAD_BYTES.min(options.max_bytes)).map_err(read_error)?;
            match as_text(&head.bytes, head.is_truncated()) {
                Some(_) => code::preview_code_file(path, &head, ""),
                None => Ok(format!("binary file, {}", human_size(total_len))),
            }
        }
        ArtifactKind::Plot if is_csv => {
            let head = read_head(path, options.max_bytes).map_err(read_error)?;
            let text = head_text(&head)?;
            plot::preview_csv(text, head.is_truncated(), options.images)
        }
        ArtifactKind::Markdown | ArtifactKind::Skill => {
            let head = read_head(path, code::HEAD_BYTES.min(options.max_bytes)).map_err(read_error)?;
            let text = head_text(&head)?;
            return text_body(text, kind, head.is_truncated(), options);
        }
        ArtifactKind::QuantumCircuit | ArtifactKind::Scene3d | ArtifactKind::Plot => {
            if total_len > options.max_bytes {
                return Err(too_large(total_len, options.max_bytes));
            }
            let head = read_head(path, options.max_bytes).map_err(read_error)?;
            let text = head_text(&head)?;
            match kind {
                ArtifactKind::Plot => plot::preview_plot_json(text, options.images),
                _ => return text_body(text, kind, false, options),
            }
        }
    }
    .map(Body::Text)
}

fn head_text(head: &FileHead) -> Result<&str, String> {
    as_text(&head.bytes, head.is_truncated()).ok_or_else(|| code::binary_message(head.total_len))
}

/// The preview of artifact text already in memory (a file's head or an inline fence).
fn text_body(text: &str, kind: &ArtifactKind, truncated: bool, options: &PreviewOptions) -> Result<Body, String> {
    if text.contains('\0') {
        return Err(code::binary_message(text.len() as u64));
    }
    match kind {
        ArtifactKind::QuantumCircuit => circuit::preview_circuit(text),
        ArtifactKind::Scene3d => scene::preview_scene(text),
        ArtifactKind::Plot => {
            let trimmed = text.trim_start_matches('\u{feff}').trim_start();
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                plot::preview_plot_json(text, options.images)
            } else {
                plot::preview_csv(text, truncated, options.images)
            }
        }
        ArtifactKind::Markdown => markdown_section::first_section(text).ok_or_else(|| "no content after the frontmatter".to_string()),
        ArtifactKind::Skill => {
            return match skill_card::preview_skill_text(text) {
                Some(SkillPreview::Card(card)) => Ok(Body::Card(card)),
                Some(SkillPreview::Section(section)) => Ok(Body::Text(section)),
                None => Err("no content after the frontmatter".to_string()),
            };
        }
        ArtifactKind::Image => Ok(image_size::svg_size(text).map_or_else(|| "inline image".to_string(), |size| size.describe())),
        ArtifactKind::Code { language } => Ok(code::preview_code_text(text, language)),
        ArtifactKind::Other => Ok(code::preview_code_text(text, "")),
    }
    .map(Body::Text)
}
