//! Shared harness of the fuzz targets: the fixture tables, one temporary directory per process,
//! and the panic policy.
//!
//! Panics: by default a panic is caught, its location, message and input are logged under
//! `fuzz/artifacts/<target>/` (one input kept per panic location) and the run goes on, the way the
//! product reports a panic caught at its reading boundary. With `RECAUDIT_FUZZ_PANIC=abort` a panic
//! aborts like any libFuzzer crash (for `cargo fuzz tmin` and to reproduce one).
//!
//! Oracle: an error from loading must name the fuzzed file (the house rule); one that does not is
//! logged the same way, under the location `oracle`.

use std::fs;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use polars_parquet::parquet::read::read_metadata;
use recaudit::audit::AuditConfig;
use recaudit::gate::{compare, evaluate, Policy};
use recaudit::input::{load, InputConfig, TablePaths};
use recaudit::metrics::quality::PropensityGamma;
use recaudit::result::AuditResult;

/// The five input tables in the order the first input byte selects them.
pub const TABLES: [&str; 5] = TablePaths::TABLES;

/// File format of a tables target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`
    Csv,
    /// `.parquet`
    Parquet,
}

impl Format {
    fn ext(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../tests/data/fuzz/fixtures/", $name))
    };
}

const CSV: [&[u8]; 5] = [
    fixture!("recs.csv"),
    fixture!("users.csv"),
    fixture!("items.csv"),
    fixture!("truth.csv"),
    fixture!("history.csv"),
];

const PARQUET: [&[u8]; 5] = [
    fixture!("recs.parquet"),
    fixture!("users.parquet"),
    fixture!("items.parquet"),
    fixture!("truth.parquet"),
    fixture!("history.parquet"),
];

struct Setup {
    dir: PathBuf,
    catch: bool,
}

/// The first panic since [`guarded`] started the input: (location, message), written by the hook.
/// The first one is the cause: polars re-raises a panic of its executor threads at another place.
static LAST_PANIC: Mutex<Option<(String, String)>> = Mutex::new(None);

/// Once per process: one thread for polars and rayon (one fuzzer process uses one core), the
/// fixtures written to a directory on tmpfs, and the panic hook.
fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        std::env::set_var("POLARS_MAX_THREADS", "1");
        std::env::set_var("RAYON_NUM_THREADS", "1");
        let base = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("recaudit-fuzz-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("the fuzz directory can be created");
        for (i, t) in TABLES.iter().enumerate() {
            fs::write(dir.join(format!("{t}.csv")), CSV[i]).expect("fixture written");
            fs::write(dir.join(format!("{t}.parquet")), PARQUET[i]).expect("fixture written");
        }
        let catch = std::env::var("RECAUDIT_FUZZ_PANIC").as_deref() != Ok("abort");
        if catch {
            panic::set_hook(Box::new(|info| {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_else(|| "unknown".into());
                let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
                    s.to_string()
                } else if let Some(s) = info.payload().downcast_ref::<String>() {
                    s.clone()
                } else {
                    "(non-text payload)".into()
                };
                LAST_PANIC
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert((location, message));
            }));
        }
        Setup { dir, catch }
    })
}

/// Records one finding: `artifacts/<target>/findings.log` gets a line, and the first input per
/// location is kept as `artifacts/<target>/panic-<location>`.
fn record(target: &str, location: &str, message: &str, data: &[u8]) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("artifacts")
        .join(target);
    let _ = fs::create_dir_all(&dir);
    let key: String = location
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let file = dir.join(format!("panic-{key}"));
    let first = !file.exists();
    if first {
        let _ = fs::write(&file, data);
        eprintln!("recaudit-fuzz: NEW panic at {location}: {message}");
    }
    if let Ok(mut log) = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("findings.log"))
    {
        let one_line = message.replace('\n', " ");
        let _ = writeln!(
            log,
            "{location}\t{}\t{}\t{one_line}",
            if first { "new" } else { "seen" },
            data.len()
        );
    }
}

/// Runs `f`, catching a panic (logged as a finding) unless panics abort. A panic that a library
/// caught itself (`f` returned) is logged too, with `(caught inside)` after its message.
fn guarded(target: &str, data: &[u8], f: impl FnOnce()) {
    let setup = setup();
    if !setup.catch {
        f();
        return;
    }
    let last = || LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()).take();
    last();
    let escaped = panic::catch_unwind(AssertUnwindSafe(f)).is_err();
    match (last(), escaped) {
        (Some((location, message)), true) => record(target, &location, &message, data),
        (Some((location, message)), false) => record(
            target,
            &location,
            &format!("{message} (caught inside)"),
            data,
        ),
        (None, true) => record(target, "unknown", "", data),
        (None, false) => {}
    }
}

/// The fixture tables in `dir` with `fuzzed` (table index, file) in place of one of them, lists
/// cut at 10.
fn config(dir: &Path, format: Format, fuzzed: Option<(usize, &Path)>) -> InputConfig {
    let mut paths = TablePaths::in_folder(dir, format.ext());
    if let Some((table, path)) = fuzzed {
        paths.set(TABLES[table], path.to_path_buf());
    }
    InputConfig::new(paths, 10)
}

