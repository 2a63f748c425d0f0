//! The `llmos` binary: language server and command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = llmos_server::cli::Cli::parse();
    llmos_server::cli::run(cli)
}
