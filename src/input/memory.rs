//! Tables held in memory instead of files: a data frame handed over by a host program (the Python
//! package hands over the frames of a notebook through the Arrow C stream interface) and read by
//! the same readers, with the same checks and messages, as a file.
//!
//! A frame is registered under a name that stands in for the file's path (such as
//! `<recs: polars.DataFrame>`); every reader that is given that path reads the frame instead
//! ([`Format::Memory`](super::table::Format::Memory)): only the columns needed are selected, and
//! messages name the frame as they would name a file. The registration lasts as long as the
//! [`Registered`] guard.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, RwLock};

use polars::prelude::DataFrame;

static FRAMES: LazyLock<RwLock<HashMap<PathBuf, DataFrame>>> = LazyLock::new(Default::default);

/// A frame registered under a path; dropping it removes the registration.
#[derive(Debug)]
pub struct Registered {
    path: PathBuf,
}

impl Registered {
    /// The path the frame stands under.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut frames) = FRAMES.write() {
            frames.remove(&self.path);
        }
    }
}

/// Registers `frame` under `path` until the returned guard is dropped (a frame registered earlier
/// under the same path is replaced).
pub fn register(path: impl Into<PathBuf>, frame: DataFrame) -> Registered {
    let path = path.into();
    FRAMES
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(path.clone(), frame);
    Registered { path }
}

/// The frame registered under `path` (a cheap copy: the columns are shared).
pub fn frame(path: &Path) -> Option<DataFrame> {
    FRAMES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(path)
        .cloned()
}

/// Whether a frame is registered under `path`.
pub fn holds(path: &Path) -> bool {
    FRAMES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .contains_key(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::input::test_files::write;
    use crate::input::{load, InputConfig, TablePaths};
    use polars::prelude::*;

    /// The CSV text `text` as polars reads it into a frame (numbers as numbers).
    fn frame_of(dir: &Path, name: &str, text: &str) -> DataFrame {
        let path = write(dir, name, text);
        LazyCsvReader::new(PlRefPath::new(path.to_string_lossy().as_ref()))
            .with_has_header(true)
            .finish()
            .unwrap()
            .collect()
            .unwrap()
    }

    #[test]
    fn frames_in_memory_load_as_the_same_tables_in_files() {
        let dir = tempfile::tempdir().unwrap();
        let tables = [
            (
                "recs",
                "user_id,item_id,rank\nb,x,2\nb,y,1\na,z,1\nb,w,3\nc,x,1\n",
            ),
            ("users", "user_id,g\na,1\nb,2\nc,1\n"),
            (
                "truth",
                "user_id,item_id,relevance\na,x,1\nb,new,2\nc,y,0\n",
            ),
            (
                "history",
                "user_id,item_id,timestamp\nc,h1,5\na,y,1\nb,x,9\n",
            ),
        ];
        let mut files = TablePaths::default();
        let mut frames = TablePaths::default();
        let mut guards = Vec::new();
        for (name, text) in tables {
            files.set(name, write(dir.path(), &format!("{name}.csv"), text));
            let frame = frame_of(dir.path(), &format!("{name}-frame.csv"), text);
            let guard = register(format!("<{name}: test frame>"), frame);
            frames.set(name, guard.path().to_path_buf());
            guards.push(guard);
        }
        let from_files = load(&InputConfig::new(files, 2)).unwrap();
        let from_frames = load(&InputConfig::new(frames, 2)).unwrap();
        assert_eq!(from_frames.1, from_files.1);
        assert_eq!(from_frames.0, from_files.0);
        assert_eq!(from_frames.1.recs_rows_beyond_k, 1);
    }

    #[test]
    fn a_missing_column_names_the_frame_and_the_column() {
        let dir = tempfile::tempdir().unwrap();
        let recs = register(
            "<recs: test frame 2>",
            frame_of(dir.path(), "r.csv", "user_id,item_id,rank\na,x,1\n"),
        );
        let users = register(
            "<users: test frame 2>",
            frame_of(dir.path(), "u.csv", "uid,g\na,1\n"),
        );
        let paths = TablePaths {
            recs: recs.path().to_path_buf(),
            users: users.path().to_path_buf(),
            ..TablePaths::default()
        };
        let err = load(&InputConfig::new(paths, 2)).unwrap_err();
        assert!(
            matches!(&err, Error::MissingColumn { column, path, .. }
                if column == "user_id" && path == users.path()),
            "{err}"
        );
        assert!(
            err.to_string().starts_with("<users: test frame 2>"),
            "{err}"
        );
    }

    #[test]
    fn a_registration_lasts_as_long_as_its_guard() {
        let path = Path::new("<memory test: guard>");
        let df = df!("a" => [1i64, 2]).unwrap();
        {
            let guard = register(path, df.clone());
            assert_eq!(guard.path(), path);
            assert!(holds(path));
            assert_eq!(frame(path).unwrap(), df);
        }
        assert!(!holds(path));
        assert!(frame(path).is_none());
    }
}
