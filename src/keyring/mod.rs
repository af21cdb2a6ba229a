//! The sealing keys, held in Secrets in the cluster.
//!
//! - [`secret`]: one key Secret ↔ one [`SealingKey`] (`kubernetes.io/tls`, `tls.key` PKCS#1 or
//!   PKCS#8, `tls.crt`).
//! - [`watch`]: every replica watches the labelled key Secrets and republishes the key set on
//!   each change, so a key added or changed at run time is used with no restart.
//! - [`renew`]: the leader alone generates a key when there is none, every renew period and at
//!   the cutoff time, and publishes the newest certificate in the `sealsync-cert` ConfigMap.
//!
//! Keys are never deleted, neither in the cluster nor from memory: a key Secret that disappears
//! stays loaded until the process restarts, with a warning, because key loss is data loss.

pub mod renew;
pub mod secret;
pub mod watch;

use std::sync::Arc;
use tokio::sync::watch as channel;

pub use secret::{KeySecretError, SealingKey};

/// The label that marks sealsync's key Secrets, and its value.
pub const KEY_LABEL: (&str, &str) = ("sealsync.io/sealing-key", "active");
/// The label Bitnami Sealed Secrets puts on its key Secrets, and its value.
pub const BITNAMI_KEY_LABEL: (&str, &str) =
    ("sealedsecrets.bitnami.com/sealed-secrets-key", "active");
/// The ConfigMap that publishes the newest certificate.
pub const CERT_CONFIGMAP: &str = "sealsync-cert";
/// The ConfigMap key that holds it.
pub const CERT_CONFIGMAP_KEY: &str = "cert.pem";

/// The keys known at one moment. Active keys (their Secret exists and is labelled) come first,
/// newest first; retired keys (their Secret was deleted, relabelled or replaced) follow: they
/// still open old values but never seal new ones. Cheap to share: readers hold an `Arc`.
#[derive(Default)]
pub struct KeySet {
    keys: Vec<Arc<SealingKey>>,
    active: usize,
    synced: bool,
}

impl KeySet {
    /// A key set of these keys.
    pub fn new(
        active: Vec<Arc<SealingKey>>,
        retired: Vec<Arc<SealingKey>>,
        synced: bool,
    ) -> KeySet {
        let mut keys = newest_first(active);
        let active = keys.len();
        let retired: Vec<_> = newest_first(retired)
            .into_iter()
            .filter(|r| !keys.iter().any(|k| k.fingerprint == r.fingerprint))
            .collect();
        keys.extend(retired);
        KeySet {
            keys,
            active,
            synced,
        }
    }

    /// Every key: active newest first, then retired.
    pub fn keys(&self) -> &[Arc<SealingKey>] {
        &self.keys
    }

    /// The newest active key: the one new values are sealed to.
    pub fn newest(&self) -> Option<&Arc<SealingKey>> {
        self.keys[..self.active].first()
    }

    /// Whether the initial listing of key Secrets has completed.
    pub fn synced(&self) -> bool {
        self.synced
    }

    /// The key with this fingerprint.
    pub fn by_fingerprint(&self, fingerprint: &str) -> Option<&Arc<SealingKey>> {
        self.keys.iter().find(|k| k.fingerprint_hex == fingerprint)
    }

    /// The keys to try for a value: the hinted one first, then the newest, then the rest.
    pub fn try_order<'a>(&'a self, hint: Option<&str>) -> Vec<&'a Arc<SealingKey>> {
        let first = hint.and_then(|h| self.by_fingerprint(h));
        let mut order = Vec::with_capacity(self.keys.len());
        order.extend(first);
        order.extend(
            self.keys
                .iter()
                .filter(|k| first.is_none_or(|f| !Arc::ptr_eq(f, k))),
        );
        order
    }
}

/// The shared, live key set: the watcher writes it, the reconciler and the HTTP handlers read
/// it, and anyone can wait for a change.
#[derive(Clone)]
pub struct Keyring {
    tx: Arc<channel::Sender<Arc<KeySet>>>,
}

impl Default for Keyring {
    fn default() -> Self {
        Keyring::new()
    }
}

impl Keyring {
    /// An empty keyring, not yet synced.
    pub fn new() -> Keyring {
        let (tx, _rx) = channel::channel(Arc::new(KeySet::default()));
        Keyring { tx: Arc::new(tx) }
    }

    /// The keys now.
    pub fn current(&self) -> Arc<KeySet> {
        self.tx.borrow().clone()
    }

    /// A receiver that sees every new key set.
    pub fn subscribe(&self) -> channel::Receiver<Arc<KeySet>> {
        self.tx.subscribe()
    }

    /// Replaces the key set, waking every subscriber.
    pub fn publish(&self, set: KeySet) {
        self.tx.send_replace(Arc::new(set));
    }
}

fn newest_first(mut keys: Vec<Arc<SealingKey>>) -> Vec<Arc<SealingKey>> {
    keys.sort_by(|a, b| {
        b.created
            .cmp(&a.created)
            .then_with(|| b.source.cmp(&a.source))
    });
    keys.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    keys
}

/// What a key looks like from outside: for logs, never key material.
pub fn describe(key: &SealingKey) -> String {
    format!("{} ({})", key.fingerprint_hex, key.source)
}

/// The short form of a fingerprint shown by `kubectl get`: 12 hex digits.
pub fn short(fingerprint_hex: &str) -> String {
    fingerprint_hex
        .trim_start_matches("sha256:")
        .chars()
        .take(12)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealsync_core::crypto::{KeyBits, KeyGenOptions, generate};
    use std::time::{Duration, SystemTime};

    fn key(name: &str, age_secs: u64) -> Arc<SealingKey> {
        let options = KeyGenOptions {
            bits: KeyBits::Rsa2048,
            ..KeyGenOptions::default()
        };
        let (key, cert) = generate(&options).expect("key");
        let created = SystemTime::now() - Duration::from_secs(age_secs);
        Arc::new(SealingKey::new(
            key,
            cert,
            name.to_owned(),
            created,
            secret::Origin::Sealsync,
        ))
    }

    #[test]
    fn a_retired_key_never_becomes_the_newest() {
        let (old, new, retired) = (key("ns/old", 100), key("ns/new", 10), key("ns/gone", 1));
        let set = KeySet::new(vec![old.clone(), new.clone()], vec![retired.clone()], true);
        assert!(Arc::ptr_eq(set.newest().expect("newest"), &new));
        let order: Vec<&str> = set.keys().iter().map(|k| k.source.as_str()).collect();
        assert_eq!(order, ["ns/new", "ns/old", "ns/gone"]);
        let only_retired = KeySet::new(vec![], vec![retired], true);
        assert!(
            only_retired.newest().is_none(),
            "no active key: a new one is due"
        );
    }

    #[test]
    fn the_hinted_key_is_tried_first() {
        let (a, b) = (key("ns/a", 100), key("ns/b", 10));
        let set = KeySet::new(vec![a.clone(), b.clone()], vec![], true);
        let order = set.try_order(Some(&a.fingerprint_hex));
        assert!(Arc::ptr_eq(order[0], &a) && Arc::ptr_eq(order[1], &b));
        let order = set.try_order(Some("sha256:unknown"));
        assert!(Arc::ptr_eq(order[0], &b), "unknown hint: newest first");
    }
}
