//! The layout of a partitioned input folder (docs/scaling.md, "Partitioned input"): subfolders
//! `recs/` and `users/`, optionally `truth/` and `history/`, each holding one `.parquet` or `.csv`
//! file per partition under the same name (up to the extension), and an optional items table
//! `items.parquet` or `items.csv` beside them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::input::TablePaths;

/// The tables split into partitions, in the order their subfolders are checked.
pub const PARTITIONED_TABLES: [&str; 4] = ["recs", "users", "truth", "history"];

/// The files of one partition.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PartitionFiles {
    /// The partition's name: its files' name without the extension (`part-00003`).
    pub name: String,
    /// `recs/<name>.<ext>`.
    pub recs: PathBuf,
    /// `users/<name>.<ext>`.
    pub users: PathBuf,
    /// `truth/<name>.<ext>`, when the folder has `truth/`.
    pub truth: Option<PathBuf>,
    /// `history/<name>.<ext>`, when the folder has `history/`.
    pub history: Option<PathBuf>,
}

/// A partitioned input folder as found on disk.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The folder.
    pub dir: PathBuf,
    /// The items table at the top of the folder, when there is one.
    pub items: Option<PathBuf>,
    /// The partitions in ascending order of their names (byte order).
    pub partitions: Vec<PartitionFiles>,
}

impl Layout {
    /// The layout of the folder `dir`. Errors, each naming the folder or file and what was
    /// expected: `dir` is not a folder; it has no `recs/` or `users/` subfolder; a table's
    /// subfolder holds a subfolder, a file that is neither `.parquet` nor `.csv`, or two files
    /// of one name (`part-1.csv` and `part-1.parquet`); `recs/` holds no file; the subfolders do
    /// not hold the same names; both `items.parquet` and `items.csv` are present. Names starting
    /// with `.` or `_` (Spark's `_SUCCESS` and `.crc` files) are ignored.
    pub fn read(dir: &Path) -> Result<Layout> {
        let bad = |path: &Path, message: String| Error::BadTable {
            path: path.to_path_buf(),
            message,
        };
        if !dir.is_dir() {
            return Err(bad(
                dir,
                "not a folder; a partitioned input is a folder with the subfolders recs/ and \
                 users/ (and optionally truth/ and history/), each holding one .parquet or .csv \
                 file per partition"
                    .into(),
            ));
        }
        let mut tables: Vec<Option<BTreeMap<String, PathBuf>>> = Vec::new();
        for table in PARTITIONED_TABLES {
            let sub = dir.join(table);
            let required = matches!(table, "recs" | "users");
            if !sub.exists() && !required {
                tables.push(None);
                continue;
            }
            if !sub.is_dir() {
                return Err(bad(
                    &sub,
                    format!(
                        "expected a folder `{table}/` holding one .parquet or .csv file per \
                         partition{}",
                        if required { " (required)" } else { "" }
                    ),
                ));
            }
            tables.push(Some(files_of(&sub, table)?));
        }
        let recs = tables[0].as_ref().expect("required");
        if recs.is_empty() {
            return Err(bad(
                &dir.join("recs"),
                "no partition: the folder holds no .parquet or .csv file".into(),
            ));
        }
        // Every table's folder holds the names of recs/, and no other.
        for (table, files) in PARTITIONED_TABLES.iter().zip(&tables).skip(1) {
            let Some(files) = files else { continue };
            let sub = dir.join(table);
            if let Some((name, path)) = recs.iter().find(|(n, _)| !files.contains_key(*n)) {
                return Err(bad(
                    &sub,
                    format!(
                        "no file for partition `{name}` ({}): every table's folder holds one \
                         file per partition, under the names of recs/",
                        path.display()
                    ),
                ));
            }
            if let Some((name, path)) = files.iter().find(|(n, _)| !recs.contains_key(*n)) {
                return Err(bad(
                    path,
                    format!(
                        "recs/ has no file named `{name}`: every table's folder holds one file \
                         per partition, under the names of recs/"
                    ),
                ));
            }
        }
        let partitions = recs
            .iter()
            .map(|(name, path)| {
                let of = |t: usize| tables[t].as_ref().map(|f| f[name].clone());
                PartitionFiles {
                    name: name.clone(),
                    recs: path.clone(),
                    users: of(1).expect("required"),
                    truth: of(2),
                    history: of(3),
                }
            })
            .collect();
        let items: Vec<PathBuf> = ["items.parquet", "items.csv"]
            .iter()
            .map(|f| dir.join(f))
            .filter(|p| p.exists())
            .collect();
        if items.len() > 1 {
            return Err(bad(
                dir,
                "both items.parquet and items.csv are present; keep one items table".into(),
            ));
        }
        Ok(Layout {
            dir: dir.to_path_buf(),
            items: items.into_iter().next(),
            partitions,
        })
    }

    /// The tables of partition `p` as the one-pass loader takes them (the items table shared).
    pub fn paths(&self, p: &PartitionFiles) -> TablePaths {
        TablePaths {
            recs: p.recs.clone(),
            users: p.users.clone(),
            items: self.items.clone(),
            truth: p.truth.clone(),
            history: p.history.clone(),
            baseline_recs: None,
        }
    }

    /// The paths `audit.json` echoes in `settings.paths`: each partitioned table's folder, and
    /// the items table.
    pub fn echoed_paths(&self) -> TablePaths {
        let first = &self.partitions[0];
        TablePaths {
            recs: self.dir.join("recs"),
            users: self.dir.join("users"),
            items: self.items.clone(),
            truth: first.truth.as_ref().map(|_| self.dir.join("truth")),
            history: first.history.as_ref().map(|_| self.dir.join("history")),
            baseline_recs: None,
        }
    }
}

/// The partition files of the table folder `sub`, by name without the extension.
fn files_of(sub: &Path, table: &str) -> Result<BTreeMap<String, PathBuf>> {
    let bad = |path: PathBuf, message: String| Error::BadTable { path, message };
    let entries = std::fs::read_dir(sub).map_err(|e| bad(sub.to_path_buf(), e.to_string()))?;
    let mut out: BTreeMap<String, PathBuf> = BTreeMap::new();
    for entry in entries {
        let entry = entry.map_err(|e| bad(sub.to_path_buf(), e.to_string()))?;
        let path = entry.path();
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.starts_with('.') || file.starts_with('_') {
            continue;
        }
        if path.is_dir() {
            return Err(bad(
                path,
                format!(
                    "a folder inside {table}/: expected one .parquet or .csv file per partition \
                     (folders such as Spark's `column=value` partitions are not read)"
                ),
            ));
        }
        let name = match (file.strip_suffix(".parquet"), file.strip_suffix(".csv")) {
            (Some(name), _) | (None, Some(name)) => name.to_string(),
            (None, None) => {
                return Err(bad(
                    path,
                    format!("unsupported file in {table}/: expected .parquet or .csv files"),
                ))
            }
        };
        if let Some(other) = out.insert(name.clone(), path.clone()) {
            return Err(bad(
                path,
                format!(
                    "two files of partition `{name}` in {table}/ (also {}): keep one",
                    other.display()
                ),
            ));
        }
    }
    Ok(out)
}
