//! Output folders that are never half-written.
//!
//! Every run writes into a staging folder and moves the result into place only when all of it has
//! been written, so a run that fails part-way leaves the previous output whole, and a file of an
//! earlier run never survives next to the files of a later one.
//!
//! - `recaudit audit` replaces its `--out` folder as a whole ([`Staging::folder`]): the run is
//!   written to `<out>.recaudit-tmp-<pid>` next to it; the old folder is then renamed aside to
//!   `<out>.recaudit-old-<pid>`, the new one renamed into place, and the old one deleted (renamed
//!   back when the second rename fails). A folder that holds anything recaudit does not write is
//!   refused rather than deleted.
//! - `report`, `gate` and `compare` add files to a folder that usually holds the `audit.json` they
//!   read, so they replace only their own entries ([`Staging::entries`]): the new entries are
//!   written to `<out>/.recaudit-tmp-<pid>/`, the old ones are renamed aside, the new ones renamed
//!   into place (each rename is atomic), and on failure the old ones are put back.
//!
//! The staging folder is deleted when the run fails (the [`Staging`] is dropped without
//! [`Staging::commit`]). A run killed outright can leave it behind; it is never read, and the
//! folder it names (with the process id) can be deleted.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The files and folders recaudit writes into an output folder.
pub const OUTPUT_ENTRIES: &[&str] = &[
    super::AUDIT_FILE,
    "report.html",
    "charts",
    crate::gate::COMPARE_FILE,
    crate::gate::COMPARE_TABLE_FILE,
    crate::gate::JUNIT_FILE,
    crate::tables::TABLES_DIR,
];

/// The folders recaudit writes into an output folder, each with the extensions of the files it
/// writes there: the charts of a report and the CSV tables.
const FOLDERS: &[(&str, &[&str])] = &[
    ("charts", &[".svg", ".png"]),
    (crate::tables::TABLES_DIR, &[".csv"]),
];

/// Marks a staging folder (followed by the process id).
const STAGING_TAG: &str = ".recaudit-tmp-";
/// Marks a replaced folder or entries on their way out (followed by the process id).
const OLD_TAG: &str = ".recaudit-old-";

/// Files some systems add to any folder a user opens; they are replaced with the rest.
const SYSTEM_FILES: &[&str] = &[".DS_Store", "Thumbs.db", "desktop.ini"];

/// An output being written; [`Staging::commit`] moves it into place, dropping it deletes it.
#[derive(Debug)]
pub struct Staging {
    /// The output folder as the user named it (for messages).
    shown: PathBuf,
    /// The output folder, resolved.
    target: PathBuf,
    /// Where this run writes.
    dir: PathBuf,
    replaced: Replaced,
}

/// What a run replaces in its output folder.
#[derive(Debug)]
enum Replaced {
    /// The whole folder is replaced.
    Folder,
    /// These entries of the folder are replaced; the rest of it is left alone.
    Entries(Vec<&'static str>),
}

impl Staging {
    /// Starts a run that replaces the folder `out` as a whole (see [`check_replaceable`]). The
    /// staging folder is created next to it, on the same file system, so that the final renames
    /// cannot fail for crossing devices.
    pub fn folder(out: &Path) -> Result<Staging> {
        let target = resolve(out)?;
        check_replaceable(out, &target)?;
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
        }
        let dir = sibling(&target, STAGING_TAG);
        fresh_dir(&dir)?;
        Ok(Staging {
            shown: out.to_path_buf(),
            target,
            dir,
            replaced: Replaced::Folder,
        })
    }

