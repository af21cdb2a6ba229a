//! Opening many sealed values on every core: `seal --recovery-unseal`, `--validate` and
//! `--re-encrypt` over a large file are RSA private-key operations, one per value and key tried,
//! and each value is independent of the others.
//!
//! [`open_views`] gives exactly what [`SealedView::open_all`] gives for each SealedSecret (all
//! or nothing, every failing key named), with the values of all of them spread over `threads`
//! workers.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::crypto::{self, DecryptionFailed, Opened, PrivateKey};

use super::unseal::{SealedView, UnsealError};

/// `f` applied to every item, on up to `threads` threads, results in the items' order. Workers
/// take the next item as they finish one, so uneven costs even out. A panic in `f` is raised
/// again here, as if `f` had run on this thread.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: NonZeroUsize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let workers = threads.get().min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => done.into_iter().for_each(|(i, r)| slots[i] = Some(r)),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    slots
        .into_iter()
        .map(|r| r.expect("each index is claimed by exactly one worker, which fills it"))
        .collect()
}

/// One value to open: which SealedSecret, which key, the base64 value.
struct Job<'a> {
    view: usize,
    key: &'a str,
    value: &'a str,
}

/// Opens every value of every SealedSecret with `keys`, on up to `threads` threads; the result
/// for each is what [`SealedView::open_all`] would give.
pub fn open_views(
    views: &[SealedView<'_>],
    keys: &[PrivateKey],
    threads: NonZeroUsize,
) -> Vec<Result<BTreeMap<String, Opened>, UnsealError>> {
    let labels: Vec<Result<Vec<u8>, UnsealError>> = views.iter().map(SealedView::label).collect();
    let jobs: Vec<Job<'_>> = views
        .iter()
        .enumerate()
        .filter(|(i, _)| labels[*i].is_ok())
        .flat_map(|(view, v)| {
            v.encrypted_data.iter().map(move |(key, value)| Job {
                view,
                key: key.as_str(),
                value: value.as_str(),
            })
        })
        .collect();
    let outcomes = parallel_map(&jobs, threads, |job| match &labels[job.view] {
        Ok(label) => crypto::open_base64(keys, job.value, label),
        Err(_) => Err(DecryptionFailed),
    });
    let mut opened: Vec<BTreeMap<String, Opened>> = views.iter().map(|_| BTreeMap::new()).collect();
    let mut failed: Vec<Vec<String>> = views.iter().map(|_| Vec::new()).collect();
    for (job, outcome) in jobs.iter().zip(outcomes) {
        match outcome {
            Ok(o) => {
                opened[job.view].insert(job.key.to_owned(), o);
            }
            Err(DecryptionFailed) => failed[job.view].push(job.key.to_owned()),
        }
    }
    views
        .iter()
        .zip(labels)
        .zip(opened.into_iter().zip(failed))
        .map(|((view, label), (opened, failed))| {
            label?;
            match failed.is_empty() {
                true => Ok(opened),
                false => Err(UnsealError::Decrypt {
                    name: view.display_name(),
                    keys: failed,
                    total: view.encrypted_data.len(),
                }),
            }
        })
        .collect()
}

/// The number of threads to use: every core the process may run on.
pub fn all_cores() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{ObjectMeta, SealedSecret, Secret};
    use crate::crypto::KeyBits;
    use crate::sealing::seal::{SealOptions, seal_secret};
    use crate::sealing::test_key as key;
    use serde_json::json;

    #[test]
    fn parallel_map_keeps_the_order_and_uses_several_threads() {
        let items: Vec<u64> = (0..200).collect();
        let threads = NonZeroUsize::new(4).expect("4 is not zero");
        let seen = std::sync::Mutex::new(std::collections::HashSet::new());
        let out = parallel_map(&items, threads, |n| {
            seen.lock()
                .expect("not poisoned")
                .insert(std::thread::current().id());
            std::thread::sleep(std::time::Duration::from_millis(1));
            n * 2
        });
        assert_eq!(out, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(
            seen.lock().expect("not poisoned").len() > 1,
            "more than one worker ran"
        );
        assert!(parallel_map(&[] as &[u8], threads, |_| ()).is_empty());
    }

    fn sealed(name: &str, values: usize) -> SealedSecret {
        let mut secret = Secret::new(ObjectMeta {
            name: Some(name.into()),
            namespace: Some("prod".into()),
            ..ObjectMeta::default()
        });
        for i in 0..values {
            secret.set_value(&format!("k{i}"), format!("v{i}").as_bytes());
        }
        seal_secret(&secret, key().public_key(), &SealOptions::default()).expect("seal")
    }

    #[test]
    fn gives_what_open_all_gives_for_each_sealed_secret() {
        let good = sealed("a", 7);
        let mut tampered = sealed("b", 3);
        let stranger = PrivateKey::generate(KeyBits::Rsa2048).expect("key");
        let foreign =
            crate::crypto::seal_base64(stranger.public_key(), b"x", b"prod/b").expect("seal");
        tampered.spec.encrypted_data.insert("k1".into(), foreign);
        let mut nameless = sealed("c", 1);
        nameless.metadata.name = None;
        let legacy = SealedSecret::from_value(json!({
            "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
            "metadata": {"name": "d", "namespace": "prod"},
            "spec": {"data": "AgA="}
        }))
        .expect("a SealedSecret");
        let all = [good, tampered, nameless, legacy];
        let views: Vec<_> = all.iter().map(SealedSecret::view).collect();
        let keys = std::slice::from_ref(key());
        for threads in [1, 2, 8] {
            let threads = NonZeroUsize::new(threads).expect("not zero");
            let parallel = open_views(&views, keys, threads);
            for (view, got) in views.iter().zip(&parallel) {
                let want = view.open_all(keys);
                match (got, &want) {
                    (Ok(got), Ok(want)) => {
                        assert_eq!(
                            got.keys().collect::<Vec<_>>(),
                            want.keys().collect::<Vec<_>>()
                        );
                        for (k, o) in got {
                            assert_eq!(o.plaintext, want[k].plaintext);
                        }
                    }
                    (Err(got), Err(want)) => assert_eq!(got.to_string(), want.to_string()),
                    _ => panic!("{} differs", view.display_name()),
                }
            }
        }
    }
}
