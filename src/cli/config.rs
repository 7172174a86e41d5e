//! Turns raw flags (and an optional TOML settings file) into a validated
//! [`AuditConfig`]. Strings such as `gender=M` are parsed here, once.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cli::args::{AuditArgs, WeightArg};
use crate::input::{Bucketing, TablePaths};
use crate::metrics::PositionWeight;
use crate::settings::{AuditConfig, InvalidSetting};

/// Builds the audit settings: defaults, then the `--config` file, then the flags, and checks every
/// value against its range (naming the flag when a flag set it, the file and key otherwise).
pub fn audit_config(a: &AuditArgs) -> Result<AuditConfig> {
    let mut cfg = match &a.config {
        Some(p) => read_settings(p)?,
        None => AuditConfig::default(),
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
    cfg.paths = TablePaths {
        recs: required(&a.recs, "recs")?,
        users: required(&a.users, "users")?,
        items: optional(&a.items, "items")?,
        truth: optional(&a.truth, "truth")?,
        history: optional(&a.history, "history")?,
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
    if let Err(e) = cfg.check() {
        match flag_value(&e, a, &from_file) {
            Some((flag, value)) => bail!(
                "invalid value `{value}` for {flag}: expected {}",
                e.expected
            ),
            None => match &a.config {
                Some(p) => bail!("{}: {e}", p.display()),
                None => bail!("invalid settings: {e}"),
            },
        }
    }
    Ok(cfg)
}

/// How many entries of the list settings came from the settings file (the flags' entries follow).
struct FileEntries {
    intersections: usize,
    buckets: usize,
}

/// The flag, and its value as given, that set the setting `e` names; `None` when the value came
/// from the settings file.
fn flag_value(
    e: &InvalidSetting,
    a: &AuditArgs,
    file: &FileEntries,
) -> Option<(&'static str, String)> {
    let given = |flag: &'static str, v: Option<String>| v.map(|v| (flag, v));
    let text = |v: &Option<String>| v.clone();
    let number = |v: Option<f64>| v.map(|x| x.to_string());
    let count = |v: Option<usize>| v.map(|x| x.to_string());
    let entry = |flag: &'static str, specs: &[String], from_file: usize| {
        let i = e.index?.checked_sub(from_file)?;
        specs.get(i).map(|s| (flag, s.clone()))
    };
    let list = |flag: &'static str, v: &Option<Vec<String>>| {
        let v = v.as_ref()?;
        v.get(e.index?).map(|s| (flag, s.clone()))
    };
    match (e.section, e.key) {
        (None, "k") => given("--k", count(a.k)),
        (Some("position_weight"), "patience") => given("--patience", number(a.patience)),
        (None, "head_share") => given("--head-share", number(a.head_share)),
        (None, "buckets") => entry("--bucket", &a.bucket, file.buckets),
        (Some("slices"), "min_slice_size") => given("--min-slice-size", count(a.min_slice_size)),
        (Some("slices"), "intersections") => entry("--intersect", &a.intersect, file.intersections),
        (Some("bubble"), "narrowing_threshold") => {
            given("--narrowing-threshold", number(a.narrowing_threshold))
        }
        (Some("bubble"), "min_history") => given("--min-history", count(a.min_history)),
        (Some("bubble"), "n_clusters") => given("--clusters", count(a.clusters)),
        (Some("stats"), "resamples") => given("--bootstrap", count(a.bootstrap)),
        (Some("stats"), "bootstrap_units") => given("--bootstrap-units", count(a.bootstrap_units)),
        (Some("columns"), "user") => given("--user-col", text(&a.user_col)),
        (Some("columns"), "item") => given("--item-col", text(&a.item_col)),
        (Some("columns"), "rank") => given("--rank-col", text(&a.rank_col)),
        (Some("columns"), "score") => given("--score-col", text(&a.score_col)),
        (Some("columns"), "snapshot") => given("--snapshot-col", text(&a.snapshot_col)),
        (Some("columns"), "consent") => given("--consent-col", text(&a.consent_col)),
        (Some("columns"), "category") => given("--category-col", text(&a.category_col)),
        (Some("columns"), "slices") => list("--slices", &a.slices),
        (Some("columns"), "item_groups") => list("--item-groups", &a.item_groups),
        _ => None,
    }
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

/// Reads the `--config` file (see [`parse_settings`]).
fn read_settings(path: &Path) -> Result<AuditConfig> {
    let text = crate::input::files::read_text_file(path).map_err(|why| {
        anyhow::anyhow!(
            "{}: cannot read the settings file: {why}",
            crate::text::visible(&path.to_string_lossy())
        )
    })?;
    parse_settings(&text, path)
}

/// Parses settings TOML (`file` names it in messages). A key or section the settings do not have
/// is an error naming the section and the nearest valid key; other errors give the line and column.
/// Ranges are checked later, once the flags are merged in ([`AuditConfig::check`]).
pub fn parse_settings(text: &str, file: &Path) -> Result<AuditConfig> {
    let mut unknown: Vec<Vec<Segment>> = Vec::new();
    let parsed: std::result::Result<AuditConfig, toml::de::Error> =
        serde_ignored::deserialize(toml::Deserializer::new(text), |path| {
            unknown.push(segments(&path))
        });
    // Unknown keys seen before an error are reported with it: a misspelt key often causes it
    // (`patiense` leaves an rbp weight without its patience).
    let mut lines: Vec<String> = Vec::new();
    if !unknown.is_empty() {
        let known = KnownKeys::new();
        let doc = text.parse::<toml::Table>().ok();
        lines.extend(
            unknown
                .iter()
                .map(|path| format!("{}: {}", file.display(), known.describe(path, doc.as_ref()))),
        );
    }
    match parsed {
        Ok(cfg) if lines.is_empty() => Ok(cfg),
        Ok(_) => bail!("{}", lines.join("\n")),
        Err(e) => {
            lines.push(format!("{}: {}", file.display(), toml_error(text, &e)));
            bail!("{}", lines.join("\n"))
        }
    }
}

/// One step of a key's path in the settings file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// A key of a table.
    Key(String),
    /// A 0-based entry of an array (of `[[buckets]]`).
    Index(usize),
}

