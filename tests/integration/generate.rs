//! `recaudit generate` on the command line: presets and the flags given with them, plants that need
//! snapshots, messages that name the flags, the help, and an output folder that is in use.

use std::path::Path;

use recaudit::generate::PRESETS;

use crate::util::{outcome, recaudit, root};

/// Runs `recaudit generate --out <out>` with `flags`: (exit code, stdout, stderr).
fn generate(out: &Path, flags: &[&str]) -> (i32, String, String) {
    let mut args = vec!["generate", "--out", out.to_str().unwrap()];
    args.extend_from_slice(flags);
    outcome(&recaudit(&args))
}

/// Data lines (without the header) of a CSV file.
fn rows(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count() - 1
}

#[test]
fn the_example_preset_writes_the_shipped_example_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["example", "example-over-time"] {
        let out = dir.path().join(name);
        let (code, _, err) = generate(&out, &["--preset", name]);
        assert_eq!(code, 0, "{err}");
        for table in ["recs", "users", "items", "truth", "history"] {
            let file = format!("{table}.csv");
            assert!(
                std::fs::read(out.join(&file)).unwrap()
                    == std::fs::read(root().join("datasets").join(name).join(&file)).unwrap(),
                "datasets/{name}/{file} is not what --preset {name} writes"
            );
        }
    }
}

#[test]
fn size_flags_given_with_a_preset_change_that_setting_of_the_preset() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let (code, stdout, err) = generate(&out, &["--preset", "example", "--users", "100"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        stdout.starts_with("wrote 100 users, 500 items, 1000 recommendation rows"),
        "{stdout}"
    );
    assert_eq!(rows(&out.join("users.csv")), 100);
    // The rest is the preset's: its 500 items, 4 truth items per user, and its plants.
    assert_eq!(rows(&out.join("items.csv")), 500);
    assert_eq!(rows(&out.join("truth.csv")), 400);

    // A flag that makes the preset invalid is refused under its own name.
    let (code, _, err) = generate(
        &dir.path().join("one"),
        &["--preset", "example-over-time", "--snapshots", "1"],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        "error: the narrowing-over-time plant needs --snapshots >= 2\n"
    );
    assert!(!dir.path().join("one").exists());
}

#[test]
fn plant_all_without_snapshots_says_which_plant_it_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let (code, _, err) = generate(&out, &["--users", "200", "--plant", "all"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        "note: --plant all leaves out narrowing-over-time, which needs --snapshots 2 or more\n"
    );
    // With snapshots, nothing is left out.
    let (code, _, err) = generate(
        &dir.path().join("snapshots"),
        &["--users", "200", "--plant", "all", "--snapshots", "2"],
    );
    assert_eq!((code, err.as_str()), (0, ""));
    // Named on its own, the plant is an error naming it and --snapshots.
    let (code, _, err) = generate(
        &dir.path().join("named"),
        &["--plant", "narrowing-over-time"],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err,
        "error: the narrowing-over-time plant needs --snapshots >= 2\n"
    );
}

#[test]
fn errors_about_a_setting_name_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--snapshots", "0"],
            "error: --snapshots must be in 1..=1000, got 0",
        ),
        (&["--users", "0"], "error: --users must be at least 1"),
        (&["-k", "0"], "error: --k must be in 1..=1000, got 0"),
        (&["--k", "1001"], "error: --k must be in 1..=1000, got 1001"),
        (
            &["--items", "10"],
            "error: --items must be at least 80 for --k = 10, history items per user = 20, \
             truth items per user = 5 and categories = 12, got 10",
        ),
    ];
    for (i, (flags, want)) in cases.iter().enumerate() {
        let out = dir.path().join(i.to_string());
        let (code, _, err) = generate(&out, flags);
        assert_eq!(code, 2, "{flags:?}: {err}");
        assert_eq!(err.lines().next(), Some(*want), "{flags:?}");
        assert!(!out.exists(), "{flags:?}");
    }
}

#[test]
fn the_help_lists_every_preset_and_an_unknown_one_is_a_usage_error() {
    for help_flag in ["-h", "--help"] {
        let (code, help, _) = outcome(&recaudit(["generate", help_flag]));
        assert_eq!(code, 0);
        for p in &PRESETS {
            assert!(
                help.contains(p.name),
                "{help_flag} lacks {}: {help}",
                p.name
            );
        }
        for plant in ["worse-group", "narrowing-over-time", "segregated-group"] {
            assert!(help.contains(plant), "{help_flag} lacks {plant}: {help}");
        }
        assert!(help.contains("--force"), "{help}");
    }
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = generate(&dir.path().join("data"), &["--preset", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: invalid value 'nope' for '--preset <PRESET>'"),
        "{err}"
    );
    for p in &PRESETS {
        assert!(err.contains(p.name), "{err}");
    }
}

#[test]
fn a_folder_that_is_not_empty_is_refused_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    std::fs::create_dir(&out).unwrap();
    // An empty folder is fine.
    let (code, _, err) = generate(&out, &["--users", "50", "--items", "100"]);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(out.join("recs.csv")).unwrap();

    let (code, stdout, err) = generate(&out, &["--users", "60", "--items", "100"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(stdout, "");
    assert!(err.starts_with("error: --out "), "{err}");
    assert!(err.contains("is not empty; give --force"), "{err}");
    assert_eq!(std::fs::read(out.join("recs.csv")).unwrap(), before);

    let (code, _, err) = generate(&out, &["--users", "60", "--items", "100", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&out.join("users.csv")), 60);
}
