//! The `--config` settings file: TOML read into an [`AuditConfig`]. A key or section the settings do
//! not have is an error naming its section and the nearest valid key (or the section where the key
//! belongs); other errors give the line and column.

use std::path::Path;

use anyhow::{bail, Result};

use crate::gate::policy::nearest_name;
use crate::settings::AuditConfig;

/// Reads the `--config` file (see [`parse_settings`]).
pub(super) fn read_settings(path: &Path) -> Result<AuditConfig> {
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
    "paths",
    "data",
    "recs",
    "users",
    "items",
    "truth",
    "history",
    "baseline_recs",
];

/// Top-level keys the serialised defaults leave out (they are echoed only when set).
const UNSET_KEYS: &[&str] = &["rbo_persistence"];

impl KnownKeys {
    fn new() -> KnownKeys {
        // Settings echoed only when set are set here, so that their keys are known too.
        let mut every = AuditConfig {
            allow_unmatched_ids: true,
            ..AuditConfig::default()
        };
        every.privacy.epsilon = Some(1.0);
        every.privacy.metrics = Some(Vec::new());
        let defaults = serde_json::to_value(every).expect("the default settings serialise");
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
        top.extend(UNSET_KEYS.iter().map(|k| k.to_string()));
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
                "{head}: input files are given on the command line (--data, or --recs, --users, --items, --truth, --history, --baseline-recs), not in the settings file"
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
        if let Some(k) = nearest_name(key, &here).cloned() {
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

/// Every key of the settings file as `(table, key)`, sorted; `table` is empty for a top-level
/// key. A table-valued top-level key (`position_weight`, `[[buckets]]`) is listed as a top-level
/// key, not by its inner keys.
pub fn settings_keys() -> Vec<(String, String)> {
    let known = KnownKeys::new();
    let mut keys: Vec<(String, String)> = known
        .top
        .iter()
        .filter(|k| known.table(k).is_none() || matches!(k.as_str(), "position_weight" | "buckets"))
        .map(|k| (String::new(), k.clone()))
        .collect();
    for (table, inner) in &known.tables {
        if !matches!(table.as_str(), "position_weight" | "buckets") {
            keys.extend(inner.iter().map(|k| (table.clone(), k.clone())));
        }
    }
    keys.sort();
    keys
}

/// The settings-file text of settings given as a JSON object shaped like the file (tables as
/// objects, `buckets` as an array of objects), for a host program that holds settings as data.
pub fn settings_text_from_json(json: &str) -> Result<String> {
    let value: serde_json::Value = serde_json::from_str(json)?;
    let table = toml::Table::try_from(value)
        .map_err(|e| anyhow::anyhow!("settings cannot be written as TOML: {e}"))?;
    Ok(toml::to_string(&table)?)
}

/// The sections of the settings file as written: `[columns]`, `[slices]`, ..., `[[buckets]]`.
pub fn settings_sections() -> Vec<String> {
    KnownKeys::new().sections()
}

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
    use crate::cli::config::parse_bucket;
    use crate::metrics::PositionWeight;

    /// The error of parsing `text` as the settings file `s.toml`.
    fn settings_error(text: &str) -> String {
        parse_settings(text, Path::new("s.toml"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn settings_from_json_read_as_the_same_file() {
        let json = r#"{"k": 5, "columns": {"user": "uid"}, "stats": {"resamples": 200, "seed": 7},
            "buckets": [{"column": "age", "edges": [18, 35]}]}"#;
        let text = settings_text_from_json(json).unwrap();
        let from_json = parse_settings(&text, Path::new("kw")).unwrap();
        let from_file = parse_settings(
            "k = 5\n[columns]\nuser = \"uid\"\n[stats]\nresamples = 200\nseed = 7\n\
             [[buckets]]\ncolumn = \"age\"\nedges = [18, 35]\n",
            Path::new("f"),
        )
        .unwrap();
        assert_eq!(from_json, from_file);
        assert_eq!(from_json.k, 5);
        assert_eq!(from_json.stats.resamples, 200);
        // A key the settings do not have is reported as in a file.
        let text = settings_text_from_json(r#"{"stats": {"resample": 200}}"#).unwrap();
        let e = parse_settings(&text, Path::new("audit() keywords"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown key `resample` in [stats]; did you mean `resamples`?"),
            "{e}"
        );
    }

    #[test]
    fn settings_keys_name_each_key_with_its_table() {
        let keys = settings_keys();
        let has = |table: &str, key: &str| keys.contains(&(table.to_string(), key.to_string()));
        assert!(has("", "k") && has("", "head_share") && has("", "position_weight"));
        assert!(has("", "buckets") && has("stats", "resamples") && has("stats", "seed"));
        assert!(has("bubble", "seed") && has("columns", "user") && has("slices", "min_slice_size"));
        assert!(has("privacy", "epsilon"));
        // A table is not a key of its own, and an inner key of a weight or bucket is not listed.
        assert!(!has("", "stats") && !has("", "columns") && !has("position_weight", "patience"));
        // Every listed key is known where it is listed (a value of the wrong type may fail).
        for (table, key) in &keys {
            let text = if table.is_empty() {
                format!("{key} = 1")
            } else {
                format!("[{table}]\n{key} = 1")
            };
            if let Err(e) = parse_settings(&text, Path::new("s.toml")) {
                assert!(!e.to_string().contains("unknown"), "{table}.{key}: {e}");
            }
        }
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
                "rbo_persistance = 0.8\n",
                "s.toml: unknown top-level key `rbo_persistance`; did you mean `rbo_persistence`?",
            ),
            (
                "baseline_recs = \"b.csv\"\n",
                "s.toml: unknown top-level key `baseline_recs`: input files are given on the command line (--data, or --recs, --users, --items, --truth, --history, --baseline-recs), not in the settings file",
            ),
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
                "s.toml: unknown top-level key `history`: input files are given on the command line (--data, or --recs, --users, --items, --truth, --history, --baseline-recs), not in the settings file",
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
        cfg.rbo_persistence = Some(0.8);
        let mut table = toml::Table::try_from(&cfg).unwrap();
        table.remove("paths");
        let back = parse_settings(&toml::to_string(&table).unwrap(), Path::new("s.toml")).unwrap();
        assert_eq!(back, cfg);
        // A section given in part keeps the defaults of the rest.
        let part = parse_settings("[slices]\nmin_slice_size = 5\n", Path::new("s.toml")).unwrap();
        assert_eq!(part.slices.min_slice_size, 5);
        assert_eq!(part.slices.intersections, Vec::<Vec<String>>::new());
    }
}
