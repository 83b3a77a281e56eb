//! The JSON file store: the embedded default, safe across the processes of one machine.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::{BoxFuture, Expect, Stored, Table, Token, TokenStore, store_error, unix_millis};
use crate::{Error, Result};

/// Tokens in one JSON file, `{"tokens": {"<key>": {"token": {..}, "version": n}}, "leases": {..}}`.
///
/// Every operation holds an exclusive lock on `<file>.lock` (an OS file lock, released by the OS
/// when a process dies), so the processes of one machine share the file safely, refresh leases
/// included. Each save writes a temporary file beside it (an unpredictable name, mode 0600),
/// syncs it, renames it over the old one and syncs the folder, so a crash mid-write leaves the
/// previous file whole. The file holds tokens in clear, readable by its owner alone (0600). A file that does not parse is an
/// error naming the file, never a silent reset that would lose every shop's token. A file of the
/// first layout (`{"<key>": {token}}`) is read as version 1 of each token.
#[derive(Debug, Clone)]
pub struct JsonFileStore {
    path: Arc<PathBuf>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl JsonFileStore {
    /// A store kept in `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonFileStore {
            path: Arc::new(path.into()),
            lock: Arc::default(),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fail(&self, what: impl std::fmt::Display) -> Error {
        store_error(&self.describe(), what)
    }

    /// Run `f` on the table under the file lock; write the table back when `f` says so.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Table) -> (T, bool) + Send + 'static,
    ) -> Result<T> {
        let _in_process = self.lock.lock().await;
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.locked(f))
            .await
            .map_err(|e| self.fail(e))?
    }

    fn locked<T>(&self, f: impl FnOnce(&mut Table) -> (T, bool)) -> Result<T> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| self.fail(format!("cannot create it: {e}")))?;
        }
        let mut lock_path = self.path.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| self.fail(format!("cannot open its lock file: {e}")))?;
        fs4::FileExt::lock(&lock).map_err(|e| self.fail(format!("cannot lock it: {e}")))?;
        let mut table = self.read()?;
        let (out, write) = f(&mut table);
        if write {
            self.write(&table)?;
        }
        // Dropping the file releases the lock.
        drop(lock);
        Ok(out)
    }

    fn read(&self) -> Result<Table> {
        let bytes = match std::fs::read(&*self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Table::default()),
            Err(e) => return Err(self.fail(format!("cannot read it: {e}"))),
        };
        let corrupt = |e: serde_json::Error| {
            self.fail(format!(
                "it is corrupt ({e}); fix or remove it, tokens were not reset"
            ))
        };
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(corrupt)?;
        if value
            .get("tokens")
            .is_some_and(serde_json::Value::is_object)
        {
            return serde_json::from_value(value).map_err(corrupt);
        }
        // The first layout: a map of tokens.
        let old: std::collections::BTreeMap<String, Token> =
            serde_json::from_value(value).map_err(corrupt)?;
        let mut table = Table::default();
        for (k, t) in old {
            table.save(&k, &t, Expect::Any);
        }
        Ok(table)
    }

    /// Writes the table to a temporary file beside the store (an unpredictable name, readable and
    /// writable by its owner alone), syncs it, renames it over the store and syncs the folder, so
    /// the rename itself survives a crash.
    fn write(&self, table: &Table) -> Result<()> {
        use std::io::Write;
        let err = |e: std::io::Error| self.fail(format!("cannot write it: {e}"));
        let text = serde_json::to_vec_pretty(table).map_err(|e| self.fail(e))?;
        let dir = match self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(d) => d.to_path_buf(),
            None => PathBuf::from("."),
        };
        // `tempfile` creates the file with mode 0600 on Unix.
        let mut tmp = tempfile::Builder::new()
            .prefix(".tokens-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(err)?;
        tmp.write_all(&text)
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(err)?;
        // On failure the temporary file is removed when `tmp` drops.
        tmp.persist(&*self.path).map_err(|e| err(e.error))?;
        sync_dir(&dir).map_err(err)
    }
}

/// Syncs a folder, so a rename in it is on disk (Unix; a no-op elsewhere).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

impl TokenStore for JsonFileStore {
    fn describe(&self) -> String {
        format!("JSON file {}", self.path.display())
    }

    fn load<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Stored>>> {
        let key = key.to_owned();
        Box::pin(self.with(move |t| (t.load(&key), false)))
    }

    fn save<'a>(
        &'a self,
        key: &'a str,
        token: &'a Token,
        expect: Expect,
    ) -> BoxFuture<'a, Result<Option<u64>>> {
        let (key, token) = (key.to_owned(), token.clone());
        Box::pin(self.with(move |t| {
            let v = t.save(&key, &token, expect);
            (v, v.is_some())
        }))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool>> {
        let key = key.to_owned();
        Box::pin(self.with(move |t| {
            let gone = t.delete(&key);
            (gone, gone)
        }))
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>>> {
        let prefix = prefix.to_owned();
        Box::pin(self.with(move |t| (t.list(&prefix), false)))
    }

    fn lease<'a>(
        &'a self,
        key: &'a str,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool>> {
        let (key, holder) = (key.to_owned(), holder.to_owned());
        Box::pin(self.with(move |t| {
            let got = t.lease(&key, &holder, ttl, unix_millis());
            (got, true)
        }))
    }

    fn release<'a>(&'a self, key: &'a str, holder: &'a str) -> BoxFuture<'a, Result<()>> {
        let (key, holder) = (key.to_owned(), holder.to_owned());
        Box::pin(self.with(move |t| {
            t.release(&key, &holder);
            ((), true)
        }))
    }
}
