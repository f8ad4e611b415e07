//! The file watching of `phalanx serve --watch`: which folders are watched
//! for which files, and the changes they report, debounced into one batch.
//!
//! Files (the template or OpenAPI document, a `BodyS3Location` document)
//! are watched through their folder, not by themselves: editors often save
//! by writing a new file and renaming it over the old one, which a watch on
//! the old file would not see. A function's code folder is watched with
//! its subfolders, except hidden ones (`.git`, `.venv`), `__pycache__`
//! (Python writes there when it imports the code) and `node_modules`
//! (thousands of folders, which would exhaust the system's watches), and
//! hidden files and editors' backups (`.app.py.swp`, `app.py~`) are
//! ignored. Its parent folder is watched too, so that the folder removed
//! and written again (as build tools do) is seen and watched anew.

use notify::event::{AccessKind, EventKind, MetadataKind, ModifyKind};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long the files must stay quiet before a batch of changes is
/// reported: an editor's save, a `git checkout` or a build writes several
/// files in several steps.
const QUIET: Duration = Duration::from_millis(250);

/// The longest a batch waits for quiet, so that a file written without
/// pause still gets reloaded.
const LONGEST_BATCH: Duration = Duration::from_secs(3);

/// Names that a code folder's changes ignore, anywhere below it.
const IGNORED_FOLDERS: [&str; 2] = ["__pycache__", "node_modules"];

/// What changed in one batch.
#[derive(Debug, Default)]
pub struct Changes {
    /// Watched files that changed (the template, the OpenAPI document).
    pub files: BTreeSet<PathBuf>,
    /// Functions whose code folder changed.
    pub functions: BTreeSet<String>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.files.is_empty() && self.functions.is_empty()
    }
}

/// Watches the files an API was read from and its functions' code.
pub struct FileWatcher {
    watcher: RecommendedWatcher,
    events: mpsc::UnboundedReceiver<notify::Result<notify::Event>>,
    /// The folders watched now, and how.
    watched: BTreeMap<PathBuf, RecursiveMode>,
    /// The files whose change is reported (their folder's canonical path
    /// joined with their name).
    files: BTreeSet<PathBuf>,
    /// Code folders (canonical) and the functions whose code each is.
    code: BTreeMap<PathBuf, BTreeSet<String>>,
}

impl FileWatcher {
    /// A watcher that watches nothing yet.
    pub fn new() -> Result<FileWatcher, String> {
        let (tx, events) = mpsc::unbounded_channel();
        let watcher = notify::recommended_watcher(move |event| {
            // Fails only once the receiver is gone, when the server stops.
            let _ = tx.send(event);
        })
        .map_err(|e| format!("--watch: cannot watch files: {e}"))?;
        Ok(FileWatcher {
            watcher,
            events,
            watched: BTreeMap::new(),
            files: BTreeSet::new(),
            code: BTreeMap::new(),
        })
    }

    /// Watches `files` and the code folders `code` (function → folder)
    /// instead of what was watched before. A folder that cannot be watched
    /// is reported as a warning and otherwise skipped.
    pub fn watch(&mut self, files: &[PathBuf], code: &BTreeMap<String, PathBuf>) {
        let mut wanted: Vec<(PathBuf, RecursiveMode)> = Vec::new();
        self.files.clear();
        for file in files {
            let (Some(folder), Some(name)) = (parent(file), file.file_name()) else {
                continue;
            };
            // A folder that does not exist (a BodyS3Location place that
            // is not there) has nothing to watch.
            let Ok(folder) = folder.canonicalize() else {
                continue;
            };
            self.files.insert(folder.join(name));
            wanted.push((folder, RecursiveMode::NonRecursive));
        }
        self.code.clear();
        for (function, folder) in code {
            // A folder that is gone (removed to be written again, say)
            // is still recognised by its name when it comes back.
            let folder = folder
                .canonicalize()
                .unwrap_or_else(|_| std::path::absolute(folder).unwrap_or(folder.clone()));
            self.code
                .entry(folder.clone())
                .or_default()
                .insert(function.clone());
            // Its parent, which sees the folder itself removed or created.
            if let Some(above) = folder.parent().and_then(|p| p.canonicalize().ok()) {
                wanted.push((above, RecursiveMode::NonRecursive));
            }
            if !folder.is_dir() {
                continue;
            }
            // The folder, and each subfolder that is not ignored with
            // everything in it.
            if let Ok(entries) = std::fs::read_dir(&folder) {
                for entry in entries.flatten() {
                    let path = entry.path();
                    if path.is_dir() && !ignored(&entry.file_name().to_string_lossy()) {
                        wanted.push((path, RecursiveMode::Recursive));
                    }
                }
            }
            wanted.push((folder, RecursiveMode::NonRecursive));
        }
        let wanted = merge(wanted);
        // Stop watching what is no longer wanted (or wanted another way)…
        let stale: Vec<PathBuf> = self
            .watched
            .iter()
            .filter(|(path, mode)| wanted.get(*path) != Some(*mode))
            .map(|(path, _)| path.clone())
            .collect();
        for path in stale {
            // Fails when the folder is gone, and its watch with it.
            let _ = self.watcher.unwatch(&path);
            self.watched.remove(&path);
        }
        // …then watch what is new.
        for (path, mode) in wanted {
            if self.watched.contains_key(&path) {
                continue;
            }
            match self.watcher.watch(&path, mode) {
                Ok(()) => {
                    self.watched.insert(path, mode);
                }
                Err(e) => eprintln!(
                    "warning: --watch: cannot watch {}: {e}; its changes are not seen",
                    path.display()
                ),
            }
        }
    }

