//! What the loader is given (where the tables are, their column names, the cutoff k and the bands
//! of numeric slice columns) and what it reports back about its reading ([`InputSummary`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::table::Wanted;

/// Where the input tables are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TablePaths {
    /// Recommendations (required).
    pub recs: PathBuf,
    /// Users with their demographic slice columns (required).
    pub users: PathBuf,
    /// Item attributes.
    pub items: Option<PathBuf>,
    /// Held-out relevant items.
    pub truth: Option<PathBuf>,
    /// Past interactions.
    pub history: Option<PathBuf>,
    /// The baseline run's recommendations (`--baseline-recs`), in the format of `recs`: each
    /// audited user's candidate list is compared with their baseline list (the `rbo` metric).
    /// Not one of the [`TABLES`](Self::TABLES) of a `--data` folder, which hold one run; echoed
    /// in `settings.paths` only when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_recs: Option<PathBuf>,
}

impl TablePaths {
    /// The names of the input tables, in the order of their flags on the command line; also the
    /// standard file names of the tables in a folder (`recs.csv`, `users.parquet`, ...).
    pub const TABLES: [&'static str; 5] = ["recs", "users", "items", "truth", "history"];

    /// The five tables under their standard names in the folder `dir`, each with the extension
    /// `ext` (`csv` or `parquet`): `recs.{ext}`, `users.{ext}`, `items.{ext}`, `truth.{ext}` and
    /// `history.{ext}`.
    pub fn in_folder(dir: &Path, ext: &str) -> TablePaths {
        let mut paths = TablePaths::default();
        for table in Self::TABLES {
            paths.set(table, dir.join(format!("{table}.{ext}")));
        }
        paths
    }

    /// Sets the path of the table named `table`: one of [`TablePaths::TABLES`], or
    /// `baseline_recs` (the baseline run's lists, [`TablePaths::baseline_recs`]).
    ///
    /// # Panics
    ///
    /// When `table` is none of them.
    pub fn set(&mut self, table: &str, path: PathBuf) {
        match table {
            "recs" => self.recs = path,
            "users" => self.users = path,
            "items" => self.items = Some(path),
            "truth" => self.truth = Some(path),
            "history" => self.history = Some(path),
            "baseline_recs" => self.baseline_recs = Some(path),
            _ => panic!("`{table}` is not an input table"),
        }
    }
}

/// Column names in the input files (defaults from docs/inputs.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ColumnNames {
    /// User id column (all tables).
    pub user: String,
    /// Item id column (all tables).
    pub item: String,
    /// Rank column of the recommendations (1 = top).
    pub rank: String,
    /// Score column of the recommendations (higher = better), used when there is no rank.
    pub score: String,
    /// Snapshot column of the recommendations (an ordered label).
    pub snapshot: String,
    /// Sample column of the recommendations (several sampled rankings per user).
    pub sample: String,
    /// Consent column of the users table.
    pub consent: String,
    /// Relevance column of the truth table.
    pub relevance: String,
    /// Timestamp column of the history table.
    pub timestamp: String,
    /// Category column of the items table (several joined by `|`).
    pub category: String,
    /// Popularity column of the items table.
    pub popularity: String,
    /// Feature-vector column of the items table (numbers separated by spaces or `;`).
    pub features: String,
    /// Slice columns of the users table; `None`: every column but the id and consent.
    pub slices: Option<Vec<String>>,
    /// Item group columns of the items table; `None`: every column but the id, category,
    /// popularity and features.
    pub item_groups: Option<Vec<String>>,
}

impl Default for ColumnNames {
    fn default() -> Self {
        ColumnNames {
            user: "user_id".into(),
            item: "item_id".into(),
            rank: "rank".into(),
            score: "score".into(),
            snapshot: "snapshot".into(),
            sample: "sample".into(),
            consent: "consent".into(),
            relevance: "relevance".into(),
            timestamp: "timestamp".into(),
            category: "category".into(),
            popularity: "popularity".into(),
            features: "features".into(),
            slices: None,
            item_groups: None,
        }
    }
}

impl ColumnNames {
    /// The user id column, as a column a table must have.
    pub(super) fn user_id(&self) -> Wanted<'_> {
        Wanted {
            name: &self.user,
            purpose: "user id; rename with --user-col",
        }
    }

    /// The item id column, as a column a table must have.
    pub(super) fn item_id(&self) -> Wanted<'_> {
        Wanted {
            name: &self.item,
            purpose: "item id; rename with --item-col",
        }
    }

    /// The user and item id columns, required in the recommendations, truth and history tables.
    pub(super) fn ids(&self) -> [Wanted<'_>; 2] {
        [self.user_id(), self.item_id()]
    }
}

