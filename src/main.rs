//! The `recaudit` binary: parse flags, run the subcommand, map the outcome to an exit code
//! (0 = done and every gate passed, 1 = a gate failed, 2 = bad input or usage).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
