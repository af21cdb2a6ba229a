//! The leader's key duties: generate a key when there is none, when the newest is older than the
//! renew period, and once the cutoff time passes; and publish the newest certificate in the
//! `sealsync-cert` ConfigMap. Only the leader runs this, so two replicas never both generate.

use std::time::{Duration, SystemTime};

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, Client};
use sealsync_core::crypto::{KeyBits, KeyGenOptions, generate};
use serde_json::json;
use tokio::sync::watch;
use tracing::{error, info};

use super::{CERT_CONFIGMAP, CERT_CONFIGMAP_KEY, KeySet, Keyring, describe, secret};

/// The field manager of everything sealsync writes.
pub const FIELD_MANAGER: &str = "sealsync";
/// How long to wait before retrying a failed key write.
const RETRY: Duration = Duration::from_secs(10);
/// The longest sleep between checks, so a clock jump is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(600);

/// When to generate a key.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Generate a key when the newest is this old; `None` turns renewal off.
    pub period: Option<Duration>,
    /// Generate a key once this time has passed, if the newest key is older than it.
    pub cutoff: Option<SystemTime>,
    /// The size of generated keys.
    pub bits: KeyBits,
}

/// Why a key is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// There is no key yet.
    NoKeys,
    /// The newest key is older than the renew period.
    PeriodElapsed,
    /// The cutoff time passed and the newest key predates it.
    CutoffPassed,
}

/// What the leader should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Generate a key.
    Generate(Due),
    /// Nothing until then (`None`: until the key set changes).
    WaitUntil(Option<SystemTime>),
}

/// Decides from the key set, the policy and the time.
pub fn decide(set: &KeySet, policy: &Policy, now: SystemTime) -> Decision {
    let Some(newest) = set.newest() else {
        return Decision::Generate(Due::NoKeys);
    };
    if let Some(cutoff) = policy.cutoff
        && now >= cutoff
        && newest.created < cutoff
    {
        return Decision::Generate(Due::CutoffPassed);
    }
    // A period too long to add is no renewal at all.
    let by_period = policy.period.and_then(|p| newest.created.checked_add(p));
    if let Some(due) = by_period
        && now >= due
    {
        return Decision::Generate(Due::PeriodElapsed);
    }
    let by_cutoff = policy.cutoff.filter(|c| *c > now);
    let next = match (by_period, by_cutoff) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    Decision::WaitUntil(next)
}