    /// Starts a run that replaces the entries `names` of the folder `out` (created when missing)
    /// and leaves everything else in it alone. An existing entry must be one recaudit wrote.
    pub fn entries(out: &Path, names: &[&'static str]) -> Result<Staging> {
        fs::create_dir_all(out)
            .with_context(|| format!("{}: cannot create the output folder", out.display()))?;
        for name in names {
            check_entry(out, name)?;
        }
        let dir = out.join(format!("{STAGING_TAG}{}", std::process::id()));
        fresh_dir(&dir)?;
        Ok(Staging {
            shown: out.to_path_buf(),
            target: out.to_path_buf(),
            dir,
            replaced: Replaced::Entries(names.to_vec()),
        })
    }

    /// Fails unless [`Staging::folder`] may replace `out` (see [`check_replaceable`]).
    pub fn check_folder(out: &Path) -> Result<()> {
        check_replaceable(out, &resolve(out)?)
    }

    /// The folder this run writes into.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where `name` will be once the run is committed (for messages).
    pub fn final_path(&self, name: &str) -> PathBuf {
        self.shown.join(name)
    }

    /// Moves the staged output into place.
    pub fn commit(self) -> Result<()> {
        match &self.replaced {
            Replaced::Folder => self.swap_folder(),
            Replaced::Entries(names) => self.swap_entries(names),
        }
    }

    fn swap_folder(&self) -> Result<()> {
        let shown = self.shown.display();
        // Checked again: a file may have been added while the audit ran.
        check_replaceable(&self.shown, &self.target)?;
        let Ok(meta) = fs::symlink_metadata(&self.target) else {
            return fs::rename(&self.dir, &self.target)
                .with_context(|| format!("{shown}: cannot move the new output into place"));
        };
        // The folder keeps its permissions (an output folder made private stays private).
        fs::set_permissions(&self.dir, meta.permissions())
            .with_context(|| format!("{shown}: cannot copy the folder's permissions"))?;
        let old = sibling(&self.target, OLD_TAG);
        if fs::symlink_metadata(&old).is_ok() {
            remove(&old)?;
        }
        fs::rename(&self.target, &old)
            .with_context(|| format!("{shown}: cannot move the previous output aside"))?;
        if let Err(e) = fs::rename(&self.dir, &self.target) {
            return match fs::rename(&old, &self.target) {
                Ok(()) => Err(e).with_context(|| {
                    format!("{shown}: cannot move the new output into place; the previous output is unchanged")
                }),
                Err(back) => Err(e).with_context(|| {
                    format!(
                        "{shown}: cannot move the new output into place, nor the previous output back ({back}); it is in {}",
                        old.display()
                    )
                }),
            };
        }
        if let Err(e) = fs::remove_dir_all(&old) {
            eprintln!(
                "warning: {}: cannot delete the previous output: {e}",
                old.display()
            );
        }
        Ok(())
    }

    fn swap_entries(&self, names: &[&'static str]) -> Result<()> {
        let shown = self.shown.display();
        let old = self.target.join(format!("{OLD_TAG}{}", std::process::id()));
        fresh_dir(&old)?;
        let mut aside: Vec<&str> = Vec::new();
        let mut placed: Vec<&str> = Vec::new();
        let mut moves = || -> io::Result<()> {
            for name in names {
                let here = self.target.join(name);
                if fs::symlink_metadata(&here).is_ok() {
                    fs::rename(&here, old.join(name))?;
                    aside.push(name);
                }
            }
            for name in names {
                let new = self.dir.join(name);
                if fs::symlink_metadata(&new).is_ok() {
                    fs::rename(&new, self.target.join(name))?;
                    placed.push(name);
                }
            }
            Ok(())
        };
        if let Err(e) = moves() {
            let mut restored = true;
            for name in &placed {
                restored &= remove(&self.target.join(name)).is_ok();
            }
            for name in &aside {
                restored &= fs::rename(old.join(name), self.target.join(name)).is_ok();
            }
            if restored {
                let _ = fs::remove_dir_all(&old);
                return Err(e).with_context(|| {
                    format!("{shown}: cannot move the new files into place; the previous ones are unchanged")
                });
            }
            return Err(e).with_context(|| {
                format!(
                    "{shown}: cannot move the new files into place, nor all previous ones back; they are in {}",
                    old.display()
                )
            });
        }
        if let Err(e) = fs::remove_dir_all(&old) {
            eprintln!(
                "warning: {}: cannot delete the previous files: {e}",
                old.display()
            );
        }
        Ok(())
    }
}

impl Drop for Staging {
    /// Deletes the staging folder: the whole run when it was not committed, an empty folder after
    /// [`Staging::entries`] were committed, and nothing after a committed [`Staging::folder`]
    /// (renamed into place).
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Fails unless recaudit may replace the folder `out` as a whole: it does not exist, is empty, or
/// holds only what recaudit writes ([`OUTPUT_ENTRIES`], a `charts` folder of charts, leftovers of
/// an interrupted run and files such as `.DS_Store`). `target` is `out` resolved.
pub fn check_replaceable(out: &Path, target: &Path) -> Result<()> {
    let shown = out.display();
    let meta = match fs::symlink_metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("{shown}: cannot read the output folder")),
    };
    if !meta.is_dir() {
        bail!("{shown}: exists and is not a folder; --out names the folder recaudit writes its output to");
    }
    if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize) {
        if cwd.starts_with(target) {
            bail!("{shown}: is or holds the current folder; recaudit replaces its output folder as a whole, so give --out another folder");
        }
    }
    let mut foreign = Vec::new();
    for name in entry_names(target, &shown)? {
        let ours = name.starts_with(STAGING_TAG)
            || name.starts_with(OLD_TAG)
            || SYSTEM_FILES.contains(&name.as_str())
            || (OUTPUT_ENTRIES.contains(&name.as_str()) && check_entry(target, &name).is_ok());
        if !ours {
            foreign.push(name);
        }
    }
    if let Some(first) = foreign.first() {
        let more = match foreign.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        bail!(
            "{shown}: not a recaudit output folder (it holds `{first}`{more}, which recaudit did not write); recaudit replaces its output folder as a whole, so give --out a new or empty folder, or one an earlier audit wrote"
        );
    }
    Ok(())
}

