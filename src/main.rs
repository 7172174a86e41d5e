//! The `recaudit` binary: parse flags, run the subcommand, map the outcome to an exit code
//! (0 = done and every gate passed, 1 = a gate failed, 2 = bad input or usage).

use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;
use recaudit::input::files::panic_message;

/// Whether the panic hook has reported a panic.
static REPORTED: AtomicBool = AtomicBool::new(false);

fn main() -> ExitCode {
    tune_the_allocator();
    // A panic is a bug in recaudit, never the user's doing: it is reported as one line and the
    // exit status is 2, as for any run that could not finish. (Panics inside the readers are
    // caught there and reported as errors naming the file; see `recaudit::input::files`.)
    panic::set_hook(Box::new(|info| {
        REPORTED.store(true, Ordering::SeqCst);
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error: {}{place}; this is a bug in recaudit, please report it",
            panic_message(info.payload())
        );
    }));
    match panic::catch_unwind(AssertUnwindSafe(run)) {
        Ok(code) => code,
        Err(payload) => {
            // A panic the hook kept quiet (it happened while a read was guarded) is reported here.
            if !REPORTED.load(Ordering::SeqCst) {
                eprintln!(
                    "error: internal error: {}; this is a bug in recaudit, please report it",
                    panic_message(payload.as_ref())
                );
            }
            ExitCode::from(2)
        }
    }
}

/// Parses the flags and runs the subcommand.
fn run() -> ExitCode {
    let cli = match recaudit::cli::args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match recaudit::cli::run(cli.command) {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(e) => {
            // Messages quote file names, column names and values: no control or bidi character
            // of theirs reaches the terminal (line breaks of multi-line messages stay).
            let message = format!("{e:#}");
            eprintln!("error: {}", recaudit::text::visible_lines(&message));
            ExitCode::from(2)
        }
    }
}

/// glibc serves allocations below a threshold from its heaps, and raises that threshold (up to
/// 32 MB) each time a larger block is freed. Input chunks then stay on the heap after they are
/// dropped and the peak memory grows with fragmentation (measured: 8.6 GB instead of 7.7 GB at
/// 100M rows, before later savings). A fixed threshold stops that drift. It is 32 MB rather than
/// lower because every block above it is mapped and unmapped on its own, and at 1 MB the page
/// faults and TLB flushes of the many per-step vectors of 1–32 MB cost about a second of the
/// 10M-row audit (measured: 3.6 s of system time at 1 MB, 2.5 s at 32 MB; 100M peak 5.5 GB).
///
/// Fixing the mmap threshold also fixes the trim threshold at its default of 128 KB: every free
/// at the top of a heap handed the pages back, and the next step's vectors faulted them in again,
/// zeroed. Up to 256 MB of free heap top is now kept for reuse (measured at 10M: 2.35–2.67 s of
/// system time before, 1.91–1.99 s after; the 100M peak stayed at 4.8 GB, 4,801 MB before and
/// 4,811 MB after, where 1 GB raised it to 5,222 MB).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_the_allocator() {
    // SAFETY: mallopt only changes allocator tuning; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_the_allocator() {}
