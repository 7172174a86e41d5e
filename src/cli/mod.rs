//! The command line: the whole of it as one call ([`main_with`]), flags ([`args`]), the settings
//! file ([`settings_file`]), flags merged into validated settings ([`config`]), `recaudit generate`
//! ([`generate`]) and the other subcommands' glue.

pub mod args;
pub mod config;
mod entry;
pub mod generate;
pub mod output;
pub mod progress;
mod setting_flag;
pub mod settings_file;
pub mod verdict;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::audit::Progress;
use crate::gate::{COMPARE_FILE, COMPARE_TABLE_FILE, JUNIT_FILE};
use crate::provenance::Provenance;
use crate::result::{AuditResult, NullReasons};
use crate::tables::TABLES_DIR;
use args::Command;
pub use entry::main_with;
use output::Staging;

/// File name of the audit.
pub const AUDIT_FILE: &str = "audit.json";

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
        Command::Audit(a) => audit(&a),
        Command::Report(r) => {
            let result = read_json(&r.audit)?;
            let out = output_dir(r.out.as_deref(), &r.audit);
            let staging = Staging::entries(&out, &["report.html", "charts", TABLES_DIR])?;
            let gates = result.gates.as_ref().map(|g| crate::gate::GateReport {
                policy: Some(g.policy.path.clone()),
                outcomes: g.rules.clone(),
            });
            crate::report::write_report(
                &result,
                staging.dir(),
                &report_options(gates.as_ref(), None),
            )?;
            crate::tables::write_tables(&result, staging.dir())?;
            let html = staging.final_path("report.html");
            staging.commit()?;
            eprintln!("wrote {}", html.display());
            Ok(Outcome::Passed)
        }
        Command::Generate(g) => generate::run(&g),
        Command::Gate(g) => {
            // The policy is checked before any audit is read.
            let policy = crate::gate::Policy::load(&g.policy)?;
            let result = read_json(&g.audit)?;
            let baseline = g.baseline.as_deref().map(read_json).transpose()?;
            if let (Some(path), Some(b)) = (&g.baseline, &baseline) {
                check_comparable(
                    b,
                    &path.display().to_string(),
                    &result,
                    &g.audit.display().to_string(),
                )?;
            }
            let out = output_dir(g.out.as_deref(), &g.audit);
            let cmp = baseline.as_ref().map(|b| crate::gate::compare(b, &result));
            let staging = Staging::entries(&out, &[JUNIT_FILE])?;
            let gates = judge(&result, &policy, cmp.as_ref(), &staging)?;
            staging.commit()?;
            gates.print(false);
            Ok(gate_outcome(gates.report.failed()))
        }
        Command::Compare(c) => {
            let policy = c
                .policy
                .as_deref()
                .map(crate::gate::Policy::load)
                .transpose()?;
            let baseline = read_json(&c.baseline)?;
            let candidate = read_json(&c.candidate)?;
            check_comparable(
                &baseline,
                &c.baseline.display().to_string(),
                &candidate,
                &c.candidate.display().to_string(),
            )?;
            let out = output_dir(c.out.as_deref(), &c.candidate);
            let cmp = crate::gate::compare(&baseline, &candidate);
            let names: &[&'static str] = match policy {
                Some(_) => &[COMPARE_FILE, COMPARE_TABLE_FILE, JUNIT_FILE],
                None => &[COMPARE_FILE, COMPARE_TABLE_FILE],
            };
            let staging = Staging::entries(&out, names)?;
            crate::gate::write_comparison(&cmp, staging.dir())?;
            crate::gate::write_comparison_table(&cmp, staging.dir())?;
            let gates = policy
                .as_ref()
                .map(|p| judge(&candidate, p, Some(&cmp), &staging))
                .transpose()?;
            let written = [COMPARE_FILE, COMPARE_TABLE_FILE].map(|f| staging.final_path(f));
            staging.commit()?;
            // The summary first; every row is in compare.txt (and compare.json).
            print!("{}", cmp.summary());
            for path in written {
                eprintln!("wrote {}", path.display());
            }
            if let Some(g) = &gates {
                g.print(false);
            }
            Ok(gate_outcome(gates.is_some_and(|g| g.report.failed())))
        }
    }
}

