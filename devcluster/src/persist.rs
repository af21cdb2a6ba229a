//! Persistence for `--data DIR`: an append-only JSON-lines log (`log.jsonl`, one record per
//! committed change, fsynced before the write is answered) plus a snapshot (`snapshot.json`,
//! written to a temporary file, fsynced and atomically renamed) that compaction writes before it
//! truncates the log. Loading reads the snapshot, then replays the log records newer than it; a
//! torn last line (a crash mid-append) is ignored, and cut off before the writer gets the log: if
//! it cannot be cut, opening fails and nothing is appended behind it, so the directory still
//! loads once the cause is fixed. Loader and writer report the same typed errors.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
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
    #[error("cutting the torn last line off {path}")]
    CutTornTail {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("starting the persistence thread")]
    Spawn {
        #[source]
        source: std::io::Error,
    },
    #[error("serializing the {what}")]
    Serialize {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("appending to {path}")]
    Append {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("syncing {path}")]
    SyncLog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the snapshot {path}")]
    WriteSnapshot {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("truncating {path} after a snapshot")]
    TruncateLog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the persistence thread stopped")]
    WriterStopped,
}

impl PersistError {
    /// The error and its sources, `: `-separated (for a one-line report such as a 500's message).
    pub fn report(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(e) = source {
            out.push_str(": ");
            out.push_str(&e.to_string());
            source = e.source();
        }
        out
    }
}

/// Whether a queued change (and everything queued before it) is durable. One failure answers
/// every change of the batch it was in, hence the `Arc`.
pub type Durability = Result<(), Arc<PersistError>>;

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

/// How the log ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogEnd {
    /// Every line is a complete record.
    Clean,
    /// A crash left a partial last line after `good_len` bytes of complete records.
    Torn { good_len: u64 },
}

type Ack = oneshot::Sender<Durability>;

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
    let (loaded, end) = load(dir)?;
    let log_path = dir.join(LOG);
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|source| PersistError::OpenLog {
            path: log_path.clone(),
            source,
        })?;
    // Before anything is appended: a record written behind a torn line would make that line
    // corrupt rather than last, and the directory would no longer load.
    cut_torn_tail(&log, &log_path, end)?;
    // Make the log's directory entry durable too (it may have just been created).
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| PersistError::OpenLog {
            path: log_path.clone(),
            source,
        })?;
    let (tx, rx) = mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::Builder::new()
        .name("devcluster-persist".into())
        .spawn(move || writer(dir, log_path, log, rx))
        .map_err(|source| PersistError::Spawn { source })?;
    Ok((Persister { tx }, loaded))
}

/// Cuts a torn last line off the log (through the handle the writer will append with).
fn cut_torn_tail(log: &File, path: &Path, end: LogEnd) -> Result<(), PersistError> {
    let LogEnd::Torn { good_len } = end else {
        return Ok(());
    };
    log.set_len(good_len)
        .and_then(|()| log.sync_all())
        .map_err(|source| PersistError::CutTornTail {
            path: path.into(),
            source,
        })
}

impl Persister {
    /// Queues one record; the receiver resolves once it is durable.
    pub fn append(&self, record: &Record) -> oneshot::Receiver<Durability> {
        match serde_json::to_vec(record) {
            Ok(mut line) => {
                line.push(b'\n');
                self.queue(|ack| Job::Append(line, ack))
            }
            Err(source) => failed(PersistError::Serialize {
                what: "record",
                source,
            }),
        }
    }

    /// Queues a snapshot of the whole state at `rv`; the log is truncated once it is in place.
    /// The receiver resolves when the snapshot (and every record before it) is durable.
    pub fn snapshot(&self, rv: u64, records: Vec<Record>) -> oneshot::Receiver<Durability> {
        match serde_json::to_vec(&Snapshot { rv, records }) {
            Ok(bytes) => self.queue(|ack| Job::Snapshot(bytes, ack)),
            Err(source) => failed(PersistError::Serialize {
                what: "snapshot",
                source,
            }),
        }
    }

    fn queue(&self, job: impl FnOnce(Ack) -> Job) -> oneshot::Receiver<Durability> {
        let (ack, rx) = oneshot::channel();
        if let Err(mpsc::SendError(Job::Append(_, ack) | Job::Snapshot(_, ack))) =
            self.tx.send(job(ack))
        {
            let _ = ack.send(Err(Arc::new(PersistError::WriterStopped)));
        }
        rx
    }
}

/// A receiver that already holds `e`.
fn failed(e: PersistError) -> oneshot::Receiver<Durability> {
    let (ack, rx) = oneshot::channel();
    let _ = ack.send(Err(Arc::new(e)));
    rx
}

