//! The `[github]` settings and the `github:OWNER/REPO` shorthand.
//!
//! Parsing `llmos.toml` is the workspace crate's job; this module only turns the
//! settings it found into base URLs and a remote into the git URL to fetch from.

use std::time::Duration;

use thiserror::Error;

/// Where GitHub lives and how to authenticate; defaults are github.com's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubConfig {
    /// REST API base, e.g. `https://api.github.com` or `https://ghe.example/api/v3`.
    pub api_url: String,
    /// Web/git base: `github:OWNER/REPO` means `{git_url}/OWNER/REPO.git`.
    pub git_url: String,
    /// Where the OAuth device endpoints live (`/login/device/code`,
    /// `/login/oauth/access_token`). `None` means `git_url`, which is right for
    /// github.com and GitHub Enterprise; tests set it because their git server and
    /// their HTTP stand-in are different processes.
    pub oauth_url: Option<String>,
    /// Environment variable holding a token; `None` means `GITHUB_TOKEN`, then `GH_TOKEN`.
    pub token_env: Option<String>,
    /// OAuth app client id for the device flow.
    pub client_id: Option<String>,
    /// Longest a REST call waits for a rate-limit reset before giving up with
    /// [`crate::GithubError::RateLimited`].
    pub max_rate_limit_wait: Duration,
}

impl Default for GithubConfig {
    fn default() -> Self {
        GithubConfig {
            api_url: "https://api.github.com".to_string(),
            git_url: "https://github.com".to_string(),
            oauth_url: None,
            token_env: None,
            client_id: None,
            max_rate_limit_wait: Duration::from_secs(60),
        }
    }
}

impl GithubConfig {
    /// The environment variables consulted for a token, in order.
    pub fn token_env_vars(&self) -> Vec<String> {
        match &self.token_env {
            Some(var) if !var.trim().is_empty() => vec![var.trim().to_string()],
            _ => vec!["GITHUB_TOKEN".to_string(), "GH_TOKEN".to_string()],
        }
    }

    /// Base URL of the device-flow endpoints, without a trailing slash.
    pub fn oauth_base(&self) -> &str {
        self.oauth_url.as_deref().unwrap_or(&self.git_url).trim_end_matches('/')
    }

    pub(crate) fn api_base(&self) -> &str {
        self.api_url.trim_end_matches('/')
    }
}

/// A `github:` remote: which repository on GitHub, and the URL git uses for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSpec {
    pub owner: String,
    pub repo: String,
    pub git_url: String,
}

/// A volume's remote after expanding the `github:` shorthand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolvedRemote {
    /// On GitHub: the repository can be ensured through the REST API.
    Github(RemoteSpec),
    /// Any other git URL, passed through unchanged; nothing to ensure.
    Git { url: String },
}