fn segments(path: &serde_ignored::Path) -> Vec<Segment> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut v = segments(parent);
            v.push(Segment::Index(*index));
            v
        }
        Path::Map { parent, key } => {
            let mut v = segments(parent);
            v.push(Segment::Key(key.clone()));
            v
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => segments(parent),
    }
}

/// `line L, column C: message` of a TOML error (the position of its span, when it has one).
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    // serde names Rust types; the settings file has integers and numbers.
    let message = e
        .message()
        .trim_end()
        .replace("expected usize", "expected an integer of at least 0")
        .replace("expected u64", "expected an integer of at least 0")
        .replace("expected f64", "expected a number");
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message.to_string(),
    }
}

/// The keys the settings file accepts, by table, read from the serialised defaults (so they
/// follow the settings structs), plus the keys of a position weight and of a `[[buckets]]` entry,
/// which the defaults do not show.
struct KnownKeys {
    /// Top-level keys, sorted.
    top: Vec<String>,
    /// The keys of each table-valued top-level key (`columns`, `slices`, ...), sorted.
    tables: Vec<(String, Vec<String>)>,
}

/// Top-level keys of the input files, which are flags rather than settings.
const INPUT_KEYS: &[&str] = &[
    "paths", "data", "recs", "users", "items", "truth", "history",
];

