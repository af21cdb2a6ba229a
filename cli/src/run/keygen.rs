//! `seal keygen`: a sealing key pair for bring-your-own-key and offline use, in the layout of
//! a Bitnami key Secret: `tls.key` (PKCS#1 PEM, mode 0600) and `tls.crt`.

use std::path::Path;

use sealsync_core::crypto::{self, KeyGenOptions};

use crate::error::CliError;
use crate::io;

/// Generates the key and writes both files.
pub fn keygen(dir: &Path, options: &KeyGenOptions, force: bool) -> Result<(), CliError> {
    let key_path = dir.join("tls.key");
    let cert_path = dir.join("tls.crt");
    let existing = [&key_path, &cert_path].into_iter().find(|p| p.exists());
    if let (false, Some(existing)) = (force, existing) {
        return Err(CliError::KeyExists {
            path: existing.clone(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
        what: dir.display().to_string(),
        source,
    })?;
    let (key, cert) = crypto::generate(options).map_err(|source| CliError::Keygen { source })?;
    let pem = key
        .to_pkcs1_pem()
        .map_err(|source| CliError::Keygen { source })?;
    io::write_atomic(&key_path, pem.as_bytes(), Some(0o600))?;
    io::write_atomic(&cert_path, cert.to_pem().as_bytes(), Some(0o644))?;
    io::stderr_line(&format!(
        "wrote {} and {} ({} bits, {}, valid until {})",
        key_path.display(),
        cert_path.display(),
        key.public_key().bits(),
        key.public_key().fingerprint(),
        crate::cert::rfc3339(cert.not_after()),
    ));
    Ok(())
}
