//! End-to-end tests: the real server in-process over framed JSON-RPC, the built binary
//! over stdio, and the CLI.

mod github;
mod harness;

mod cli;
mod evolution;
mod lsp_chat;
mod lsp_diagnostics;
mod lsp_features;
mod lsp_promote;
mod lsp_sessions;
mod scale;
mod stdio;
mod sync;
