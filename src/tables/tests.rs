//! Tests of [`write_tables`]: the tables of an audit of the conformance case, read back.

use std::path::Path;
use std::sync::OnceLock;

use super::*;
use crate::audit::audit;
use crate::audit::tests::conformance_config;
use crate::slices::SliceConfig;

/// The conformance case with the default `min_slice_size` (gender X has 13 users and is
/// suppressed; F is withheld with it).
fn conformance() -> &'static AuditResult {
    static R: OnceLock<AuditResult> = OnceLock::new();
    R.get_or_init(|| {
        let mut cfg = conformance_config();
        cfg.slices.min_slice_size = SliceConfig::default().min_slice_size;
        cfg.stats.resamples = 100;
        audit(&cfg).expect("the conformance case audits")
    })
}

fn read(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The row of `rows` (under `header`) whose cells named in `want` hold those values.
fn find<'a>(
    header: &[String],
    rows: &'a [Vec<String>],
    want: &[(&str, &str)],
) -> Vec<&'a Vec<String>> {
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    rows.iter()
        .filter(|r| want.iter().all(|(c, v)| r[col(c)] == *v))
        .collect()
}

#[test]
fn metrics_by_group_has_a_row_per_metric_and_published_group_with_the_json_values() {
    let result = conformance();
    let dir = tempfile::tempdir().unwrap();
    let files = write_tables(result, dir.path()).unwrap();
    assert_eq!(files, table_files(result));
    let paths: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    assert_eq!(
        paths,
        [
            "tables/metrics_by_group.csv",
            "tables/corpus_by_group.csv",
            "tables/exposure_shares.csv"
        ]
        .map(Path::new),
        "no gates.csv without gates"
    );

    let (header, rows) = read(&dir.path().join("tables/metrics_by_group.csv"));
    assert_eq!(header, rows::METRIC_HEADER);
    let expected: usize = result
        .metrics
        .values()
        .map(|m| 1 + m.slices.values().map(|s| s.groups.len()).sum::<usize>())
        .sum();
    assert_eq!(rows.len(), expected);

    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let ndcg = &result.metrics["ndcg"];
    let overall = find(&header, &rows, &[("metric", "ndcg"), ("column", "overall")]);
    assert_eq!(overall.len(), 1);
    assert_eq!(
        overall[0][col("value")].parse::<f64>().ok(),
        ndcg.overall.value
    );
    assert_eq!(overall[0][col("label")], "NDCG@10");
    assert_eq!(
        overall[0][col("reference")],
        "",
        "the overall row compares nothing"
    );

    // age_band: every published group, with its comparison with the reference.
    let slice = &ndcg.slices["age_band"];
    let d = slice.disparity.as_ref().unwrap();
    for (group, estimate) in &slice.groups {
        let found = find(
            &header,
            &rows,
            &[("metric", "ndcg"), ("column", "age_band"), ("group", group)],
        );
        assert_eq!(found.len(), 1, "{group}");
        let row = found[0];
        assert_eq!(
            row[col("value")].parse::<f64>().ok(),
            estimate.value,
            "{group}"
        );
        assert_eq!(
            row[col("ci_high")].parse::<f64>().ok(),
            estimate.ci_high,
            "{group}"
        );
        assert_eq!(row[col("n_users")], estimate.n.to_string());
        assert_eq!(row[col("reference")], d.reference);
        let c = &d.groups[group];
        assert_eq!(
            row[col("ratio_to_reference")].parse::<f64>().ok(),
            c.ratio.value
        );
        assert_eq!(row[col("significant")], c.significant.to_string());
    }

    // The suppressed group X and the withheld F are in no table.
    for file in [
        "metrics_by_group.csv",
        "corpus_by_group.csv",
        "exposure_shares.csv",
    ] {
        let (header, rows) = read(&dir.path().join("tables").join(file));
        for group in ["X", "F"] {
            let found = find(&header, &rows, &[("column", "gender"), ("group", group)]);
            assert!(found.is_empty(), "{file} shows gender {group}");
        }
    }
}

#[test]
fn corpus_and_exposure_rows_carry_full_precision_values() {
    let result = conformance();
    let dir = tempfile::tempdir().unwrap();
    write_tables(result, dir.path()).unwrap();

    let (header, rows) = read(&dir.path().join("tables/corpus_by_group.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let coverage = result.corpus.slices["age_band"]["55+"].scalars["catalog_coverage"];
    let found = find(
        &header,
        &rows,
        &[
            ("metric", "catalog_coverage"),
            ("column", "age_band"),
            ("group", "55+"),
        ],
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0][col("value")].parse::<f64>().ok(), coverage);
    let share = result.corpus.overall.shares["exposure_share_provider"]["indie"];
    let found = find(
        &header,
        &rows,
        &[
            ("metric", "exposure_share_provider"),
            ("column", "overall"),
            ("item_group", "indie"),
        ],
    );
    assert_eq!(found[0][col("item_column")], "provider");
    assert_eq!(found[0][col("value")].parse::<f64>().ok(), share);

    let (header, rows) = read(&dir.path().join("tables/exposure_shares.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let e = &result.corpus.exposure_share_intervals["provider"].overall["indie"];
    let found = find(
        &header,
        &rows,
        &[
            ("item_column", "provider"),
            ("item_group", "indie"),
            ("column", "overall"),
        ],
    );
    assert_eq!(found[0][col("exposure_share")].parse::<f64>().ok(), e.value);
    assert_eq!(found[0][col("ci_low")].parse::<f64>().ok(), e.ci_low);
    let catalog = result.corpus.overall.shares["target_share_catalog_provider"]["indie"];
    assert_eq!(found[0][col("catalog_share")].parse::<f64>().ok(), catalog);
}

#[test]
fn a_label_that_looks_like_a_formula_is_quoted() {
    let mut result = conformance().clone();
    let ndcg = result.metrics.get_mut("ndcg").unwrap();
    let slice = ndcg.slices.get_mut("age_band").unwrap();
    let e = slice.groups.remove("55+").unwrap();
    slice.groups.insert("=HYPERLINK(\"http://x\")".into(), e);
    let dir = tempfile::tempdir().unwrap();
    write_tables(&result, dir.path()).unwrap();
    let (header, rows) = read(&dir.path().join("tables/metrics_by_group.csv"));
    let found = find(&header, &rows, &[("group", "'=HYPERLINK(\"http://x\")")]);
    assert_eq!(found.len(), 1);
    assert!(find(&header, &rows, &[("group", "=HYPERLINK(\"http://x\")")]).is_empty());
}