/// A gate whose `slice` names no column of the users table (nor an intersection asked for), or a
/// column the slices chosen (`--slices`, `columns.slices`) leave out, is an error before the audit
/// reads the data. Gates on columns that exist but are not audited (an identifier, a column with
/// one group) are skipped after the audit, with the audit's reason.
fn check_policy_slices(
    policy: &crate::gate::Policy,
    cfg: &crate::settings::AuditConfig,
) -> Result<()> {
    let c = &cfg.columns;
    // A partitioned folder's users tables share their columns (the reader checks it): the first
    // partition's file names them.
    let users = match cfg.paths.users.parent() {
        Some(root) if cfg.paths.users.is_dir() => {
            let layout = crate::partial::Layout::read(root)?;
            layout.partitions[0].users.clone()
        }
        _ => cfg.paths.users.clone(),
    };
    let header: Vec<String> = crate::input::table::column_names(&users, "users")?
        .into_iter()
        .filter(|name| *name != c.user && *name != c.consent)
        .collect();
    let mut slices = header.clone();
    slices.extend(
        cfg.slices
            .intersections
            .iter()
            .map(|cols| crate::slices::intersection_key(cols)),
    );
    slices.sort();
    policy.check_columns(&slices, None)?;
    let Some(kept) = &c.slices else {
        return Ok(());
    };
    let left_out = policy.gates.iter().position(|g| {
        !g.slice_is_item_column() && header.contains(&g.slice) && !kept.contains(&g.slice)
    });
    if let Some(i) = left_out {
        let visible = |s: &String| crate::text::visible(s).into_owned();
        return Err(crate::gate::PolicyError {
            path: policy.path.clone(),
            gate: Some(i + 1),
            message: format!(
                "slice column `{}` is left out by the slices chosen (--slices or \
                 `columns.slices`: {}); add it there or remove the gate",
                visible(&policy.gates[i].slice),
                kept.iter().map(visible).collect::<Vec<_>>().join(", ")
            ),
        }
        .into());
    }
    Ok(())
}

/// An audit run as `recaudit audit` runs it, before anything is written: the result (with its
/// provenance and, under a policy, its gates), the gate report and the comparison with a baseline.
/// The Python package holds one per `Audit`.
pub struct Audited {
    /// The result, as `audit.json` holds it (without the reasons for its nulls, which
    /// [`json_text`] adds).
    pub result: AuditResult,
    /// The gates judged, under `--policy`.
    pub gates: Option<crate::gate::GateReport>,
    /// The comparison with `--baseline`.
    pub comparison: Option<crate::gate::Comparison>,
}

/// Where [`Audited::write`] put the audit and its report.
pub struct Written {
    /// `report.html` (not written under `json_only`).
    pub html: PathBuf,
    /// `audit.json`.
    pub json: PathBuf,
    /// `gates.junit.xml`, under a policy.
    pub junit: Option<PathBuf>,
}

