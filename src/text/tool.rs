//! Run an external program as an isolated child: its own process, a wall-clock
//! timeout and an address-space limit. Whatever the program does with a hostile input
//! (crash, endless loop, a huge allocation) ends as an error here, never in the service.

use std::ffi::OsStr;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct ToolLimits {
    pub timeout: Duration,
    pub memory_bytes: u64,
    /// No file the child writes may grow past this (RLIMIT_FSIZE): a decompression
    /// bomb cannot fill the disk.
    pub file_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("{program} is not installed (Debian package poppler-utils)")]
    Missing { program: String },
    #[error("{program} was stopped after {} s (limits.pdf_tool_timeout_secs)", limit.as_secs())]
    Timeout { program: String, limit: Duration },
    #[error("{program} ran out of its memory limit of {} MB (limits.pdf_tool_memory_mb)", limit / (1024 * 1024))]
    OutOfMemory { program: String, limit: u64 },
    #[error("{program} was stopped writing a file larger than {} MB", limit / (1024 * 1024))]
    FileTooLarge { program: String, limit: u64 },
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("cannot run {program}: {message}")]
    Io { program: String, message: String },
}

/// Output of a successful run.
#[derive(Debug)]
pub struct Output {
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Run `program` with `args` under `limits`. A non-zero exit is an error carrying the
/// last lines of stderr.
pub fn run<S: AsRef<OsStr>>(
    program: &str,
    args: &[S],
    limits: &ToolLimits,
) -> Result<Output, ToolError> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let memory = limits.memory_bytes;
    let file_bytes = limits.file_bytes;
    // SAFETY: only async-signal-safe calls (setrlimit) between fork and exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: memory as libc::rlim_t,
                rlim_max: memory as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &rl) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let fsize = libc::rlimit {
                rlim_cur: file_bytes as libc::rlim_t,
                rlim_max: file_bytes as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &fsize) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ToolError::Missing {
                program: program.into(),
            }
        } else {
            ToolError::Io {
                program: program.into(),
                message: e.to_string(),
            }
        }
    })?;
    // Drain both pipes on their own threads so a chatty child never blocks on a full pipe.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= limits.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = (out.join(), err.join());
                return Err(ToolError::Timeout {
                    program: program.into(),
                    limit: limits.timeout,
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => {
                let _ = child.kill();
                return Err(ToolError::Io {
                    program: program.into(),
                    message: e.to_string(),
                });
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    if status.success() {
        return Ok(Output { stdout, stderr });
    }
    let lower = stderr.to_lowercase();
    if lower.contains("bad_alloc")
        || lower.contains("out of memory")
        || lower.contains("cannot allocate")
        || lower.contains("allocation")
    {
        return Err(ToolError::OutOfMemory {
            program: program.into(),
            limit: limits.memory_bytes,
        });
    }
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    if signal == Some(libc::SIGXFSZ)
        || lower.contains("file too large")
        || lower.contains("file size limit")
    {
        return Err(ToolError::FileTooLarge {
            program: program.into(),
            limit: limits.file_bytes,
        });
    }
    let status = match (status.code(), signal) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => status.to_string(),
    };
    Err(ToolError::Failed {
        program: program.into(),
        status,
        stderr: last_lines(&stderr, 3),
    })
}

/// The last `n` non-empty lines of a tool's stderr, joined: the useful part of a
/// poppler error (its warnings come first).
pub fn last_lines(stderr: &str, n: usize) -> String {
    let mut lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.dedup();
    let from = lines.len().saturating_sub(n);
    let joined = lines[from..].join(" / ");
    if joined.is_empty() {
        "no message".into()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(ms: u64) -> ToolLimits {
        ToolLimits {
            timeout: Duration::from_millis(ms),
            memory_bytes: 512 << 20,
            file_bytes: 1 << 20,
        }
    }

    #[test]
    fn output_and_failure() {
        let out = run("sh", &["-c", "echo hi; echo warn >&2"], &limits(5000)).unwrap();
        assert_eq!(out.stdout, b"hi\n");
        assert_eq!(out.stderr, "warn\n");
        let e = run(
            "sh",
            &["-c", "echo first >&2; echo broken >&2; exit 3"],
            &limits(5000),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "sh failed (exit status 3): first / broken");
    }

    #[test]
    fn an_endless_child_is_killed_at_the_timeout() {
        let t = Instant::now();
        let e = run("sleep", &["30"], &limits(300)).unwrap_err();
        assert!(matches!(e, ToolError::Timeout { .. }), "{e}");
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_child_cannot_allocate_past_its_limit() {
        // A shell holding 1 GB in a variable under a 512 MB address-space limit.
        let e = run(
            "bash",
            &[
                "-c",
                "x=$(head -c 1000000000 /dev/zero | tr '\\0' a); echo ${#x}",
            ],
            &limits(60_000),
        )
        .unwrap_err();
        assert!(matches!(e, ToolError::OutOfMemory { .. }), "{e}");
    }

    #[test]
    fn a_child_cannot_write_past_its_file_limit() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("big");
        let cmd = format!("head -c 5000000 /dev/zero > {}", out.display());
        let e = run("sh", &["-c", &cmd], &limits(20_000)).unwrap_err();
        assert!(matches!(e, ToolError::FileTooLarge { .. }), "{e}");
        assert!(std::fs::metadata(&out).unwrap().len() <= 1 << 20);
    }

    #[test]
    fn a_missing_program_says_so() {
        let e = run("no-such-tool-here", &["x"], &limits(1000)).unwrap_err();
        assert!(matches!(e, ToolError::Missing { .. }), "{e}");
    }
}
