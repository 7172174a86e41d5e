//! The command line: flags ([`args`]), their validation ([`config`]) and the subcommands' glue.

pub mod args;
pub mod config;

use std::path::Path;

use anyhow::{Context, Result};

use crate::result::AuditResult;
use args::Command;

/// How a successful run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; every gate (if any) passed.
    Passed,
    /// Done; at least one gate failed.
    GateFailed,
}

impl Outcome {
    /// The process exit code: 0 passed, 1 a gate failed (2, for errors, is set by `main`).
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Passed => 0,
            Outcome::GateFailed => 1,
        }
    }
}

/// Runs one subcommand.
pub fn run(command: Command) -> Result<Outcome> {
    match command {
        Command::Audit(a) => {
            let cfg = config::audit_config(&a)?;
            let result = crate::audit::audit(&cfg)?;
            std::fs::create_dir_all(&a.out)
                .with_context(|| format!("{}: cannot create the output folder", a.out.display()))?;
            let json = a.out.join("audit.json");
            write_json(&json, &result)?;
            if !a.quiet {
                eprintln!("wrote {}", json.display());
            }
            Ok(Outcome::Passed)
        }
        Command::Report(_) | Command::Gate(_) | Command::Compare(_) | Command::Generate(_) => {
            anyhow::bail!("this subcommand is not available yet")
        }
    }
}

/// Writes `audit.json`.
pub fn write_json(path: &Path, result: &AuditResult) -> Result<()> {
    let text = serde_json::to_string_pretty(result).context("serialising the audit")?;
    std::fs::write(path, text + "\n").with_context(|| format!("{}: cannot write", path.display()))
}

/// Reads an `audit.json`.
pub fn read_json(path: &Path) -> Result<AuditResult> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the audit", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not an audit.json written by this version of recaudit",
            path.display()
        )
    })
}
