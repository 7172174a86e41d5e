//! The whole command line as one call, [`main_with`]: parse the flags, run the subcommand, map the
//! outcome to an exit code (0 = done and every gate passed, 1 = a gate failed, 2 = bad input or
//! usage). The `recaudit` binary and the `recaudit` command of the Python package both run it.

use std::ffi::OsString;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Parser;

use crate::input::files::panic_message;

/// Whether the panic hook has reported a panic.
static REPORTED: AtomicBool = AtomicBool::new(false);

/// Runs the command line `args` (the program name first, as in `std::env::args_os`) and returns
/// its exit code. Messages go to stderr, gate lines to stdout.
///
/// A panic is a bug in recaudit, never the user's doing: it is reported as one line and the exit
/// code is 2, as for any run that could not finish. (Panics inside the readers are caught there
/// and reported as errors naming the file; see [`crate::input::files`].) This installs a panic
/// hook for the process.
pub fn main_with<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
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
    match panic::catch_unwind(AssertUnwindSafe(|| run_args(args))) {
        Ok(code) => code,
        Err(payload) => {
            // A panic the hook kept quiet (it happened while a read was guarded) is reported here.
            if !REPORTED.load(Ordering::SeqCst) {
                eprintln!(
                    "error: internal error: {}; this is a bug in recaudit, please report it",
                    panic_message(payload.as_ref())
                );
            }
            2
        }
    }
}

/// Parses the flags and runs the subcommand.
fn run_args(args: Vec<OsString>) -> u8 {
    let cli = match super::args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match super::run(cli.command) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            // Messages quote file names, column names and values: no control or bidi character
            // of theirs reaches the terminal (line breaks of multi-line messages stay).
            let message = format!("{e:#}");
            eprintln!("error: {}", crate::text::visible_lines(&message));
            2
        }
    }
}
