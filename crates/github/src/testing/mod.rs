//! Test doubles for GitHub, for this crate's tests and other crates' end-to-end tests
//! (feature `testing`): [`FakeGithub`] answers the REST API and the device flow on a
//! real 127.0.0.1 port with GitHub's paths, statuses, JSON shapes and rate-limit
//! headers, and its "create repository" runs `git init --bare` under a root directory
//! that [`GitDaemon`] serves over `git://`.

mod fake_github;
mod git_daemon;
mod http;

pub use fake_github::{CreateFailure, DeviceScript, DeviceStep, FakeGithub, RecordedRequest};
pub use git_daemon::{GitDaemon, git_daemon_available, process_group_alive};