/// Runs the audit `a` asks for: the settings, policy and baseline are checked (and, when
/// `check_out`, the output folder) before any data is read.
pub fn run_audit(a: &args::AuditArgs, check_out: bool, bar: &progress::Bar) -> Result<Audited> {
    let prepared = prepare_audit(a, check_out)?;
    let cfg = &prepared.cfg;
    // The input files are hashed for the provenance on a thread of their own while the audit
    // runs: the hashing is one sequential pass per file, and the audit leaves a core idle now and
    // then. An audit that fails reports its own error, not the hashing's.
    let (result, provenance) = std::thread::scope(|scope| {
        let provenance = scope.spawn(|| prepared.provenance());
        let result = match (config::partitioned_folder(a), a.partitions) {
            (Some(dir), _) => {
                bar.step("partitions, one at a time");
                crate::partial::audit_folder(&dir, cfg)
            }
            (None, Some(n)) => {
                bar.step("split into partitions, audited one at a time");
                crate::partial::audit_split(cfg, n as usize, a.temp_dir.as_deref())
            }
            (None, None) => crate::audit::audit_with_progress(cfg, bar),
        };
        let provenance = provenance
            .join()
            .expect("the provenance's hashing does not panic");
        (result, provenance)
    });
    bar.finish();
    let result = result?;
    prepared.audited_with(result, provenance?)
}

/// An audit's settings, policy and baseline, read and checked before any data is read
/// ([`prepare_audit`]); [`Prepared::audited`] completes a result computed under them (by the
/// one-pass audit, a partitioned folder's, or a driver of Spark executors).
pub struct Prepared {
    /// The settings.
    pub cfg: crate::settings::AuditConfig,
    policy: Option<crate::gate::Policy>,
    /// The baseline audit and the path it was read from.
    baseline: Option<(PathBuf, AuditResult)>,
}

/// Reads and checks the settings, policy and baseline of `a` (and, when `check_out`, the output
/// folder).
pub fn prepare_audit(a: &args::AuditArgs, check_out: bool) -> Result<Prepared> {
    let cfg = config::audit_config(a)?;
    let policy = a
        .policy
        .as_deref()
        .map(crate::gate::Policy::load)
        .transpose()?;
    if let Some(p) = &policy {
        check_policy_slices(p, &cfg)?;
    }
    let baseline = match a.baseline.as_deref() {
        Some(path) => {
            let b = read_json(path)?;
            // Refused before the data is read when the settings alone tell; the audit's own
            // propensities are checked after it ran (`Prepared::audited_with`).
            let differences =
                crate::gate::compare::setting_differences(&b.settings, &cfg.echoed(), false);
            refuse_incomparable(&differences, &path.display().to_string(), THIS_AUDIT)?;
            Some((path.to_path_buf(), b))
        }
        None => None,
    };
    if check_out {
        // Refused before the audit runs rather than after.
        Staging::check_folder(&a.out)?;
    }
    Ok(Prepared {
        cfg,
        policy,
        baseline,
    })
}

impl Prepared {
    /// The audit `result` as `recaudit audit` completes it: its provenance, the comparison with
    /// the baseline and the gates of the policy.
    pub fn audited(&self, result: AuditResult) -> Result<Audited> {
        self.audited_with(result, self.provenance()?)
    }

    /// The provenance of an audit under these settings: the hashes of its input files and policy.
    pub fn provenance(&self) -> Result<Provenance> {
        Provenance::of(&self.cfg.paths, self.policy.as_ref())
    }

    /// [`Prepared::audited`] with the provenance already computed ([`Prepared::provenance`]).
    pub fn audited_with(&self, result: AuditResult, provenance: Provenance) -> Result<Audited> {
        let mut result = result;
        result.provenance = Some(provenance);
        if let Some((path, b)) = &self.baseline {
            check_comparable(b, &path.display().to_string(), &result, THIS_AUDIT)?;
        }
        let comparison = self
            .baseline
            .as_ref()
            .map(|(_, b)| crate::gate::compare(b, &result));
        let gates = self
            .policy
            .as_ref()
            .map(|p| crate::gate::evaluate(&result, p, comparison.as_ref()))
            .transpose()?;
        result.gates = gates.as_ref().map(|g| gate_results(g, &result));
        Ok(Audited {
            result,
            gates,
            comparison,
        })
    }
}

impl Audited {
    /// Whether a gate failed.
    pub fn failed(&self) -> bool {
        self.gates.as_ref().is_some_and(|g| g.failed())
    }

