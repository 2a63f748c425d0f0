//! The workspace as llmos sees it: `llmos.toml`, the index of skills and sessions, and
//! the caches that keep a keystroke cheap. The server keeps one behind a lock and replaces
//! its parts on file events; the CLI opens one per command.

use std::path::{Path, PathBuf};

use llmos_documents::{Diagnostic, Profile};
use llmos_workspace::index::locate;
use llmos_workspace::{Config, DocKind, Index, classify};

/// The workspace as the server sees it. Without a workspace root the config is the
/// default for a non-existent folder, so no file is inside a volume.
pub struct Workspace {
    pub config: Config,
    pub config_diagnostics: Vec<Diagnostic>,
    pub index: Index,
    pub ready: bool,
    pub has_root: bool,
    /// Link checks remembered between keystrokes (cleared on file events).
    pub links: llmos_workspace::index::LinkCache,
    /// Git facts per open document and HEAD (cleared on file events and commits).
    pub git: crate::git_cache::GitCache,
}

impl Workspace {
    pub fn empty(config: Config) -> Self {
        Self {
            config,
            config_diagnostics: Vec::new(),
            index: Index::default(),
            ready: false,
            has_root: false,
            links: Default::default(),
            git: Default::default(),
        }
    }

    pub fn profile(&self, override_: Option<Profile>) -> Profile {
        override_.unwrap_or(self.config.profile)
    }

    /// What kind of llmos document `path` is, if any.
    pub fn kind_of(&self, path: &Path) -> Option<DocKind> {
        if path == self.config.root.join(llmos_workspace::config::FILE_NAME) {
            return Some(DocKind::Config);
        }
        let (_, rel) = locate(&self.config, path)?;
        classify(&rel)
    }
}

/// A workspace read from disk, ready to be installed into a [`Workspace`].
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
    pub index: Index,
}

impl Loaded {
    /// Reads `llmos.toml` at `root`, lets the caller adjust the config (the editor's
    /// settings), and indexes the volumes. Blocking: run it off the message loop.
    pub fn read(root: &Path, adjust: impl FnOnce(&mut Config)) -> Loaded {
        let (mut config, diagnostics) = Config::load(root);
        adjust(&mut config);
        let index = Index::build(&config);
        Loaded { config, diagnostics, index }
    }
}

impl Workspace {
    /// Opens the workspace at or above `dir` (the current folder when `None`), as the
    /// CLI's commands do: config read and volumes indexed.
    pub fn open(dir: Option<PathBuf>) -> Result<Workspace, String> {
        let root = find_root(dir)?;
        let mut ws = Workspace::empty(Config::default_for(&root));
        ws.has_root = true;
        ws.install(Loaded::read(&root, |_| {}));
        Ok(ws)
    }

    /// Replaces config, diagnostics and index with freshly read ones; the workspace is ready.
    pub fn install(&mut self, loaded: Loaded) {
        self.config = loaded.config;
        self.config_diagnostics = loaded.diagnostics;
        self.index = loaded.index;
        self.ready = true;
    }
}

/// The configuration of the workspace at or above `dir` (the current folder when `None`),
/// for commands that need no index. Problems in `llmos.toml` are left to `llmos check`.
pub fn load_config(dir: Option<PathBuf>) -> Result<Config, String> {
    let root = find_root(dir)?;
    Ok(Config::load(&root).0)
}

/// The workspace root at or above `dir` (the current folder when `None`).
pub fn find_root(dir: Option<PathBuf>) -> Result<PathBuf, String> {
    let start = match dir {
        Some(d) => d,
        None => std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?,
    };
    let start = std::path::absolute(&start).map_err(|e| e.to_string())?;
    llmos_workspace::discover::find_root(&start).ok_or_else(|| format!("no llmos workspace at or above {} (run `llmos init`)", start.display()))
}

/// The one `--since` grammar (`llmos history`, `evolve`, `import`, `llmos.evolution.run`):
/// a duration back from now (`7d`, `24h`, `90m`) or a calendar date (`2025-03-01`,
/// midnight UTC).
pub fn parse_since(text: &str) -> Result<time::OffsetDateTime, String> {
    let now = time::OffsetDateTime::now_utc();
    match llmos_workspace::duration::parse_duration(text) {
        Ok(d) => Ok(now - d),
        Err(_) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(text.trim(), &format)
                .map(|d| d.midnight().assume_utc())
                .map_err(|_| format!("`{text}` is neither a duration (30d, 24h) nor a date (2025-03-01)"))
        }
    }
}
