//! Fetching from a real `git daemon` on loopback: ls-remote, a shallow fetch written to a folder,
//! a pushed change picked up (and a removed file gone), a missing ref, an unreachable server.

#[path = "support/gitd.rs"]
mod gitd;

use gitd::{commit_and_push, daemon, git, repository};

use sealsync::sync::source::{SourceError, fetch, remote_revision};

#[test]
fn ls_remote_and_shallow_fetch_follow_pushes() {
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

    let head = git(&work, &["rev-parse", "main"]);
    assert_eq!(
        remote_revision(&url, "refs/heads/main").expect("ls-remote"),
        head
    );
    let dest = dir.path().join("checkout");
    let checkout = fetch(&url, "refs/heads/main", &dest).expect("fetch");
    assert_eq!(checkout.revision, head);
    assert!(checkout.shallow, "git daemon honours depth 1");
    assert_eq!(
        std::fs::read_to_string(dest.join("apps/web/deploy.yaml")).expect("file"),
        "kind: Deployment\n"
    );

    // A pushed change: a new revision, the removed file gone from the checkout.
    std::fs::remove_file(work.join("old.yaml")).expect("rm");
    std::fs::write(work.join("new.yaml"), "kind: Service\n").expect("write");
    commit_and_push(dir.path(), "third");
    let pushed = git(&work, &["rev-parse", "main"]);
    assert_eq!(
        remote_revision(&url, "refs/heads/main").expect("ls-remote"),
        pushed
    );
    let checkout = fetch(&url, "refs/heads/main", &dest).expect("fetch again");
    assert_eq!(checkout.revision, pushed);
    assert!(dest.join("new.yaml").exists() && !dest.join("old.yaml").exists());

    assert!(matches!(
        remote_revision(&url, "refs/heads/nope"),
        Err(SourceError::NoSuchRef { .. })
    ));
}

#[test]
fn an_unreachable_server_is_an_error_naming_the_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let url = format!("git://127.0.0.1:{port}/config.git");
    let err = remote_revision(&url, "refs/heads/main").expect_err("nothing listens");
    assert!(err.to_string().contains(&url), "{err}");
}
