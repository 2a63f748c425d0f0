//! The `llmos` binary's library: the language server and the command line.
//!
//! This is the only crate that knows LSP types, and it holds two adapters over
//! `llmos_engine`: the language server (`lsp`, `handlers`, `commands`) and the command
//! line (`cli`). Everything they do is: convert the request (positions, URIs, arguments)
//! with [`lsp::convert`] or clap, call the engine or a core crate, convert back.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

pub mod cli;
pub mod commands;
pub mod handlers;
pub mod lsp;
