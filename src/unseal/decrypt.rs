//! Opening values fast: RSA work on the blocking pool, at most one operation per core at a time,
//! keys tried in hint order (the key named in `status.sealingKeys`, then the newest, then the
//! rest), and a cache keyed by the SHA-256 of label and ciphertext, so a value that did not
//! change costs no RSA operation when its SealedSecret is reconciled again.
//!
//! The cache holds plaintext in zeroizing buffers, in this process only; the same values sit in
//! the Secrets the controller writes. It is keyed with the label, so a ciphertext copied to
//! another name or namespace never hits an entry made under the original label.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use sealsync_core::crypto::{self, Layout, format};
use sealsync_core::sealing::{SealedView, UnsealError};
use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::keyring::{KeySet, SealingKey};
use crate::metrics::Metrics;

/// More entries than this and the cache starts over.
const CACHE_LIMIT: usize = 200_000;

/// The opened values of one SealedSecret. No `Debug`: it holds plaintext.
pub struct OpenedValues {
    /// Key → plaintext.
    pub values: BTreeMap<String, Zeroizing<Vec<u8>>>,
    /// Key → fingerprint (`sha256:<hex>`) of the key that opened it.
    pub fingerprints: BTreeMap<String, String>,
}

/// Why values did not open. Opaque about which layer failed, as the crypto is.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The SealedSecret cannot say which label it was sealed with, or uses an unsupported form.
    #[error(transparent)]
    Spec(#[from] UnsealError),
    /// Some values did not open with any key.
    #[error("{} of {total} values did not open with any of the {key_count} keys: {}", keys.len(), keys.join(", "))]
    Failed {
        /// The keys that failed, sorted.
        keys: Vec<String>,
        /// How many values there are.
        total: usize,
        /// How many keys were tried.
        key_count: usize,
    },
    /// A decrypt task died.
    #[error("a decrypt task was interrupted")]
    Interrupted,
}

struct Cached {
    plaintext: Zeroizing<Vec<u8>>,
    fingerprint: String,
}

/// Whether opened values go into the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// Read and fill the cache: the reconciler, whose objects come back on every resync.
    Use,
    /// Neither: the HTTP endpoints, whose input is anyone's and must not fill memory.
    Bypass,
}

/// Opens values; shared by the reconciler and the HTTP endpoints.
pub struct Decryptor {
    cache: Mutex<HashMap<[u8; 32], Arc<Cached>>>,
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

enum Slot {
    Done(Arc<Cached>),
    Pending(tokio::task::JoinHandle<Option<([u8; 32], Cached)>>),
    Failed,
}

impl Decryptor {
    /// A decryptor that runs at most `parallelism` RSA operations at once.
    pub fn new(parallelism: usize, metrics: Arc<Metrics>) -> Decryptor {
        Decryptor {
            cache: Mutex::new(HashMap::new()),
            permits: Arc::new(Semaphore::new(parallelism.max(1))),
            metrics,
        }
    }

    /// Opens every value of `view`, all or nothing. `hints` maps value keys to the fingerprint
    /// that opened them last time.
    pub async fn open(
        &self,
        view: &SealedView<'_>,
        set: &Arc<KeySet>,
        hints: &BTreeMap<String, String>,
        cache: Cache,
    ) -> Result<OpenedValues, OpenError> {
        if view.encrypted_data.is_empty() && view.legacy_data {
            return Err(UnsealError::LegacyData {
                name: view.display_name(),
            }
            .into());
        }
        let label: Arc<[u8]> = view.identity()?.label().into();
        let mut slots = Vec::with_capacity(view.encrypted_data.len());
        for (key, value) in view.encrypted_data {
            slots.push((key, self.start(value, &label, set, hints.get(key), cache)));
        }
        let mut opened = OpenedValues {
            values: BTreeMap::new(),
            fingerprints: BTreeMap::new(),
        };
        let mut failed = Vec::new();
        for (key, slot) in slots {
            let done = match slot {
                Slot::Done(c) => Some(c),
                Slot::Pending(task) => {
                    task.await
                        .map_err(|_| OpenError::Interrupted)?
                        .map(|(digest, c)| match cache {
                            Cache::Use => self.remember(digest, c),
                            Cache::Bypass => Arc::new(c),
                        })
                }
                Slot::Failed => None,
            };
            match done {
                Some(c) => {
                    opened.values.insert(key.clone(), c.plaintext.clone());
                    opened
                        .fingerprints
                        .insert(key.clone(), c.fingerprint.clone());
                }
                None => failed.push(key.clone()),
            }
        }
        if failed.is_empty() {
            Ok(opened)
        } else {
            Err(OpenError::Failed {
                keys: failed,
                total: view.encrypted_data.len(),
                key_count: set.keys().len(),
            })
        }
    }

    fn start(
        &self,
        value: &str,
        label: &Arc<[u8]>,
        set: &Arc<KeySet>,
        hint: Option<&String>,
        cache: Cache,
    ) -> Slot {
        let Some(bytes) = format::decode_base64(value) else {
            return Slot::Failed;
        };
        if format::layout(&bytes).is_none() {
            return Slot::Failed;
        }
        let digest = digest(label, &bytes);
        if let Some(hit) = self.lock().get(&digest).filter(|_| cache == Cache::Use) {
            self.metrics.cache_hits.inc();
            return Slot::Done(hit.clone());
        }
        let (label, set, hint) = (label.clone(), set.clone(), hint.cloned());
        let (permits, metrics) = (self.permits.clone(), self.metrics.clone());
        Slot::Pending(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.ok()?;
            tokio::task::spawn_blocking(move || {
                try_keys(&set, hint.as_deref(), &bytes, &label, &metrics).map(|c| (digest, c))
            })
            .await
            .ok()
            .flatten()
        }))
    }

    fn remember(&self, digest: [u8; 32], c: Cached) -> Arc<Cached> {
        let entry = Arc::new(c);
        let mut cache = self.lock();
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(digest, entry.clone());
        entry
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Arc<Cached>>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn try_keys(
    set: &KeySet,
    hint: Option<&str>,
    bytes: &[u8],
    label: &[u8],
    metrics: &Metrics,
) -> Option<Cached> {
    // A multi-recipient value names its keys: only those are tried, so opening it costs one RSA
    // operation however many keys the ring holds.
    let named = match format::layout(bytes) {
        Some(Layout::MultiRecipient { recipients, .. }) => Some(recipients),
        _ => None,
    };
    let may_open =
        |key: &&Arc<SealingKey>| named.as_ref().is_none_or(|r| r.contains(&key.fingerprint));
    set.try_order(hint)
        .into_iter()
        .filter(may_open)
        .find_map(|key| {
            metrics.rsa_ops.inc();
            crypto::open(&key.key, bytes, label)
                .ok()
                .map(|plaintext| Cached {
                    plaintext,
                    fingerprint: key.fingerprint_hex.clone(),
                })
        })
}

fn digest(label: &[u8], bytes: &[u8]) -> [u8; 32] {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(&(label.len() as u64).to_be_bytes());
    ctx.update(label);
    ctx.update(bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}
