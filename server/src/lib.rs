//! The `llmos` binary's library: the language server and the command line.
//!
//! This is the only crate that knows LSP types. Everything it does is: convert the
//! request (positions, URIs) with [`lsp::convert`], call a core crate, convert back.

pub mod chat;
pub mod cli;
pub mod commands;
pub mod evolve;
pub mod handlers;
pub mod lsp;