impl ResolvedRemote {
    /// The URL to hand to git.
    pub fn git_url(&self) -> &str {
        match self {
            ResolvedRemote::Github(spec) => &spec.git_url,
            ResolvedRemote::Git { url } => url,
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RemoteError {
    #[error("the remote is empty: use `github:OWNER/REPO` or a git URL")]
    Empty,
    #[error("`{remote}` is not a GitHub remote: use `github:OWNER/REPO` (exactly one `/`)")]
    Shape { remote: String },
    #[error("`{name}` is not a valid GitHub owner: {reason}")]
    Owner { name: String, reason: &'static str },
    #[error("`{name}` is not a valid GitHub repository name: {reason}")]
    Repo { name: String, reason: &'static str },
}

/// Expands `github:OWNER/REPO` to `{git_url}/OWNER/REPO.git`; any other remote is
/// returned unchanged (the workspace crate already checked it looks like git URL).
pub fn resolve_remote(remote: &str, cfg: &GithubConfig) -> Result<ResolvedRemote, RemoteError> {
    let remote = remote.trim();
    if remote.is_empty() {
        return Err(RemoteError::Empty);
    }
    let Some(path) = remote.strip_prefix("github:") else {
        return Ok(ResolvedRemote::Git { url: remote.to_string() });
    };
    let (owner, repo) = match path.split_once('/') {
        Some((owner, repo)) if !repo.contains('/') => (owner, repo),
        _ => {
            return Err(RemoteError::Shape { remote: remote.to_string() });
        }
    };
    // People paste clone URLs; `OWNER/REPO.git` names the same repository on GitHub.
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    validate_owner(owner)?;
    validate_repo_name(repo)?;
    let git_url = format!("{}/{owner}/{repo}.git", cfg.git_url.trim_end_matches('/'));
    Ok(ResolvedRemote::Github(RemoteSpec { owner: owner.to_string(), repo: repo.to_string(), git_url }))
}

/// GitHub's rules for user and organisation names: letters, digits and single
/// hyphens, not at either end, at most 39 characters. Underscores are accepted
/// because Enterprise Managed Users have them (`name_shortcode`).
pub(crate) fn validate_owner(name: &str) -> Result<(), RemoteError> {
    let fail = |reason| Err(RemoteError::Owner { name: name.to_string(), reason });
    if name.is_empty() {
        return fail("it is empty");
    }
    if name.len() > 39 {
        return fail("it is longer than 39 characters");
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
        return if c.is_whitespace() { fail("it contains whitespace") } else { fail("only letters, digits, `-` and `_` are allowed") };
    }
    if name.starts_with('-') || name.ends_with('-') {
        return fail("it may not begin or end with `-`");
    }
    if name.contains("--") {
        return fail("it may not contain `--`");
    }
    Ok(())
}

/// GitHub's rules for repository names: letters, digits, `.`, `-`, `_`, at most 100
/// characters, not `.` or `..`. GitHub would silently rewrite other characters to
/// `-`, which would then not match the name in `llmos.toml`, so they are refused.
pub(crate) fn validate_repo_name(name: &str) -> Result<(), RemoteError> {
    let fail = |reason| Err(RemoteError::Repo { name: name.to_string(), reason });
    if name.is_empty() {
        return fail("it is empty");
    }
    if name.len() > 100 {
        return fail("it is longer than 100 characters");
    }
    if name == "." || name == ".." {
        return fail("`.` and `..` are reserved");
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c))) {
        return if c.is_whitespace() { fail("it contains whitespace") } else { fail("only letters, digits, `.`, `-` and `_` are allowed") };
    }
    if name.ends_with(".git") {
        return fail("it may not end in `.git`");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> GithubConfig {
        GithubConfig { git_url: "git://127.0.0.1:9418/".into(), ..GithubConfig::default() }
    }

    #[test]
    fn github_shorthand_expands_to_git_url() {
        let r = resolve_remote("github:alice/llmunix-user-alice", &cfg()).unwrap();
        assert_eq!(
            r,
            ResolvedRemote::Github(RemoteSpec {
                owner: "alice".into(),
                repo: "llmunix-user-alice".into(),
                git_url: "git://127.0.0.1:9418/alice/llmunix-user-alice.git".into(),
            })
        );
        let r = resolve_remote("github:acme/team.git", &GithubConfig::default()).unwrap();
        assert_eq!(r.git_url(), "https://github.com/acme/team.git");
    }

    #[test]
    fn other_urls_pass_through() {
        for url in ["https://example.com/x.git", "git@github.com:a/b.git", "/srv/git/x.git", "file:///tmp/x"] {
            assert_eq!(resolve_remote(url, &cfg()).unwrap(), ResolvedRemote::Git { url: url.into() });
        }
    }

    #[test]
    fn bad_github_remotes_have_clear_errors() {
        let err = |s: &str| resolve_remote(s, &cfg()).unwrap_err().to_string();
        assert!(err("").contains("empty"));
        assert!(err("github:alice").contains("exactly one `/`"));
        assert!(err("github:a/b/c").contains("exactly one `/`"));
        assert!(err("github:/repo").contains("owner: it is empty"));
        assert!(err("github:alice/").contains("repository name: it is empty"));
        assert!(err("github:-alice/x").contains("begin or end"));
        assert!(err("github:al ice/x").contains("whitespace"));
        assert!(err("github:al--ice/x").contains("--"));
        assert!(err(&format!("github:{}/x", "a".repeat(40))).contains("39"));
        assert!(err("github:alice/my repo").contains("whitespace"));
        assert!(err("github:alice/..").contains("reserved"));
        assert!(err("github:alice/r$").contains("only letters"));
        assert!(err("github:alice/x.git.git").contains(".git"));
        assert!(err(&format!("github:alice/{}", "r".repeat(101))).contains("100"));
    }

    #[test]
    fn token_env_defaults_and_override() {
        assert_eq!(GithubConfig::default().token_env_vars(), ["GITHUB_TOKEN", "GH_TOKEN"]);
        let c = GithubConfig { token_env: Some("MY_TOKEN".into()), ..GithubConfig::default() };
        assert_eq!(c.token_env_vars(), ["MY_TOKEN"]);
        assert_eq!(GithubConfig::default().oauth_base(), "https://github.com");
    }
}
