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
