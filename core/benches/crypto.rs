//! Per-value seal and unseal with a 4096-bit key, at 32 B and at 64 KiB.
//!
//! `benches/compare_openssl.sh` runs this beside `openssl speed rsa4096` and prints the ratios.
//! The key is the committed test key `tests/vectors/keys/rsa4096-pkcs1.pem`, so runs compare.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sealsync_core::crypto::{PrivateKey, Scope, open, seal};

const SIZES: [(usize, &str); 2] = [(32, "32B"), (64 * 1024, "64KiB")];

fn key() -> PrivateKey {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/keys/rsa4096-pkcs1.pem");
    let pem = std::fs::read(&path).expect("the committed 4096-bit test key is readable");
    PrivateKey::from_pem(&pem).expect("the committed test key parses")
}

fn bench(c: &mut Criterion) {
    let key = key();
    let label = Scope::Strict.label("bench-namespace", "bench-secret");

    let mut group = c.benchmark_group("rsa4096");
    for (size, name) in SIZES {
        let plaintext = vec![0x5a_u8; size];
        group.throughput(Throughput::Bytes(size as u64));
        group.bench_with_input(BenchmarkId::new("seal", name), &plaintext, |b, pt| {
            b.iter(|| seal(key.public_key(), black_box(pt), black_box(&label)).expect("seal"));
        });
        let value = seal(key.public_key(), &plaintext, &label).expect("seal");
        group.bench_with_input(BenchmarkId::new("unseal", name), &value, |b, value| {
            b.iter(|| open(&key, black_box(value), black_box(&label)).expect("unseal"));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Modest times: the comparison script must finish in a few minutes on two shared cores.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
