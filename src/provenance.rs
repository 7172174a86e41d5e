//! Where an audit's numbers come from, as `audit.json` records it: each input file read (the path
//! as given, its size and SHA-256) and the policy the gates were judged against (path, SHA-256
//! and its gates as parsed). The tool's version and the settings are recorded beside it
//! (`tool`, `settings`).
//!
//! Nothing here depends on the time or the machine: the paths are the ones given on the command
//! line (or in the settings file), so the same command on the same files writes the same bytes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::gate::{Gate, Policy};
use crate::input::files::{read_text_file, sha256_file, sha256_hex};
use crate::input::TablePaths;

/// The files behind an audit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Provenance {
    /// Each input table read, in the order of the flags (recs, users, items, truth, history);
    /// a table not given is absent; a partitioned table (a folder) is each of its files in name
    /// order.
    pub inputs: Vec<InputFile>,
    /// The policy, when `--policy` was given.
    pub policy: Option<PolicyFile>,
}

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// The table it holds (`recs`, `users`, `items`, `truth`, `history`).
    pub table: String,
    /// The path as given.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// The table was a data frame handed over in memory (the Python package), not a file: `path`
    /// is the name it was given (such as `<recs: polars.DataFrame>`), `bytes` is 0 and `sha256`
    /// is empty, since there are no file bytes to hash. Absent for a file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_memory: bool,
}

/// The policy file and the gates read from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyFile {
    /// The path as given.
    pub path: PathBuf,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Its gates as parsed, with every default filled in.
    pub gates: Vec<Gate>,
}

impl Provenance {
    /// Hashes every input file of `paths` (one streaming pass each) and, when given, the policy
    /// file `policy` was loaded from.
    pub fn of(paths: &TablePaths, policy: Option<&Policy>) -> anyhow::Result<Provenance> {
        let given: [(&'static str, Option<&Path>); 6] = [
            ("recs", Some(&paths.recs)),
            ("users", Some(&paths.users)),
            ("items", paths.items.as_deref()),
            ("truth", paths.truth.as_deref()),
            ("history", paths.history.as_deref()),
            ("baseline_recs", paths.baseline_recs.as_deref()),
        ];
        let mut inputs = Vec::new();
        for (table, path) in given {
            let Some(path) = path else { continue };
            if path.is_dir() {
                // A partitioned table's folder: each of its files, in name order.
                for file in partition_files(path, table)? {
                    inputs.push(input_file(table, &file)?);
                }
            } else {
                inputs.push(input_file(table, path)?);
            }
        }
        let policy = policy.map(PolicyFile::of).transpose()?;
        Ok(Provenance { inputs, policy })
    }
}

/// The files of a partitioned table's folder in name order, without the names a writer leaves
/// beside them (starting with `.` or `_`, such as Spark's `_SUCCESS` and `.crc` files).
fn partition_files(dir: &Path, table: &'static str) -> Result<Vec<PathBuf>> {
    let read_error = |e: std::io::Error| crate::error::Error::Read {
        path: dir.to_path_buf(),
        table,
        message: e.to_string(),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let name = entry.file_name();
        let hidden = name.to_string_lossy().starts_with(['.', '_']);
        if !hidden && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

fn input_file(table: &'static str, path: &Path) -> Result<InputFile> {
    let in_memory = crate::input::memory::holds(path);
    let (bytes, sha256) = if in_memory {
        (0, String::new())
    } else {
        sha256_file(path, table)?
    };
    Ok(InputFile {
        table: table.to_string(),
        path: path.to_path_buf(),
        bytes,
        sha256,
        in_memory,
    })
}

impl PolicyFile {
    /// The file `policy` was loaded from (read again for its hash), with its gates. A policy not
    /// read from a file is recorded under the path `-` with the hash of no bytes.
    pub fn of(policy: &Policy) -> anyhow::Result<PolicyFile> {
        let (path, sha256) = match &policy.path {
            Some(path) => {
                let text = read_text_file(path).map_err(|why| {
                    anyhow::anyhow!(
                        "{}: cannot read the policy: {why}",
                        crate::text::visible(&path.to_string_lossy())
                    )
                })?;
                (path.clone(), sha256_hex(text.as_bytes()))
            }
            None => (PathBuf::from("-"), sha256_hex(&[])),
        };
        Ok(PolicyFile {
            path,
            sha256,
            gates: policy.gates.clone(),
        })
    }
}
