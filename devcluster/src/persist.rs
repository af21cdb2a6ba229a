//! Persistence for `--data DIR`: an append-only JSON-lines log (`log.jsonl`, one record per
//! committed change, fsynced before the write is answered) plus a snapshot (`snapshot.json`,
//! written to a temporary file, fsynced and atomically renamed) that compaction writes before it
//! truncates the log. Loading reads the snapshot, then replays the log records newer than it; a
//! torn last line (a crash mid-append) is ignored and cut off.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

const LOG: &str = "log.jsonl";
const SNAPSHOT: &str = "snapshot.json";
const SNAPSHOT_TMP: &str = "snapshot.json.tmp";

#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("creating data directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing snapshot {path}")]
    ParseSnapshot {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("corrupt record at {path} line {line} (not the last line, so not a torn write)")]
    CorruptLog {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("opening {path} for append")]
    OpenLog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("starting the persistence thread")]
    Spawn {
        #[source]
        source: std::io::Error,
    },
}

/// One committed change: `object` is the new state, or None when the object was removed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub rv: u64,
    pub group: String,
    pub plural: String,
    pub namespace: String,
    pub name: String,
    pub object: Option<Value>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    rv: u64,
    records: Vec<Record>,
}

/// What was on disk: the records to replay in order and the resourceVersion they end at.
#[derive(Debug, Default)]
pub struct Loaded {
    pub rv: u64,
    pub records: Vec<Record>,
}

type Ack = oneshot::Sender<Result<(), String>>;

enum Job {
    Append(Vec<u8>, Ack),
    Snapshot(Vec<u8>, Ack),
}

/// Hands records to the writer thread, which appends and fsyncs them in batches.
pub struct Persister {
    tx: mpsc::Sender<Job>,
}

/// Loads the state under `dir` and starts the writer.
pub fn open(dir: &Path) -> Result<(Persister, Loaded), PersistError> {
    std::fs::create_dir_all(dir).map_err(|source| PersistError::CreateDir {
        path: dir.into(),
        source,
    })?;
    let loaded = load(dir)?;
    let log_path = dir.join(LOG);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|source| PersistError::OpenLog {
            path: log_path.clone(),
            source,
        })?;
    // Make the log's directory entry durable too (it may have just been created).
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| PersistError::OpenLog {
            path: log_path,
            source,
        })?;
    let (tx, rx) = mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::Builder::new()
        .name("devcluster-persist".into())
        .spawn(move || writer(dir, log, rx))
        .map_err(|source| PersistError::Spawn { source })?;
    Ok((Persister { tx }, loaded))
}

impl Persister {
    /// Queues one record; the receiver resolves once it is durable.
    pub fn append(&self, record: &Record) -> oneshot::Receiver<Result<(), String>> {
        let (ack, rx) = oneshot::channel();
        match serde_json::to_vec(record) {
            Ok(mut line) => {
                line.push(b'\n');
                if let Err(mpsc::SendError(Job::Append(_, ack))) =
                    self.tx.send(Job::Append(line, ack))
                {
                    let _ = ack.send(Err("persistence thread stopped".into()));
                }
            }
            Err(e) => {
                let _ = ack.send(Err(format!("serializing record: {e}")));
            }
        }
        rx
    }

    /// Queues a snapshot of the whole state at `rv`; the log is truncated once it is in place.
    /// The receiver resolves when the snapshot (and every record before it) is durable.
    pub fn snapshot(&self, rv: u64, records: Vec<Record>) -> oneshot::Receiver<Result<(), String>> {
        let (ack, rx) = oneshot::channel();
        match serde_json::to_vec(&Snapshot { rv, records }) {
            Ok(bytes) => {
                if let Err(mpsc::SendError(Job::Snapshot(_, ack))) =
                    self.tx.send(Job::Snapshot(bytes, ack))
                {
                    let _ = ack.send(Err("persistence thread stopped".into()));
                }
            }
            Err(e) => {
                let _ = ack.send(Err(format!("serializing the snapshot: {e}")));
            }
        }
        rx
    }
}