    /// Waits for the next batch of changes: the first relevant event, then
    /// until the files have been quiet for a moment.
    pub async fn changes(&mut self) -> Changes {
        let mut changes = Changes::default();
        // The first change.
        while changes.is_empty() {
            let event = self.events.recv().await;
            let Some(event) = event else {
                // The watcher is gone: nothing will ever change.
                return std::future::pending().await;
            };
            self.note(event, &mut changes);
        }
        // Then quiet.
        let deadline = tokio::time::Instant::now() + LONGEST_BATCH;
        loop {
            let quiet = tokio::time::sleep(QUIET);
            let event = tokio::select! {
                event = self.events.recv() => event,
                () = quiet => break,
                () = tokio::time::sleep_until(deadline) => break,
            };
            match event {
                Some(event) => self.note(event, &mut changes),
                None => break,
            }
        }
        changes
    }

    /// Adds what `event` says changed to `changes`.
    fn note(&mut self, event: notify::Result<notify::Event>, changes: &mut Changes) {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                eprintln!("warning: --watch: {e}");
                return;
            }
        };
        if !changes_content(&event.kind) {
            return;
        }
        for path in &event.paths {
            // A watched folder removed or renamed away took its watch with
            // it: the next `watch` watches it again if it is back.
            if matches!(
                event.kind,
                EventKind::Remove(_) | EventKind::Modify(ModifyKind::Name(_))
            ) && self.watched.remove(path).is_some()
            {
                let _ = self.watcher.unwatch(path);
            }
            if self.files.contains(path) {
                changes.files.insert(path.clone());
                continue;
            }
            for (folder, functions) in &self.code {
                let Ok(inside) = path.strip_prefix(folder) else {
                    continue;
                };
                let relevant = inside
                    .components()
                    .all(|c| !ignored(&c.as_os_str().to_string_lossy()));
                if relevant {
                    changes.functions.extend(functions.iter().cloned());
                }
            }
        }
    }
}

/// Whether an event says a file's content (or presence, or mode) changed,
/// rather than that someone read it: the function processes themselves
/// open and read their code.
fn changes_content(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(notify::event::AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        _ => true,
    }
}

/// Whether a name below a code folder is left out: hidden files and
/// folders, editors' backups, compiled Python, and the folders of
/// [`IGNORED_FOLDERS`] (the name alone decides: an event for a folder
/// that was just created or removed does not always say it was one).
fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".pyc")
        // Vim's probe of whether it can write a folder.
        || name == "4913"
        || IGNORED_FOLDERS.contains(&name)
}

/// A file's folder (`.` for a bare name).
fn parent(file: &Path) -> Option<PathBuf> {
    match file.parent() {
        Some(folder) if folder.as_os_str().is_empty() => Some(PathBuf::from(".")),
        Some(folder) => Some(folder.to_path_buf()),
        None => None,
    }
}

/// One watch per folder: recursive wins over not, and a folder below a
/// recursively watched one needs no watch of its own.
fn merge(wanted: Vec<(PathBuf, RecursiveMode)>) -> BTreeMap<PathBuf, RecursiveMode> {
    let mut merged: BTreeMap<PathBuf, RecursiveMode> = BTreeMap::new();
    for (path, mode) in wanted {
        let entry = merged.entry(path).or_insert(mode);
        if mode == RecursiveMode::Recursive {
            *entry = RecursiveMode::Recursive;
        }
    }
    let recursive: Vec<PathBuf> = merged
        .iter()
        .filter(|(_, mode)| **mode == RecursiveMode::Recursive)
        .map(|(path, _)| path.clone())
        .collect();
    merged.retain(|path, _| {
        !recursive
            .iter()
            .any(|above| path != above && path.starts_with(above))
    });
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_watch_per_folder_recursive_first() {
        let merged = merge(vec![
            (PathBuf::from("/a"), RecursiveMode::NonRecursive),
            (PathBuf::from("/a/b"), RecursiveMode::Recursive),
            (PathBuf::from("/a/b/c"), RecursiveMode::NonRecursive),
            (PathBuf::from("/a/b"), RecursiveMode::NonRecursive),
            (PathBuf::from("/ab"), RecursiveMode::NonRecursive),
        ]);
        assert_eq!(
            merged.into_iter().collect::<Vec<_>>(),
            vec![
                (PathBuf::from("/a"), RecursiveMode::NonRecursive),
                (PathBuf::from("/a/b"), RecursiveMode::Recursive),
                (PathBuf::from("/ab"), RecursiveMode::NonRecursive),
            ]
        );
    }

    #[test]
    fn hidden_files_backups_and_caches_are_ignored() {
        assert!(ignored(".app.py.swp"));
        assert!(ignored("app.py~"));
        assert!(ignored("app.cpython-312.pyc"));
        assert!(ignored("__pycache__"));
        assert!(ignored("node_modules"));
        assert!(ignored(".git"));
        assert!(!ignored("app.py"));
        assert!(!ignored("lib"));
    }

    #[test]
    fn reads_are_not_changes() {
        use notify::event::{AccessMode, CreateKind, DataChange};
        assert!(!changes_content(&EventKind::Access(AccessKind::Open(
            AccessMode::Read
        ))));
        assert!(!changes_content(&EventKind::Modify(ModifyKind::Metadata(
            MetadataKind::AccessTime
        ))));
        assert!(changes_content(&EventKind::Modify(ModifyKind::Data(
            DataChange::Any
        ))));
        assert!(changes_content(&EventKind::Create(CreateKind::File)));
    }
}
