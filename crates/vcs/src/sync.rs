//! Syncing a volume with its remote: fetch one branch, replay the local
//! commits on the remote ones (a rebase, never a merge commit), push, and
//! only then move the local branch and working tree.
//!
//! Boundaries and guarantees:
//! - The remote is *anonymous* (`Repository::remote_anonymous`): sync writes
//!   no `[remote]` section, no URL and no credential into the repository
//!   config. The token reaches libgit2 only through the credentials callback.
//!   Errors are scrubbed of the token before they leave [`Volume::sync`].
//! - The fetched tip is kept in `refs/remotes/llmos/<branch>` (and
//!   `refs/remotes/llmos/HEAD` names the branch), so [`Volume::ahead_behind`]
//!   answers without network.
//! - The replayed commits are built as loose objects on top of the remote tip,
//!   referenced by nothing. The local branch, index and working tree move only
//!   after the push succeeded (or, when there is nothing to push, by a plain
//!   fast-forward); any failure before that (conflict, dirty working tree,
//!   rejected or interrupted push, network) leaves them exactly as they were.
//!   A file with uncommitted changes that the sync would touch stops it
//!   before anything moves; other uncommitted work stays as it is. The tip the branch had before is in the report
//!   (`previousHead`) and in the branch's reflog.
//! - When the same session file (`…/sessions/<id>.md`) changed on both sides,
//!   the remote version stays at its path and the local one is committed
//!   beside it as `sessions/<id>.local-<short sha>.md`. Any other conflict
//!   stops the sync with the files named and nothing changed.
//! - A merge commit among the local commits is replayed as its change against
//!   its first parent.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use git2::build::CheckoutBuilder;
use git2::{
    AutotagOption, Commit, Cred, CredentialType, Direction, ErrorClass, ErrorCode, FetchOptions, Index, IndexEntry, Oid, PushOptions, RemoteCallbacks,
    Repository, Sort, Status, StatusOptions, Tree,
};
use serde::Serialize;

use crate::{VcsError, Volume};

/// Where the last fetched tip of each remote branch is kept.
const TRACKING_PREFIX: &str = "refs/remotes/llmos/";
const TRACKING_HEAD: &str = "refs/remotes/llmos/HEAD";
const DEFAULT_BRANCH: &str = "main";
/// Syncs tried when someone else pushes between our fetch and our push.
const SYNC_ATTEMPTS: u32 = 3;

/// A user name and token for https remotes; `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `x-access-token` for GitHub tokens.
    pub username: String,
    pub token: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("token", &"<redacted>").finish()
    }
}

/// The remote a volume syncs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRemote {
    /// Any URL git understands, without credentials in it.
    pub url: String,
    /// The remote branch; `None`: the remote's HEAD, or `main` when the
    /// remote is empty.
    pub branch: Option<String>,
    /// `None`: the system's git credential helper (https) or ssh agent.
    pub credentials: Option<Credentials>,
}

impl SyncRemote {
    pub fn new(url: impl Into<String>) -> SyncRemote {
        SyncRemote { url: url.into(), branch: None, credentials: None }
    }
}

/// Knobs of [`Volume::sync`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// Push the result (default). `false` only fetches, and fast-forwards
    /// the local branch when it has no commit of its own; otherwise nothing
    /// local moves.
    pub push: bool,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { push: true }
    }
}

/// A session file that changed on both sides: the remote version stayed at
/// `path`, the local one was committed at `kept_as`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncConflict {
    pub path: String,
    pub kept_as: String,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// The remote branch synced with.
    pub branch: String,
    /// The remote branch existed and was fetched.
    pub fetched: bool,
    /// Commits the remote gained.
    pub pushed: usize,
    /// Remote commits the local branch gained.
    pub pulled: usize,
    /// Local commits replayed on the remote ones (not counting
    /// keep-both-versions commits).
    pub rebased: usize,
    pub conflicts: Vec<SyncConflict>,
    pub created_remote_branch: bool,
    /// The local branch tip before the sync (`None`: no commit yet).
    pub previous_head: Option<String>,
    /// The local branch tip after the sync.
    pub head: Option<String>,
}