/// Fails when the entry `name` of `dir` exists but is not what recaudit writes under that name: a
/// file for the files, a folder of `.svg` and `.png` files for `charts`, of `.csv` files for
/// `tables`.
fn check_entry(dir: &Path, name: &str) -> Result<()> {
    let path = dir.join(name);
    let Ok(meta) = fs::symlink_metadata(&path) else {
        return Ok(());
    };
    let shown = path.display();
    if let Some((_, extensions)) = FOLDERS.iter().find(|(folder, _)| *folder == name) {
        if !meta.is_dir() {
            bail!("{shown}: is not a folder recaudit wrote; give --out another folder");
        }
        for file in entry_names(&path, &shown)? {
            let is_ours = extensions.iter().any(|ext| file.ends_with(ext))
                && fs::symlink_metadata(path.join(&file)).is_ok_and(|m| m.is_file());
            if !is_ours && !SYSTEM_FILES.contains(&file.as_str()) {
                bail!("{shown}: holds `{file}`, which recaudit did not write; give --out another folder");
            }
        }
        return Ok(());
    }
    if !meta.is_file() {
        bail!("{shown}: is not a file recaudit wrote; give --out another folder");
    }
    Ok(())
}

/// The names in a folder, sorted (so that messages name the same entry every time).
fn entry_names(dir: &Path, shown: &impl std::fmt::Display) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("{shown}: cannot list the folder"))? {
        let entry = entry.with_context(|| format!("{shown}: cannot list the folder"))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// `out` as an absolute path without `.` or `..` components, symbolic links resolved where it
/// exists, so that the staging folder is made next to the real folder.
fn resolve(out: &Path) -> Result<PathBuf> {
    let shown = out.display();
    if fs::symlink_metadata(out).is_ok() {
        return fs::canonicalize(out).with_context(|| format!("{shown}: cannot resolve the path"));
    }
    let abs =
        std::path::absolute(out).with_context(|| format!("{shown}: cannot resolve the path"))?;
    // The deepest existing ancestor, resolved, then the missing part (which has no links).
    let mut existing = abs.as_path();
    let mut missing = Vec::new();
    while fs::symlink_metadata(existing).is_err() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                missing.push(name.to_os_string());
                existing = parent;
            }
            _ => bail!("{shown}: --out must name a folder"),
        }
    }
    let mut path =
        fs::canonicalize(existing).with_context(|| format!("{shown}: cannot resolve the path"))?;
    for name in missing.iter().rev() {
        if name == ".." {
            path.pop();
        } else if name != "." {
            path.push(name);
        }
    }
    if path.file_name().is_none() {
        bail!("{shown}: --out must name a folder");
    }
    Ok(path)
}

/// `<path><tag><pid>` next to `path`.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!("{tag}{}", std::process::id()));
    path.with_file_name(name)
}

/// Creates an empty folder at `dir`, first deleting one an earlier process with the same id left.
fn fresh_dir(dir: &Path) -> Result<()> {
    if fs::symlink_metadata(dir).is_ok() {
        remove(dir)?;
    }
    fs::create_dir(dir)
        .with_context(|| format!("{}: cannot create the staging folder", dir.display()))
}