/// Runs the leader's key duties until `stop` turns true.
pub async fn run(
    client: Client,
    namespace: String,
    keyring: Keyring,
    policy: Policy,
    mut stop: watch::Receiver<bool>,
) {
    let mut changes = keyring.subscribe();
    let mut published: Option<String> = None;
    loop {
        let set = keyring.current();
        let wait = if !set.synced() {
            MAX_SLEEP
        } else {
            match decide(&set, &policy, SystemTime::now()) {
                Decision::Generate(due) => {
                    match create_key(&client, &namespace, policy.bits, due).await {
                        Ok(fingerprint) => {
                            // Decide again only once the watcher has loaded it, or another is made.
                            appear(&keyring, &mut changes, &fingerprint, &mut stop).await;
                            continue;
                        }
                        Err(e) => {
                            error!(error = %e, hint = "check that the namespace exists and that sealsync may create Secrets in it", "cannot store a new sealing key");
                            RETRY
                        }
                    }
                }
                Decision::WaitUntil(next) => {
                    match publish_newest(&client, &namespace, &set, &mut published).await {
                        Ok(()) => next
                            .and_then(|t| t.duration_since(SystemTime::now()).ok())
                            .unwrap_or(MAX_SLEEP),
                        Err(e) => {
                            error!(error = %e, "cannot publish the certificate ConfigMap");
                            RETRY
                        }
                    }
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait.min(MAX_SLEEP)) => {}
            r = changes.changed() => if r.is_err() { return },
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Waits until the key with this fingerprint is in the keyring (a minute at most).
async fn appear(
    keyring: &Keyring,
    changes: &mut watch::Receiver<std::sync::Arc<KeySet>>,
    fingerprint: &str,
    stop: &mut watch::Receiver<bool>,
) {
    let deadline = tokio::time::sleep(Duration::from_secs(60));
    tokio::pin!(deadline);
    while keyring.current().by_fingerprint(fingerprint).is_none() {
        tokio::select! {
            r = changes.changed() => if r.is_err() { return },
            _ = &mut deadline => return,
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

async fn publish_newest(
    client: &Client,
    namespace: &str,
    set: &KeySet,
    published: &mut Option<String>,
) -> Result<(), RenewError> {
    if let Some(newest) = set.newest()
        && published.as_deref() != Some(newest.fingerprint_hex.as_str())
    {
        publish_cert(client, namespace, newest).await?;
        *published = Some(newest.fingerprint_hex.clone());
    }
    Ok(())
}

/// Why a key duty failed.
#[derive(Debug, thiserror::Error)]
pub enum RenewError {
    /// Key generation failed.
    #[error("cannot generate a key")]
    Generate(#[source] sealsync_core::crypto::KeyError),
    /// The key could not be encoded.
    #[error(transparent)]
    Encode(#[from] secret::KeySecretError),
    /// The blocking task died.
    #[error("key generation was interrupted")]
    Join(#[source] tokio::task::JoinError),
    /// The API refused a write.
    #[error("cannot write {what}")]
    Write {
        /// What was written.
        what: &'static str,
        /// Why.
        #[source]
        source: kube::Error,
    },
}

async fn create_key(
    client: &Client,
    namespace: &str,
    bits: KeyBits,
    due: Due,
) -> Result<String, RenewError> {
    info!(?due, ?bits, "generating a sealing key");
    let options = KeyGenOptions {
        bits,
        ..KeyGenOptions::default()
    };
    let (key, cert) = tokio::task::spawn_blocking(move || generate(&options))
        .await
        .map_err(RenewError::Join)?
        .map_err(RenewError::Generate)?;
    let body = secret::build(namespace, &key, &cert)?;
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let created = api
        .create(
            &PostParams {
                field_manager: Some(FIELD_MANAGER.into()),
                ..PostParams::default()
            },
            &body,
        )
        .await
        .map_err(|source| RenewError::Write {
            what: "the key Secret",
            source,
        })?;
    info!(
        secret = created.metadata.name.as_deref().unwrap_or_default(),
        fingerprint = %key.public_key().fingerprint(),
        "sealing key stored; back it up: kubectl get secret -n {namespace} -l sealsync.io/sealing-key -o yaml"
    );
    Ok(key.public_key().fingerprint().to_string())
}

async fn publish_cert(
    client: &Client,
    namespace: &str,
    newest: &super::SealingKey,
) -> Result<(), RenewError> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let body = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": CERT_CONFIGMAP,
            "annotations": {"sealsync.io/fingerprint": newest.fingerprint_hex},
        },
        "data": {CERT_CONFIGMAP_KEY: newest.cert.to_pem()},
    });
    api.patch(
        CERT_CONFIGMAP,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(body),
    )
    .await
    .map_err(|source| RenewError::Write {
        what: "the certificate ConfigMap",
        source,
    })?;
    info!(key = %describe(newest), "certificate published in ConfigMap {CERT_CONFIGMAP}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::secret::{Origin, SealingKey};
    use std::sync::Arc;

    fn set_with_key_aged(age: Duration) -> KeySet {
        let options = KeyGenOptions {
            bits: KeyBits::Rsa2048,
            ..KeyGenOptions::default()
        };
        let (key, cert) = generate(&options).expect("key");
        let created = SystemTime::now() - age;
        let key = Arc::new(SealingKey::new(
            key,
            cert,
            "ns/k".into(),
            created,
            Origin::Sealsync,
        ));
        KeySet::new(vec![key], vec![], true)
    }

    fn policy(period: Option<Duration>, cutoff: Option<SystemTime>) -> Policy {
        Policy {
            period,
            cutoff,
            bits: KeyBits::Rsa2048,
        }
    }

    #[test]
    fn a_key_is_due_when_there_is_none_when_the_period_passed_and_at_the_cutoff() {
        let now = SystemTime::now();
        let day = Duration::from_secs(86_400);
        assert_eq!(
            decide(&KeySet::default(), &policy(None, None), now),
            Decision::Generate(Due::NoKeys)
        );
        let month_old = set_with_key_aged(30 * day);
        assert_eq!(
            decide(&month_old, &policy(Some(7 * day), None), now),
            Decision::Generate(Due::PeriodElapsed)
        );
        assert_eq!(
            decide(&month_old, &policy(None, Some(now - day)), now),
            Decision::Generate(Due::CutoffPassed)
        );
        assert!(matches!(
            decide(&month_old, &policy(None, None), now),
            Decision::WaitUntil(None)
        ));
        let Decision::WaitUntil(Some(next)) =
            decide(&month_old, &policy(Some(60 * day), None), now)
        else {
            panic!("renewal is scheduled");
        };
        assert!(next > now);
    }

    #[test]
    fn a_period_too_long_to_add_means_no_renewal_instead_of_a_panic() {
        let set = set_with_key_aged(Duration::from_secs(1));
        let decision = decide(&set, &policy(Some(Duration::MAX), None), SystemTime::now());
        assert_eq!(decision, Decision::WaitUntil(None));
    }
}
