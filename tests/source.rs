//! Fetching from a real `git daemon` on loopback, through `update` as the controller runs it: a
//! shallow fetch written to a folder, a pushed change picked up (and a removed file gone), a
//! missing ref, an unreachable server; and `git http-backend` behind basic and bearer auth.

#[path = "support/gitd.rs"]
mod gitd;

use gitd::{commit_and_push, daemon, git, http_backend, repository};

use std::path::Path;

use sealsync::sync::source::{Auth, Checkout, SourceError, Update, update};

/// One update of `reference` into the cache repository and checkout below `dir`, as the
/// controller runs it, from a checkout of `have` (None: the first run).
fn update_in(
    dir: &Path,
    url: &str,
    reference: &str,
    have: Option<&str>,
    auth: &Auth,
) -> Result<Update, SourceError> {
    update(
        url,
        reference,
        &dir.join("repo"),
        &dir.join("tree"),
        have,
        auth,
    )
}

/// The checkout of an update that had to fetch.
fn fetched(update: Result<Update, SourceError>) -> Checkout {
    match update.expect("update") {
        Update::Fetched(checkout) => checkout,
        other => panic!("expected a fetch, got {other:?}"),
    }
}

#[test]
fn a_shallow_fetch_follows_pushes_and_a_missing_ref_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = repository(
        dir.path(),
        &[
            ("apps/web/deploy.yaml", "kind: Deployment\n"),
            ("old.yaml", "kind: ConfigMap\n"),
        ],
    );
    let work = dir.path().join("work");
    // A second commit, so that depth 1 has something to leave out.
    commit_and_push(dir.path(), "second");
    let daemon = daemon(&served);
    let url = format!("git://127.0.0.1:{}/config.git", daemon.1);
    let auth = Auth::default();

    let head = git(&work, &["rev-parse", "main"]);
    let checkout = fetched(update_in(dir.path(), &url, "refs/heads/main", None, &auth));
    assert_eq!(checkout.revision, head);
    assert!(checkout.shallow, "git daemon honours depth 1");
    assert_eq!(
        std::fs::read_to_string(checkout.dir.join("apps/web/deploy.yaml")).expect("file"),
        "kind: Deployment\n"
    );

    // A pushed change: a new revision, the removed file gone from the checkout.
    std::fs::remove_file(work.join("old.yaml")).expect("rm");
    std::fs::write(work.join("new.yaml"), "kind: Service\n").expect("write");
    commit_and_push(dir.path(), "third");
    let pushed = git(&work, &["rev-parse", "main"]);
    let again = update_in(dir.path(), &url, "refs/heads/main", Some(&head), &auth);
    let checkout = fetched(again);
    assert_eq!(checkout.revision, pushed);
    assert!(checkout.dir.join("new.yaml").exists() && !checkout.dir.join("old.yaml").exists());

    assert!(matches!(
        update_in(dir.path(), &url, "refs/heads/nope", Some(&pushed), &auth),
        Err(SourceError::NoSuchRef { .. })
    ));
}

#[test]
fn an_unreachable_server_is_an_error_naming_the_url() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = format!("git://127.0.0.1:{port}/config.git");
    let err = update_in(dir.path(), &url, "refs/heads/main", None, &Auth::default())
        .expect_err("nothing listens");
    assert!(err.to_string().contains(&url), "{err}");
}

/// A bearer token against `git http-backend`: the right one fetches; a wrong one fails with an
/// error that never holds it. Basic credentials are never sent over plain http (the controller
/// test sends them over https).
#[test]
fn bearer_auth_and_no_basic_credentials_in_clear_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = repository(dir.path(), &[("app/cm.yaml", "kind: ConfigMap\n")]);
    let head = git(&dir.path().join("work"), &["rev-parse", "main"]);
    let secret = |pairs: &[(&str, &str)]| {
        let data = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
            .collect();
        Auth::from_secret(&data).expect("credentials")
    };
    let bearer = http_backend(&served, "bearer", "t0ken-value", None);
    let url = format!("http://127.0.0.1:{}/config.git", bearer.1);
    let token = secret(&[("bearerToken", "t0ken-value")]);
    let checkout = fetched(update_in(dir.path(), &url, "refs/heads/main", None, &token));
    assert_eq!(checkout.revision, head);
    assert!(checkout.dir.join("app/cm.yaml").is_file());
    for auth in [secret(&[("bearerToken", "other-token")]), Auth::default()] {
        let err = update_in(dir.path(), &url, "refs/heads/main", None, &auth).expect_err("refused");
        let text = format!("{err} {err:?}");
        assert!(text.contains(&url), "{text}");
        assert!(
            !text.contains("other-token") && !text.contains("t0ken"),
            "{text}"
        );
    }

    let basic = http_backend(&served, "basic", "ci:s3cret-pw", None);
    let url = format!("http://127.0.0.1:{}/config.git", basic.1);
    let auth = secret(&[("username", "ci"), ("password", "s3cret-pw")]);
    let err =
        update_in(dir.path(), &url, "refs/heads/main", None, &auth).expect_err("not over http");
    let text = format!("{err} {err:?}");
    assert!(text.contains("clear text"), "{text}");
    assert!(!text.contains("s3cret-pw"), "{text}");
}