/// A numeric user column turned into bands: `edges` [e0, e1, ..., en] give bands
/// `<e0`, `e0-e1`, ..., `>=en` (labels use the edges as written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucketing {
    /// The users-table column.
    pub column: String,
    /// Increasing band edges.
    pub edges: Vec<f64>,
}

/// Everything the loader needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputConfig {
    /// The files.
    pub paths: TablePaths,
    /// Their column names.
    pub columns: ColumnNames,
    /// The cutoff k.
    pub k: usize,
    /// Numeric slice columns to band.
    pub buckets: Vec<Bucketing>,
    /// Audit even when fewer than half of the audited users have a row in the users table (or
    /// fewer than half of the recommended items one in the items table), which otherwise stops
    /// the audit as ids that do not join.
    #[serde(default)]
    pub allow_unmatched_ids: bool,
}

impl InputConfig {
    /// The tables at `paths` with the default column names (docs/inputs.md), lists cut at `k`, no bands
    /// and ids that must join.
    pub fn new(paths: TablePaths, k: usize) -> InputConfig {
        InputConfig {
            paths,
            columns: ColumnNames::default(),
            k,
            buckets: Vec::new(),
            allow_unmatched_ids: false,
        }
    }
}

/// What was read and what was left out, with reasons (goes to `audit.json` as `input`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputSummary {
    /// Rows read per table.
    pub rows_read: BTreeMap<String, usize>,
    /// Users with at least one recommendation (the audited users).
    pub users_audited: usize,
    /// Catalog size |I|: the items table when given, else every item seen in any table.
    pub catalog_items: usize,
    /// Distinct items recommended (after the cut at k).
    pub items_recommended: usize,
    /// Recommendation rows beyond rank k, cut.
    pub recs_rows_beyond_k: usize,
    /// Recommended items missing from the items table (added to the catalog).
    pub recs_items_not_in_items_table: usize,
    /// Audited users with no row in the users table (kept out of every slice); `null` when
    /// between 1 and `min_slice_size − 1`, a count that would single those people out.
    pub users_missing_from_users_table: Option<usize>,
    /// Audited users whose consent is false or empty (kept out of every slice); `null` when
    /// between 1 and `min_slice_size − 1`.
    pub users_without_consent: Option<usize>,
    /// Users-table rows for users with no recommendation (ignored).
    pub users_without_recommendations: usize,
    /// Truth rows of users who have no recommendation (ignored).
    pub truth_rows_unaudited_users: usize,
    /// Duplicate (user, item) truth rows (the highest relevance kept).
    pub truth_duplicate_rows: usize,
    /// Audited users with no relevant item in the truth.
    pub users_without_relevant_items: usize,
    /// History rows (all kept for popularity; rows of unaudited users feed popularity only).
    pub history_users: usize,
    /// Snapshots found (0 when no snapshot column).
    pub snapshots: Vec<String>,
    /// Sampled rankings per user (0 when no sample column).
    pub samples: usize,
    /// Slice columns read from the users table.
    pub slice_columns: Vec<String>,
    /// Item group columns read from the items table.
    pub item_group_columns: Vec<String>,
    /// Audited users without a list in `--baseline-recs` (their `rbo` is undefined); absent
    /// without a baseline's lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users_without_baseline_list: Option<usize>,
    /// Users with a list in `--baseline-recs` but none in the recommendations (not audited, so
    /// left out); absent without a baseline's lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_users_not_audited: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_names_each_table_and_the_baseline_lists() {
        let dir = Path::new("in");
        let mut paths = TablePaths::in_folder(dir, "csv");
        assert_eq!(paths.recs, dir.join("recs.csv"));
        assert_eq!(paths.history, Some(dir.join("history.csv")));
        assert_eq!(paths.baseline_recs, None);
        paths.set("baseline_recs", PathBuf::from("base.csv"));
        paths.set("items", PathBuf::from("other.csv"));
        assert_eq!(paths.baseline_recs, Some(PathBuf::from("base.csv")));
        assert_eq!(paths.items, Some(PathBuf::from("other.csv")));
        assert_eq!(paths.users, dir.join("users.csv"));
    }

    #[test]
    #[should_panic(expected = "`ratings` is not an input table")]
    fn set_refuses_another_name() {
        TablePaths::default().set("ratings", PathBuf::from("r.csv"));
    }
}
