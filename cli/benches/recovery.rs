//! `--recovery-unseal` of 1000 values: one thread against every core, in the same run.
//!
//! Two measurements, each the median of `RUNS` runs, one-thread and all-core runs alternating:
//! - `open_views`, the library call the three recovery modes share (the RSA work alone);
//! - the `seal` binary end to end (`seal --recovery-unseal --threads N -f FILE`), reading,
//!   parsing and printing included.
//!
//! The key is the committed 4096-bit test key (core/tests/vectors/keys/rsa4096-pkcs1.pem), so
//! runs compare. Run with `cargo bench -p seal --bench recovery`.

use std::num::NonZeroUsize;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use sealsync_core::api::{Format, ObjectMeta, Secret, docs};
use sealsync_core::crypto::PrivateKey;
use sealsync_core::sealing::parallel::{all_cores, open_views};
use sealsync_core::sealing::{SealOptions, seal_secret};

const VALUES: usize = 1000;
const RUNS: usize = 5;

fn key() -> PrivateKey {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/vectors/keys/rsa4096-pkcs1.pem");
    let pem = std::fs::read(&path).expect("the committed 4096-bit test key is readable");
    PrivateKey::from_pem(&pem).expect("the committed test key parses")
}

/// This process's CPU time (user and system), from /proc (Linux); zero elsewhere.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name (which ends with ')'), the state is field 3; utime and stime are
    // fields 14 and 15, in clock ticks (100 per second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |n: usize| -> u64 { fields.get(n - 3).and_then(|f| f.parse().ok()).unwrap_or(0) };
    Duration::from_millis((field(14) + field(15)) * 10)
}

/// One run's wall time and this process's CPU time.
fn measure(f: &mut impl FnMut()) -> (Duration, Duration) {
    let (start, cpu) = (Instant::now(), cpu_time());
    f();
    (start.elapsed(), cpu_time().saturating_sub(cpu))
}

/// `RUNS` runs of `one` and `all`, alternating so that a change in the machine's load hits both
/// alike, after one warm-up run of each; the median (by wall time) of each.
fn compare(
    mut one: impl FnMut(),
    mut all: impl FnMut(),
) -> ((Duration, Duration), (Duration, Duration)) {
    one();
    all();
    let (mut a, mut b): (Vec<_>, Vec<_>) = (0..RUNS)
        .map(|_| (measure(&mut one), measure(&mut all)))
        .unzip();
    a.sort();
    b.sort();
    (a[RUNS / 2], b[RUNS / 2])
}

fn row(what: &str, threads: usize, (took, cpu): (Duration, Duration), baseline: Duration) {
    let per_second = VALUES as f64 / took.as_secs_f64();
    let speedup = baseline.as_secs_f64() / took.as_secs_f64();
    let cores_busy = if cpu.is_zero() {
        "-".to_owned()
    } else {
        format!("{:.2}", cpu.as_secs_f64() / took.as_secs_f64())
    };
    println!(
        "| {what} | {threads} | {took:.2?} | {per_second:.0} | {speedup:.2}x | {cores_busy} |"
    );
}

fn main() {
    let key = key();
    let mut secret = Secret::new(ObjectMeta {
        name: Some("bench".into()),
        namespace: Some("bench".into()),
        ..ObjectMeta::default()
    });
    for i in 0..VALUES {
        secret.set_value(
            &format!("value-{i:04}"),
            format!("plaintext {i}").as_bytes(),
        );
    }
    let sealed =
        seal_secret(&secret, key.public_key(), &SealOptions::default()).expect("sealing works");
    let cores = all_cores();
    let one = NonZeroUsize::MIN;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "recovery-unseal of {VALUES} values, RSA-4096, median of {RUNS} runs, {} cores, load \
         average before: {}",
        cores.get(),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("| measured | threads | time | values/s | speed-up | cores busy (CPU/wall) |");
    println!("|---|---|---|---|---|---|");

    let views = [sealed.view()];
    let keys = std::slice::from_ref(&key);
    let open = |threads| {
        let opened = open_views(&views, keys, threads);
        assert!(opened.iter().all(Result::is_ok), "every value opens");
    };
    let (base, all) = compare(|| open(one), || open(cores));
    row("open_views", 1, base, base.0);
    row("open_views", cores.get(), all, base.0);

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bench.yaml");
    let key_file = dir.path().join("tls.key");
    std::fs::write(&file, docs::render(&sealed, Format::Yaml).expect("render")).expect("write");
    std::fs::write(&key_file, key.to_pkcs1_pem().expect("pem").as_bytes()).expect("write");
    let cli = |threads: usize| {
        let out = Command::new(env!("CARGO_BIN_EXE_seal"))
            .args(["--recovery-unseal", "--recovery-private-key"])
            .arg(&key_file)
            .arg("-f")
            .arg(&file)
            .args(["--threads", &threads.to_string()])
            .output()
            .expect("seal runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // The work happens in a child process, whose CPU time is not this one's ("-").
    let ((base, _), (all, _)) = compare(|| cli(1), || cli(cores.get()));
    row("seal --recovery-unseal", 1, (base, Duration::ZERO), base);
    row(
        "seal --recovery-unseal",
        cores.get(),
        (all, Duration::ZERO),
        base,
    );
}
