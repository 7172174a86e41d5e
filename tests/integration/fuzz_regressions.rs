//! The readers and parsers under hostile bytes, on stable: the crashes the fuzz targets (`fuzz/`)
//! found, replayed from `tests/data/fuzz/`, and a byte-mutation property test of the fixture tables
//! (CSV and Parquet), the settings file and the policy file. Loading must return Ok or an error that
//! names the file; it must never panic.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestRunner};

use recaudit::audit::AuditConfig;
use recaudit::gate::{compare, evaluate, Policy};
use recaudit::input::{load, InputConfig, TablePaths};
use recaudit::result::AuditResult;

use crate::util::{data, outcome, recaudit, root};

/// The input tables, in the order of the fuzz targets' first byte.
const TABLES: [&str; 5] = TablePaths::TABLES;

/// Cases per property: per table for the tables, per file for the settings and the policy
/// (`RECAUDIT_FUZZ_CASES` sets another budget for a deeper run by hand).
fn cases() -> u32 {
    std::env::var("RECAUDIT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

/// The fixture file of `table` (`tests/data/fuzz/fixtures/`, cut from `datasets/example/`).
fn fixture(table: &str, ext: &str) -> PathBuf {
    data(&format!("fuzz/fixtures/{table}.{ext}"))
}

/// The fixture tables with `replaced` (table index, file) in place of one of them, lists cut at
/// 10.
fn input_config(ext: &str, replaced: Option<(usize, &Path)>) -> InputConfig {
    let mut paths = TablePaths::in_folder(&data("fuzz/fixtures"), ext);
    if let Some((table, path)) = replaced {
        paths.set(TABLES[table], path.to_path_buf());
    }
    InputConfig::new(paths, 10)
}

/// Loads the fixtures with `bytes` as `table` and returns the error text (None when it loads).
fn load_replaced(dir: &Path, ext: &str, table: usize, bytes: &[u8]) -> (PathBuf, Option<String>) {
    let path = dir.join(format!("{}.{ext}", TABLES[table]));
    std::fs::write(&path, bytes).unwrap();
    let err = load(&input_config(ext, Some((table, &path))))
        .err()
        .map(|e| e.to_string());
    (path, err)
}

/// A fuzz target's input from `tests/data/fuzz/`: the first byte picks the table, the rest is the
/// file (the layout of `fuzz/fuzz_targets/{csv,parquet}_tables.rs`).
fn replay_tables(name: &str, ext: &str) -> (PathBuf, Option<String>) {
    let input = std::fs::read(data(&format!("fuzz/{name}"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (path, err) = load_replaced(dir.path(), ext, input[0] as usize % 5, &input[1..]);
    (
        path,
        err.map(|e| e.replace(&dir.path().display().to_string(), "DIR")),
    )
}

// ---------------------------------------------------------------------------------------------
// Byte mutations

/// One edit of a file, positions scaled to its length.
#[derive(Debug, Clone)]
enum Mutation {
    /// Flip one bit.
    Flip(Index, u8),
    /// Insert bytes.
    Insert(Index, Vec<u8>),
    /// Delete up to `len` bytes.
    Delete(Index, usize),
    /// Cut the file.
    Truncate(Index),
    /// Copy up to `len` bytes of another file of the same kind over this one.
    Splice(Index, Index, usize),
    /// Overwrite bytes with one of the values readers treat specially.
    Interesting(Index, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        2 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        2 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        2 => (any::<Index>(), any::<Index>(), 1usize..256)
            .prop_map(|(i, j, n)| Mutation::Splice(i, j, n)),
        2 => (any::<Index>(), 0u8..8).prop_map(|(i, v)| Mutation::Interesting(i, v)),
    ]
}

/// Applies `edits` to `bytes`, splicing from `other`.
fn mutate(mut bytes: Vec<u8>, edits: &[Mutation], other: &[u8]) -> Vec<u8> {
    const INTERESTING: [&[u8]; 8] = [
        b"\0",
        b"\xff\xff\xff\x7f",
        b"\"",
        b",",
        b"\n",
        b"\r",
        b"NaN",
        b"-1",
    ];
    for m in edits {
        let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
        match m {
            Mutation::Flip(i, bit) => {
                if !bytes.is_empty() {
                    let p = at(i, bytes.len());
                    bytes[p] ^= 1 << bit;
                }
            }
            Mutation::Insert(i, v) => {
                let p = at(i, bytes.len() + 1);
                bytes.splice(p..p, v.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let p = at(i, bytes.len());
                let end = (p + n).min(bytes.len());
                bytes.drain(p..end);
            }
            Mutation::Truncate(i) => {
                let p = at(i, bytes.len());
                bytes.truncate(p);
            }
            Mutation::Splice(i, j, n) => {
                let p = at(i, bytes.len());
                let q = at(j, other.len());
                let chunk = &other[q..(q + n).min(other.len())];
                let end = (p + chunk.len()).min(bytes.len());
                bytes.splice(p..end, chunk.iter().copied());
            }
            Mutation::Interesting(i, v) => {
                let p = at(i, bytes.len());
                let s = INTERESTING[*v as usize % INTERESTING.len()];
                let end = (p + s.len()).min(bytes.len());
                bytes.splice(p..end, s.iter().copied());
            }
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<Mutation>> {
    proptest::collection::vec(mutation(), 1..4)
}

/// A fixed seed and no persistence file: the same cases on every run, so CI is reproducible.
fn runner(seed: u64) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    })
}

/// Mutated fixture tables ([`cases`] per table) load or fail with an error naming that file.
fn tables_property(ext: &str, seed: u64) {
    let originals: Vec<Vec<u8>> = TABLES
        .iter()
        .map(|t| std::fs::read(fixture(t, ext)).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for t in 0..TABLES.len() {
        runner(seed + t as u64)
            .run(&(0..TABLES.len(), edits()), |(o, edits)| {
                let bytes = mutate(originals[t].clone(), &edits, &originals[o]);
                let (path, err) = load_replaced(dir.path(), ext, t, &bytes);
                if let Some(err) = err {
                    prop_assert!(
                        err.contains(&path.display().to_string()),
                        "the error does not name {}: {err}",
                        path.display()
                    );
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("{} {ext}: {e}", TABLES[t]));
    }
}

#[test]
fn mutated_csv_tables_load_or_name_the_file() {
    tables_property("csv", 1);
}

#[test]
fn mutated_parquet_tables_load_or_name_the_file() {
    tables_property("parquet", 100);
}

/// Mutated settings parse and validate, or not; valid ones load the fixture tables with their
/// column names, k and bands, or fail with an error naming a fixture file. Never a panic.
#[test]
fn mutated_settings_parse_validate_and_load() {
    let text = std::fs::read(data("fuzz/settings.toml")).unwrap();
    let policy = std::fs::read(root().join("datasets/policy.example.toml")).unwrap();
    let fixtures = data("fuzz/fixtures").display().to_string();
    let mut runner = runner(3);
    runner
        .run(&edits(), |edits| {
            let bytes = mutate(text.clone(), &edits, &policy);
            let Ok(text) = std::str::from_utf8(&bytes) else {
                return Ok(());
            };
            let Ok(cfg) = toml::from_str::<AuditConfig>(text) else {
                return Ok(());
            };
            if cfg.validate().is_err() {
                return Ok(());
            }
            let mut input = input_config("csv", None);
            input.columns = cfg.columns;
            input.k = cfg.k;
            input.buckets = cfg.buckets;
            if let Err(e) = load(&input) {
                let e = e.to_string();
                prop_assert!(e.contains(&fixtures), "no file named: {e}");
            }
            Ok(())
        })
        .unwrap();
}

/// An audit of the CSV fixtures without the bootstrap (for the policy property).
fn fixture_audit() -> &'static AuditResult {
    static RESULT: OnceLock<AuditResult> = OnceLock::new();
    RESULT.get_or_init(|| {
        let mut cfg = AuditConfig {
            paths: input_config("csv", None).paths,
            ..AuditConfig::default()
        };
        cfg.stats.resamples = 0;
        recaudit::audit::audit(&cfg).unwrap()
    })
}

/// Mutated copies of the shipped policy load or fail with an error naming the file; valid ones
/// are checked against and evaluated on an audit of the fixtures. Never a panic.
#[test]
fn mutated_policies_load_or_name_the_file() {
    let text = std::fs::read(root().join("datasets/policy.example.toml")).unwrap();
    let settings = std::fs::read(data("fuzz/settings.toml")).unwrap();
    let result = fixture_audit();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.toml");
    let mut runner = runner(4);
    runner
        .run(&edits(), |edits| {
            std::fs::write(&path, mutate(text.clone(), &edits, &settings)).unwrap();
            match Policy::load(&path) {
                Err(e) => {
                    let e = e.to_string();
                    prop_assert!(
                        e.contains(&path.display().to_string()),
                        "no file named: {e}"
                    );
                }
                Ok(mut policy) => {
                    if policy.check_result(result).is_ok() {
                        let cmp = compare(result, result);
                        let _ = evaluate(result, &policy, Some(&cmp));
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Crashes found by the fuzz targets, replayed

/// Runs `recaudit audit` on the fixture CSV tables with `--config settings` and returns (exit
/// code, stderr).
fn audit_with_settings(settings: &Path) -> (i32, String) {
    let out = tempfile::tempdir().unwrap();
    let mut args: Vec<std::ffi::OsString> =
        vec!["audit".into(), "--config".into(), settings.into()];
    for t in TABLES {
        args.push(format!("--{t}").into());
        args.push(fixture(t, "csv").into());
    }
    args.extend(["--json-only", "--quiet", "--bootstrap", "0", "--out"].map(Into::into));
    args.push(out.path().into());
    let (code, _, err) = outcome(&recaudit(args));
    (code, err)
}

/// Replays the Parquet input `name` and asserts a read error naming `file` and its `table`.
fn assert_read_error(name: &str, file: &str, table: &str) {
    let (_, err) = replay_tables(name, "parquet");
    let err = err.expect("the file is corrupt");
    let want = format!("{file}: cannot read the {table} table: ");
    assert!(err.starts_with(&want), "{err}");
}

/// Settings with a band of no edges made `input::band_label` panic ("at least one edge"); bands
/// out of order gave overlapping labels (`<55`, `>=25`). Both are now settings errors.
#[test]
fn settings_bands_without_edges_or_out_of_order_are_rejected() {
    for (file, found) in [
        ("settings-band-without-edges.toml", "[]"),
        ("settings-bands-out-of-order.toml", "[55.0, 25.0]"),
    ] {
        let (code, err) = audit_with_settings(&data(&format!("fuzz/{file}")));
        assert_eq!(code, 2, "{file}: {err}");
        assert!(!err.contains("panicked"), "{file}: {err}");
        assert!(
            err.contains(&format!(
                "`buckets` entry 1 is age = {found}; expected one or more finite, strictly \
                 increasing edges"
            )),
            "{file}: {err}"
        );
    }
}

/// A Parquet footer with a field of the wrong thrift type where a bool is expected (3 bytes of the
/// truth fixture spliced into the history fixture's footer).
#[test]
fn parquet_footer_with_a_mistyped_thrift_field_is_a_read_error() {
    assert_read_error(
        "parquet-thrift-bool-field",
        "DIR/history.parquet",
        "history",
    );
}

/// A dictionary-encoded page whose validity runs past its bitmap (1 byte of the users fixture
/// spliced into a data page of the recommendations fixture).
#[test]
fn parquet_dictionary_page_with_a_short_validity_is_a_read_error() {
    assert_read_error(
        "parquet-slice-out-of-bounds",
        "DIR/recs.parquet",
        "recommendations",
    );
}

/// A data page of the users fixture whose header makes the page decoder count below zero (one
/// bit flipped). In a debug build the decoder's subtraction overflows and the read fails, naming
/// the file; in a release build (the binary users run) the count wraps, the page still decodes
/// to the fixture's 20 rows (polars in Python reads the same), and the file loads as the fixture
/// does. Either way no wrong table gets through.
#[test]
fn parquet_page_counting_below_zero_is_a_read_error_or_the_fixture() {
    let name = "parquet-page-subtract-overflow";
    if cfg!(debug_assertions) {
        assert_read_error(name, "DIR/users.parquet", "users");
    } else {
        let input = std::fs::read(data(&format!("fuzz/{name}"))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.parquet");
        std::fs::write(&path, &input[1..]).unwrap();
        let users = TABLES.iter().position(|&t| t == "users").unwrap();
        let loaded = load(&input_config("parquet", Some((users, &path))));
        let fixture = load(&input_config("parquet", None)).unwrap();
        match loaded {
            Ok((ds, _)) => assert_eq!(ds, fixture.0),
            Err(e) => {
                let err = e.to_string();
                assert!(
                    err.contains("users.parquet: cannot read the users table: "),
                    "{err}"
                );
            }
        }
    }
}

/// A dictionary-encoded string page of the recommendations fixture that decodes to fewer values
/// than its header says (184 for 200).
#[test]
fn parquet_dictionary_page_with_too_few_values_is_a_read_error() {
    assert_read_error(
        "parquet-dictionary-length-mismatch",
        "DIR/recs.parquet",
        "recommendations",
    );
}

/// A data page header of the users fixture with an encoding number out of range.
#[test]
fn parquet_page_with_an_unknown_encoding_is_a_read_error() {
    assert_read_error("parquet-thrift-out-of-range", "DIR/users.parquet", "users");
}

/// A dictionary-index page of the history fixture whose bit width byte says 43 bits.
#[test]
fn parquet_dictionary_indices_wider_than_32_bits_are_a_read_error() {
    assert_read_error(
        "parquet-bitpacked-invalid-width",
        "DIR/history.parquet",
        "history",
    );
}

/// The users fixture with a type in its `ARROW:schema` footer metadata that polars-arrow does not
/// decode.
#[test]
fn parquet_arrow_schema_with_an_unknown_type_is_a_read_error() {
    assert_read_error(
        "parquet-arrow-schema-unimplemented",
        "DIR/users.parquet",
        "users",
    );
}

/// A footer whose row-group byte range runs past the end of the items fixture. polars prefetches
/// the range with an unchecked slice: in a debug build the check of that precondition aborts the
/// process (a panic that cannot unwind, so no catch can turn it into an error), in a release build
/// it is undefined behaviour. Run through the binary so that an abort does not take the test
/// harness with it.
#[test]
fn parquet_row_group_past_the_end_of_the_file_is_a_read_error() {
    assert_items_file_is_a_read_error("parquet-row-group-past-the-end", "");
}

/// A data page of the items fixture whose header claims −32 values: polars sized a validity
/// buffer from it (2^61 bytes) and the allocation failure aborted the process. The page headers
/// are now checked against their row group before polars reads the file. Found by the second
/// fuzz campaign, on the merged reading guards.
#[test]
fn parquet_page_with_a_negative_value_count_is_a_read_error() {
    assert_items_file_is_a_read_error(
        "parquet-page-negative-value-count",
        "the file is damaged or is not a Parquet file: a page of column `category` in row group 7 \
         claims -32 values, more than the row group's 18 rows",
    );
}

/// Audits the fixtures with the fuzz input `name` as the items table, through the binary (an
/// abort must not take the test harness with it): exit 2, and the message names the file and
/// contains `detail`.
fn assert_items_file_is_a_read_error(name: &str, detail: &str) {
    let input = std::fs::read(data(&format!("fuzz/{name}"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("items.parquet");
    std::fs::write(&items, &input[1..]).unwrap();
    let mut args: Vec<std::ffi::OsString> = vec!["audit".into()];
    for t in TABLES {
        args.push(format!("--{t}").into());
        args.push(match t {
            "items" => items.clone().into(),
            _ => fixture(t, "parquet").into(),
        });
    }
    args.extend(["--json-only", "--quiet", "--bootstrap", "0", "--out"].map(Into::into));
    args.push(dir.path().join("out").into());
    let (code, _, err) = outcome(&recaudit(args));
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&format!(
            "{}: cannot read the items table: {detail}",
            items.display()
        )),
        "{err}"
    );
}

/// A footer of the recommendations fixture whose column chunk offset plus compressed size
/// overflows 64 bits.
#[test]
fn parquet_column_chunk_range_past_u64_is_a_read_error() {
    assert_read_error(
        "parquet-column-chunk-range-overflow",
        "DIR/recs.parquet",
        "recommendations",
    );
}

/// The audit's inputs for [`mutated_csv_tables_audit_or_fail`]: the five tables and the baseline
/// run's lists (a copy of the recommendations unless mutated).
const AUDIT_TABLES: [&str; 6] = [
    TABLES[0],
    TABLES[1],
    TABLES[2],
    TABLES[3],
    TABLES[4],
    "baseline_recs",
];

/// The fixture CSV file of each of [`AUDIT_TABLES`].
fn audit_originals() -> Vec<Vec<u8>> {
    AUDIT_TABLES
        .iter()
        .map(|&t| {
            let table = if t == "baseline_recs" { "recs" } else { t };
            std::fs::read(fixture(table, "csv")).unwrap()
        })
        .collect()
}

/// A whole audit of the fixtures with `bytes` as table `t` of [`AUDIT_TABLES`] (written into
/// `dir`), 20 bootstrap replicates, groups of one user published when `small`: Ok with a result
/// that serialises, or an error naming one of the input files.
fn audit_replaced(dir: &Path, t: usize, bytes: &[u8], small: bool) -> Result<(), TestCaseError> {
    let path = dir.join(format!("{}.csv", AUDIT_TABLES[t]));
    std::fs::write(&path, bytes).unwrap();
    let mut paths = input_config("csv", None).paths;
    paths.baseline_recs = Some(fixture("recs", "csv"));
    paths.set(AUDIT_TABLES[t], path.clone());
    let mut cfg = AuditConfig {
        paths,
        ..AuditConfig::default()
    };
    cfg.stats.resamples = 20;
    if small {
        cfg.slices.min_slice_size = 1;
    }
    match recaudit::audit::audit(&cfg) {
        Ok(result) => prop_assert!(serde_json::to_string(&result).is_ok()),
        Err(e) => {
            let e = format!("{e:#}");
            let fixtures = data("fuzz/fixtures").display().to_string();
            prop_assert!(
                e.contains(&path.display().to_string()) || e.contains(&fixtures),
                "the error names no input file: {e}"
            );
        }
    }
    Ok(())
}

/// A runner of [`cases`] / 4 cases seeded with `seed`.
fn audit_runner(seed: u64) -> TestRunner {
    TestRunner::new(Config {
        cases: (cases() / 4).max(1),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    })
}

/// Whole audits with one byte-mutated CSV table (the layout of
/// `fuzz/fuzz_targets/audit_tables.rs`, [`cases`] / 4 per table, the baseline run's lists among
/// them), through [`audit_replaced`]: every step after the reading (metrics, bootstrap, privacy
/// checks, subgroup search) meets what the readers let through. Half the cases publish groups of
/// one user, so every group's statistics are computed. Most byte mutations stop at the reader
/// (a row that does not parse); [`edited_csv_values_audit_or_fail`] gets past it.
#[test]
fn mutated_csv_tables_audit_or_fail() {
    audit_each_table(
        200,
        (0..AUDIT_TABLES.len(), edits(), any::<bool>()),
        |originals, t, (o, edits, small)| {
            (mutate(originals[t].clone(), &edits, &originals[o]), small)
        },
    );
}

/// For each of [`AUDIT_TABLES`] (runner seed `seed` + its index), [`audit_replaced`] on the bytes
/// and publication setting `case` makes of the fixtures' files, the table and a value of
/// `strategy`.
fn audit_each_table<S: Strategy>(
    seed: u64,
    strategy: S,
    case: impl Fn(&[Vec<u8>], usize, S::Value) -> (Vec<u8>, bool),
) {
    let originals = audit_originals();
    let dir = tempfile::tempdir().unwrap();
    for (t, table) in AUDIT_TABLES.iter().enumerate() {
        audit_runner(seed + t as u64)
            .run(&strategy, |value| {
                let (bytes, small) = case(&originals, t, value);
                audit_replaced(dir.path(), t, &bytes, small)
            })
            .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
}

/// One edit of a CSV table that keeps it a table: a value replaced, a row copied or removed.
#[derive(Debug, Clone)]
enum ValueEdit {
    /// The value at (row, column) replaced by one of [`EDGE_VALUES`].
    Edge(Index, Index, Index),
    /// The value at (row, column) replaced by the same column's value of another row.
    Other(Index, Index, Index),
    /// A row written twice.
    Copy(Index),
    /// A row removed.
    Remove(Index),
}

/// Values at the edges of what each column accepts: empty, zero, negative, huge, not finite, a
/// fraction, a new id, a long label with markup, a boolean-looking word.
const EDGE_VALUES: [&str; 14] = [
    "",
    "0",
    "-1",
    "1",
    "2",
    "1e308",
    "NaN",
    "inf",
    "0.5",
    "4294967296",
    "zz-new",
    "<b>&\"'</b>é😀",
    "false",
    "1701226009",
];

fn value_edit() -> impl Strategy<Value = ValueEdit> {
    prop_oneof![
        4 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(r, c, v)| ValueEdit::Edge(r, c, v)),
        3 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(r, c, o)| ValueEdit::Other(r, c, o)),
        1 => any::<Index>().prop_map(ValueEdit::Copy),
        2 => any::<Index>().prop_map(ValueEdit::Remove),
    ]
}

/// Applies `edits` to the data rows of `csv` (the header is kept; fields split at commas, which
/// the fixtures never quote).
fn edit_values(csv: &[u8], edits: &[ValueEdit]) -> Vec<u8> {
    let text = std::str::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_string();
    let mut rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    for e in edits {
        if rows.is_empty() {
            break;
        }
        let n = rows.len();
        match e {
            ValueEdit::Edge(r, c, v) => {
                let row = &mut rows[r.index(n)];
                let c = c.index(row.len());
                row[c] = EDGE_VALUES[v.index(EDGE_VALUES.len())].to_string();
            }
            ValueEdit::Other(r, c, o) => {
                let (r, o) = (r.index(n), o.index(n));
                let c = c.index(rows[r].len());
                if let Some(x) = rows[o].get(c).cloned() {
                    rows[r][c] = x;
                }
            }
            ValueEdit::Copy(r) => {
                let row = rows[r.index(n)].clone();
                rows.insert(r.index(n), row);
            }
            ValueEdit::Remove(r) => {
                rows.remove(r.index(n));
            }
        }
    }
    let mut out = header;
    out.push('\n');
    for row in rows {
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// Whole audits with values edited in one CSV table ([`cases`] / 4 per table, the baseline run's
/// lists among them, 1–8 edits each), through [`audit_replaced`]: the edits keep each file a
/// table, so about half of them reach the metrics and the statistics with duplicate rows,
/// missing users, new ids, ties, zeros and values at the edges of what is valid; the rest are
/// errors of the readers, such as a duplicate id.
#[test]
fn edited_csv_values_audit_or_fail() {
    audit_each_table(
        300,
        (proptest::collection::vec(value_edit(), 1..9), any::<bool>()),
        |originals, t, (edits, small)| (edit_values(&originals[t], &edits), small),
    );
}
