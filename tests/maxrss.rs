//! `maxrss OUT CMD [ARGS...]`: runs CMD with this process's standard streams, waits for it,
//! writes the peak resident set size of CMD (and anything it waited for) in KiB to the file
//! OUT, and exits with CMD's exit code. It is `/usr/bin/time -f %M` for the tests, which
//! assert memory bounds from the child process itself rather than by time: run as its own
//! process, its `RUSAGE_CHILDREN` covers that one command and nothing else the test runs.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [out, cmd, rest @ ..] = args.as_slice() else {
        eprintln!("usage: maxrss OUT CMD [ARGS...]");
        return ExitCode::from(2);
    };
    let status = match Command::new(cmd).args(rest).status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("maxrss: cannot run {}: {e}", cmd.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    // SAFETY: getrusage only writes the struct it is given, which is zero-initialised and
    // lives for the call.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) != 0 {
            eprintln!(
                "maxrss: getrusage failed: {}",
                std::io::Error::last_os_error()
            );
            return ExitCode::from(2);
        }
        u
    };
    if let Err(e) = std::fs::write(out, format!("{}\n", usage.ru_maxrss)) {
        eprintln!("maxrss: cannot write {}: {e}", out.to_string_lossy());
        return ExitCode::from(2);
    }
    match status.code() {
        Some(c) => ExitCode::from(c as u8),
        None => ExitCode::from(128),
    }
}