    /// What the HTML report shows of the gates and of the comparison.
    pub fn report_options(&self) -> crate::report::ReportOptions {
        report_options(self.gates.as_ref(), self.comparison.as_ref())
    }

    /// Writes `audit.json`, the comparison, the JUnit file of the gates and (unless `json_only`)
    /// the report, its charts and tables into a staging folder that replaces `out` once complete.
    pub fn write(&self, out: &Path, json_only: bool) -> Result<Written> {
        let staging = Staging::folder(out)?;
        if let Some(c) = &self.comparison {
            crate::gate::write_comparison(c, staging.dir())?;
        }
        let junit = match &self.gates {
            Some(report) => {
                let path = staging.dir().join(JUNIT_FILE);
                crate::gate::write_junit(report, &path)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
                Some(staging.final_path(JUNIT_FILE))
            }
            None => None,
        };
        write_json(&staging.dir().join(AUDIT_FILE), &self.result)?;
        if !json_only {
            crate::report::write_report(&self.result, staging.dir(), &self.report_options())?;
            crate::tables::write_tables(&self.result, staging.dir())?;
        }
        let written = Written {
            html: staging.final_path("report.html"),
            json: staging.final_path(AUDIT_FILE),
            junit,
        };
        staging.commit()?;
        Ok(written)
    }
}

/// `recaudit audit`: [`run_audit`], then every output file is written to a staging folder that
/// replaces `--out` once complete.
fn audit(a: &args::AuditArgs) -> Result<Outcome> {
    let bar = progress::Bar::new(a.quiet, a.timings);
    let audited = run_audit(a, true, &bar)?;
    let written = audited.write(&a.out, a.json_only)?;
    if let (Some(report), Some(junit)) = (&audited.gates, &written.junit) {
        if !a.quiet {
            report.print(junit);
        }
    }
    let result = &audited.result;
    if !a.quiet {
        // Columns not audited and groups not published, by name of column only.
        for note in result
            .notes
            .iter()
            .filter(|n| n.starts_with("Users-table column") || n.contains("users suppressed"))
        {
            eprintln!("note: {}", crate::error::shown_quoted(note));
        }
        if !a.json_only {
            eprintln!("wrote {}", written.html.display());
        }
        eprintln!("wrote {}", written.json.display());
        let shown = if a.json_only {
            &written.json
        } else {
            &written.html
        };
        let opts = audited.report_options();
        // On stderr with the summary of the gates: stdout holds only the gate lines.
        eprint!(
            "{}",
            verdict::verdict_text(result, opts.gates.as_deref(), shown)
        );
    }
    Ok(gate_outcome(audited.failed()))
}

/// A gate report and where its JUnit file ends up.
struct Judged {
    report: crate::gate::GateReport,
    junit: PathBuf,
}

impl Judged {
    /// One line per gate on stdout and the summary on stderr, unless `quiet`.
    fn print(&self, quiet: bool) {
        if !quiet {
            self.report.print(&self.junit);
        }
    }
}

/// Judges `result` against `policy` and writes `gates.junit.xml` into the staging folder.
fn judge(
    result: &AuditResult,
    policy: &crate::gate::Policy,
    cmp: Option<&crate::gate::Comparison>,
    staging: &Staging,
) -> Result<Judged> {
    let report = crate::gate::evaluate(result, policy, cmp)?;
    let path = staging.dir().join(JUNIT_FILE);
    crate::gate::write_junit(&report, &path)
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(Judged {
        report,
        junit: staging.final_path(JUNIT_FILE),
    })
}

/// The gates of `report` as `audit.json` stores them, naming the policy file as `result`'s
/// provenance records it.
fn gate_results(
    report: &crate::gate::GateReport,
    result: &AuditResult,
) -> crate::gate::GateResults {
    let policy = result.provenance.as_ref().and_then(|p| p.policy.as_ref());
    crate::gate::GateResults::new(
        report,
        crate::gate::PolicyRef {
            path: policy.map(|p| p.path.clone()).unwrap_or_default(),
            sha256: policy.map(|p| p.sha256.clone()).unwrap_or_default(),
        },
    )
}

