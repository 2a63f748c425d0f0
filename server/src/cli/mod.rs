//! The command line (docs/design.md §8). Each subcommand is a module; they share the core
//! crates with the language server, so `llmos check` and the editor agree.

pub mod chat;
pub mod check;
pub mod commit;
pub mod demo;
pub mod evolve;
pub mod history;
pub mod import;
pub mod init;
pub mod install;
pub mod login;
pub mod migrate;
pub mod promote;
pub mod status;
pub mod sync;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(name = "llmos", version, about = "A language server and CLI that turns any LSP editor into a self-improving AI workbench")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the language server over stdio.
    Lsp {
        /// Accepted for clients that always pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
    /// Lint skills, sessions and llmos.toml like a compiler (exit 1 on errors).
    Check {
        /// Workspace roots, volume folders, skill folders or files (default: .).
        paths: Vec<PathBuf>,
        #[arg(long, value_parser = ["llmos", "agentskills", "claude-code"])]
        profile: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Run the whole loop offline on a demo workspace: init, check, history, evolve.
    Demo { dir: Option<PathBuf> },
    /// Create a workspace: llmos.toml and the user, team and system volumes.
    Init {
        dir: Option<PathBuf>,
        /// Add a small realistic demo: skills and committed sessions over several days.
        #[arg(long)]
        demo: bool,
    },
    /// Send a session to the LLM; the reply streams to the terminal and into the file.
    Chat {
        session: PathBuf,
        /// Append this as a user turn first.
        #[arg(short = 'm', long = "message")]
        message: Option<String>,
    },
    /// Commit a session with its context-memory message.
    Commit { session: PathBuf },
    /// List a volume's session commits, parsed back from their messages.
    History {
        workspace: Option<PathBuf>,
        #[arg(long, default_value = "user")]
        volume: String,
        /// Only commits newer than this (7d, 24h, 30d).
        #[arg(long)]
        since: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Find recurring work in a volume's session history and write skills for it.
    Evolve {
        #[arg(long, default_value = "user")]
        volume: String,
        /// Only commits newer than this (7d, 24h); default: since the last run.
        #[arg(long)]
        since: Option<String>,
        /// Analyse and report, write and commit nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_parser = ["local", "llm", "hybrid"])]
        detector: Option<String>,
        /// Also judge each written skill with the LLM: held-out prompts answered with and
        /// without it, compared with the answers the sessions accepted.
        #[arg(long)]
        eval: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Import Claude Code or Codex transcripts as committed sessions (secrets scrubbed).
    Import {
        #[arg(value_parser = ["claude-code", "codex"])]
        agent: String,
        /// A transcript or a folder of them (default: ~/.claude/projects, or $CODEX_HOME/sessions with ~/.codex by default).
        path: Option<PathBuf>,
        #[arg(long, default_value = "user")]
        volume: String,
        /// Only transcripts active since then: 30d, 24h or a date (2025-03-01).
        #[arg(long)]
        since: Option<String>,
        /// Only transcripts of this project folder (its path or its last parts).
        #[arg(long)]
        project: Option<String>,
        /// Print what would be imported; write and commit nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Put a skill where coding agents read it (it must pass the agentskills profile).
    Install {
        /// A skill name in this workspace, or a path to its folder or SKILL.md.
        skill: String,
        /// claude-code: ~/.claude/skills (or PROJECT/.claude/skills); agents: ~/.agents/skills (or PROJECT/.agents/skills).
        #[arg(long, value_parser = ["claude-code", "agents"])]
        to: String,
        #[arg(long)]
        project: Option<PathBuf>,
        /// Symlink the skill folder instead of copying it, so edits show at once.
        #[arg(long)]
        link: bool,
        /// Replace a different skill of the same name.
        #[arg(long)]
        force: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Remove a skill that `llmos install` put where agents read it.
    Uninstall {
        /// The installed skill's name.
        skill: String,
        #[arg(long = "from", visible_alias = "to", value_parser = ["claude-code", "agents"])]
        from: String,
        #[arg(long)]
        project: Option<PathBuf>,
        /// Remove it even if llmos did not install it.
        #[arg(long)]
        force: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Log in to GitHub (device flow); the token is stored in your configuration folder.
    Login,
    /// Import LLMos-Lite sessions (JSON) and skills into a volume.
    Migrate {
        path: PathBuf,
        #[arg(long, default_value = "user")]
        volume: String,
        /// Report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Copy a skill to the next volume and commit it there.
    Promote {
        /// A skill name or a path to its folder or SKILL.md.
        skill: String,
        #[arg(long, value_parser = ["team", "system"])]
        to: String,
    },
    /// Pull (rebase) and push volumes through their remotes.
    Sync {
        volume: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Volumes, provider and evolution jobs.
    Status {
        workspace: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Lsp { .. } => run_lsp(),
        Command::Check { paths, profile, format } => check::run(paths, profile, format),
        Command::Demo { dir } => demo::run_demo(dir),
        Command::Init { dir, demo } => init::run(dir, demo),
        Command::Chat { session, message } => chat::run(session, message),
        Command::Commit { session } => commit::run(session),
        Command::History { workspace, volume, since, format } => history::run(workspace, &volume, since, format),
        Command::Evolve { volume, since, dry_run, detector, eval, format } => evolve::run(volume, since, dry_run, detector, eval, format),
        Command::Import { agent, path, volume, since, project, dry_run, format } => {
            import::run(import::ImportArgs { agent, path, volume, since, project, dry_run, format })
        }
        Command::Install { skill, to, project, link, force, format } => install::run_install(skill, to, project, link, force, format),
        Command::Uninstall { skill, from, project, force, format } => install::run_uninstall(skill, from, project, force, format),
        Command::Login => login::run(),
        Command::Migrate { path, volume, dry_run, format } => migrate::run(path, volume, dry_run, format),
        Command::Promote { skill, to } => promote::run(skill, to),
        Command::Status { workspace, format } => status::run(workspace, format),
        Command::Sync { volume, format } => sync::run(volume, format),
    }
}

fn run_lsp() -> ExitCode {
    // Logs go to stderr; stdout is the protocol.
    let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(tracing_subscriber::EnvFilter::from_env("LLMOS_LOG")).try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("llmos: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(crate::lsp::serve(tokio::io::stdin(), tokio::io::stdout()));
    // Stdin may stay open after `exit` (some clients never close it): do not wait for the
    // blocking read that is still pending on it.
    runtime.shutdown_background();
    ExitCode::SUCCESS
}

/// Prints an error the way every subcommand does and returns exit code 2.
pub fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("llmos: {message}");
    ExitCode::from(2)
}
