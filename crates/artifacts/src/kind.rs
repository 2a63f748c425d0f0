//! Artifact kinds: what a file (or an inline fence) holds, decided from its name alone.
//!
//! The kind picks the previewer and gives the type name written in commit messages
//! (docs/design.md §3.2, §3.3). Nothing here touches the file system.

use std::fmt;
use std::path::{Component, Path};

/// What an artifact holds. `as_str` gives the type name used in commit messages.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ArtifactKind {
    /// Source code; `language` is the id to put after a code fence (`python`, `rust`, …).
    Code {
        language: String,
    },
    QuantumCircuit,
    Plot,
    Scene3d,
    Image,
    Skill,
    Markdown,
    Other,
}

impl ArtifactKind {
    /// The type name of docs/design.md §3.2, as written in `- TYPE: NAME` commit lines.
    pub fn as_str(&self) -> &'static str {
        match self {
            ArtifactKind::Code { .. } => "code",
            ArtifactKind::QuantumCircuit => "quantum-circuit",
            ArtifactKind::Plot => "plot",
            ArtifactKind::Scene3d => "3d-scene",
            ArtifactKind::Image => "image",
            ArtifactKind::Skill => "skill",
            ArtifactKind::Markdown => "markdown",
            ArtifactKind::Other => "other",
        }
    }

    /// Parses a type name as written in `type=TYPE` or a commit message. `language` fills
    /// `Code { language }` (empty when unknown). Unknown names give `None`.
    pub fn from_type_name(name: &str, language: Option<&str>) -> Option<ArtifactKind> {
        let kind = match name.trim().to_ascii_lowercase().as_str() {
            "code" => ArtifactKind::Code { language: language.unwrap_or_default().to_string() },
            "quantum-circuit" | "circuit" => ArtifactKind::QuantumCircuit,
            "plot" | "chart" => ArtifactKind::Plot,
            "3d-scene" | "scene" => ArtifactKind::Scene3d,
            "image" => ArtifactKind::Image,
            "skill" => ArtifactKind::Skill,
            "markdown" => ArtifactKind::Markdown,
            "other" => ArtifactKind::Other,
            _ => return None,
        };
        Some(kind)
    }

    /// A short human label for hover headers ("quantum circuit", "code (python)").
    pub fn label(&self) -> String {
        match self {
            ArtifactKind::Code { language } if language.is_empty() => "code".to_string(),
            ArtifactKind::Code { language } => format!("code ({language})"),
            ArtifactKind::QuantumCircuit => "quantum circuit".to_string(),
            ArtifactKind::Plot => "plot data".to_string(),
            ArtifactKind::Scene3d => "3D scene".to_string(),
            ArtifactKind::Image => "image".to_string(),
            ArtifactKind::Skill => "skill".to_string(),
            ArtifactKind::Markdown => "Markdown".to_string(),
            ArtifactKind::Other => "file".to_string(),
        }
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kind of the file at `path`, from its name (case-insensitive) and, for skills, its
/// folder: `SKILL.md` anywhere or a `.md` file under a `skills/` folder is a skill.
pub fn kind_for_path(path: &Path) -> ArtifactKind {
    let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
        return ArtifactKind::Other;
    };
    let lower = file_name.to_ascii_lowercase();

    if lower.ends_with(".circuit.json") {
        return ArtifactKind::QuantumCircuit;
    }
    if lower.ends_with(".plot.json") || lower.ends_with(".csv") {
        return ArtifactKind::Plot;
    }
    if lower.ends_with(".scene.json") {
        return ArtifactKind::Scene3d;
    }
    if lower == "skill.md" {
        return ArtifactKind::Skill;
    }
    let extension = lower.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
    if matches!(extension, "md" | "markdown") {
        let under_skills = path.parent().is_some_and(|parent| parent.components().any(|c| matches!(c, Component::Normal(name) if name == "skills")));
        return if under_skills { ArtifactKind::Skill } else { ArtifactKind::Markdown };
    }
    if matches!(extension, "png" | "jpg" | "jpeg" | "gif" | "webp" | "svg") {
        return ArtifactKind::Image;
    }
    if let Some(language) = language_for_file_name(&lower, extension) {
        return ArtifactKind::Code { language: language.to_string() };
    }
    ArtifactKind::Other
}

/// The fence language id for a file name (already lower-cased) and its extension.
fn language_for_file_name(lower_name: &str, extension: &str) -> Option<&'static str> {
    match lower_name {
        "dockerfile" => return Some("dockerfile"),
        "makefile" | "gnumakefile" => return Some("makefile"),
        "cmakelists.txt" => return Some("cmake"),
        _ => {}
    }
    language_for_extension(extension)
}

/// The fence language id for a lower-case file extension without its dot.
pub fn language_for_extension(extension: &str) -> Option<&'static str> {
    let language = match extension {
        "py" | "pyi" => "python",
        "ipynb" => "json",
        "rs" => "rust",
        "ts" | "mts" | "cts" => "typescript",
        "tsx" => "tsx",
        "js" | "mjs" | "cjs" => "javascript",
        "jsx" => "jsx",
        "json" | "jsonl" => "json",
        "sh" => "sh",
        "bash" => "bash",
        "zsh" => "zsh",
        "fish" => "fish",
        "ps1" => "powershell",
        "toml" => "toml",
        "yaml" | "yml" => "yaml",
        "go" => "go",
        "c" | "h" => "c",
        "cpp" | "cc" | "cxx" | "hpp" | "hh" | "hxx" => "cpp",
        "cs" => "csharp",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "scala" => "scala",
        "swift" => "swift",
        "m" => "objectivec",
        "rb" => "ruby",
        "php" => "php",
        "pl" | "pm" => "perl",
        "lua" => "lua",
        "r" => "r",
        "jl" => "julia",
        "hs" => "haskell",
        "ml" | "mli" => "ocaml",
        "fs" | "fsx" => "fsharp",
        "ex" | "exs" => "elixir",
        "erl" => "erlang",
        "clj" | "cljs" => "clojure",
        "dart" => "dart",
        "zig" => "zig",
        "nim" => "nim",
        "html" | "htm" => "html",
        "css" => "css",
        "scss" => "scss",
        "less" => "less",
        "vue" => "vue",
        "svelte" => "svelte",
        "xml" => "xml",
        "sql" => "sql",
        "graphql" | "gql" => "graphql",
        "proto" => "protobuf",
        "qasm" => "qasm",
        "tex" => "latex",
        "ini" | "cfg" => "ini",
        "diff" | "patch" => "diff",
        "txt" | "log" => "text",
        _ => return None,
    };
    Some(language)
}
