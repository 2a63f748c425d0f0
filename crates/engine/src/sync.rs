//! Sync: pull (rebase) and push a volume through its remote. `github:OWNER/REPO`
//! remotes are created on first sync (private under the user, or under the
//! organisation); credentials come from the token and never reach a file or URL.

use llmos_documents::VolumeKind;
use llmos_github::{GithubClient, ResolvedRemote, resolve_remote};
use llmos_vcs::{Credentials, SyncOptions, SyncRemote};
use llmos_vcs::{SyncReport, Volume};
use llmos_workspace::Config;
use serde::Serialize;

use crate::github::{github_config, resolve_token};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    pub volume: VolumeKind,
    pub remote: String,
    pub created_repository: bool,
    pub report: SyncReport,
}

/// The remote as git sees it, and credentials when a token is available.
async fn remote_for(config: &Config, kind: VolumeKind) -> std::result::Result<(SyncRemote, bool), String> {
    let vol = config.volume(kind);
    let Some(remote) = vol.remote.clone() else {
        return Err(format!("the {kind} volume has no remote: set `remote = \"github:OWNER/REPO\"` (or a git URL) under [volumes.{kind}] in llmos.toml"));
    };
    let gh = github_config(config);
    let resolved = resolve_remote(&remote, &gh).map_err(|e| e.to_string())?;
    let token = resolve_token(&gh)?;
    let mut created = false;
    if let ResolvedRemote::Github(spec) = &resolved
        && let Some(token) = &token
        && vol.writable
    {
        let client = GithubClient::new(&gh, token.clone()).map_err(|e| e.to_string())?;
        created = client.ensure_repository(&spec.owner, &spec.repo, true).await.map_err(|e| e.to_string())?.created;
    }
    let credentials = token.map(|t| Credentials { username: "x-access-token".into(), token: t.expose().to_string() });
    Ok((SyncRemote { url: resolved.git_url().to_string(), branch: vol.branch.clone(), credentials }, created))
}

/// Syncs one volume: fetch, rebase local commits on the remote branch, push (fetch and
/// fast-forward only for a read-only volume).
pub async fn sync_volume(config: &Config, kind: VolumeKind) -> std::result::Result<SyncOutcome, String> {
    let (remote, created) = remote_for(config, kind).await?;
    let dir = config.volume(kind).path.clone();
    let push = config.volume(kind).writable;
    let shown = remote.url.clone();
    let report = tokio::task::spawn_blocking(move || {
        let repo = Volume::open(&dir).map_err(|e| e.to_string())?;
        repo.sync(&remote, &SyncOptions { push }).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())??;
    Ok(SyncOutcome { volume: kind, remote: shown, created_repository: created, report })
}

/// The volumes to sync: the one named, or every volume with a remote.
pub fn targets(config: &Config, volume: Option<&str>) -> std::result::Result<Vec<VolumeKind>, String> {
    match volume {
        Some(v) => VolumeKind::parse(v).map(|k| vec![k]).ok_or_else(|| format!("unknown volume `{v}`: user, team or system")),
        None => {
            let with_remote: Vec<VolumeKind> = config.volumes.iter().filter(|v| v.remote.is_some()).map(|v| v.kind).collect();
            if with_remote.is_empty() {
                Err("no volume has a remote: set `remote` under [volumes.user] (or team, system) in llmos.toml".into())
            } else {
                Ok(with_remote)
            }
        }
    }
}

/// Commits ahead/behind the last fetched remote branch, without network.
pub fn ahead_behind(config: &Config, kind: VolumeKind) -> Option<(usize, usize)> {
    let vol = config.volume(kind);
    let remote = vol.remote.as_ref()?;
    let gh = github_config(config);
    let url = resolve_remote(remote, &gh).ok()?.git_url().to_string();
    let repo = Volume::open(&vol.path).ok()?;
    repo.ahead_behind(&SyncRemote { url, branch: vol.branch.clone(), credentials: None }).ok().flatten()
}
