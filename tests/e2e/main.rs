//! End-to-end tests: the real server in-process over framed JSON-RPC, the built binary
//! over stdio, and the CLI.

mod github;
mod harness;
mod positions;

mod cli;
mod command_progress;
mod edit_oracle;
mod evolution;
mod import;
mod install;
mod lsp_chat;
mod lsp_diagnostics;
mod lsp_features;
mod lsp_lenses;
mod lsp_promote;
mod lsp_sessions;
mod portable;
mod protocol_abuse;
mod provider_check;
mod robustness;
mod rules;
mod scale;
mod snapshots;
mod stdio;
mod sync;
mod usage;
mod workspace_diagnostics;