/// `out`, or the folder of `audit_json`.
fn output_dir(out: Option<&Path>, audit_json: &Path) -> PathBuf {
    match out {
        Some(d) => d.to_path_buf(),
        None => audit_json
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf(),
    }
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
                    metric: o.metric.clone(),
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
                    key: r.metric.clone(),
                    scope: r.scope(),
                    better: r.better,
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

/// Writes `audit.json` ([`json_text`]).
pub fn write_json(path: &Path, result: &AuditResult) -> Result<()> {
    let text = json_text(result)?;
    std::fs::write(path, text).with_context(|| format!("{}: cannot write", path.display()))
}

/// The text of `audit.json`, with the reason for each of its `null`s ([`NullReasons`]).
pub fn json_text(result: &AuditResult) -> Result<String> {
    let mut result = result.clone();
    result.nulls = NullReasons::of(&result);
    let text = serde_json::to_string_pretty(&result).context("serialising the audit")?;
    Ok(text + "\n")
}

/// How the audit being run is named in the messages on its comparison with `--baseline`.
const THIS_AUDIT: &str = "this audit";

/// Refuses the comparison of `baseline` (named `b`) with `candidate` (named `c`) when they differ
/// in a setting that changes the metrics' values; when they differ only in settings of the
/// intervals, says so in one line on stderr
/// ([`audit_setting_differences`](crate::gate::compare::audit_setting_differences)).
fn check_comparable(
    baseline: &AuditResult,
    b: &str,
    candidate: &AuditResult,
    c: &str,
) -> Result<()> {
    let differences = crate::gate::compare::audit_setting_differences(baseline, candidate);
    refuse_incomparable(&differences, b, c)?;
    if !differences.intervals.is_empty() {
        let list: Vec<String> = differences
            .intervals
            .iter()
            .map(|d| d.to_string())
            .collect();
        eprintln!(
            "warning: {b} and {c} differ in settings that change only the intervals, not the values: {}",
            crate::text::visible(&list.join(", "))
        );
    }
    Ok(())
}

/// The error of [`check_comparable`]: every setting that changes the values, with its value in
/// `b` and in `c`.
fn refuse_incomparable(
    differences: &crate::gate::compare::SettingDifferences,
    b: &str,
    c: &str,
) -> Result<()> {
    if differences.values.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = differences
        .values
        .iter()
        .map(|d| format!("{} ({b}: {}, {c}: {})", d.key, d.baseline, d.candidate))
        .collect();
    anyhow::bail!(
        "cannot compare {b} with {c}: they differ in settings that change the metrics' values: {}; audit both with the same settings",
        crate::text::visible(&list.join("; "))
    )
}

/// Reads an `audit.json` of this version's [`SCHEMA_VERSION`](crate::result::SCHEMA_VERSION).
pub fn read_json(path: &Path) -> Result<AuditResult> {
    let text = crate::input::files::read_text_file(path).map_err(|why| {
        anyhow::anyhow!(
            "{}: cannot read the audit: {why}",
            crate::text::visible(&path.to_string_lossy())
        )
    })?;
    let not_ours = || {
        format!(
            "{}: not an audit.json written by this version of recaudit",
            path.display()
        )
    };
    /// The one key read before the rest: another layout may not parse as this one.
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: u32,
    }
    if let Ok(Version { schema_version }) = serde_json::from_str::<Version>(&text) {
        if schema_version != crate::result::SCHEMA_VERSION {
            anyhow::bail!(
                "{}: its schema_version is {schema_version}; this version reads and writes {}",
                not_ours(),
                crate::result::SCHEMA_VERSION
            );
        }
    }
    serde_json::from_str(&text).with_context(not_ours)
}
