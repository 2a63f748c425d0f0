//! The GitHub token: a redacting newtype, where to find one (environment first, then
//! the device-flow token), and the 0600 file in the user's configuration directory
//! that keeps the device-flow token between runs.
//!
//! The store is never inside a workspace: the file lives under
//! `$XDG_CONFIG_HOME/llmos` or `$HOME/.config/llmos`, and tests pass a directory
//! explicitly so that no test reads or sets process-wide environment variables.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::config::GithubConfig;

const TOKEN_FILE: &str = "github-token";

/// A GitHub token. `Debug` and `Display` never show it; [`Token::expose`] is the one
/// way to read it, so every place that sends it over the wire is easy to find.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Accepts a token read from a file, a variable or GitHub; surrounding whitespace
    /// (a trailing newline) is dropped.
    pub fn new(value: impl Into<String>) -> Result<Token, TokenError> {
        let value = value.into();
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(TokenError::Empty);
        }
        // A header value cannot carry these, and they mean the text is not a token.
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(TokenError::Malformed);
        }
        Ok(Token(trimmed.to_string()))
    }

    /// The secret itself, for the `Authorization` header or a git credential callback.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Error)]
pub enum TokenError {
    #[error("the token is empty")]
    Empty,
    #[error("the token contains whitespace or control characters; it does not look like a GitHub token")]
    Malformed,
    #[error("cannot find the user's configuration directory: neither XDG_CONFIG_HOME nor HOME is set to an absolute path")]
    NoConfigDir,
    #[error("cannot {action} the token file {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: io::Error },
    #[error("the token file {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}` or `llmos login` again")]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("the token file {path} is invalid: {reason}")]
    Invalid { path: PathBuf, reason: Box<TokenError> },
}

/// Where a token came from, to tell the user (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenOrigin {
    Env { var: String },
    Stored { path: PathBuf },
}

impl fmt::Display for TokenOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenOrigin::Env { var } => write!(f, "environment variable {var}"),
            TokenOrigin::Stored { path } => write!(f, "{}", path.display()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedToken {
    pub token: Token,
    pub origin: TokenOrigin,
}

/// The order in which a token is looked for: the configured environment variable(s),
/// then the stored device-flow token.
#[derive(Debug, Clone)]
pub struct TokenSource {
    env_vars: Vec<String>,
    store: Option<TokenStore>,
}

impl TokenSource {
    pub fn new(cfg: &GithubConfig, store: Option<TokenStore>) -> TokenSource {
        TokenSource { env_vars: cfg.token_env_vars(), store }
    }

    pub fn env_vars(&self) -> &[String] {
        &self.env_vars
    }

    /// Looks in the process environment, then the store.
    pub fn resolve(&self) -> Result<Option<ResolvedToken>, TokenError> {
        self.resolve_with(|var| std::env::var(var).ok())
    }

    /// Same as [`TokenSource::resolve`] with an explicit environment, so tests never
    /// touch process-wide variables. Set-but-blank variables are skipped.
    pub fn resolve_with(&self, env: impl Fn(&str) -> Option<String>) -> Result<Option<ResolvedToken>, TokenError> {
        for var in &self.env_vars {
            let Some(value) = env(var) else { continue };
            if value.trim().is_empty() {
                continue;
            }
            let token = Token::new(value)?;
            return Ok(Some(ResolvedToken { token, origin: TokenOrigin::Env { var: var.clone() } }));
        }
        let Some(store) = &self.store else {
            return Ok(None);
        };
        Ok(store.load()?.map(|token| ResolvedToken { token, origin: TokenOrigin::Stored { path: store.path() } }))
    }
}

/// The device-flow token on disk: `<dir>/github-token`, mode 0600, directory 0700.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStore {
    dir: PathBuf,
}

impl TokenStore {
    /// A store in `dir` (the llmos configuration directory itself).
    pub fn in_dir(dir: impl Into<PathBuf>) -> TokenStore {
        TokenStore { dir: dir.into() }
    }

