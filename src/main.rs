//! The `recaudit` binary: the command line of [`recaudit::cli::main_with`], with the allocator
//! set up to keep the audit's freed buffers for reuse ([`recaudit::allocator`]).

use std::process::ExitCode;

fn main() -> ExitCode {
    recaudit::allocator::keep_freed_memory();
    ExitCode::from(recaudit::cli::main_with(std::env::args_os()))
}