/// Why a sync failed; except for [`SyncError::WorkingTreeNotUpdated`], the
/// local branch, index and working tree are unchanged.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("HEAD is detached; check out a branch")]
    DetachedHead,
    #[error("a git {0} is in progress in the volume's repository; finish or abort it, then sync again")]
    OperationInProgress(String),
    #[error("{0:?} is not a valid branch name")]
    InvalidBranch(String),
    #[error("cannot reach {host}: {detail}; check the network and the remote URL (nothing was changed)")]
    Unreachable { host: String, detail: String },
    #[error("{host} asks for credentials and none are configured; log in with `llmos login` or set GITHUB_TOKEN")]
    CredentialsMissing { host: String },
    #[error("{host} refused the credentials ({detail}); log in again or check that the token may access the repository")]
    AuthenticationFailed { host: String, detail: String },
    #[error("dirty working tree: commit or stash your changes to {} before syncing (nothing was changed)", .paths.join(", "))]
    DirtyWorkingTree { paths: Vec<String> },
    #[error(
        "{link} in the volume is a symbolic link {}; the sync would write {path} through it. Replace the link with a real folder, then sync again (nothing was changed)",
        if *.outside { "leading outside the volume" } else { "(git writes no file through a link)" }
    )]
    LinkInTheWay { link: String, path: String, outside: bool },
    #[error(
        "sync stopped: {} changed on both sides and cannot be merged automatically (nothing was changed); merge by hand with git, then sync again",
        .paths.join(", ")
    )]
    Conflict { paths: Vec<String> },
    #[error("{host} rejected the push to {branch}: {reason} (the local volume is unchanged)")]
    PushRejected { host: String, branch: String, reason: String },
    #[error("{branch} on {host} moved while syncing (someone pushed at the same time); sync again (the local volume is unchanged)")]
    RemoteMoved { host: String, branch: String },
    #[error("the branch {branch} moved while syncing (another program committed); sync again")]
    BranchMoved { branch: String },
    #[error("pushed {head} to {branch}, but could not update the local working tree: {detail}; run `git -C {workdir} reset --keep {head}`")]
    WorkingTreeNotUpdated { branch: String, head: String, workdir: String, detail: String },
    #[error(transparent)]
    Volume(#[from] VcsError),
    #[error("git: {0}")]
    Git(#[from] git2::Error),
    /// Any error whose text held the token, with the token replaced.
    #[error("{0}")]
    Redacted(String),
}

impl SyncError {
    fn without_secret(self, secret: Option<&str>) -> SyncError {
        match secret.filter(|secret| !secret.is_empty()) {
            Some(secret) => {
                let text = self.to_string();
                let debug = format!("{self:?}");
                if text.contains(secret) || debug.contains(secret) { SyncError::Redacted(text.replace(secret, "***")) } else { self }
            }
            None => self,
        }
    }
}

impl Volume {
    /// Fetches `remote`'s branch, replays the local commits on it, pushes,
    /// then moves the local branch and working tree (see the module doc).
    /// Syncs the whole repository that holds the volume. Starts over (up to
    /// three times) when someone pushes between the fetch and the push.
    /// Blocks on the network.
    pub fn sync(&self, remote: &SyncRemote, options: &SyncOptions) -> Result<SyncReport, SyncError> {
        let token = remote.credentials.as_ref().map(|credentials| credentials.token.as_str());
        let mut attempt = 1;
        loop {
            match sync_volume(self, remote, options) {
                // Nothing local moved; a fresh fetch takes the new remote commits in.
                Err(SyncError::RemoteMoved { .. }) if attempt < SYNC_ATTEMPTS => attempt += 1,
                result => return result.map_err(|error| error.without_secret(token)),
            }
        }
    }

    /// Commits the local branch has that the last fetched remote tip lacks,
    /// and the reverse: `(ahead, behind)`. No network; `None` when the branch
    /// was never fetched (or the local branch has no commit).
    pub fn ahead_behind(&self, remote: &SyncRemote) -> Result<Option<(usize, usize)>, SyncError> {
        let repo = open_repository(self)?;
        let Some(local) = local_branch(&repo)?.tip else {
            return Ok(None);
        };
        let branch = match &remote.branch {
            Some(branch) => branch.clone(),
            None => match repo.find_reference(TRACKING_HEAD) {
                Ok(head) => head.symbolic_target().ok().flatten().and_then(|target| target.strip_prefix(TRACKING_PREFIX)).unwrap_or(DEFAULT_BRANCH).to_owned(),
                Err(error) if error.code() == ErrorCode::NotFound => DEFAULT_BRANCH.to_owned(),
                Err(error) => return Err(error.into()),
            },
        };
        let tracked = match repo.refname_to_id(&format!("{TRACKING_PREFIX}{branch}")) {
            Ok(id) => id,
            Err(error) if error.code() == ErrorCode::NotFound => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        Ok(Some(repo.graph_ahead_behind(local, tracked)?))
    }
}

fn open_repository(volume: &Volume) -> Result<Repository, SyncError> {
    Repository::open(volume.workdir()).map_err(|_| SyncError::Volume(VcsError::NotARepository(volume.workdir().to_path_buf())))
}

struct LocalBranch {
    /// `refs/heads/<name>`.
    refname: String,
    tip: Option<Oid>,
}

fn local_branch(repo: &Repository) -> Result<LocalBranch, SyncError> {
    let head = repo.find_reference("HEAD")?;
    let Some(refname) = head.symbolic_target().ok().flatten().filter(|target| target.starts_with("refs/heads/")) else {
        return Err(SyncError::DetachedHead);
    };
    let tip = match repo.refname_to_id(refname) {
        Ok(id) => Some(id),
        Err(error) if error.code() == ErrorCode::NotFound => None,
        Err(error) => return Err(error.into()),
    };
    Ok(LocalBranch { refname: refname.to_owned(), tip })
}

/// Counts credential requests per network operation (each asks for fresh
/// callbacks) so that a second request within one operation (libgit2 asks
/// again when the server refused the first answer) ends in a clear error
/// instead of a loop.
struct Auth<'a> {
    credentials: Option<&'a Credentials>,
    requests: Cell<u32>,
    outcome: Cell<AuthOutcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthOutcome {
    NotAsked,
    Answered,
    Refused,
    Missing,
}

impl<'a> Auth<'a> {
    fn new(credentials: Option<&'a Credentials>) -> Auth<'a> {
        Auth { credentials, requests: Cell::new(0), outcome: Cell::new(AuthOutcome::NotAsked) }
    }

    fn callbacks(&'a self) -> RemoteCallbacks<'a> {
        self.requests.set(0);
        self.outcome.set(AuthOutcome::NotAsked);
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(move |url, username_from_url, allowed| {
            let answer = self.answer(url, username_from_url, allowed);
            if answer.is_err() && self.outcome.get() != AuthOutcome::Refused {
                self.outcome.set(AuthOutcome::Missing);
            }
            answer
        });
        callbacks
    }

    fn answer(&self, url: &str, username_from_url: Option<&str>, allowed: CredentialType) -> Result<Cred, git2::Error> {
        if allowed == CredentialType::USERNAME {
            return Cred::username(username_from_url.unwrap_or("git"));
        }
        let request = self.requests.get() + 1;
        self.requests.set(request);
        if request > 1 {
            self.outcome.set(AuthOutcome::Refused);
            return Err(git2::Error::new(ErrorCode::Auth, ErrorClass::Callback, "the server refused the credentials"));
        }
        self.outcome.set(AuthOutcome::Answered);
        if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) {
            if let Some(credentials) = self.credentials {
                return Cred::userpass_plaintext(&credentials.username, &credentials.token);
            }
            if let Ok(config) = git2::Config::open_default() {
                return Cred::credential_helper(&config, url, username_from_url);
            }
        }
        if allowed.contains(CredentialType::SSH_KEY) {
            return Cred::ssh_key_from_agent(username_from_url.unwrap_or("git"));
        }
        Err(git2::Error::new(ErrorCode::Auth, ErrorClass::Callback, "no credentials for this remote"))
    }
}

/// Turns a libgit2 error from talking to the remote into a message about the
/// remote.
fn network_error(error: git2::Error, url: &str, auth: &Auth<'_>) -> SyncError {
    let host = remote_host(url);
    let detail = error.message().to_owned();
    match auth.outcome.get() {
        AuthOutcome::Missing => return SyncError::CredentialsMissing { host },
        AuthOutcome::Refused => return SyncError::AuthenticationFailed { host, detail },
        AuthOutcome::NotAsked | AuthOutcome::Answered if error.code() == ErrorCode::Auth => {
            return SyncError::AuthenticationFailed { host, detail };
        }
        AuthOutcome::NotAsked | AuthOutcome::Answered => {}
    }
    match error.class() {
        ErrorClass::Net | ErrorClass::Os | ErrorClass::Ssl | ErrorClass::Ssh | ErrorClass::Http => SyncError::Unreachable { host, detail },
        _ => SyncError::Git(error),
    }
}

/// `host[:port]` of a URL without any user name or password in it; a local
/// path stays as it is.
fn remote_host(url: &str) -> String {
    let (rest, scheme_style) = match url.split_once("://") {
        Some((_, rest)) => (rest, true),
        None => (url, false),
    };
    let authority = if scheme_style {
        rest.split('/').next().unwrap_or(rest)
    } else {
        // scp-like `user@host:path`; anything else is a local path.
        match rest.split_once(':') {
            Some((authority, _)) if !authority.contains('/') => authority,
            _ => return url.to_owned(),
        }
    };
    authority.rsplit('@').next().unwrap_or(authority).to_owned()
}

fn sync_volume(volume: &Volume, remote: &SyncRemote, options: &SyncOptions) -> Result<SyncReport, SyncError> {
    let repo = open_repository(volume)?;
    if repo.head_detached()? {
        return Err(SyncError::DetachedHead);
    }
    if repo.state() != git2::RepositoryState::Clean {
        return Err(SyncError::OperationInProgress(format!("{:?}", repo.state()).to_lowercase()));
    }
    let local = local_branch(&repo)?;
    if let Some(branch) = &remote.branch {
        check_branch_name(branch)?;
    }

    let auth = Auth::new(remote.credentials.as_ref());
    let mut git_remote = repo.remote_anonymous(&remote.url)?;
    let (branch, remote_tip) = {
        let connection = git_remote.connect_auth(Direction::Fetch, Some(auth.callbacks()), None).map_err(|error| network_error(error, &remote.url, &auth))?;
        let branch = match &remote.branch {
            Some(branch) => branch.clone(),
            None => match connection.default_branch() {
                Ok(name) => name.as_str().ok().and_then(|name| name.strip_prefix("refs/heads/")).unwrap_or(DEFAULT_BRANCH).to_owned(),
                Err(_) => DEFAULT_BRANCH.to_owned(),
            },
        };
        check_branch_name(&branch)?;
        let remote_ref = format!("refs/heads/{branch}");
        let tip =
            connection.list().map_err(|error| network_error(error, &remote.url, &auth))?.iter().find(|head| head.name() == remote_ref).map(|head| head.oid());
        drop(connection);
        (branch, tip)
    };
    let tracking_ref = format!("{TRACKING_PREFIX}{branch}");
    if let Some(tip) = remote_tip {
        let mut fetch_options = FetchOptions::new();
        fetch_options.remote_callbacks(auth.callbacks()).download_tags(AutotagOption::None);
        git_remote
            .download(&[format!("+refs/heads/{branch}:{tracking_ref}")], Some(&mut fetch_options))
            .map_err(|error| network_error(error, &remote.url, &auth))?;
        let _ = git_remote.disconnect();
        // The download left the objects; the tracking ref is ours to write
        // because an anonymous remote has no refspec that would.
        repo.reference(&tracking_ref, tip, true, "sync: fetch")?;
        repo.reference_symbolic(TRACKING_HEAD, &tracking_ref, true, "sync: fetch")?;
    }

    let mut report = SyncReport {
        branch: branch.clone(),
        fetched: remote_tip.is_some(),
        previous_head: local.tip.map(|tip| tip.to_string()),
        head: local.tip.map(|tip| tip.to_string()),
        ..SyncReport::default()
    };
    let push_to = |commit: Oid, old_remote: Option<Oid>| -> Result<usize, SyncError> {
        push(&mut git_remote_for_push(&repo, &remote.url)?, commit, &branch, &remote.url, &auth)?;
        repo.reference(&tracking_ref, commit, true, "sync: push")?;
        repo.reference_symbolic(TRACKING_HEAD, &tracking_ref, true, "sync: push")?;
        Ok(match old_remote {
            Some(old) => repo.graph_ahead_behind(commit, old)?.0,
            None => count_commits(&repo, commit)?,
        })
    };

    match (local.tip, remote_tip) {
        (None, None) => {}
        (Some(local_tip), None) => {
            if options.push {
                report.pushed = push_to(local_tip, None)?;
                report.created_remote_branch = true;
            }
        }
        (None, Some(remote_tip)) => {
            report.pulled = count_commits(&repo, remote_tip)?;
            move_branch(&repo, &local.refname, None, remote_tip, "sync: fast-forward")?;
            report.head = Some(remote_tip.to_string());
        }
        (Some(local_tip), Some(remote_tip)) if local_tip == remote_tip => {}
        (Some(local_tip), Some(remote_tip)) => {
            let (_, behind) = repo.graph_ahead_behind(local_tip, remote_tip)?;
            let base = match repo.merge_base(local_tip, remote_tip) {
                Ok(base) => Some(base),
                Err(error) if error.code() == ErrorCode::NotFound => None,
                Err(error) => return Err(error.into()),
            };
            if base == Some(local_tip) {
                report.pulled = behind;
                move_branch(&repo, &local.refname, Some(local_tip), remote_tip, "sync: fast-forward")?;
                report.head = Some(remote_tip.to_string());
            } else if base == Some(remote_tip) {
                if options.push {
                    report.pushed = push_to(local_tip, Some(remote_tip))?;
                }
            } else if options.push {
                let replay = replay_local_commits(&repo, local_tip, remote_tip)?;
                let new_tip = replay.tip;
                // Refuse before pushing: after the push the working tree must follow.
                refuse_dirty_paths(&repo, Some(local_tip), new_tip)?;
                report.pushed = push_to(new_tip, Some(remote_tip))?;
                report.pulled = behind;
                report.rebased = replay.rebased;
                report.conflicts = replay.conflicts;
                move_branch(&repo, &local.refname, Some(local_tip), new_tip, "sync: rebase onto the remote").map_err(|error| {
                    SyncError::WorkingTreeNotUpdated {
                        branch: branch.clone(),
                        head: new_tip.to_string(),
                        workdir: volume.workdir().display().to_string(),
                        detail: error.to_string(),
                    }
                })?;
                report.head = Some(new_tip.to_string());
            }
        }
    }
    Ok(report)
}

/// A fresh anonymous remote per push, so the push closure needs no mutable
/// borrow of the fetch's remote.
fn git_remote_for_push<'repo>(repo: &'repo Repository, url: &str) -> Result<git2::Remote<'repo>, SyncError> {
    Ok(repo.remote_anonymous(url)?)
}

fn check_branch_name(branch: &str) -> Result<(), SyncError> {
    if git2::Reference::is_valid_name(&format!("refs/heads/{branch}")) { Ok(()) } else { Err(SyncError::InvalidBranch(branch.to_owned())) }
}

fn count_commits(repo: &Repository, tip: Oid) -> Result<usize, SyncError> {
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    let mut count = 0;
    for id in walk {
        id?;
        count += 1;
    }
    Ok(count)
}

/// Pushes `commit` to `refs/heads/<branch>`; not forced, so a remote that
/// moved since the fetch rejects it.
fn push(remote: &mut git2::Remote<'_>, commit: Oid, branch: &str, url: &str, auth: &Auth<'_>) -> Result<(), SyncError> {
    let rejection: RefCell<Option<String>> = RefCell::new(None);
    let mut callbacks = auth.callbacks();
    callbacks.push_update_reference(|_refname, status| {
        if let Some(status) = status {
            *rejection.borrow_mut() = Some(status.to_owned());
        }
        Ok(())
    });
    let mut push_options = PushOptions::new();
    push_options.remote_callbacks(callbacks);
    let result = remote.push(&[format!("{commit}:refs/heads/{branch}")], Some(&mut push_options));
    drop(push_options);
    let rejected = |reason: String| SyncError::PushRejected { host: remote_host(url), branch: branch.to_owned(), reason };
    match result {
        Ok(()) => match rejection.into_inner() {
            Some(reason) => Err(rejected(reason)),
            None => Ok(()),
        },
        // libgit2 checks the fast-forward against the tip the push
        // connection saw: someone pushed since our fetch.
        Err(error) if error.code() == ErrorCode::NotFastForward => Err(SyncError::RemoteMoved { host: remote_host(url), branch: branch.to_owned() }),
        Err(error) => match rejection.into_inner() {
            Some(reason) => Err(rejected(reason)),
            None => Err(network_error(error, url, auth)),
        },
    }
}

/// Checks out `new` over `old` (refusing to touch files with uncommitted
/// changes) and moves the branch, only if it still points at `old`.
fn move_branch(repo: &Repository, refname: &str, old: Option<Oid>, new: Oid, message: &str) -> Result<(), SyncError> {
    let branch_moved = || SyncError::BranchMoved { branch: refname.trim_start_matches("refs/heads/").to_owned() };
    // Checked before the checkout too, so a commit made during the sync does
    // not get its working tree replaced (the update below checks again).
    match repo.refname_to_id(refname) {
        Ok(current) if Some(current) == old => {}
        Err(error) if error.code() == ErrorCode::NotFound && old.is_none() => {}
        Ok(_) | Err(_) => return Err(branch_moved()),
    }
    refuse_dirty_paths(repo, old, new)?;
    let target = repo.find_commit(new)?;
    let mut checkout = CheckoutBuilder::new();
    checkout.safe();
    repo.checkout_tree(target.as_object(), Some(&mut checkout)).map_err(|error| match error.code() {
        ErrorCode::Conflict => SyncError::DirtyWorkingTree { paths: vec![error.message().to_owned()] },
        _ => SyncError::Git(error),
    })?;
    let moved = match old {
        Some(old) => repo.reference_matching(refname, new, true, old, message),
        None => repo.reference(refname, new, false, message),
    };
    moved.map(|_| ()).map_err(|error| match error.code() {
        ErrorCode::Modified | ErrorCode::Exists => branch_moved(),
        _ => SyncError::Git(error),
    })
}

/// Fails when a file that going from `old` to `new` would change has
/// uncommitted changes (staged, unstaged, or an untracked file in the way).
fn refuse_dirty_paths(repo: &Repository, old: Option<Oid>, new: Oid) -> Result<(), SyncError> {
    let old_tree = old.map(|id| repo.find_commit(id).and_then(|commit| commit.tree())).transpose()?;
    let new_tree = repo.find_commit(new)?.tree()?;
    let diff = repo.diff_tree_to_tree(old_tree.as_ref(), Some(&new_tree), None)?;
    let touched: BTreeSet<String> =
        diff.deltas().flat_map(|delta| [delta.old_file().path(), delta.new_file().path()]).flatten().map(|path| path.to_string_lossy().into_owned()).collect();
    if touched.is_empty() {
        return Ok(());
    }
    refuse_linked_folders(repo, &touched)?;
    let mut status_options = StatusOptions::new();
    status_options.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false).exclude_submodules(true);
    let statuses = repo.statuses(Some(&mut status_options))?;
    let mut dirty = Vec::new();
    for entry in statuses.iter() {
        if entry.status() == Status::CURRENT || entry.status().contains(Status::IGNORED) {
            continue;
        }
        let Ok(path) = entry.path() else { continue };
        let clashes =
            touched.contains(path) || touched.iter().any(|touched| path.starts_with(&format!("{touched}/")) || touched.starts_with(&format!("{path}/")));
        if clashes {
            dirty.push(path.to_owned());
        }
    }
    if dirty.is_empty() { Ok(()) } else { Err(SyncError::DirtyWorkingTree { paths: dirty }) }
}

