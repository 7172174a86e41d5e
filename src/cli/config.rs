//! Turns raw flags (and an optional TOML settings file, read by
//! [`settings_file`](super::settings_file)) into a validated [`AuditConfig`]: defaults, then the
//! file, then the flags. Strings such as `gender=M` are parsed here, once; a setting out of range
//! is reported by `setting_flag`, naming the flag that set it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::setting_flag::{invalid_setting, FileEntries};
use super::settings_file::{parse_settings, read_settings};
use crate::cli::args::{AuditArgs, WeightArg};
use crate::input::{Bucketing, TablePaths};
use crate::metrics::PositionWeight;
use crate::settings::AuditConfig;

/// The `--data` folder when it holds partitioned tables (a `recs/` subfolder: one file per
/// partition of users, docs/scaling.md "Partitioned input"), read one partition at a time.
pub fn partitioned_folder(a: &AuditArgs) -> Option<PathBuf> {
    a.data.as_ref().filter(|d| d.join("recs").is_dir()).cloned()
}

/// The tables of the partitioned folder `dir`: the tables' subfolders and the items table
/// beside them (`items`). The tables are the folder's: a table flag is an error.
fn partitioned_paths(a: &AuditArgs, dir: &Path, items: Option<PathBuf>) -> Result<TablePaths> {
    let flags = [
        ("recs", &a.recs),
        ("users", &a.users),
        ("items", &a.items),
        ("truth", &a.truth),
        ("history", &a.history),
    ];
    if let Some((name, _)) = flags.iter().find(|(_, f)| f.is_some()) {
        bail!(
            "--data {} holds partitioned tables (a recs/ folder): its tables are read from it, \
             so --{name} cannot be given with it",
            dir.display()
        );
    }
    let folder = |name: &str| Some(dir.join(name)).filter(|p| p.is_dir());
    Ok(TablePaths {
        recs: dir.join("recs"),
        users: dir.join("users"),
        items,
        truth: folder("truth"),
        history: folder("history"),
        baseline_recs: a.baseline_recs.clone(),
    })
}