    /// The user's store: `$XDG_CONFIG_HOME/llmos`, else `$HOME/.config/llmos`.
    pub fn user_default() -> Result<TokenStore, TokenError> {
        TokenStore::from_env_values(std::env::var_os("XDG_CONFIG_HOME"), std::env::var_os("HOME"))
    }

    /// [`TokenStore::user_default`] with the two variables given; relative values are
    /// ignored as the XDG spec asks.
    pub fn from_env_values(xdg_config_home: Option<OsString>, home: Option<OsString>) -> Result<TokenStore, TokenError> {
        let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
        if let Some(xdg) = absolute(xdg_config_home) {
            return Ok(TokenStore::in_dir(xdg.join("llmos")));
        }
        absolute(home).map(|home| TokenStore::in_dir(home.join(".config").join("llmos"))).ok_or(TokenError::NoConfigDir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(TOKEN_FILE)
    }

    /// The stored token, `None` when there is no file. A file other users can read is
    /// refused rather than trusted, as ssh does with keys.
    pub fn load(&self) -> Result<Option<Token>, TokenError> {
        let path = self.path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(TokenError::Io { action: "read", path, source });
            }
        };
        check_private(&path)?;
        Token::new(text).map(Some).map_err(|reason| TokenError::Invalid { path, reason: Box::new(reason) })
    }

    /// Writes the token atomically (temporary file created 0600, then renamed) and
    /// checks the result is private. Returns the file's path.
    pub fn save(&self, token: &Token) -> Result<PathBuf, TokenError> {
        create_private_dir(&self.dir)?;
        let path = self.path();
        let tmp = self.dir.join(format!(".{TOKEN_FILE}.{}.tmp", std::process::id()));
        let written = write_private_file(&tmp, token.expose().as_bytes()).and_then(|()| {
            check_private(&tmp)?;
            fs::rename(&tmp, &path).map_err(|source| TokenError::Io { action: "replace", path: path.clone(), source })
        });
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written?;
        check_private(&path)?;
        Ok(path)
    }

    /// Removes the stored token (`llmos logout`); `false` when there was none.
    pub fn delete(&self) -> Result<bool, TokenError> {
        let path = self.path();
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(TokenError::Io { action: "remove", path, source }),
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<(), TokenError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| TokenError::Io { action: "create the directory of", path: dir.to_path_buf(), source })
}

fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), TokenError> {
    let io_err = |action, source| TokenError::Io { action, path: path.to_path_buf(), source };
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| io_err("create", e))?;
    // A leftover temporary file from a crashed run keeps its old mode; `mode` only
    // applies on creation, so set it explicitly.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600)).map_err(|e| io_err("protect", e))?;
    }
    file.write_all(bytes).map_err(|e| io_err("write", e))?;
    file.sync_all().map_err(|e| io_err("write", e))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), TokenError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|source| TokenError::Io { action: "inspect", path: path.to_path_buf(), source })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(TokenError::TooOpen { path: path.to_path_buf(), mode });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), TokenError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_rejects_blank_and_multiline() {
        assert!(matches!(Token::new("  \n"), Err(TokenError::Empty)));
        assert!(matches!(Token::new("abc\ndef"), Err(TokenError::Malformed)));
        assert_eq!(Token::new("ghp_abc\n").unwrap().expose(), "ghp_abc");
    }

    #[test]
    fn config_dir_prefers_absolute_xdg() {
        let s = TokenStore::from_env_values(Some("/x/cfg".into()), Some("/home/u".into())).unwrap();
        assert_eq!(s.path(), Path::new("/x/cfg/llmos/github-token"));
        let s = TokenStore::from_env_values(Some("relative".into()), Some("/home/u".into())).unwrap();
        assert_eq!(s.path(), Path::new("/home/u/.config/llmos/github-token"));
        assert!(matches!(TokenStore::from_env_values(None, Some("rel".into())), Err(TokenError::NoConfigDir)));
        assert!(matches!(TokenStore::from_env_values(None, None), Err(TokenError::NoConfigDir)));
    }
}