/// Deletes a file or a folder.
fn remove(path: &Path) -> Result<()> {
    let meta =
        fs::symlink_metadata(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
    .with_context(|| format!("{}: cannot delete", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        entry_names(dir, &dir.display()).unwrap()
    }

    #[test]
    fn a_folder_is_replaced_whole_and_keeps_its_permissions() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out.join("audit.json"), "old");
        write(&out.join("gates.junit.xml"), "old gates");
        write(&out.join("charts/a.svg"), "old chart");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&out, fs::Permissions::from_mode(0o700)).unwrap();
        }

        let staging = Staging::folder(&out).unwrap();
        write(&staging.dir().join("audit.json"), "new");
        assert_eq!(fs::read_to_string(out.join("audit.json")).unwrap(), "old");
        staging.commit().unwrap();

        assert_eq!(names(&out), ["audit.json"]);
        assert_eq!(fs::read_to_string(out.join("audit.json")).unwrap(), "new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
        }
        // Neither the staging folder nor the old one is left next to it.
        assert_eq!(names(tmp.path()), ["out"]);
    }

    #[test]
    fn a_run_that_is_not_committed_leaves_the_previous_output() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out.join("audit.json"), "old");
        let staging = Staging::folder(&out).unwrap();
        write(&staging.dir().join("audit.json"), "half");
        drop(staging);
        assert_eq!(fs::read_to_string(out.join("audit.json")).unwrap(), "old");
        assert_eq!(names(tmp.path()), ["out"]);

        // A new folder, too: nothing is created until the commit.
        let fresh = tmp.path().join("a/b/new");
        drop(Staging::folder(&fresh).unwrap());
        assert!(!fresh.exists());
        let staging = Staging::folder(&fresh).unwrap();
        write(&staging.dir().join("audit.json"), "new");
        staging.commit().unwrap();
        assert_eq!(names(&fresh), ["audit.json"]);
    }

    #[test]
    fn a_folder_recaudit_did_not_write_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out.join("audit.json"), "old");
        write(&out.join("notes.txt"), "mine");
        write(&out.join("todo.md"), "mine");
        let e = Staging::folder(&out).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: not a recaudit output folder (it holds `notes.txt` and 1 more, which recaudit did not write); recaudit replaces its output folder as a whole, so give --out a new or empty folder, or one an earlier audit wrote",
                out.display()
            )
        );
        assert_eq!(names(&out), ["audit.json", "notes.txt", "todo.md"]);
        assert_eq!(names(tmp.path()), ["out"]);

        // A charts folder with a file that is not a chart is not recaudit's either.
        let out = tmp.path().join("charts-out");
        write(&out.join("charts/a.svg"), "chart");
        write(&out.join("charts/data.csv"), "mine");
        let e = Staging::folder(&out).unwrap_err().to_string();
        assert!(e.contains("it holds `charts`"), "{e}");
        let e = Staging::entries(&out, &["report.html", "charts"])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{}: holds `data.csv`, which recaudit did not write; give --out another folder",
                out.join("charts").display()
            )
        );

        // Nor is a tables folder with a file that is not a CSV table, nor a file named tables.
        let out = tmp.path().join("tables-out");
        write(&out.join("tables/gates.csv"), "table");
        write(&out.join("tables/notes.xlsx"), "mine");
        let e = Staging::folder(&out).unwrap_err().to_string();
        assert!(e.contains("it holds `tables`"), "{e}");
        let out = tmp.path().join("tables-file");
        write(&out.join("tables"), "mine");
        let e = Staging::entries(&out, &["report.html", "charts", "tables"])
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("tables: is not a folder recaudit wrote; give --out another folder"),
            "{e}"
        );

        // A file where the folder should be.
        let file = tmp.path().join("file");
        write(&file, "x");
        let e = Staging::folder(&file).unwrap_err().to_string();
        assert!(e.ends_with(": exists and is not a folder; --out names the folder recaudit writes its output to"), "{e}");

        // An empty folder, and one of recaudit's files and system files, are fine.
        fs::create_dir(tmp.path().join("empty")).unwrap();
        Staging::check_folder(&tmp.path().join("empty")).unwrap();
        let ours = tmp.path().join("ours");
        write(&ours.join("report.html"), "r");
        write(&ours.join(".DS_Store"), "x");
        write(&ours.join("charts/b.png"), "png");
        write(&ours.join("tables/metrics_by_group.csv"), "csv");
        Staging::check_folder(&ours).unwrap();
    }

    #[test]
    fn entries_replace_only_their_own_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        write(&out.join("audit.json"), "audit");
        write(&out.join("policy.toml"), "mine");
        write(&out.join("report.html"), "old report");
        write(&out.join("charts/stale.svg"), "stale");

        let staging = Staging::entries(&out, &["report.html", "charts"]).unwrap();
        write(&staging.dir().join("report.html"), "new report");
        write(&staging.dir().join("charts/new.svg"), "new");
        assert_eq!(staging.final_path("report.html"), out.join("report.html"));
        staging.commit().unwrap();

        assert_eq!(
            names(&out),
            ["audit.json", "charts", "policy.toml", "report.html"]
        );
        assert_eq!(names(&out.join("charts")), ["new.svg"]);
        assert_eq!(
            fs::read_to_string(out.join("report.html")).unwrap(),
            "new report"
        );
        assert_eq!(fs::read_to_string(out.join("audit.json")).unwrap(), "audit");

        // Not committed: nothing changes and no staging folder is left.
        let staging = Staging::entries(&out, &[crate::gate::JUNIT_FILE]).unwrap();
        write(&staging.dir().join(crate::gate::JUNIT_FILE), "half");
        drop(staging);
        assert_eq!(
            names(&out),
            ["audit.json", "charts", "policy.toml", "report.html"]
        );

        // An entry the run did not produce is removed: it belonged to an earlier run.
        let staging = Staging::entries(&out, &["report.html"]).unwrap();
        staging.commit().unwrap();
        assert_eq!(names(&out), ["audit.json", "charts", "policy.toml"]);
    }
}
