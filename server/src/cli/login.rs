//! `llmos login`: GitHub's device flow from a terminal.

use std::process::ExitCode;

use super::fail;
use llmos_engine::github::{github_config, login};

pub fn run() -> ExitCode {
    let config = match llmos_engine::workspace::load_config(None) {
        Ok(config) => config,
        Err(_) => llmos_workspace::Config::default_for(std::path::Path::new(".")),
    };
    let cfg = github_config(&config);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(e),
    };
    let result = runtime.block_on(login(&cfg, |code| {
        println!("Open {} and enter the code {}", code.verification_uri, code.user_code);
        println!("Waiting for you to authorize llmos…");
    }));
    match result {
        Ok((login, via)) => {
            println!("Logged in to GitHub as {login} ({via})");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("GitHub login failed: {e}")),
    }
}