fn load(dir: &Path) -> Result<Loaded, PersistError> {
    let mut loaded = Loaded::default();
    let snap_path = dir.join(SNAPSHOT);
    match std::fs::read(&snap_path) {
        Ok(bytes) => {
            let snap: Snapshot =
                serde_json::from_slice(&bytes).map_err(|source| PersistError::ParseSnapshot {
                    path: snap_path.clone(),
                    source,
                })?;
            loaded.rv = snap.rv;
            loaded.records = snap.records;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(PersistError::Read {
                path: snap_path,
                source,
            });
        }
    }
    let log_path = dir.join(LOG);
    let file = match File::open(&log_path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(loaded),
        Err(source) => {
            return Err(PersistError::Read {
                path: log_path,
                source,
            });
        }
    };
    let mut reader = BufReader::new(file);
    let (mut good_len, mut line_no) = (0u64, 0usize);
    let mut buf = Vec::new();
    let mut torn = false;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| PersistError::Read {
                path: log_path.clone(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let complete = buf.last() == Some(&b'\n');
        match serde_json::from_slice::<Record>(&buf) {
            Ok(rec) if complete => {
                good_len += n as u64;
                if rec.rv > loaded.rv {
                    loaded.rv = rec.rv;
                    loaded.records.push(rec);
                }
            }
            Ok(_) => torn = true,
            Err(source) => {
                let at_end = reader.fill_buf().map(|b| b.is_empty()).unwrap_or(false);
                if !at_end {
                    return Err(PersistError::CorruptLog {
                        path: log_path,
                        line: line_no,
                        source,
                    });
                }
                torn = true;
            }
        }
        if torn {
            break;
        }
    }
    if torn {
        // Cut the torn tail so that the next append starts on a clean line.
        if let Ok(f) = OpenOptions::new().write(true).open(&log_path) {
            let _ = f.set_len(good_len);
            let _ = f.sync_all();
        }
    }
    Ok(loaded)
}

fn writer(dir: PathBuf, mut log: File, rx: mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while let Ok(more) = rx.try_recv() {
            jobs.push(more);
        }
        let mut acks = Vec::new();
        let mut result: Result<(), String> = Ok(());
        for job in jobs {
            match job {
                Job::Append(line, ack) => {
                    if result.is_ok() {
                        result = log
                            .write_all(&line)
                            .map_err(|e| format!("appending to the log: {e}"));
                    }
                    acks.push(ack);
                }
                Job::Snapshot(bytes, ack) => {
                    acks.push(ack);
                    // Earlier appends must be durable before the log can be cut.
                    if result.is_ok() {
                        result = log.sync_data().map_err(|e| format!("syncing the log: {e}"));
                    }
                    if result.is_ok() {
                        result = write_snapshot(&dir, &bytes).and_then(|()| {
                            log.set_len(0)
                                .and_then(|()| log.sync_all())
                                .map_err(|e| format!("truncating the log: {e}"))
                        });
                    }
                }
            }
        }
        if result.is_ok() && !acks.is_empty() {
            result = log.sync_data().map_err(|e| format!("syncing the log: {e}"));
        }
        for ack in acks {
            let _ = ack.send(result.clone());
        }
    }
}

fn write_snapshot(dir: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = dir.join(SNAPSHOT_TMP);
    let run = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(SNAPSHOT))?;
        File::open(dir)?.sync_all()
    };
    run().map_err(|e| format!("writing the snapshot: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(rv: u64, name: &str) -> Record {
        Record {
            rv,
            group: String::new(),
            plural: "configmaps".into(),
            namespace: "default".into(),
            name: name.into(),
            object: Some(serde_json::json!({"metadata":{"name":name}})),
        }
    }

    #[tokio::test]
    async fn log_replays_and_ignores_torn_tail() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (p, loaded) = open(dir.path()).expect("open");
            assert_eq!(loaded.records.len(), 0);
            p.append(&rec(1, "a")).await.expect("ack").expect("durable");
            p.append(&rec(2, "b")).await.expect("ack").expect("durable");
        }
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(LOG))
            .expect("open log");
        f.write_all(b"{\"rv\":3,\"gro").expect("torn write");
        drop(f);
        let (p, loaded) = open(dir.path()).expect("reopen");
        assert_eq!(loaded.rv, 2);
        assert_eq!(loaded.records.len(), 2);
        p.append(&rec(3, "c")).await.expect("ack").expect("durable");
        drop(p);
        let (_p, loaded) = open(dir.path()).expect("reopen");
        assert_eq!(
            loaded
                .records
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }

    #[tokio::test]
    async fn snapshot_compacts_the_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (p, _) = open(dir.path()).expect("open");
            p.append(&rec(1, "a")).await.expect("ack").expect("durable");
            p.snapshot(1, vec![rec(1, "a")])
                .await
                .expect("ack")
                .expect("durable");
            p.append(&rec(2, "b")).await.expect("ack").expect("durable");
        }
        let log = std::fs::read_to_string(dir.path().join(LOG)).expect("log");
        assert_eq!(log.lines().count(), 1);
        let (_p, loaded) = open(dir.path()).expect("reopen");
        assert_eq!(loaded.rv, 2);
        assert_eq!(loaded.records.len(), 2);
    }
}
