//! The multi-recipient format against Bitnami's, per value, printed as a table with ratios:
//!
//! - opening with a ring of 1, 4 and 16 keys, the value sealed to the ring's last key (an old or
//!   imported key, the worst case for Bitnami's format, which names no key);
//! - sealing to 1, 3 and 5 certificates, against sealing one Bitnami value per certificate.
//!
//! 2048-bit keys (generating sixteen 4096-bit keys would dominate the run); the RSA operation
//! dominates at either size, so the ratios carry over. `cargo bench -p sealsync-core --bench multi`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sealsync_core::crypto::{KeyBits, PrivateKey, Recipients, Scope, Sealer, open_with_any, seal};

/// Median time of one call of `f`, over rounds of at least 100 ms.
fn time(mut f: impl FnMut()) -> Duration {
    f();
    let mut rounds = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < Duration::from_millis(100) {
            f();
            n += 1;
        }
        rounds.push(start.elapsed() / n);
    }
    rounds.sort();
    rounds[rounds.len() / 2]
}

fn us(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn main() {
    // Sixteen keys for the rings, and two more that only other clusters hold.
    let ring: Vec<PrivateKey> = (0..18)
        .map(|_| PrivateKey::generate(KeyBits::Rsa2048).expect("keygen"))
        .collect();
    let label = Scope::Strict.label("prod", "db");
    let plaintext = vec![0x5a_u8; 64];

    println!("open one value, sealed to the ring's last key (median per value)");
    println!("| keys in ring | Bitnami | multi-recipient (3 keys named) | multi / Bitnami |");
    println!("|---|---|---|---|");
    for size in [1, 4, 16] {
        let keys = &ring[..size];
        let last = keys[size - 1].public_key();
        let bitnami = seal(last, &plaintext, &label).expect("seal");
        let named = Recipients::multi(vec![
            ring[16].public_key().clone(),
            ring[17].public_key().clone(),
            last.clone(),
        ])
        .expect("recipients");
        let multi = named.seal(&plaintext, &label).expect("seal");
        let b = time(|| {
            black_box(open_with_any(keys, black_box(&bitnami), &label).expect("opens"));
        });
        let m = time(|| {
            black_box(open_with_any(keys, black_box(&multi), &label).expect("opens"));
        });
        println!(
            "| {size} | {} | {} | {:.2}× |",
            us(b),
            us(m),
            m.as_secs_f64() / b.as_secs_f64()
        );
    }

    println!();
    println!("seal one value to n certificates (median per value)");
    println!("| n | n Bitnami values | one multi-recipient value | multi / Bitnami |");
    println!("|---|---|---|---|");
    for n in [1, 3, 5] {
        let publics: Vec<_> = ring[..n].iter().map(|k| k.public_key().clone()).collect();
        let to = Recipients::multi(publics.clone()).expect("recipients");
        let b = time(|| {
            for key in &publics {
                black_box(seal(key, black_box(&plaintext), &label).expect("seal"));
            }
        });
        let m = time(|| {
            black_box(to.seal(black_box(&plaintext), &label).expect("seal"));
        });
        println!(
            "| {n} | {} | {} | {:.2}× |",
            us(b),
            us(m),
            m.as_secs_f64() / b.as_secs_f64()
        );
    }
}