/// Builds the audit settings: defaults, then the `--config` file, then the flags, and checks every
/// value against its range (naming the flag when a flag set it, the file and key otherwise).
pub fn audit_config(a: &AuditArgs) -> Result<AuditConfig> {
    let mut cfg = match (&a.config, &a.settings_text) {
        (Some(p), None) => read_settings(p)?,
        (None, Some((name, text))) => parse_settings(text, std::path::Path::new(name))?,
        (None, None) => AuditConfig::default(),
        (Some(p), Some((name, _))) => bail!(
            "settings come from both {} and {name}: give them in one place",
            p.display()
        ),
    };
    // The table `name` in the --data folder: an error when it is there in two formats, since
    // either choice would be silent.
    let in_data = |name: &str| -> Result<Option<PathBuf>> {
        let Some(dir) = a.data.as_ref() else {
            return Ok(None);
        };
        let found: Vec<PathBuf> = ["csv", "parquet", "pq"]
            .iter()
            .map(|ext| dir.join(format!("{name}.{ext}")))
            .filter(|p| p.exists() || p.symlink_metadata().is_ok())
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            [first, second, ..] => bail!(
                "--data {}: both {} and {} are there; keep one, or name it with --{name}",
                dir.display(),
                first.display(),
                second.display()
            ),
        }
    };
    let required = |flag: &Option<PathBuf>, name: &str| -> Result<PathBuf> {
        let found = match flag {
            Some(p) => Some(p.clone()),
            None => in_data(name)?,
        };
        match found {
            Some(p) => Ok(p),
            None => bail!(
                "no {name} table: give --{name} FILE, or --data DIR with {name}.csv or {name}.parquet in it{}",
                a.data.as_ref().map(|d| format!(" ({} has none)", d.display())).unwrap_or_default()
            ),
        }
    };
    let optional = |flag: &Option<PathBuf>, name: &str| -> Result<Option<PathBuf>> {
        match flag {
            Some(p) => Ok(Some(p.clone())),
            None => in_data(name),
        }
    };
    cfg.paths = match partitioned_folder(a) {
        Some(dir) if a.partitions.is_some() => bail!(
            "--data {} is already partitioned (a recs/ folder) and is audited one partition at \
             a time: --partitions splits one-file-per-table input, so leave it out",
            dir.display()
        ),
        Some(dir) => partitioned_paths(a, &dir, in_data("items")?)?,
        None => TablePaths {
            recs: required(&a.recs, "recs")?,
            users: required(&a.users, "users")?,
            items: optional(&a.items, "items")?,
            truth: optional(&a.truth, "truth")?,
            history: optional(&a.history, "history")?,
            // A --data folder holds one run's tables: the baseline's lists are named by their
            // flag.
            baseline_recs: a.baseline_recs.clone(),
        },
    };
    cfg.allow_unmatched_ids |= a.allow_unmatched_ids;
    let from_file = FileEntries {
        intersections: cfg.slices.intersections.len(),
        buckets: cfg.buckets.len(),
    };
    let cols = &mut cfg.columns;
    let set = |slot: &mut String, v: &Option<String>| {
        if let Some(v) = v {
            *slot = v.clone();
        }
    };
    set(&mut cols.user, &a.user_col);
    set(&mut cols.item, &a.item_col);
    set(&mut cols.rank, &a.rank_col);
    set(&mut cols.score, &a.score_col);
    set(&mut cols.snapshot, &a.snapshot_col);
    set(&mut cols.consent, &a.consent_col);
    set(&mut cols.category, &a.category_col);
    if a.slices.is_some() {
        cols.slices = a.slices.clone();
    }
    if a.item_groups.is_some() {
        cols.item_groups = a.item_groups.clone();
    }
    if let Some(k) = a.k {
        cfg.k = k;
    }
    if let Some(w) = a.position_weight {
        cfg.position_weight = match (w, cfg.position_weight) {
            (WeightArg::Log, _) => PositionWeight::Log,
            (WeightArg::Rbp, rbp @ PositionWeight::Rbp { .. }) => rbp,
            (WeightArg::Rbp, _) => PositionWeight::Rbp {
                patience: PositionWeight::DEFAULT_PATIENCE,
            },
            (WeightArg::Uniform, _) => PositionWeight::Uniform,
        };
    }
    if let Some(p) = a.patience {
        match &mut cfg.position_weight {
            PositionWeight::Rbp { patience } => *patience = p,
            other => bail!(
                "--patience applies to the rbp position weight only, and the position weight is `{}`; add --position-weight rbp",
                other.name()
            ),
        }
    }
    if let Some(g) = a.propensity_gamma {
        cfg.propensity_gamma = g;
    }
    if a.rbo_persistence.is_some() {
        cfg.rbo_persistence = a.rbo_persistence;
    }
    if let Some(h) = a.head_share {
        cfg.head_share = h;
    }
    if let Some(t) = a.narrowing_threshold {
        cfg.bubble.narrowing_threshold = t;
    }
    if let Some(m) = a.min_history {
        cfg.bubble.min_history = m;
    }
    if a.clusters.is_some() {
        cfg.bubble.n_clusters = a.clusters;
    }
    if let Some(m) = a.min_slice_size {
        cfg.slices.min_slice_size = m;
    }
    for spec in &a.intersect {
        let cols: Vec<String> = spec.split(',').map(|s| s.trim().to_string()).collect();
        cfg.slices.intersections.push(cols);
    }
    for spec in &a.reference {
        let (col, value) = spec.split_once('=').with_context(|| {
            format!("--reference `{spec}`: expected COLUMN=VALUE, e.g. gender=M")
        })?;
        cfg.slices
            .reference
            .insert(col.trim().to_string(), value.trim().to_string());
    }
    for spec in &a.bucket {
        cfg.buckets.push(parse_bucket(spec)?);
    }
    if let Some(b) = a.bootstrap {
        cfg.stats.resamples = b;
    }
    if let Some(n) = a.bootstrap_units {
        cfg.stats.bootstrap_units = n;
    }
    if let Some(s) = a.seed {
        cfg.stats.seed = s;
        cfg.bubble.seed = s;
    }
    if let Some(e) = a.dp_epsilon {
        cfg.privacy.epsilon = Some(e);
    }
    if let Some(m) = &a.dp_metrics {
        cfg.privacy.metrics = Some(m.clone());
    }
    if let Err(e) = cfg.check() {
        return Err(invalid_setting(&e, a, &from_file));
    }
    Ok(cfg)
}

/// Parses `age=25,35,55` into a [`Bucketing`].
pub fn parse_bucket(spec: &str) -> Result<Bucketing> {
    let (col, edges) = spec.split_once('=').with_context(|| {
        format!("--bucket `{spec}`: expected COLUMN=EDGE,EDGE,..., e.g. age=25,35,55")
    })?;
    let edges: Vec<f64> = edges
        .split(',')
        .map(|e| {
            e.trim()
                .parse::<f64>()
                .with_context(|| format!("--bucket `{spec}`: `{e}` is not a number"))
        })
        .collect::<Result<_>>()?;
    if edges.iter().any(|e| !e.is_finite()) || edges.windows(2).any(|w| w[0] >= w[1]) {
        bail!("--bucket `{spec}`: edges must be finite, strictly increasing numbers");
    }
    Ok(Bucketing {
        column: col.trim().to_string(),
        edges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_parse_and_reject_bad_edges() {
        let b = parse_bucket("age=25,35,55").unwrap();
        assert_eq!(b.column, "age");
        assert_eq!(b.edges, vec![25.0, 35.0, 55.0]);
        assert_eq!(
            parse_bucket("age=35,25").unwrap_err().to_string(),
            "--bucket `age=35,25`: edges must be finite, strictly increasing numbers"
        );
        assert!(parse_bucket("age=1,inf").is_err());
        assert!(parse_bucket("age")
            .unwrap_err()
            .to_string()
            .contains("COLUMN=EDGE"));
        assert!(parse_bucket("age=1,x")
            .unwrap_err()
            .to_string()
            .contains("`x`"));
    }
}