impl KnownKeys {
    fn new() -> KnownKeys {
        let defaults =
            serde_json::to_value(AuditConfig::default()).expect("the default settings serialise");
        let serde_json::Value::Object(map) = defaults else {
            unreachable!("settings serialise as an object")
        };
        let mut top = Vec::new();
        let mut tables = Vec::new();
        for (key, value) in map {
            if key == "paths" {
                continue;
            }
            let mut keys: Vec<String> = match &value {
                serde_json::Value::Object(m) => m.keys().cloned().collect(),
                _ => Vec::new(),
            };
            match key.as_str() {
                "position_weight" => keys = vec!["kind".into(), "patience".into()],
                "buckets" => keys = vec!["column".into(), "edges".into()],
                _ => {}
            }
            if !keys.is_empty() {
                keys.sort();
                tables.push((key.clone(), keys));
            }
            top.push(key);
        }
        top.sort();
        tables.sort();
        KnownKeys { top, tables }
    }

    /// The sections of the settings file as written (`[columns]`, ..., `[[buckets]]`).
    fn sections(&self) -> Vec<String> {
        self.tables.iter().map(|(t, _)| self.show(t)).collect()
    }

    fn table(&self, name: &str) -> Option<&[String]> {
        self.tables
            .iter()
            .find(|(t, _)| t == name)
            .map(|(_, k)| k.as_slice())
    }

    /// `[slices]`, `[[buckets]]` or `` `k` `` as the settings file writes it.
    fn show(&self, key: &str) -> String {
        match key {
            "buckets" => "[[buckets]]".into(),
            k if self.table(k).is_some() => format!("[{k}]"),
            k => format!("`{k}`"),
        }
    }

