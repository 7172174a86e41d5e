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
    use polars::prelude::*;

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
