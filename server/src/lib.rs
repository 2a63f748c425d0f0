//! The `llmos` binary's library: the language server and the command line.
//!
//! This is the only crate that knows LSP types, and it holds two adapters over
//! `llmos_engine`: the language server (`lsp`, `handlers`, `commands`) and the command
//! line (`cli`). Everything they do is: convert the request (positions, URIs, arguments)
//! with [`lsp::convert`] or clap, call the engine or a core crate, convert back.

#![cfg_attr(not(test), deny(clippy::string_slice, clippy::indexing_slicing))]

/// mimalloc rather than the system allocator: indexing and checking 200,000 files
/// allocate millions of small strings across threads, where glibc's malloc spent about
/// a sixth of the CPU time. In the library so the binary, its tests and the benchmarks
/// all measure the same allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod cli;
pub mod commands;
pub mod handlers;
pub mod lsp;
