//! GitHub for llmos remotes: resolving `github:OWNER/REPO`, finding and storing the
//! token, the REST calls that make sure a volume's repository exists, and the OAuth
//! device flow behind `llmos login`.
//!
//! Boundaries: no git here (fetch/rebase/push live with the volume sync code, which
//! gets a [`RemoteSpec`] and a [`Token`] from this crate), and nothing about LSP.
//! The token never appears in an error, a log line or a `Debug` output.
//!
//! With the `testing` feature, [`testing`] offers a loopback stand-in for GitHub whose
//! "create repository" makes real bare repositories, and a `git daemon` to serve them.

// Input from users, files, the network and git is sliced only through checked
// accessors (`.get`, iterators), so no input can panic here.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

mod client;
mod config;
pub mod device_flow;
mod token;

// The loopback GitHub (`testing` feature) is test scaffolding reading what tests send.
#[cfg(feature = "testing")]
#[allow(clippy::string_slice, clippy::indexing_slicing)]
pub mod testing;

pub use client::{EnsuredRepository, GithubClient, GithubError, RateLimit, Repo, RepoOwner, User};
pub use config::{GithubConfig, RemoteError, RemoteSpec, ResolvedRemote, resolve_remote};
pub use token::{ResolvedToken, Token, TokenError, TokenOrigin, TokenSource, TokenStore};
