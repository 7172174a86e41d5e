//! The command line: flags ([`args`]), their validation ([`config`]) and the subcommands' glue.

pub mod args;
pub mod config;
pub mod progress;

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
            // The policy and the baseline are checked before any data is read.
            let policy = a
                .policy
                .as_deref()
                .map(crate::gate::Policy::load)
                .transpose()?;
            let baseline = a.baseline.as_deref().map(read_json).transpose()?;
            let bar = progress::Bar::new(a.quiet, a.timings);
            let result = crate::audit::audit_with_progress(&cfg, &bar);
            bar.finish();
            let result = result?;
            std::fs::create_dir_all(&a.out)
                .with_context(|| format!("{}: cannot create the output folder", a.out.display()))?;
            let json = a.out.join("audit.json");
            write_json(&json, &result)?;
            let cmp = baseline.as_ref().map(|b| crate::gate::compare(b, &result));
            if let Some(c) = &cmp {
                crate::gate::write_comparison(c, &a.out)?;
            }
            let gates = match &policy {
                Some(p) => Some(crate::gate::run_gates_with(
                    &result,
                    p,
                    cmp.as_ref(),
                    &a.out,
                    a.quiet,
                )?),
                None => None,
            };
            if !a.json_only {
                let opts = report_options(gates.as_ref(), cmp.as_ref());
                let files = crate::report::write_report(&result, &a.out, &opts)?;
                if !a.quiet {
                    eprintln!("wrote {}", files.html.display());
                }
            }
            if !a.quiet {
                eprintln!("wrote {}", json.display());
            }
            Ok(gate_outcome(gates.is_some_and(|g| g.failed())))
        }
        Command::Report(r) => {
            let result = read_json(&r.audit)?;
            let out = output_dir(r.out.as_deref(), &r.audit)?;
            let files = crate::report::write_report(&result, &out, &report_options(None, None))?;
            eprintln!("wrote {}", files.html.display());
            Ok(Outcome::Passed)
        }
        Command::Generate(g) => {
            let cfg = generate_config(&g)?;
            let files = crate::generate::generate(&cfg, &g.out)?;
            println!(
                "wrote {} users, {} items, {} recommendation rows, {} truth rows, {} history rows to {}",
                files.n_users,
                files.n_items,
                files.n_rec_rows,
                files.n_truth_rows,
                files.n_history_rows,
                g.out.display()
            );
            Ok(Outcome::Passed)
        }
        Command::Gate(g) => {
            // The policy is checked before any audit is read.
            let policy = crate::gate::Policy::load(&g.policy)?;
            let result = read_json(&g.audit)?;
            let baseline = g.baseline.as_deref().map(read_json).transpose()?;
            let out = output_dir(g.out.as_deref(), &g.audit)?;
            let report = crate::gate::run_gates(&result, &policy, baseline.as_ref(), &out, false)?;
            Ok(gate_outcome(report.failed()))
        }
        Command::Compare(c) => {
            let policy = c
                .policy
                .as_deref()
                .map(crate::gate::Policy::load)
                .transpose()?;
            let baseline = read_json(&c.baseline)?;
            let candidate = read_json(&c.candidate)?;
            let out = output_dir(c.out.as_deref(), &c.candidate)?;
            let cmp = crate::gate::compare(&baseline, &candidate);
            print!("{}", cmp.table());
            let path = crate::gate::write_comparison(&cmp, &out)?;
            eprintln!("wrote {}", path.display());
            let failed = match &policy {
                Some(p) => {
                    crate::gate::run_gates_with(&candidate, p, Some(&cmp), &out, false)?.failed()
                }
                None => false,
            };
            Ok(gate_outcome(failed))
        }
    }
}

/// `out`, or the folder of `audit_json`; created if missing.
fn output_dir(out: Option<&Path>, audit_json: &Path) -> Result<std::path::PathBuf> {
    let dir = match out {
        Some(d) => d.to_path_buf(),
        None => audit_json
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    };
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the output folder", dir.display()))?;
    Ok(dir)
}

/// What the HTML report shows of the gates and of a comparison.
fn report_options(
    gates: Option<&crate::gate::GateReport>,
    cmp: Option<&crate::gate::Comparison>,
) -> crate::report::ReportOptions {
    use crate::gate::Status;
    use crate::report::{ComparisonRow, GateLine, GateStatus};
    crate::report::ReportOptions {
        gates: gates.map(|g| {
            g.outcomes
                .iter()
                .map(|o| GateLine {
                    name: format!("{} · {}", o.label, o.scope),
                    status: match o.status {
                        Status::Pass => GateStatus::Pass,
                        Status::Fail => GateStatus::Fail,
                        Status::Skipped => GateStatus::Skipped,
                    },
                    detail: o.detail.clone(),
                })
                .collect()
        }),
        comparison: cmp.map(|c| {
            // The whole table is in compare.json; the page shows overall rows and significant
            // changes.
            c.rows
                .iter()
                .filter(|r| r.significant || r.group.is_none())
                .map(|r| ComparisonRow {
                    metric: format!("{} · {}", r.metric, r.scope()),
                    baseline: r.baseline,
                    candidate: r.candidate,
                    change: r.change,
                    significant: r.significant,
                })
                .collect()
        }),
    }
}

fn gate_outcome(failed: bool) -> Outcome {
    if failed {
        Outcome::GateFailed
    } else {
        Outcome::Passed
    }
}

/// The generator settings of `recaudit generate`: a preset, or the flags.
fn generate_config(g: &args::GenerateArgs) -> Result<crate::generate::GeneratorConfig> {
    use crate::generate::{preset, GeneratorConfig, OutputFormat, Plants};
    let mut cfg = match &g.preset {
        Some(name) => preset(name).with_context(|| {
            format!("unknown preset `{name}`; presets are: example, example-over-time, bench-1m, bench-10m, bench-100m")
        })?,
        None => GeneratorConfig {
            n_users: g.users,
            n_items: g.items,
            k: g.k,
            n_snapshots: g.snapshots,
            seed: g.seed,
            plants: Plants::none(),
            ..GeneratorConfig::default()
        },
    };
    if g.parquet {
        cfg.format = OutputFormat::Parquet;
    }
    for p in &g.plant {
        let plants = &mut cfg.plants;
        match p.as_str() {
            "worse-group" => plants.worse_group = true,
            "underexposed-provider" => plants.underexposed_provider = true,
            "narrow-group" => plants.narrow_group = true,
            "narrowing-over-time" => plants.narrowing_over_time = true,
            "segregated-group" => plants.segregated_group = true,
            "all" => {
                plants.worse_group = true;
                plants.underexposed_provider = true;
                plants.narrow_group = true;
                plants.segregated_group = true;
                plants.narrowing_over_time = cfg.n_snapshots >= 2;
            }
            "none" => *plants = Plants::none(),
            other => anyhow::bail!(
                "unknown plant `{other}`; plants are: worse-group, underexposed-provider, narrow-group, narrowing-over-time, segregated-group, all, none"
            ),
        }
    }
    Ok(cfg)
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