    /// The message for the unknown key at `path`.
    fn describe(&self, path: &[Segment], doc: Option<&toml::Table>) -> String {
        let Some((Segment::Key(key), parent)) = path.split_last() else {
            return format!("unknown entry `{path:?}`");
        };
        let where_ = match parent {
            [] => String::new(),
            [Segment::Key(t)] => format!(" in {}", self.show(t)),
            [Segment::Key(t), Segment::Index(i)] => format!(" in {} entry {}", self.show(t), i + 1),
            _ => " (nested)".into(),
        };
        let is_table = matches!(
            doc.and_then(|t| lookup(t, path)),
            Some(toml::Value::Table(_))
        );
        let what = if is_table { "section" } else { "key" };
        let shown = if is_table && parent.is_empty() {
            format!("[{key}]")
        } else {
            format!("`{key}`")
        };
        let head = match (parent.is_empty(), is_table) {
            (true, true) => format!("unknown section {shown}"),
            (true, false) => format!("unknown top-level key {shown}"),
            _ => format!("unknown {what} {shown}{where_}"),
        };
        if parent.is_empty() && INPUT_KEYS.contains(&key.as_str()) {
            return format!(
                "{head}: input files are given on the command line (--data, or --recs, --users, --items, --truth, --history), not in the settings file"
            );
        }
        let here: Vec<String> = match parent.first() {
            None => self.top.clone(),
            Some(Segment::Key(t)) => self.table(t).map(<[String]>::to_vec).unwrap_or_default(),
            Some(Segment::Index(_)) => Vec::new(),
        };
        let this_table = match parent.first() {
            Some(Segment::Key(t)) => Some(t.as_str()),
            _ => None,
        };
        // The same key elsewhere: a key put in the wrong section.
        let elsewhere: Vec<String> = std::iter::once(None)
            .chain(self.tables.iter().map(|(t, _)| Some(t.as_str())))
            .filter(|t| *t != this_table)
            .filter(|t| match t {
                None => self.top.contains(key),
                Some(t) => self.table(t).is_some_and(|k| k.contains(key)),
            })
            .map(|t| match t {
                None => "at the top level".to_string(),
                Some(t) => format!("in {}", self.show(t)),
            })
            .collect();
        if !elsewhere.is_empty() {
            return format!("{head}; did you mean `{key}` {}?", elsewhere.join(" or "));
        }
        let near = |keys: &[String]| {
            keys.iter()
                .map(|k| (strsim::jaro_winkler(key, k), k))
                .filter(|(score, _)| *score >= SUGGESTION_SIMILARITY)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, k)| k.clone())
        };
        if let Some(k) = near(&here) {
            let shown = if parent.is_empty() {
                self.show(&k)
            } else {
                format!("`{k}`")
            };
            return format!("{head}; did you mean {shown}?");
        }
        let valid = here
            .iter()
            .map(|k| {
                if parent.is_empty() {
                    self.show(k)
                } else {
                    k.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        format!("{head}; valid keys{where_}: {valid}")
    }
}

/// The sections of the settings file as written: `[columns]`, `[slices]`, ..., `[[buckets]]`.
pub fn settings_sections() -> Vec<String> {
    KnownKeys::new().sections()
}

/// Jaro–Winkler similarity from which a valid key is suggested for an unknown one.
const SUGGESTION_SIMILARITY: f64 = 0.8;

/// The value at `path` in a parsed TOML document.
fn lookup<'a>(table: &'a toml::Table, path: &[Segment]) -> Option<&'a toml::Value> {
    let (Segment::Key(first), rest) = path.split_first()? else {
        return None;
    };
    let mut value = table.get(first)?;
    for seg in rest {
        value = match (seg, value) {
            (Segment::Key(k), toml::Value::Table(t)) => t.get(k)?,
            (Segment::Index(i), toml::Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
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

    /// The error of parsing `text` as the settings file `s.toml`.
    fn settings_error(text: &str) -> String {
        parse_settings(text, Path::new("s.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unknown_keys_name_the_section_and_the_nearest_key() {
        for (text, want) in [
            (
                "[slices]\nmin_slice = 3\n",
                "s.toml: unknown key `min_slice` in [slices]; did you mean `min_slice_size`?",
            ),
            (
                "[slice]\nmin_slice_size = 3\n",
                "s.toml: unknown section [slice]; did you mean [slices]?",
            ),
            ("kk = 3\n", "s.toml: unknown top-level key `kk`; did you mean `k`?"),
            (
                "[stats]\nmin_slice_size = 3\n",
                "s.toml: unknown key `min_slice_size` in [stats]; did you mean `min_slice_size` in [slices]?",
            ),
            (
                "seed = 3\n",
                "s.toml: unknown top-level key `seed`; did you mean `seed` in [bubble] or in [stats]?",
            ),
            (
                "[[buckets]]\ncolumn = \"age\"\nedges = [30]\ncolum = \"x\"\n",
                "s.toml: unknown key `colum` in [[buckets]] entry 1; did you mean `column`?",
            ),
            (
                "[columns]\nzzz = \"a\"\n",
                "s.toml: unknown key `zzz` in [columns]; valid keys in [columns]: category, consent, features, item, item_groups, popularity, rank, relevance, sample, score, slices, snapshot, timestamp, user",
            ),
            (
                "history = \"h.csv\"\n",
                "s.toml: unknown top-level key `history`: input files are given on the command line (--data, or --recs, --users, --items, --truth, --history), not in the settings file",
            ),
            (
                "position_weight = { kind = \"rbp\", patiense = 0.8 }\n",
                "s.toml: unknown key `patiense` in [position_weight]; did you mean `patience`?\n\
                 s.toml: line 1, column 19: position weight `rbp` needs a patience, e.g. { kind = \"rbp\", patience = 0.8 }",
            ),
            (
                "k = \"ten\"\n",
                "s.toml: line 1, column 5: invalid type: string \"ten\", expected an integer of at least 0",
            ),
            (
                "[bubble]\nseed = -1\n",
                "s.toml: line 2, column 8: invalid value: integer `-1`, expected an integer of at least 0",
            ),
        ] {
            assert_eq!(settings_error(text), want, "{text}");
        }
        // Every unknown key is named, one line each.
        let e = settings_error("kk = 1\n[bubble]\nlast = 2\n");
        assert_eq!(e.lines().count(), 2, "{e}");
        assert!(
            e.contains("`last` in [bubble]; did you mean `last_n`?"),
            "{e}"
        );
    }

    #[test]
    fn every_setting_written_out_reads_back() {
        let mut cfg = AuditConfig::default();
        cfg.buckets.push(parse_bucket("age=25,35").unwrap());
        cfg.slices.intersections.push(vec!["a".into(), "b".into()]);
        cfg.slices.reference.insert("gender".into(), "M".into());
        cfg.columns.slices = Some(vec!["gender".into()]);
        cfg.columns.item_groups = Some(vec!["provider".into()]);
        cfg.bubble.n_clusters = Some(4);
        cfg.position_weight = PositionWeight::Rbp { patience: 0.7 };
        cfg.stats.seed = 7;
        let mut table = toml::Table::try_from(&cfg).unwrap();
        table.remove("paths");
        let back = parse_settings(&toml::to_string(&table).unwrap(), Path::new("s.toml")).unwrap();
        assert_eq!(back, cfg);
        // A section given in part keeps the defaults of the rest.
        let part = parse_settings("[slices]\nmin_slice_size = 5\n", Path::new("s.toml")).unwrap();
        assert_eq!(part.slices.min_slice_size, 5);
        assert_eq!(part.slices.intersections, Vec::<Vec<String>>::new());
    }

    #[test]
    fn range_errors_name_the_key_and_the_range() {
        let err = |edit: fn(&mut AuditConfig)| {
            let mut cfg = AuditConfig::default();
            edit(&mut cfg);
            cfg.check().unwrap_err().to_string()
        };
        assert_eq!(
            err(|c| c.bubble.narrowing_threshold = f64::NAN),
            "`narrowing_threshold` in [bubble] is NaN; expected a number in (0, 1]"
        );
        assert_eq!(
            err(|c| c.stats.confidence = 1.0),
            "`confidence` in [stats] is 1; expected a number in (0, 1)"
        );
        assert_eq!(
            err(|c| c.bubble.slope_threshold = f64::INFINITY),
            "`slope_threshold` in [bubble] is inf; expected a finite number of at least 0"
        );
        assert_eq!(
            err(|c| c.k = 0),
            "`k` is 0; expected an integer of at least 1"
        );
        assert_eq!(
            err(|c| c.bubble.n_clusters = Some(1)),
            "`n_clusters` in [bubble] is 1; expected an integer from 2 to 100"
        );
        assert_eq!(
            err(|c| c.stats.resamples = 100_001),
            "`resamples` in [stats] is 100001; expected 0 (no intervals) or an integer from 2 to 100000"
        );
        assert_eq!(
            err(|c| c.slices.intersections = vec![vec!["a".into(), "a".into()]]),
            "`intersections` entry 1 in [slices] is [\"a\", \"a\"]; expected 2 or 3 distinct slice column names"
        );
        assert_eq!(
            err(|c| c.buckets = vec![Bucketing { column: "age".into(), edges: vec![f64::NAN] }]),
            "`buckets` entry 1 is age = [NaN]; expected one or more finite, strictly increasing edges"
        );
        assert_eq!(
            err(|c| c.columns.user = String::new()),
            "`user` in [columns] is \"\"; expected a column name (not empty)"
        );
        assert_eq!(
            err(|c| c.position_weight = PositionWeight::Rbp { patience: 0.0 }),
            "`patience` in [position_weight] is 0; expected a number in (0, 1]"
        );
    }

    #[test]
    fn bootstrap_settings_are_validated() {
        let mut cfg = AuditConfig::default();
        assert!(cfg.validate().is_ok());
        for (resamples, units, ok) in [(1, 4_096, false), (0, 0, true), (1_000, 99, false)] {
            cfg.stats.resamples = resamples;
            cfg.stats.bootstrap_units = units;
            assert_eq!(
                cfg.validate().is_ok(),
                ok,
                "B = {resamples}, units = {units}"
            );
        }
        cfg.stats.bootstrap_units = 100;
        assert!(cfg.validate().is_ok());
    }
}
