//! Every replica watches the key Secrets (sealsync's label in its namespace and, with
//! `--import-bitnami-keys`, Bitnami's label in the Bitnami namespace) and republishes the key
//! set after the initial listing and after every change. Nothing here needs a restart.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::{StreamExt, stream};
use k8s_openapi::api::core::v1::Secret;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use tracing::{info, warn};

use super::secret::{self, Origin, SealingKey};
use super::{BITNAMI_KEY_LABEL, KEY_LABEL, KeySet, Keyring, describe};

/// Where to look for key Secrets.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The controller's namespace (sealsync's key Secrets).
    pub namespace: String,
    /// The namespace of Bitnami key Secrets to import, if importing.
    pub bitnami_namespace: Option<String>,
}

/// Watches the key Secrets until the streams end (never, in practice: the watcher retries).
pub async fn run(client: Client, sources: Sources, keyring: Keyring) {
    let mut streams = vec![key_stream(
        &client,
        &sources.namespace,
        KEY_LABEL,
        Origin::Sealsync,
    )];
    if let Some(ns) = &sources.bitnami_namespace {
        streams.push(key_stream(&client, ns, BITNAMI_KEY_LABEL, Origin::Bitnami));
    }
    let expected = streams.len();
    let mut state = State::default();
    let mut events = stream::select_all(streams);
    while let Some((origin, event)) = events.next().await {
        match event {
            Ok(event) => {
                if state.apply(origin, event, expected) {
                    keyring.publish(state.key_set());
                }
            }
            Err(e) => warn!(error = %e, "watching key Secrets failed; retrying"),
        }
    }
}

type Tagged = (Origin, Result<Event<Secret>, watcher::Error>);

fn key_stream(
    client: &Client,
    namespace: &str,
    label: (&str, &str),
    origin: Origin,
) -> stream::BoxStream<'static, Tagged> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let config = watcher::Config::default().labels(&format!("{}={}", label.0, label.1));
    watcher::watcher(api, config)
        .default_backoff()
        .map(move |e| (origin, e))
        .boxed()
}

#[derive(Default)]
struct State {
    keys: BTreeMap<String, Arc<SealingKey>>,
    /// Keys whose Secret was deleted, unlabelled or overwritten: kept to open old values, never
    /// used to seal.
    orphaned: BTreeMap<String, Arc<SealingKey>>,
    listing: BTreeMap<String, Arc<SealingKey>>,
    synced_origins: Vec<Origin>,
}

impl State {
    /// Applies one watch event; true when the key set should be republished.
    fn apply(&mut self, origin: Origin, event: Event<Secret>, expected: usize) -> bool {
        match event {
            Event::Init => {
                self.listing.clear();
                false
            }
            Event::InitApply(s) => {
                if let Some((source, key)) = load(&s, origin) {
                    self.listing.insert(source, key);
                }
                false
            }
            Event::InitDone => {
                let listed = std::mem::take(&mut self.listing);
                self.keys.retain(|source, key| {
                    let keep = key.origin != origin || listed.contains_key(source);
                    if !keep {
                        self.orphaned.insert(source.clone(), key.clone());
                    }
                    keep
                });
                self.keys.extend(listed);
                if !self.synced_origins.contains(&origin) {
                    self.synced_origins.push(origin);
                }
                self.synced(expected)
            }
            Event::Apply(s) => {
                if let Some((source, key)) = load(&s, origin) {
                    info!(key = %describe(&key), "sealing key loaded");
                    if let Some(old) = self.keys.insert(source.clone(), key.clone())
                        && old.fingerprint != key.fingerprint
                    {
                        // The Secret now holds another key: the old one still opens old values.
                        self.orphaned
                            .insert(format!("{source}#{}", old.fingerprint_hex), old);
                    }
                }
                self.synced(expected)
            }
            Event::Delete(s) => {
                let source = source_of(&s);
                if let Some(key) = self.keys.remove(&source) {
                    warn!(
                        key = %describe(&key),
                        "key Secret deleted; the key stays loaded until restart. Restore the Secret from a backup, or values sealed to it will not open after a restart"
                    );
                    self.orphaned.insert(source, key);
                }
                self.synced(expected)
            }
        }
    }

    fn synced(&self, expected: usize) -> bool {
        self.synced_origins.len() >= expected
    }

    fn key_set(&self) -> KeySet {
        let active = self.keys.values().cloned().collect();
        let retired = self.orphaned.values().cloned().collect();
        KeySet::new(active, retired, true)
    }
}

fn source_of(s: &Secret) -> String {
    format!(
        "{}/{}",
        s.metadata.namespace.as_deref().unwrap_or_default(),
        s.metadata.name.as_deref().unwrap_or_default()
    )
}

fn load(s: &Secret, origin: Origin) -> Option<(String, Arc<SealingKey>)> {
    match secret::parse(s, origin) {
        Ok(key) => Some((source_of(s), Arc::new(key))),
        Err(e) => {
            warn!(error = %e, "skipping a labelled key Secret that holds no usable key");
            None
        }
    }
}
