//! A `git daemon` child process serving every repository under a base path over
//! `git://127.0.0.1:PORT/`, with pushes enabled. Killed when dropped.
//!
//! `git daemon` is a wrapper that execs or forks `git-daemon`, which forks again for
//! each connection; killing the wrapper's pid alone left daemons behind after every test
//! run. So the daemon gets a process group of its own and `Drop` ends the whole group.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(10);
/// Another process may take the port between our probe and the daemon's bind.
const PORT_ATTEMPTS: usize = 5;

/// Whether `git daemon` can run here (some distributions split it into a package).
pub fn git_daemon_available() -> bool {
    // `git daemon -h` prints usage and exits 129; a missing command exits 1 with "is not a git command".
    Command::new("git")
        .args(["daemon", "-h"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("usage: git daemon") || String::from_utf8_lossy(&out.stderr).contains("usage: git daemon"))
        .unwrap_or(false)
}

/// A running `git daemon --export-all --enable=receive-pack --base-path=ROOT`.
#[derive(Debug)]
pub struct GitDaemon {
    child: Child,
    port: u16,
    base_path: PathBuf,
}

impl GitDaemon {
    /// Starts the daemon and waits (blocking, up to 10 s) until it accepts
    /// connections. `git://127.0.0.1:PORT/OWNER/REPO.git` then maps to
    /// `base_path/OWNER/REPO.git`.
    pub fn start(base_path: &Path) -> io::Result<GitDaemon> {
        let base_path = base_path.canonicalize()?;
        let mut last_error = io::Error::other("git daemon did not start");
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            let mut child = Command::new("git")
                .arg("daemon")
                .arg("--reuseaddr")
                .arg("--listen=127.0.0.1")
                .arg(format!("--port={port}"))
                .arg("--export-all")
                .arg("--enable=receive-pack")
                .arg("--informative-errors")
                .arg(format!("--base-path={}", base_path.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()?;
            match wait_until_listening(&mut child, port) {
                Ok(()) => {
                    return Ok(GitDaemon { child, port, base_path });
                }
                Err(e) => {
                    end_group(&mut child);
                    last_error = e;
                }
            }
        }
        Err(last_error)
    }

    /// `git://127.0.0.1:PORT/` (with the slash; append `OWNER/REPO.git`).
    pub fn url(&self) -> String {
        format!("git://127.0.0.1:{}/", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_path(&self) -> &Path {
        &self.base_path
    }

    /// The daemon's process group (its pid): every process it forked is in it.
    pub fn process_group(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        end_group(&mut self.child);
    }
}

/// Whether any process of the group `pgid` is still alive (zombies not yet reaped by
/// their parent count as alive).
pub fn process_group_alive(pgid: u32) -> bool {
    let Ok(pgid) = libc::pid_t::try_from(pgid) else { return false };
    // SAFETY: kill with signal 0 only checks for existence and permission.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

/// Ends every process of the child's group, then reaps the child.
fn end_group(child: &mut Child) {
    if let Ok(pgid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: sending a signal to our own child's process group.
        unsafe {
            libc::kill(-pgid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

fn wait_until_listening(child: &mut Child, port: u16) -> io::Result<()> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    loop {
        if let Some(status) = child.try_wait()? {
            return Err(io::Error::other(format!("git daemon exited with {status} (port {port} taken?)")));
        }
        if TcpStream::connect_timeout(&addr.into(), Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, format!("git daemon did not listen on port {port} within {READY_TIMEOUT:?}")));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