/// Fails when a folder on the way to a file the sync would write is a symbolic link in
/// the working tree (`skills → /elsewhere`): checking out through it would write
/// outside the volume, or at another path than the one in git.
fn refuse_linked_folders(repo: &Repository, touched: &BTreeSet<String>) -> Result<(), SyncError> {
    let Some(workdir) = repo.workdir() else { return Ok(()) };
    let real_workdir = workdir.canonicalize().ok();
    for path in touched {
        let parts: Vec<&str> = path.split('/').collect();
        let mut at = workdir.to_path_buf();
        for (depth, part) in parts.iter().enumerate().take(parts.len().saturating_sub(1)) {
            at.push(part);
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    let inside = at.canonicalize().ok().zip(real_workdir.as_ref()).is_some_and(|(real, root)| real.starts_with(root));
                    let link = parts.iter().take(depth + 1).copied().collect::<Vec<_>>().join("/");
                    return Err(SyncError::LinkInTheWay { link, path: path.clone(), outside: !inside });
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }
    Ok(())
}

struct Replay {
    tip: Oid,
    rebased: usize,
    conflicts: Vec<SyncConflict>,
}

/// Replays every commit reachable from `local` but not from `onto`, oldest
/// first, as new commits on `onto`. Writes objects only.
fn replay_local_commits(repo: &Repository, local: Oid, onto: Oid) -> Result<Replay, SyncError> {
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(local)?;
    walk.hide(onto)?;
    let commits = walk.collect::<Result<Vec<Oid>, _>>()?;

    let empty_tree = repo.find_tree(repo.treebuilder(None)?.write()?)?;
    let mut tip = repo.find_commit(onto)?;
    let mut rebased = 0;
    let mut conflicts = Vec::new();
    // A session already forked in this sync keeps its later local versions
    // in the same copy.
    let mut forked: HashMap<String, String> = HashMap::new();
    for id in commits {
        let commit = repo.find_commit(id)?;
        let parent_tree = match commit.parent(0) {
            Ok(parent) => parent.tree()?,
            Err(error) if error.code() == ErrorCode::NotFound => empty_tree.clone(),
            Err(error) => return Err(error.into()),
        };
        let tip_tree = tip.tree()?;
        let mut index = repo.merge_trees(&parent_tree, &tip_tree, &commit.tree()?, None)?;
        let copies = if index.has_conflicts() { resolve_session_conflicts(&mut index, &commit, &tip_tree, &forked)? } else { Vec::new() };

        let committer = repo.signature().unwrap_or_else(|_| commit.committer().to_owned());
        let tree_id = index.write_tree_to(repo)?;
        if tree_id != tip_tree.id() {
            let message = String::from_utf8_lossy(commit.message_raw_bytes()).into_owned();
            let new_id = repo.commit(None, &commit.author(), &committer, &message, &repo.find_tree(tree_id)?, &[&tip])?;
            tip = repo.find_commit(new_id)?;
            rebased += 1;
        }
        for copy in copies {
            let tree_id = tree_with_copy(repo, &tip.tree()?, &copy)?;
            if tree_id == tip.tree_id() {
                continue;
            }
            let message = format!("sync: keep both versions of {}", copy.path);
            let new_id = repo.commit(None, &commit.author(), &committer, &message, &repo.find_tree(tree_id)?, &[&tip])?;
            tip = repo.find_commit(new_id)?;
            if !forked.contains_key(&copy.path) {
                conflicts.push(SyncConflict { path: copy.path.clone(), kept_as: copy.kept_as.clone() });
            }
            forked.insert(copy.path, copy.kept_as);
        }
    }
    Ok(Replay { tip: tip.id(), rebased, conflicts })
}

/// The local version of a conflicting session file, to be written beside it.
struct SessionCopy {
    path: String,
    kept_as: String,
    entry: IndexEntry,
}

/// Resolves each conflicting session file to the remote version and returns
/// the local versions to keep beside them; any other conflict is an error.
fn resolve_session_conflicts(
    index: &mut Index,
    commit: &Commit<'_>,
    tip_tree: &Tree<'_>,
    forked: &HashMap<String, String>,
) -> Result<Vec<SessionCopy>, SyncError> {
    let mut conflicts = Vec::new();
    for conflict in index.conflicts()? {
        conflicts.push(conflict?);
    }
    let mut others = Vec::new();
    let mut resolutions = Vec::new();
    for conflict in conflicts {
        let Some(any) = conflict.our.as_ref().or(conflict.their.as_ref()).or(conflict.ancestor.as_ref()) else { continue };
        let path = String::from_utf8_lossy(&any.path).into_owned();
        if !is_session_path(&path) {
            others.push(path);
            continue;
        }
        resolutions.push((path, conflict.our, conflict.their));
    }
    if !others.is_empty() {
        others.sort();
        others.dedup();
        return Err(SyncError::Conflict { paths: others });
    }

    let mut copies = Vec::new();
    for (path, remote_entry, local_entry) in resolutions {
        index.conflict_remove(Path::new(&path))?;
        match (remote_entry, local_entry) {
            (Some(remote_entry), Some(local_entry)) => {
                index.add(&stage_zero(remote_entry, &path))?;
                let kept_as = match forked.get(&path) {
                    Some(kept_as) => kept_as.clone(),
                    None => free_copy_path(tip_tree, &path, commit.id()),
                };
                copies.push(SessionCopy { entry: stage_zero(local_entry, &kept_as), path, kept_as });
            }
            // Deleted on one side, changed on the other: keep the content.
            (Some(entry), None) | (None, Some(entry)) => index.add(&stage_zero(entry, &path))?,
            (None, None) => {}
        }
    }
    Ok(copies)
}

fn is_session_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("");
    parts.next() == Some("sessions") && name.ends_with(".md") && !name.starts_with('.')
}

