//! Authenticating a webhook call for `POST /hooks/<namespace>/<name>` against the GitSync's
//! token: GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the body), GitLab's `X-Gitlab-Token`,
//! or `Authorization: Bearer`. Every comparison is constant-time.

use aws_lc_rs::{constant_time, hmac};

/// The scheme a call authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `X-Hub-Signature-256: sha256=<hex>`.
    GitHub,
    /// `X-Gitlab-Token: <token>`.
    GitLab,
    /// `Authorization: Bearer <token>`.
    Bearer,
}

/// Why a call is refused (401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credential in any of the three forms.
    #[error("no X-Hub-Signature-256, X-Gitlab-Token or Authorization: Bearer header")]
    Missing,
    /// A credential that does not match.
    #[error("the {0:?} credential does not match the GitSync's webhook token")]
    Mismatch(Scheme),
}

/// Checks a call: `header` looks a header up by name (case-insensitively, as HTTP does).
pub fn authenticate(
    header: impl Fn(&str) -> Option<String>,
    body: &[u8],
    token: &[u8],
) -> Result<Scheme, AuthError> {
    if let Some(signature) = header("x-hub-signature-256") {
        let tag = signature
            .strip_prefix("sha256=")
            .and_then(unhex)
            .ok_or(AuthError::Mismatch(Scheme::GitHub))?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, token);
        return hmac::verify(&key, body, &tag)
            .map(|()| Scheme::GitHub)
            .map_err(|_| AuthError::Mismatch(Scheme::GitHub));
    }
    if let Some(given) = header("x-gitlab-token") {
        return same(given.as_bytes(), token)
            .then_some(Scheme::GitLab)
            .ok_or(AuthError::Mismatch(Scheme::GitLab));
    }
    if let Some(auth) = header("authorization") {
        let given = auth
            .strip_prefix("Bearer ")
            .ok_or(AuthError::Mismatch(Scheme::Bearer))?;
        return same(given.trim().as_bytes(), token)
            .then_some(Scheme::Bearer)
            .ok_or(AuthError::Mismatch(Scheme::Bearer));
    }
    Err(AuthError::Missing)
}

fn same(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn github_gitlab_and_bearer() {
        // HMAC-SHA256("It's a Secret to Everybody", "Hello, World!"), GitHub's documented example.
        let sig = &[(
            "X-Hub-Signature-256",
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        )];
        assert_eq!(
            authenticate(
                headers(sig),
                b"Hello, World!",
                b"It's a Secret to Everybody"
            ),
            Ok(Scheme::GitHub)
        );
        assert_eq!(
            authenticate(
                headers(sig),
                b"Hello, World?",
                b"It's a Secret to Everybody"
            ),
            Err(AuthError::Mismatch(Scheme::GitHub))
        );
        assert_eq!(
            authenticate(headers(&[("X-Gitlab-Token", "t0k")]), b"", b"t0k"),
            Ok(Scheme::GitLab)
        );
        assert_eq!(
            authenticate(headers(&[("X-Gitlab-Token", "t0")]), b"", b"t0k"),
            Err(AuthError::Mismatch(Scheme::GitLab))
        );
        assert_eq!(
            authenticate(headers(&[("authorization", "Bearer t0k")]), b"", b"t0k"),
            Ok(Scheme::Bearer)
        );
        assert_eq!(
            authenticate(headers(&[("Authorization", "Basic dDBr")]), b"", b"t0k"),
            Err(AuthError::Mismatch(Scheme::Bearer))
        );
        assert_eq!(
            authenticate(headers(&[]), b"", b"t0k"),
            Err(AuthError::Missing)
        );
    }
}
