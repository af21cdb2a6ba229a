//! Records the git revision this binary was built from, for `sealsync --version`.

include!("scripts/git_revision.rs");

fn main() {
    emit_git_revision("SEALSYNC_GIT_REVISION", ".git");
}
