//! Records the git revision this binary was built from, for `seal --version`.

include!("../scripts/git_revision.rs");

fn main() {
    emit_git_revision("SEAL_GIT_REVISION", "../.git");
}
