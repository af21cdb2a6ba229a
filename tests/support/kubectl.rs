//! The real `kubectl` for the tests that drive it: on the PATH, or `None` in a local run
//! without it (the test then skips that part and says so). CI installs it, so there a missing
//! kubectl fails.

use std::path::PathBuf;

/// kubectl on the PATH.
pub fn kubectl() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("kubectl"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is required in CI"
        );
        eprintln!("skipping the kubectl part: kubectl is not on PATH");
    }
    found
}