/// `…/sessions/<id>.local-<short sha>.md`, with `-2`, `-3`, … when taken.
fn free_copy_path(tree: &Tree<'_>, path: &str, local_commit: Oid) -> String {
    let stem = path.strip_suffix(".md").unwrap_or(path);
    let sha = local_commit.to_string();
    let short = sha.get(..7).unwrap_or(&sha);
    let mut candidate = format!("{stem}.local-{short}.md");
    let mut attempt = 2;
    while tree.get_path(Path::new(&candidate)).is_ok() {
        candidate = format!("{stem}.local-{short}-{attempt}.md");
        attempt += 1;
    }
    candidate
}

fn stage_zero(mut entry: IndexEntry, path: &str) -> IndexEntry {
    // The low 12 bits of `flags` hold the path length, bits 12–13 the stage.
    entry.flags = path.len().min(0xfff) as u16;
    entry.flags_extended = 0;
    entry.path = path.as_bytes().to_vec();
    entry
}

/// `tree` with the local copy of a session added.
fn tree_with_copy(repo: &Repository, tree: &Tree<'_>, copy: &SessionCopy) -> Result<Oid, SyncError> {
    let mut index = Index::new()?;
    index.read_tree(tree)?;
    index.add(&copy.entry)?;
    Ok(index.write_tree_to(repo)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_hides_the_token() {
        let credentials = Credentials { username: "x-access-token".to_owned(), token: "ghp_canary123".to_owned() };
        let shown = format!("{:?}", SyncRemote { url: "https://h/r.git".to_owned(), branch: None, credentials: Some(credentials) });
        assert!(!shown.contains("ghp_canary123"), "{shown}");
        assert!(shown.contains("x-access-token"));
    }

    #[test]
    fn host_is_named_without_user_info() {
        assert_eq!(remote_host("https://user:secret@github.com/o/r.git"), "github.com");
        assert_eq!(remote_host("git://127.0.0.1:9418/o/r.git"), "127.0.0.1:9418");
        assert_eq!(remote_host("git@github.com:o/r.git"), "github.com");
        assert_eq!(remote_host("/srv/git/r.git"), "/srv/git/r.git");
    }

    #[test]
    fn only_markdown_files_directly_in_sessions_are_session_files() {
        assert!(is_session_path("sessions/abc.md"));
        assert!(is_session_path("team/sessions/abc.md"));
        assert!(!is_session_path("sessions/abc.txt"));
        assert!(!is_session_path("sessions/sub/abc.md"));
        assert!(!is_session_path("skills/sessions.md"));
        assert!(!is_session_path("sessions/.abc.md"));
    }

    #[test]
    fn errors_holding_the_token_are_redacted() {
        let error = SyncError::Git(git2::Error::from_str("bad url https://u:tok3n@h/r"));
        let redacted = error.without_secret(Some("tok3n"));
        assert!(matches!(redacted, SyncError::Redacted(_)));
        assert!(!redacted.to_string().contains("tok3n"));
        assert!(!format!("{redacted:?}").contains("tok3n"));
    }
}
