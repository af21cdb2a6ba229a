//! Where the output goes: through symbolic links to the real file, and into FIFOs and devices
//! without replacing them.

mod common;

use std::io::Read;
use std::os::unix::fs::FileTypeExt;

use common::*;

fn is_symlink(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false)
}

#[test]
fn w_through_a_symlink_updates_the_real_file_and_keeps_the_link() {
    let fx = Fixture::new();
    let real = fx.write("real/db.sealed.yaml", "OLD\n");
    std::os::unix::fs::symlink("real/db.sealed.yaml", fx.path("db.yaml")).unwrap();
    fx.seal_ok(SECRET_YAML, &["-w", "db.yaml"]);
    assert!(is_symlink(&fx.path("db.yaml")), "the link stays a link");
    let written = std::fs::read_to_string(&real).unwrap();
    assert_eq!(sealed_docs(&written).len(), 1, "the real file was updated");

    // A dangling link: the file it points to is created.
    std::os::unix::fs::symlink("real/new.yaml", fx.path("new.yaml")).unwrap();
    fx.seal_ok(SECRET_YAML, &["-w", "new.yaml"]);
    assert!(is_symlink(&fx.path("new.yaml")));
    assert_eq!(sealed_docs(&fx.read("real/new.yaml")).len(), 1);
}

#[test]
fn merge_into_and_re_encrypt_through_a_symlink_update_the_real_file() {
    let fx = Fixture::new();
    fx.write("real/db.yaml", &fx.seal_ok(SECRET_YAML, &[]));
    std::os::unix::fs::symlink("real/db.yaml", fx.path("db.yaml")).unwrap();
    let update = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  extra: more\n";
    fx.seal_ok(update, &["--merge-into", "db.yaml"]);
    assert!(is_symlink(&fx.path("db.yaml")));
    let merged = sealed_docs(&fx.read("real/db.yaml")).remove(0);
    assert_eq!(open_all(&merged, &fx.key)["extra"], b"more");

    let key = fx.key_file();
    let out = fx
        .seal()
        .arg("--re-encrypt")
        .arg("--recovery-private-key")
        .arg(&key)
        .arg("--cert")
        .arg(fx.cert())
        .args(["-f", "db.yaml"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(is_symlink(&fx.path("db.yaml")));
    let rewritten = sealed_docs(&fx.read("real/db.yaml")).remove(0);
    assert_ne!(
        rewritten.spec.encrypted_data["extra"], merged.spec.encrypted_data["extra"],
        "the real file holds the re-encrypted values"
    );
    assert_eq!(open_all(&rewritten, &fx.key)["extra"], b"more");
}

#[test]
fn w_to_a_fifo_writes_into_it_and_leaves_it_a_fifo() {
    let fx = Fixture::new();
    let fifo = fx.path("out.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // Linux opens a FIFO read-write without waiting; that end lets the read-only open below
    // return at once. Dropping it after `seal` exits leaves `seal` as the only writer that was,
    // so the reader then sees the data and end-of-file, and no step can block forever.
    let keep_open = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&fifo)
        .unwrap();
    let mut reader = std::fs::File::open(&fifo).unwrap();
    let out = fx
        .seal()
        .arg("--cert")
        .arg(fx.cert())
        .arg("-w")
        .arg(&fifo)
        .write_stdin(SECRET_YAML)
        .output()
        .unwrap();
    drop(keep_open);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(sealed_docs(&text).len(), 1);
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was not replaced by a file");
}
