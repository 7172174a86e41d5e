//! Hostile input: damaged and forged Parquet files, special files, numbers that are not finite,
//! ids that do not join, malformed CSV and ambiguous folders. Every case ends with exit code 2
//! and a message that names the file (and the column and row where they apply) and the problem;
//! never a panic, a hang, an abort or a silently wrong number.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::*;
use polars_parquet::parquet::read::read_metadata;

use recaudit::input::{InputConfig, TablePaths};

use crate::util::{read_json, two_table_audit_args, write};

const USERS: &str = "user_id,gender\nu1,F\nu2,M\n";
const RECS: &str = "user_id,item_id,rank\nu1,a,1\nu1,b,2\nu2,a,1\nu2,c,2\n";

/// Runs the binary with `args`, killing it after a minute (a hang fails the test instead of
/// stalling the suite); returns the exit code and stderr, after checking that it did not panic.
fn run<S: AsRef<OsStr>>(args: &[S]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recaudit"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!(
                "recaudit {:?} hung",
                args.iter().map(|a| a.as_ref()).collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !err.contains("panicked") && !err.contains("internal error"),
        "panic: {err}"
    );
    (out.status.code().unwrap_or(-1), err)
}

/// A test's temporary folder: the tables it writes there, and the audits of them (JSON only, no
/// bootstrap, slices of any size, output to `out` in the folder).
struct Folder(tempfile::TempDir);

impl Folder {
    /// A new, empty temporary folder (removed when dropped).
    fn new() -> Folder {
        Folder(tempfile::tempdir().unwrap())
    }

    /// Where the folder is.
    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Writes `text` as the file `name` of the folder; returns its path.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        write(self.path(), name, text)
    }

    /// The users table [`USERS`], written as `users.csv`.
    fn users(&self) -> PathBuf {
        self.write("users.csv", USERS)
    }

    /// Audits `recs` and `users` with the `extra` flags; returns the exit code and stderr.
    fn audit(&self, recs: &Path, users: &Path, extra: &[&OsStr]) -> (i32, String) {
        let out = self.path().join("out");
        let mut args = two_table_audit_args(recs, users, &out);
        args.extend_from_slice(extra);
        run(&args)
    }

    /// [`Folder::audit`] of the CSV texts `recs` and `users`, written as `recs.csv` and
    /// `users.csv`.
    fn audit_csv(&self, recs: &str, users: &str, extra: &[&OsStr]) -> (i32, String) {
        let r = self.write("recs.csv", recs);
        let u = self.write("users.csv", users);
        self.audit(&r, &u, extra)
    }

    /// [`Folder::audit`] of [`RECS`] and [`USERS`] (as `recs.csv` and `users.csv`) with the table
    /// `table` given by `flag` (such as `--truth`).
    fn audit_with(&self, flag: &str, table: &Path) -> (i32, String) {
        let (recs, users) = (self.write("recs.csv", RECS), self.users());
        self.audit(&recs, &users, &[flag.as_ref(), table.as_os_str()])
    }

    /// Asserts that the audit of `recs` and [`USERS`] fails on `recs` ([`assert_fails`]).
    fn assert_recs_fail(&self, recs: &Path, parts: &[&str]) {
        let users = self.users();
        assert_fails(self.audit(recs, &users, &[]), recs, parts);
    }
}

/// Asserts a failed run: exit code 2 and a single-line message `error: <path>: <rest>` that
/// contains every one of `parts`.
fn assert_fails(outcome: (i32, String), path: &Path, parts: &[&str]) {
    let (code, err) = outcome;
    assert_eq!(code, 2, "{err}");
    let prefix = format!("error: {}: ", path.display());
    assert!(
        err.starts_with(&prefix),
        "expected `{prefix}...`, got: {err}"
    );
    for part in parts {
        assert!(err.contains(part), "expected `{part}` in: {err}");
    }
}

/// Writes `df` as the Parquet file `dir/name`.
fn parquet(dir: &Path, name: &str, mut df: DataFrame) -> PathBuf {
    let path = dir.join(name);
    ParquetWriter::new(std::fs::File::create(&path).unwrap())
        .finish(&mut df)
        .unwrap();
    path
}

