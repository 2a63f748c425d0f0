//! The git layer of llmos: the context-memory commit message (render and
//! parse) and the volume's repository (commit one session file, read the
//! session history, describe a commit), and syncing the volume with its
//! remote (fetch, rebase, push).
//!
//! It knows nothing of LSP or of the document formats: the server parses a
//! session and hands over plain data ([`ContextMemory`], bytes, paths).

// Input from users, files, the network and git is sliced only through checked
// accessors (`.get`, iterators), so no input can panic here.
#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod commit_message;
pub mod repo;
pub mod sync;

pub use commit_message::{ArtifactRef, ContextMemory, Footer, ParsedCommit, TokenStats};
pub use repo::{CommitId, CommitSummary, HistoryEntry, HistoryOptions, InitOutcome, VcsError, Volume};
pub use sync::{Credentials, SyncConflict, SyncError, SyncOptions, SyncRemote, SyncReport};