/// Whether the footer of `bytes` names a row-group or column-chunk byte range past the end of the
/// file. polars prefetches such a range through an unchecked slice, which aborts the process (a
/// panic that cannot unwind; `tests/data/fuzz/parquet-row-group-past-the-end`) before anything
/// else is reached, so the tables target skips these files to get past that one known crash.
fn row_group_past_the_end(bytes: &[u8]) -> bool {
    let Ok(meta) = read_metadata(&mut std::io::Cursor::new(bytes)) else {
        return false;
    };
    let len = bytes.len() as u64;
    meta.row_groups.iter().any(|rg| {
        std::iter::once(rg.full_byte_range())
            .chain(rg.byte_ranges_iter())
            .any(|r| r.start > r.end || r.end > len)
    })
}

/// The tables targets: `data[0] % 5` picks the table, `data[1..]` is its file.
pub fn load_tables(target: &str, format: Format, data: &[u8]) {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let dir = &setup().dir;
    let table = first as usize % TABLES.len();
    let fuzzed = dir.join(format!("fuzzed-{}.{}", TABLES[table], format.ext()));
    fs::write(&fuzzed, bytes).expect("the fuzzed file is written");
    let cfg = config(dir, format, Some((table, &fuzzed)));
    guarded(target, data, || {
        if format == Format::Parquet && row_group_past_the_end(bytes) {
            return;
        }
        if let Err(e) = load(&cfg) {
            let text = e.to_string();
            if !text.contains(&fuzzed.display().to_string()) {
                record(target, "oracle", &text, data);
            }
        }
    });
}

/// The inputs of the audit target besides the five tables: the baseline run's lists (the `rbo`
/// metric), a copy of the recommendations unless fuzzed.
pub const AUDIT_TABLES: [&str; 6] = [
    TABLES[0],
    TABLES[1],
    TABLES[2],
    TABLES[3],
    TABLES[4],
    "baseline_recs",
];

/// The audit target: `data[0] % 6` picks the fuzzed CSV table ([`AUDIT_TABLES`]), the rest of
/// `data[0]` the settings (bit 0 of `data[0] / 6`: 20 bootstrap replicates instead of none; bit 1:
/// γ of the SNIPS propensities estimated; bit 2: slices of one user published, so every group is
/// computed), and `data[1..]` is the file. A whole audit of the fixtures with it in place, then its
/// JSON: every table the audit reads once it has loaded (the metrics, the statistics, the privacy
/// checks, the subgroup search) meets the fuzzed file. Errors are allowed; a panic is a finding.
pub fn audit_tables(data: &[u8]) {
    let Some((&first, bytes)) = data.split_first() else {
        return;
    };
    let dir = &setup().dir;
    let table = first as usize % AUDIT_TABLES.len();
    let flags = first as usize / AUDIT_TABLES.len();
    let fuzzed = dir.join(format!("fuzzed-{}.csv", AUDIT_TABLES[table]));
    fs::write(&fuzzed, bytes).expect("the fuzzed file is written");
    let mut paths = config(dir, Format::Csv, None).paths;
    paths.baseline_recs = Some(dir.join("recs.csv"));
    paths.set(AUDIT_TABLES[table], fuzzed);
    let mut cfg = AuditConfig {
        paths,
        ..AuditConfig::default()
    };
    cfg.stats.resamples = if flags & 1 == 1 { 20 } else { 0 };
    if flags & 2 == 2 {
        cfg.propensity_gamma = PropensityGamma::Estimate;
    }
    if flags & 4 == 4 {
        cfg.slices.min_slice_size = 1;
    }
    guarded("audit_tables", data, || {
        if let Ok(result) = recaudit::audit::audit(&cfg) {
            if let Err(e) = serde_json::to_string(&result) {
                record("audit_tables", "json", &e.to_string(), data);
            }
        }
    });
}

/// The settings target: the TOML parser and validation of `--config`, then loading the fixture
/// CSV tables with the parsed column names, k and bands.
pub fn settings(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dir = &setup().dir;
    guarded("settings", data, || {
        let Ok(cfg) = toml::from_str::<AuditConfig>(text) else {
            return;
        };
        if cfg.validate().is_err() {
            return;
        }
        let mut input = config(dir, Format::Csv, None);
        input.columns = cfg.columns;
        input.k = cfg.k;
        input.buckets = cfg.buckets;
        let _ = load(&input);
    });
}

/// An audit of the CSV fixtures (no bootstrap), computed once per process for the policy target.
fn fixture_audit() -> &'static AuditResult {
    static RESULT: OnceLock<AuditResult> = OnceLock::new();
    RESULT.get_or_init(|| {
        let dir = &setup().dir;
        let mut cfg = AuditConfig {
            paths: config(dir, Format::Csv, None).paths,
            ..AuditConfig::default()
        };
        cfg.stats.resamples = 0;
        recaudit::audit::audit(&cfg).expect("the fixture tables audit")
    })
}

/// The policy target: `Policy::parse`, then for a valid policy the column checks against the
/// fixture audit and the evaluation of every gate (with the audit as its own baseline).
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let result = fixture_audit();
    guarded("policy", data, || {
        let Ok(mut policy) = Policy::parse(text) else {
            return;
        };
        if policy.check_result(result).is_err() {
            return;
        }
        let cmp = compare(result, result);
        let _ = evaluate(result, &policy, Some(&cmp));
    });
}