/// A valid Parquet recommendations file of 300 rows (users u1 and u2, 150 items each).
fn recs_parquet(dir: &Path) -> PathBuf {
    let n = 300;
    let df = df!(
        "user_id" => (0..n).map(|i| format!("u{}", i % 2 + 1)).collect::<Vec<_>>(),
        "item_id" => (0..n).map(|i| format!("i{i}")).collect::<Vec<_>>(),
        "rank" => (0..n).map(|i| (i / 2 + 1) as i64).collect::<Vec<_>>(),
    )
    .unwrap();
    parquet(dir, "recs.parquet", df)
}

/// The footer of a Parquet file: the bytes between the data and the 8-byte tail (footer length,
/// `PAR1`).
fn footer_range(bytes: &[u8]) -> std::ops::Range<usize> {
    let n = bytes.len();
    let len = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
    n - 8 - len..n - 8
}

/// The Thrift compact encoding of an i64 field that follows its struct's previous field: the
/// field header (delta 1, type i64) and the zigzag varint.
fn i64_field(v: i64) -> Vec<u8> {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    let mut out = vec![0x16];
    loop {
        let b = (z & 0x7f) as u8;
        z >>= 7;
        if z == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// Rewrites the footer of the Parquet file at `path`: the `which` (0-based) occurrences of the
/// i64 field of value `from` become `to`, and the footer length follows the new size. In a file
/// of one row group and three columns of `from` rows the occurrences are the file's row count
/// (0), the column chunks' value counts (1 to 3) and the row group's row count (4).
fn patch_footer(path: &Path, from: i64, to: i64, which: &[usize]) {
    let bytes = std::fs::read(path).unwrap();
    let range = footer_range(&bytes);
    let (old, new) = (i64_field(from), i64_field(to));
    let footer = &bytes[range.clone()];
    let (mut patched, mut i, mut k) = (Vec::new(), 0, 0);
    while i < footer.len() {
        if footer[i..].starts_with(&old) {
            patched.extend(if which.contains(&k) { &new } else { &old });
            k += 1;
            i += old.len();
        } else {
            patched.push(footer[i]);
            i += 1;
        }
    }
    assert_eq!(k, 5, "the footer's layout changed");
    let mut file = bytes[..range.start].to_vec();
    file.extend(&patched);
    file.extend((patched.len() as u32).to_le_bytes());
    file.extend(b"PAR1");
    std::fs::write(path, file).unwrap();
}

/// The row count of a Parquet footer, and its row groups' counts.
fn footer_rows(path: &Path) -> (usize, Vec<usize>) {
    let meta = read_metadata(&mut std::fs::File::open(path).unwrap()).unwrap();
    let groups = meta.row_groups.iter().map(|g| g.num_rows()).collect();
    (meta.num_rows, groups)
}

#[test]
fn a_footer_claiming_2_to_the_40_rows_is_reported_before_anything_is_allocated() {
    let f = Folder::new();
    let recs = recs_parquet(f.path());
    // The file's and the row group's counts agree: only the file size gives the lie away.
    patch_footer(&recs, 300, 1 << 40, &[0, 4]);
    assert_eq!(footer_rows(&recs), (1 << 40, vec![1 << 40]));
    f.assert_recs_fail(
        &recs,
        &[
            "cannot read the recommendations table: the file is damaged or is not a Parquet \
             file: the footer claims 1099511627776 rows; recaudit reads at most 4294967295 rows \
             per table",
        ],
    );
}

#[test]
fn a_footer_claiming_more_rows_than_its_bytes_can_hold_is_damaged() {
    let f = Folder::new();
    let recs = recs_parquet(f.path());
    patch_footer(&recs, 300, 1 << 31, &[0, 1, 2, 3, 4]);
    assert_eq!(footer_rows(&recs), (1 << 31, vec![1 << 31]));
    let len = std::fs::metadata(&recs).unwrap().len();
    f.assert_recs_fail(
        &recs,
        &[&format!(
            "the file is damaged or is not a Parquet file: the footer claims 2147483648 rows, \
             more than a file of {len} bytes can hold"
        )],
    );
}

#[test]
fn a_row_group_that_disagrees_with_its_footer_is_damaged() {
    let f = Folder::new();
    let recs = recs_parquet(f.path());
    patch_footer(&recs, 300, 1 << 40, &[4]);
    f.assert_recs_fail(
        &recs,
        &["the footer claims 300 rows but its row groups hold 1099511627776"],
    );
}

#[test]
fn a_row_group_count_its_pages_do_not_hold_is_reported_not_a_panic() {
    // The footer agrees with itself (301 rows) but the pages hold 300: polars' reader panics on
    // it; the panic is caught at the reading boundary.
    let f = Folder::new();
    let recs = recs_parquet(f.path());
    patch_footer(&recs, 300, 301, &[0, 4]);
    f.assert_recs_fail(
        &recs,
        &[
            "cannot read the recommendations table: the file is damaged or is not a Parquet file \
           recaudit can read",
        ],
    );
}

#[test]
fn every_flipped_byte_is_read_or_reported_never_a_crash() {
    // Each byte of a valid file flipped in turn, read in this process: the load succeeds (a
    // flipped value byte can be valid data) or fails with an error naming the file; a panic
    // would fail the test, an abort would end it. Two of the flips that make polars panic are
    // then run through the binary, which must exit with 2.
    let f = Folder::new();
    let users = f.users();
    let good = recs_parquet(f.path());
    let bytes = std::fs::read(&good).unwrap();
    let flipped = f.path().join("flipped.parquet");
    let paths = TablePaths {
        recs: flipped.clone(),
        users: users.clone(),
        ..TablePaths::default()
    };
    let cfg = InputConfig {
        allow_unmatched_ids: true,
        ..InputConfig::new(paths, 10)
    };
    let (mut read, mut reported, mut panics) = (0, 0, Vec::new());
    for pos in 0..bytes.len() {
        let mut b = bytes.clone();
        b[pos] ^= 0xFF;
        std::fs::write(&flipped, &b).unwrap();
        match recaudit::input::load(&cfg) {
            Ok(_) => read += 1,
            Err(e) => {
                let e = e.to_string();
                assert!(
                    e.starts_with(&format!("{}: ", flipped.display())),
                    "{pos}: {e}"
                );
                reported += 1;
                if e.contains("recaudit can read (its reader failed on it)") {
                    panics.push(pos);
                }
            }
        }
    }
    assert_eq!(read + reported, bytes.len());
    // polars 0.55 panics on several of these flips; should it stop panicking, this test has
    // nothing left to show the binary.
    assert!(!panics.is_empty(), "no flip makes the reader panic");
    for &pos in panics.iter().take(2) {
        let mut b = bytes.clone();
        b[pos] ^= 0xFF;
        std::fs::write(&flipped, &b).unwrap();
        f.assert_recs_fail(&flipped, &["the file is damaged or is not a Parquet file recaudit can read (its reader failed on it)"],
        );
    }
}

#[test]
fn a_truncated_parquet_file_is_damaged() {
    let f = Folder::new();
    let recs = recs_parquet(f.path());
    let bytes = std::fs::read(&recs).unwrap();
    std::fs::write(&recs, &bytes[..bytes.len() / 2]).unwrap();
    f.assert_recs_fail(
        &recs,
        &["cannot read the recommendations table: the file is damaged or is not a Parquet file: "],
    );
}

#[test]
fn a_nested_list_column_in_parquet_is_named() {
    let f = Folder::new();
    let items = Series::new(
        "item_id".into(),
        [
            Series::new("".into(), ["a", "b"]),
            Series::new("".into(), ["c"]),
        ],
    );
    let df = DataFrame::new(
        2,
        vec![
            Column::new("user_id".into(), ["u1", "u2"]),
            items.into_column(),
            Column::new("rank".into(), [1i64, 1]),
        ],
    )
    .unwrap();
    let recs = parquet(f.path(), "recs.parquet", df);
    f.assert_recs_fail(&recs, &["column `item_id` holds nested values (list[str]); expected one plain value (text or a \
           number) per row"],
    );
}

#[test]
fn a_parquet_id_column_of_decimals_is_named() {
    // Integer user ids in the recommendations, the same ids as decimals (7.0) in the users table.
    let f = Folder::new();
    let recs = parquet(
        f.path(),
        "recs.parquet",
        df!("user_id" => [7i64, 8], "item_id" => ["a", "b"], "rank" => [1i64, 1]).unwrap(),
    );
    let users = parquet(
        f.path(),
        "users.parquet",
        df!("user_id" => [7.0f64, 8.0], "gender" => ["F", "M"]).unwrap(),
    );
    assert_fails(
        f.audit(&recs, &users, &[]),
        &users,
        &[
            "column `user_id` holds decimal numbers (f64); ids must be text or integers (`7.0` \
           would not match the `7` of another table): store them as integers or text",
        ],
    );
}

#[test]
fn nan_and_infinity_in_parquet_numbers_name_their_row() {
    let f = Folder::new();
    for (score, row, what) in [
        (
            f64::NAN,
            2,
            "the value is NaN (not a number); expected a finite number",
        ),
        (
            f64::INFINITY,
            2,
            "the value is +infinity; expected a finite number",
        ),
    ] {
        let recs = parquet(
            f.path(),
            "recs.parquet",
            df!(
                "user_id" => ["u1", "u1", "u2"],
                "item_id" => ["a", "b", "a"],
                "score" => [0.5, score, 0.25],
            )
            .unwrap(),
        );
        f.assert_recs_fail(&recs, &[&format!("row {row}, column `score`: {what}")]);
    }
    // The relevance of a Parquet truth table is read from its pages: the same check.
    let truth = parquet(
        f.path(),
        "truth.parquet",
        df!(
            "user_id" => ["u1", "u2", "u9"],
            "item_id" => ["a", "c", "a"],
            "relevance" => [1.0, 2.0, f64::NEG_INFINITY],
        )
        .unwrap(),
    );
    assert_fails(
        f.audit_with("--truth", &truth),
        &truth,
        &["row 3, column `relevance`: the value is -infinity; expected a finite number"],
    );
}

#[test]
fn a_parquet_table_without_rows_is_named() {
    let f = Folder::new();
    let empty: [&str; 0] = [];
    let recs = parquet(
        f.path(),
        "recs.parquet",
        df!("user_id" => empty, "item_id" => empty, "rank" => [0i64; 0]).unwrap(),
    );
    f.assert_recs_fail(&recs, &["the recommendations table has no rows"]);
}

#[test]
fn a_named_pipe_is_named_and_not_waited_for() {
    let f = Folder::new();
    let fifo = f.path().join("recs.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    // Opening a pipe blocks until a writer comes: `run` would kill a hung audit.
    f.assert_recs_fail(
        &fifo,
        &[
            "cannot read the recommendations table: it is a named pipe (FIFO), not a regular \
           file; recaudit reads a table more than once, so it needs a file on disk",
        ],
    );
}

#[test]
fn devices_are_named_even_behind_a_csv_name() {
    let f = Folder::new();
    let recs = f.write("recs.csv", RECS);
    let zero = f.path().join("users.csv");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    assert_fails(
        f.audit(&recs, &zero, &[]),
        &zero,
        &[
            "cannot read the users table: it is a character device (such as /dev/null or \
           /dev/zero), not a regular file",
        ],
    );
    let null = Path::new("/dev/null");
    assert_fails(
        f.audit(null, &zero, &[]),
        null,
        &["cannot read the recommendations table: it is a character device"],
    );
}

#[test]
fn a_directory_is_named() {
    let f = Folder::new();
    let recs = f.path().join("recs.csv");
    std::fs::create_dir(&recs).unwrap();
    f.assert_recs_fail(
        &recs,
        &[
            "cannot read the recommendations table: it is a directory; expected a CSV or Parquet \
           file",
        ],
    );
}

#[test]
fn a_symlink_loop_is_not_a_missing_file() {
    let f = Folder::new();
    let users = f.users();
    let (a, b) = (f.path().join("a.csv"), f.path().join("b.csv"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    let (code, err) = f.audit(&a, &users, &[]);
    assert_fails(
        (code, err.clone()),
        &a,
        &[
            "cannot read the recommendations table: it is a symbolic link that cannot be followed",
            "does it point back to itself (a symlink loop)?",
        ],
    );
    assert!(!err.contains("no such file"), "{err}");
    // A link to nothing says so.
    let dangling = f.path().join("c.csv");
    std::os::unix::fs::symlink(f.path().join("gone.csv"), &dangling).unwrap();
    f.assert_recs_fail(
        &dangling,
        &[&format!(
            "it is a symbolic link to `{}`, which does not exist",
            f.path().join("gone.csv").display()
        )],
    );
}

#[test]
fn an_empty_file_is_named() {
    let f = Folder::new();
    let (code, err) = f.audit_csv("", USERS, &[]);
    assert_fails(
        (code, err),
        &f.path().join("recs.csv"),
        &["the file is empty (0 bytes); the recommendations table needs at least a header line"],
    );
}

#[test]
fn nan_scores_and_overflowing_ranks_in_csv_name_file_column_and_row() {
    let f = Folder::new();
    let recs = f.path().join("recs.csv");
    let cases = [
        (
            "user_id,item_id,score\nu1,a,0.5\nu1,b,NaN\nu2,a,1\n",
            "row 2, column `score`: `NaN` is NaN (not a number); expected a finite number",
        ),
        (
            "user_id,item_id,score\nu1,a,0.5\nu2,b,-inf\n",
            "row 2, column `score`: `-inf` is infinite; expected a finite number",
        ),
        (
            "user_id,item_id,rank\nu1,a,1\nu2,b,1e400\n",
            "row 2, column `rank`: `1e400` is too large for a 64-bit float (it would be \
             +infinity); expected a finite number",
        ),
    ];
    for (text, message) in cases {
        assert_fails(f.audit_csv(text, USERS, &[]), &recs, &[message]);
    }
}

#[test]
fn non_finite_relevance_timestamps_and_popularity_are_not_empty_or_negative() {
    let f = Folder::new();
    let cases = [
        (
            "--truth",
            "truth.csv",
            "user_id,item_id,relevance\nu1,a,1\nu2,c,1e999\n",
            "row 2, column `relevance`: `1e999` is too large for a 64-bit float",
        ),
        (
            "--history",
            "history.csv",
            "user_id,item_id,timestamp\nu1,a,5\nu1,b,nan\nu2,c,7\n",
            "row 2, column `timestamp`: `nan` is NaN (not a number); expected a finite number",
        ),
        (
            "--history",
            "history.csv",
            "user_id,item_id,timestamp\nu1,a,5\nu1,b,6\nu2,c,Infinity\n",
            "row 3, column `timestamp`: `Infinity` is infinite; expected a finite number",
        ),
        (
            "--items",
            "items.csv",
            "item_id,popularity\na,3\nb,NaN\nc,1\n",
            "row 2, column `popularity`: `NaN` is NaN (not a number); expected a finite number",
        ),
    ];
    for (flag, name, text, message) in cases {
        let path = f.write(name, text);
        let (code, err) = f.audit_with(flag, &path);
        assert!(!err.contains("negative") && !err.contains("empty"), "{err}");
        assert_fails((code, err), &path, &[message]);
    }
}

#[test]
fn user_ids_with_leading_zeros_stop_the_audit_with_masked_examples() {
    let f = Folder::new();
    let recs = "user_id,item_id,rank\n0042,a,1\n0013,a,1\n0105,b,1\n";
    let users = "user_id,gender\n42,F\n13,M\n105,F\n";
    let (code, err) = f.audit_csv(recs, users, &[]);
    assert_fails(
        (code, err.clone()),
        &f.path().join("users.csv"),
        &[
            "only 0 of the 3 users in the recommendations have a match here",
            "3 of the users in the recommendations match nothing: `0",
            "3 of the user ids of this table match nothing: `4•`, `1•`, `1••`",
            "The likely cause: leading zeros (`0007` and `7`): with it undone, 3 of the 3 users \
             in the recommendations would match.",
            "Fix the ids, or pass --allow-unmatched-ids to audit anyway",
        ],
    );
    // The audited users' examples come in the users' order (by key), masked.
    let listed = err
        .split("3 of the users in the recommendations match nothing: ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .unwrap();
    let mut examples: Vec<&str> = listed.split(", ").collect();
    examples.sort_unstable();
    assert_eq!(examples, ["`00••`", "`00••`", "`01••`"], "{err}");
    // No user id is printed in full.
    for id in ["0042", "0013", "0105", "`42`", "`13`", "`105`"] {
        assert!(!err.contains(id), "{id} in: {err}");
    }
}

#[test]
fn user_ids_written_as_decimals_or_with_spaces_are_diagnosed() {
    let f = Folder::new();
    let recs = "user_id,item_id,rank\n7,a,1\n12,a,1\n100,b,1\n";
    for (users, cause) in [
        (
            "user_id,gender\n7.0,F\n12.0,M\n100.0,F\n",
            "The likely cause: numbers written as decimals (`7.0` and `7`)",
        ),
        (
            "user_id,gender\n\" 7\",F\n\"12 \",M\n\" 100 \",F\n",
            "The likely cause: spaces around the ids",
        ),
        (
            "user_id,gender\nuser_7,F\nuser_12,M\nuser_100,F\n",
            "The likely cause: a prefix on one side (`user_7` and `7`)",
        ),
    ] {
        assert_fails(
            f.audit_csv(recs, users, &[]),
            &f.path().join("users.csv"),
            &["only 0 of the 3 users", cause],
        );
    }
}

#[test]
fn half_of_the_users_joining_is_enough_and_the_flag_accepts_fewer() {
    let f = Folder::new();
    let users = "user_id,gender\nu1,F\nu2,M\n";
    // 2 of 4 audited users have a users row: exactly half passes.
    let recs = "user_id,item_id,rank\nu1,a,1\nu2,a,1\nx3,b,1\nx4,b,1\n";
    let (code, err) = f.audit_csv(recs, users, &[]);
    assert_eq!(code, 0, "{err}");
    // 2 of 5 does not, unless asked for.
    let recs = "user_id,item_id,rank\nu1,a,1\nu2,a,1\nx3,b,1\nx4,b,1\nx5,c,1\n";
    assert_fails(
        f.audit_csv(recs, users, &[]),
        &f.path().join("users.csv"),
        &["only 2 of the 5 users in the recommendations have a match here"],
    );
    let (code, err) = f.audit_csv(recs, users, &["--allow-unmatched-ids".as_ref()]);
    assert_eq!(code, 0, "{err}");
    let j = read_json(&f.path().join("out/audit.json"));
    assert_eq!(j["input"]["users_missing_from_users_table"], 3);
    assert_eq!(j["input"]["users_audited"], 5);
    assert_eq!(j["settings"]["allow_unmatched_ids"], true);
    // The settings file says the same.
    let settings = f.write("settings.toml", "allow_unmatched_ids = true\n");
    let (code, err) = f.audit_csv(recs, users, &["--config".as_ref(), settings.as_os_str()]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn items_that_do_not_join_the_items_table_show_their_ids() {
    let f = Folder::new();
    let recs = f.write("recs.csv", RECS);
    let users = f.users();
    let items = f.write("items.csv", "item_id,provider\nA,x\nB,y\nC,x\nD,y\n");
    let flag = ["--items".as_ref(), items.as_os_str()];
    assert_fails(
        f.audit(&recs, &users, &flag),
        &items,
        &[
            "only 0 of the 3 items in the recommendations have a match here",
            "3 of the items in the recommendations match nothing: `a`, `b`, `c`",
            "4 of the item ids of this table match nothing: `A`, `B`, `C`, ...",
            "The likely cause: letter case (`AB7` and `ab7`)",
        ],
    );
    let mut allowed = flag.to_vec();
    allowed.push("--allow-unmatched-ids".as_ref());
    let (code, err) = f.audit(&recs, &users, &allowed);
    assert_eq!(code, 0, "{err}");
    let j = read_json(&f.path().join("out/audit.json"));
    assert_eq!(j["input"]["recs_items_not_in_items_table"], 3);
}

#[test]
fn a_duplicate_user_in_the_users_table_is_masked() {
    let f = Folder::new();
    let users = "user_id,gender\nu1,F\nalice,M\nu2,M\nalice,F\n";
    let recs = "user_id,item_id,rank\nu1,a,1\nu2,a,1\nalice,b,1\n";
    let (code, err) = f.audit_csv(recs, users, &[]);
    assert_fails(
        (code, err.clone()),
        &f.path().join("users.csv"),
        &["row 4, column `user_id`: user `al•••` appears twice in the users table (first at row 2)"],
    );
    assert!(!err.contains("alice"), "{err}");
}

#[test]
fn a_ragged_csv_row_is_named() {
    let f = Folder::new();
    // Row 1 spans two lines (a quoted line break), row 2 is blank, row 3 has a fourth value.
    let recs = "user_id,item_id,rank\nu1,\"a\nb\",1\n\nu2,c,1,9\n";
    assert_fails(
        f.audit_csv(recs, USERS, &[]),
        &f.path().join("recs.csv"),
        &["recs.csv: row 2: the row is blank; remove blank lines (recaudit does not skip them)"],
    );
    let recs = "user_id,item_id,rank\nu1,\"a\nb\",1\nu2,c,1,9\n";
    assert_fails(
        f.audit_csv(recs, USERS, &[]),
        &f.path().join("recs.csv"),
        &[
            "recs.csv: row 2: the row has 4 values but the header has 3 columns; a value that \
           contains `,` must be quoted",
        ],
    );
}

#[test]
fn a_ragged_csv_row_is_named_when_its_extra_column_is_not_read() {
    // `score` is not read beside `rank` (nor `note` anywhere): a row with a value too many or
    // too few is still named, in every table.
    let f = Folder::new();
    let cases = [
        (
            "user_id,item_id,rank,score\nu1,a,1,0.5\nu1,b,2,0.5,EXTRA\nu2,a,1,0.2\n",
            2,
            5,
        ),
        (
            "user_id,item_id,rank,score\nu1,a,1,0.5\nu1,b,2,0.4\nu2,a,1\n",
            3,
            3,
        ),
    ];
    for (recs, row, values) in cases {
        assert_fails(
            f.audit_csv(recs, USERS, &[]),
            &f.path().join("recs.csv"),
            &[&format!(
                "recs.csv: row {row}: the row has {values} values but the header has 4 columns"
            )],
        );
    }
    let truth = f.write(
        "truth.csv",
        "user_id,item_id,relevance,note\nu1,a,1,x\nu2,c,1,x,EXTRA\n",
    );
    assert_fails(
        f.audit_with("--truth", &truth),
        &truth,
        &["row 2: the row has 5 values but the header has 4 columns"],
    );
    let (recs, users) = (
        f.write("recs.csv", RECS),
        f.write("users.csv", "user_id,gender,note\nu1,F,x\nu2,M\n"),
    );
    assert_fails(
        f.audit(&recs, &users, &[]),
        &users,
        &["row 2: the row has 2 values but the header has 3 columns"],
    );
}

#[test]
fn a_decimal_parquet_column_is_named_with_its_type() {
    let f = Folder::new();
    let recs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/decimal_rank.parquet");
    f.assert_recs_fail(
        &recs,
        &["column `rank` has the type decimal(10, 0), which recaudit cannot read"],
    );
}

#[test]
fn invalid_utf8_and_bad_quotes_name_their_row_and_column() {
    let f = Folder::new();
    let recs = f.path().join("recs.csv");
    for (text, message) in [
        (
            &b"user_id,item_id,rank\nu1,a,1\nu2,caf\xE9,1\n"[..],
            "row 2, column `item_id`: the value is not valid UTF-8 (byte 0xE9 at its byte 4); \
             save the file as UTF-8",
        ),
        (
            b"user_id,item_id,rank\nu1,a,1\nu2,b,\"1\"x\n",
            "row 2, column `rank`: a quoted value has text after its closing `\"`",
        ),
        (
            b"user_id,item_id,rank\nu1,a,1\n\"u2,b,1\n",
            "row 2, column `user_id`: a quoted value is never closed",
        ),
        (
            b"user_id,item_id,rank\nu1,a,1\nu2,b\"x,1\n",
            "row 2, column `item_id`: a `\"` inside a value that is not quoted; quote the whole \
             value (`\"...\"`) and write each `\"` in it twice (`\"\"`)",
        ),
        (
            b"user_id,item\xFF_id,rank\nu1,a,1\n",
            "the header line, column 2: the value is not valid UTF-8 (byte 0xFF at its byte 5)",
        ),
    ] {
        std::fs::write(&recs, text).unwrap();
        f.assert_recs_fail(&recs, &[message]);
    }
}

#[test]
fn a_column_named_twice_is_an_error_and_a_byte_order_mark_is_accepted() {
    let f = Folder::new();
    let recs = "user_id,item_id,rank,rank\nu1,a,1,2\nu2,a,1,2\n";
    assert_fails(
        f.audit_csv(recs, USERS, &[]),
        &f.path().join("recs.csv"),
        &["the header names the column `rank` more than once; column names must be unique"],
    );
    // A UTF-8 byte-order mark (as spreadsheet programs write) is not part of the first name.
    let (code, err) = f.audit_csv(&format!("\u{FEFF}{RECS}"), USERS, &[]);
    assert_eq!(code, 0, "{err}");
    let j = read_json(&f.path().join("out/audit.json"));
    assert_eq!(j["input"]["users_audited"], 2);
}

#[test]
fn a_huge_value_is_cut_in_the_message() {
    let f = Folder::new();
    let huge = "9x".repeat(500_000);
    let recs = format!("user_id,item_id,rank\nu1,a,1\nu2,b,{huge}\n");
    let (code, err) = f.audit_csv(&recs, USERS, &[]);
    assert_fails(
        (code, err.clone()),
        &f.path().join("recs.csv"),
        &[&format!(
            "row 2, column `rank`: `{}…` is not a number; expected a number",
            &huge[..60]
        )],
    );
    assert!(err.len() < 300, "{} bytes", err.len());
}

#[test]
fn a_data_folder_with_a_table_in_two_formats_is_ambiguous() {
    let f = Folder::new();
    let data = f.path().join("data");
    std::fs::create_dir(&data).unwrap();
    write(&data, "recs.csv", RECS);
    write(&data, "users.csv", USERS);
    write(&data, "users.parquet", "not used");
    let (code, err) = run(&[
        "audit".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.trim_end(),
        format!(
            "error: --data {0}: both {1} and {2} are there; keep one, or name it with --users",
            data.display(),
            data.join("users.csv").display(),
            data.join("users.parquet").display()
        )
    );
    // Naming the table decides.
    let (code, err) = run(&[
        "audit".as_ref(),
        "--data".as_ref(),
        data.as_os_str(),
        "--users".as_ref(),
        data.join("users.csv").as_os_str(),
        "--json-only".as_ref(),
        "--quiet".as_ref(),
        "--bootstrap".as_ref(),
        "0".as_ref(),
        "--out".as_ref(),
        f.path().join("out").as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn consent_is_opt_in_and_its_spellings_are_fixed() {
    let f = Folder::new();
    let recs = "user_id,item_id,rank\nu1,a,1\nu2,a,1\nu3,a,1\nu4,a,1\nu5,a,1\nu6,a,1\nu7,a,1\n";
    // Given, refused, empty (no consent), and the other spellings.
    let users = "user_id,gender,consent\nu1,F,true\nu2,F,false\nu3,F,\nu4,M, Yes \nu5,M,n\nu6,M,T\nu7,M,0\n";
    let (code, err) = f.audit_csv(recs, users, &[]);
    assert_eq!(code, 0, "{err}");
    let j = read_json(&f.path().join("out/audit.json"));
    // u2, u3, u5 and u7 are out; u1 (F), u4 and u6 (M) are in.
    assert_eq!(j["input"]["users_without_consent"], 4);
    assert_eq!(j["slices"]["gender"]["groups"]["F"]["n_users"], 1);
    assert_eq!(j["slices"]["gender"]["groups"]["M"]["n_users"], 2);
    let users = "user_id,gender,consent\nu1,F,true\nu2,F,maybe\n";
    assert_fails(
        f.audit_csv(recs, users, &["--allow-unmatched-ids".as_ref()]),
        &f.path().join("users.csv"),
        &[
            "row 2, column `consent`: `maybe` is not a boolean; expected true/false, yes/no, y/n, \
           1/0 or t/f",
        ],
    );
}

#[test]
fn parquet_consent_may_be_booleans_or_integers() {
    let f = Folder::new();
    let recs = f.write("recs.csv", "user_id,item_id,rank\nu1,a,1\nu2,a,1\nu3,a,1\n");
    for consent in [
        Column::new("consent".into(), [Some(true), Some(false), None]),
        Column::new("consent".into(), [Some(1i64), Some(0), None]),
    ] {
        let users = parquet(
            f.path(),
            "users.parquet",
            DataFrame::new(
                3,
                vec![
                    Column::new("user_id".into(), ["u1", "u2", "u3"]),
                    Column::new("gender".into(), ["F", "F", "M"]),
                    consent,
                ],
            )
            .unwrap(),
        );
        // One group left: named in --slices, or it would not be audited at all.
        let (code, err) = f.audit(&recs, &users, &["--slices".as_ref(), "gender".as_ref()]);
        assert_eq!(code, 0, "{err}");
        let j = read_json(&f.path().join("out/audit.json"));
        assert_eq!(j["input"]["users_without_consent"], 2);
        assert_eq!(j["slices"]["gender"]["groups"]["F"]["n_users"], 1);
        assert!(j["slices"]["gender"]["groups"].get("M").is_none());
    }
    let users = parquet(
        f.path(),
        "users.parquet",
        df!("user_id" => ["u1", "u2", "u3"], "gender" => ["F", "F", "M"], "consent" => [1i64, 2, 1])
            .unwrap(),
    );
    assert_fails(
        f.audit(&recs, &users, &[]),
        &users,
        &["row 2, column `consent`: `2` is not a boolean"],
    );
}

#[test]
fn a_feature_vector_with_nan_names_its_row() {
    let f = Folder::new();
    let items = f.write(
        "items.csv",
        "item_id,features\na,0.5 1\nb,0.25;NaN\nc,1 1\n",
    );
    assert_fails(
        f.audit_with("--items", &items),
        &items,
        &[
            "row 2, column `features`: in the feature vector, `NaN` is NaN (not a number); \
           expected a finite number",
        ],
    );
}