/// The cache repository: the first update fetches, an unchanged remote fetches nothing, a push
/// is fetched on top of what is there (still shallow) and the checkout follows it.
#[test]
fn update_fetches_only_when_the_remote_moved() {
    let dir = tempfile::tempdir().expect("tempdir");
    let served = repository(
        dir.path(),
        &[
            ("a.yaml", "kind: ConfigMap\n"),
            ("b.yaml", "kind: Secret\n"),
        ],
    );
    let work = dir.path().join("work");
    let daemon = daemon(&served);
    let url = format!("git://127.0.0.1:{}/config.git", daemon.1);
    let (repo, tree) = (dir.path().join("repo"), dir.path().join("tree"));
    let auth = Auth::default();
    let first = match update(&url, "refs/heads/main", &repo, &tree, None, &auth).expect("update") {
        Update::Fetched(c) => c,
        other => panic!("expected a fetch, got {other:?}"),
    };
    assert!(first.shallow);
    assert_eq!(first.revision, git(&work, &["rev-parse", "main"]));
    let again = update(
        &url,
        "refs/heads/main",
        &repo,
        &tree,
        Some(&first.revision),
        &auth,
    );
    assert_eq!(
        again.expect("update"),
        Update::Unchanged(first.revision.clone())
    );

    std::fs::remove_file(work.join("b.yaml")).expect("rm");
    std::fs::write(work.join("a.yaml"), "kind: ConfigMap # v2\n").expect("write");
    commit_and_push(dir.path(), "second");
    let second = update(
        &url,
        "refs/heads/main",
        &repo,
        &tree,
        Some(&first.revision),
        &auth,
    );
    let Update::Fetched(second) = second.expect("update") else {
        panic!("the push is fetched");
    };
    assert_eq!(second.revision, git(&work, &["rev-parse", "main"]));
    assert!(second.shallow);
    assert_eq!(
        std::fs::read_to_string(tree.join("a.yaml")).expect("read"),
        "kind: ConfigMap # v2\n"
    );
    assert!(!tree.join("b.yaml").exists(), "a removed file is gone");
}

/// A semver range picks the highest matching tag (a leading `v` allowed; tags that are not
/// versions ignored); a range nothing matches is an error naming it.
#[test]
fn latest_tag_picks_the_highest_match() {
    use sealsync::sync::source::latest_tag;
    let dir = tempfile::tempdir().expect("tempdir");
    let served = repository(dir.path(), &[("a.yaml", "kind: ConfigMap\n")]);
    let work = dir.path().join("work");
    for tag in ["v1.0.0", "v1.2.0", "1.10.1", "v2.0.0", "latest"] {
        git(&work, &["tag", "-a", tag, "-m", tag]);
    }
    git(
        &work,
        &[
            "push",
            "-q",
            "--tags",
            served.join("config.git").to_str().expect("utf8"),
        ],
    );
    let daemon = daemon(&served);
    let url = format!("git://127.0.0.1:{}/config.git", daemon.1);
    let auth = Auth::default();
    assert_eq!(
        latest_tag(&url, ">=1.0.0, <2.0.0", &auth).expect("a match"),
        ("1.10.1".to_owned(), "refs/tags/1.10.1".to_owned())
    );
    assert_eq!(latest_tag(&url, "^2", &auth).expect("a match").0, "v2.0.0");
    let err = latest_tag(&url, ">=3.0.0", &auth).expect_err("no match");
    assert!(err.to_string().contains(">=3.0.0"), "{err}");
    assert!(latest_tag(&url, "not a range", &auth).is_err());
}