/// Reads the snapshot and the log; a torn last line is left out (and reported, to be cut).
fn load(dir: &Path) -> Result<(Loaded, LogEnd), PersistError> {
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
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((loaded, LogEnd::Clean)),
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
    let end = match torn {
        true => LogEnd::Torn { good_len },
        false => LogEnd::Clean,
    };
    Ok((loaded, end))
}

fn writer(dir: PathBuf, log_path: PathBuf, mut log: File, rx: mpsc::Receiver<Job>) {
    let io = |make: fn(PathBuf, std::io::Error) -> PersistError| {
        let path = log_path.clone();
        move |source| Arc::new(make(path.clone(), source))
    };
    let append = io(|path, source| PersistError::Append { path, source });
    let sync = io(|path, source| PersistError::SyncLog { path, source });
    let truncate = io(|path, source| PersistError::TruncateLog { path, source });
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while let Ok(more) = rx.try_recv() {
            jobs.push(more);
        }
        let mut acks = Vec::new();
        let mut result: Durability = Ok(());
        for job in jobs {
            match job {
                Job::Append(line, ack) => {
                    if result.is_ok() {
                        result = log.write_all(&line).map_err(&append);
                    }
                    acks.push(ack);
                }
                Job::Snapshot(bytes, ack) => {
                    acks.push(ack);
                    // Earlier appends must be durable before the log can be cut.
                    if result.is_ok() {
                        result = log.sync_data().map_err(&sync);
                    }
                    if result.is_ok() {
                        result = write_snapshot(&dir, &bytes).map_err(Arc::new);
                    }
                    if result.is_ok() {
                        result = log
                            .set_len(0)
                            .and_then(|()| log.sync_all())
                            .map_err(&truncate);
                    }
                }
            }
        }
        if result.is_ok() && !acks.is_empty() {
            result = log.sync_data().map_err(&sync);
        }
        for ack in acks {
            let _ = ack.send(result.clone());
        }
    }
}

fn write_snapshot(dir: &Path, bytes: &[u8]) -> Result<(), PersistError> {
    let tmp = dir.join(SNAPSHOT_TMP);
    let run = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(SNAPSHOT))?;
        File::open(dir)?.sync_all()
    };
    run().map_err(|source| PersistError::WriteSnapshot {
        path: dir.join(SNAPSHOT),
        source,
    })
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
        tear(dir.path(), b"{\"rv\":3,\"gro");
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

    /// Appends `bytes` to the log under `dir`, as a crash mid-append leaves it.
    fn tear(dir: &Path, bytes: &[u8]) {
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.join(LOG))
            .expect("open log");
        f.write_all(bytes).expect("torn write");
    }

    #[tokio::test]
    async fn a_torn_tail_that_cannot_be_cut_is_a_typed_error_and_the_directory_still_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let (p, _) = open(dir.path()).expect("open");
            p.append(&rec(1, "a")).await.expect("ack").expect("durable");
        }
        tear(dir.path(), b"{\"rv\":2,\"gro");
        let (_, end) = load(dir.path()).expect("loads");
        assert!(matches!(end, LogEnd::Torn { .. }));
        // A handle that cannot truncate (read-only) stands for a disk that refuses: the cut
        // fails with a typed error, and nothing is appended behind the torn line.
        let path = dir.path().join(LOG);
        let read_only = File::open(&path).expect("open read-only");
        match cut_torn_tail(&read_only, &path, end) {
            Err(e @ PersistError::CutTornTail { .. }) => {
                assert!(e.report().starts_with("cutting the torn last line off "));
            }
            other => panic!("expected CutTornTail, got {other:?}"),
        }
        let (p, loaded) = open(dir.path()).expect("still loads");
        assert_eq!(loaded.rv, 1);
        p.append(&rec(2, "b")).await.expect("ack").expect("durable");
        drop(p);
        let (_p, loaded) = open(dir.path()).expect("loads after appending");
        assert_eq!(loaded.rv, 2);
        assert_eq!(loaded.records.len(), 2);
    }

    #[tokio::test]
    async fn writer_errors_are_typed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (p, _) = open(dir.path()).expect("open");
        // The snapshot's temporary file cannot be created where a directory stands.
        std::fs::create_dir(dir.path().join(SNAPSHOT_TMP)).expect("block the temp file");
        let e = p
            .snapshot(1, vec![rec(1, "a")])
            .await
            .expect("ack")
            .expect_err("refused");
        assert!(matches!(*e, PersistError::WriteSnapshot { .. }), "{e:?}");
        assert!(e.report().starts_with("writing the snapshot "));
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
