//! Prometheus metrics. Every label value is a fixed `&'static str`; nothing derived from an
//! object, an error message or a value ever becomes a label.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// A fixed reason label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// `Unsealed`, `DecryptionFailed`, `SecretNotOwned`, `InvalidSpec`.
    pub reason: &'static str,
}

/// A fixed error-kind label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// What failed.
    pub kind: &'static str,
}

/// What happened to an object in a GitSync run.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// `applied`, `unchanged` or `pruned`.
    pub result: &'static str,
}

/// The build-info label set.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabel {
    /// The crate version.
    pub version: &'static str,
}

/// Every metric the controller exports.
pub struct Metrics {
    registry: Registry,
    /// Reconcile outcomes by reason.
    pub unseals: Family<ReasonLabel, Counter>,
    /// Reconciles that failed on a transient error and will be retried, by kind.
    pub errors: Family<KindLabel, Counter>,
    /// Reconcile durations.
    pub reconcile_duration: Histogram,
    /// Loaded keys.
    pub keys: Gauge,
    /// RSA private-key operations (each key tried on each value counts one).
    pub rsa_ops: Counter,
    /// Values opened from the ciphertext cache, with no RSA operation.
    pub cache_hits: Counter,
    /// HTTP requests refused by the rate limit.
    pub rate_limited: Counter,
    /// GitSync runs by outcome reason.
    pub gitsync_runs: Family<ReasonLabel, Counter>,
    /// GitSync run durations.
    pub gitsync_duration: Histogram,
    /// Git ls-remote + fetch durations.
    pub fetch_duration: Histogram,
    /// Objects of GitSync runs by result.
    pub gitsync_objects: Family<ResultLabel, Counter>,
    /// Unix time of the last revision applied by any GitSync.
    pub last_applied: Gauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> Arc<Metrics> {
        let mut registry = Registry::with_prefix("sealsync");
        let unseals = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "unseals",
            "SealedSecret reconciles by outcome reason",
            unseals.clone(),
        );
        let errors = Family::<KindLabel, Counter>::default();
        registry.register(
            "reconcile_errors",
            "Reconciles that failed on a transient error, by kind",
            errors.clone(),
        );
        let reconcile_duration = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "reconcile_duration_seconds",
            "Time to reconcile one SealedSecret",
            reconcile_duration.clone(),
        );
        let keys = Gauge::default();
        registry.register("keys", "Sealing keys loaded", keys.clone());
        let rsa_ops = Counter::default();
        registry.register(
            "rsa_decrypt_operations",
            "RSA private-key operations",
            rsa_ops.clone(),
        );
        let cache_hits = Counter::default();
        registry.register(
            "decrypt_cache_hits",
            "Values opened from the ciphertext cache",
            cache_hits.clone(),
        );
        let rate_limited = Counter::default();
        registry.register(
            "http_rate_limited",
            "HTTP requests answered 429",
            rate_limited.clone(),
        );
        let gitsync_runs = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "gitsync_runs",
            "GitSync runs by outcome reason",
            gitsync_runs.clone(),
        );
        let gitsync_duration = Histogram::new(exponential_buckets(0.001, 2.0, 18));
        registry.register(
            "gitsync_run_duration_seconds",
            "Time of one GitSync run: fetch, render, apply, health, prune",
            gitsync_duration.clone(),
        );
        let fetch_duration = Histogram::new(exponential_buckets(0.001, 2.0, 18));
        registry.register(
            "gitsync_fetch_duration_seconds",
            "Time of the ls-remote and, when the revision moved, the fetch",
            fetch_duration.clone(),
        );
        let gitsync_objects = Family::<ResultLabel, Counter>::default();
        registry.register(
            "gitsync_objects",
            "Objects handled by GitSync runs: applied (written), unchanged, pruned",
            gitsync_objects.clone(),
        );
        let last_applied = Gauge::default();
        registry.register(
            "gitsync_last_applied_timestamp_seconds",
            "Unix time of the last revision a GitSync applied",
            last_applied.clone(),
        );
        let build = Family::<BuildLabel, Gauge>::default();
        build
            .get_or_create(&BuildLabel {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "Build information", build);
        Arc::new(Metrics {
            registry,
            unseals,
            errors,
            reconcile_duration,
            keys,
            rsa_ops,
            cache_hits,
            rate_limited,
            gitsync_runs,
            gitsync_duration,
            fetch_duration,
            gitsync_objects,
            last_applied,
        })
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
