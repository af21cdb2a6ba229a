//! Fetching a revision with gix, in blocking code (run it on a blocking task):
//!
//! - [`update`]: one connection lists the ref, and only when it moved from the revision checked
//!   out, fetches it (depth 1) into a bare cache repository kept between runs and writes its
//!   tree to a folder (only what changed, when the previous tree is known). Whether the server
//!   honoured the depth is reported (`is_shallow()`): some servers ignore it.
//! - [`latest_tag`]: the highest tag matching a semver range.
//!
//! Both take the repository's [`Auth`] (anonymous by default).

mod auth;

pub use auth::{Auth, AuthError};

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gix::remote::Direction;
use sealsync_core::redact::redact_urls;

/// A Git object id as hex.
pub type Revision = String;

/// Why a fetch failed. Messages carry the URL and the ref, never credentials.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A Git step failed.
    #[error("{step} {url} ({reference}) failed: {detail}")]
    Git {
        /// What was being done.
        step: &'static str,
        /// The repository.
        url: String,
        /// The ref.
        reference: String,
        /// gix's message.
        detail: String,
    },
    /// The remote has no such ref.
    #[error("{url} has no {reference}")]
    NoSuchRef {
        /// The repository.
        url: String,
        /// The ref.
        reference: String,
    },
    /// `ref.semver` is not a semver range.
    #[error("{range:?} is not a semver range ({detail}); write e.g. \">=1.2.0, <2.0.0\"")]
    BadRange {
        /// The range.
        range: String,
        /// The parser's message.
        detail: String,
    },
    /// Writing the checkout failed.
    #[error("cannot write the checkout to {path}")]
    Write {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A fetched revision, written to a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The commit.
    pub revision: Revision,
    /// The folder holding its tree.
    pub dir: PathBuf,
    /// Whether the fetch was shallow, as asked (some servers ignore the depth).
    pub shallow: bool,
}

fn git_error(
    step: &'static str,
    url: &str,
    reference: &str,
) -> impl Fn(&dyn std::error::Error) -> SourceError {
    let (url, reference) = (redact_urls(url), reference.to_owned());
    move |e| SourceError::Git {
        step,
        url: url.clone(),
        reference: reference.clone(),
        detail: redact_urls(&chain(e)),
    }
}

/// An error and its causes, in one line: gix's top-level messages alone are often too vague
/// ("Transport handshake failed").
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// The highest tag of the remote matching a semver range (`>=1.2.0, <2.0.0`; a leading `v` in
/// tag names is allowed), as `(tag name, full ref)`.
pub fn latest_tag(url: &str, range: &str, auth: &Auth) -> Result<(String, String), SourceError> {
    let fail = git_error("listing tags of", url, range);
    let wanted = semver::VersionReq::parse(range).map_err(|e| SourceError::BadRange {
        range: range.to_owned(),
        detail: e.to_string(),
    })?;
    let scratch = tempfile::tempdir().map_err(|e| fail(&e))?;
    let repo = open_repo(scratch.path(), auth, &fail)?;
    let (ref_map, _) = remote(&repo, url, "+refs/tags/*:refs/tags/*", &fail)?
        .connect(Direction::Fetch)
        .map_err(|e| fail(&e))?
        .with_credentials(auth.helper())
        .with_ca(&repo, url, auth)
        .ref_map(gix::progress::Discard, Default::default())
        .map_err(|e| fail(&e))?;
    ref_map
        .remote_refs
        .iter()
        .filter_map(|r| {
            let name = r.unpack().0.to_string();
            let tag = name.strip_prefix("refs/tags/")?.to_owned();
            let version = semver::Version::parse(tag.trim_start_matches('v')).ok()?;
            wanted.matches(&version).then_some((version, tag, name))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, tag, name)| (tag, name))
        .ok_or_else(|| SourceError::NoSuchRef {
            url: redact_urls(url),
            reference: format!("tag matching {range}"),
        })
}

/// What [`update`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// The remote still points at the revision already checked out: nothing was fetched.
    Unchanged(Revision),
    /// A new revision was fetched and its tree written.
    Fetched(Checkout),
}

/// Packs the cache repository may gather before it is started afresh.
const MAX_PACKS: usize = 32;

/// One connection for both steps: lists `reference`; if it moved from `have`, fetches it (depth 1)
/// into the bare cache repository `repo_dir` (created on first use; later fetches bring only
/// what is new) and writes its tree to `dest`, replacing what was there.
pub fn update(
    url: &str,
    reference: &str,
    repo_dir: &Path,
    dest: &Path,
    have: Option<&str>,
    auth: &Auth,
) -> Result<Update, SourceError> {
    let fail = git_error("fetching", url, reference);
    if packs(repo_dir) > MAX_PACKS {
        let _ = std::fs::remove_dir_all(repo_dir);
    }
    let repo = open_repo(repo_dir, auth, &fail)?;
    let prepare = remote(&repo, url, &wanted_refspec(reference), &fail)?
        .connect(Direction::Fetch)
        .map_err(|e| fail(&e))?
        .with_credentials(auth.helper())
        .with_ca(&repo, url, auth)
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(|e| fail(&e))?;
    let revision = revision_of(&prepare.ref_map().remote_refs, url, reference)?;
    if have == Some(revision.as_str()) && dest.is_dir() {
        return Ok(Update::Unchanged(revision));
    }
    prepare
        .with_shallow(depth_one())
        .receive(gix::progress::Discard, &AtomicBool::new(false))
        .map_err(|e| fail(&e))?;
    let shallow = repo.is_shallow().unwrap_or(false);
    let id = gix::ObjectId::from_hex(revision.as_bytes()).map_err(|e| fail(&e))?;
    let commit = repo.find_commit(id).map_err(|e| fail(&e))?;
    let tree = commit.tree().map_err(|e| fail(&e))?;
    // The previous checkout's tree, when the cache still has it: then only what changed is
    // written (reading every blob again costs more than the fetch).
    let previous = have
        .filter(|_| dest.is_dir())
        .and_then(|h| gix::ObjectId::from_hex(h.as_bytes()).ok())
        .and_then(|id| repo.find_commit(id).ok())
        .and_then(|c| c.tree().ok());
    let written_dir = match previous {
        Some(previous) => update_dir(&repo, &previous, &tree, dest),
        None => replace_dir(&repo, &tree, dest),
    };
    written(written_dir, dest, &fail)?;
    Ok(Update::Fetched(Checkout {
        revision,
        dir: dest.to_owned(),
        shallow,
    }))
}

/// The repository at `dir` (a bare one is made if none is there), blind to the user's and the
/// system's git configuration, with the credentials' in-memory settings.
fn open_repo(
    dir: &Path,
    auth: &Auth,
    fail: &impl Fn(&dyn std::error::Error) -> SourceError,
) -> Result<gix::Repository, SourceError> {
    if !dir.join("HEAD").exists() {
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        gix::init_bare(dir).map_err(|e| fail(&e))?;
    }
    let options = gix::open::Options::isolated().config_overrides(auth.config_overrides());
    gix::open_opts(dir, options).map_err(|e| fail(&e))
}

/// A connection that trusts the CA of the repository's credentials (`ca.crt`), if any.
trait WithCa {
    fn with_ca(self, repo: &gix::Repository, url: &str, auth: &Auth) -> Self;
}

impl<T: gix::protocol::transport::client::blocking_io::Transport> WithCa
    for gix::remote::Connection<'_, '_, '_, T>
{
    fn with_ca(self, repo: &gix::Repository, url: &str, auth: &Auth) -> Self {
        match auth.transport_options(repo, url) {
            Some(options) => self.with_transport_options(options),
            None => self,
        }
    }
}

/// A remote for `url` that fetches `refspec`.
fn remote<'repo>(
    repo: &'repo gix::Repository,
    url: &str,
    refspec: &str,
    fail: &impl Fn(&dyn std::error::Error) -> SourceError,
) -> Result<gix::Remote<'repo>, SourceError> {
    repo.remote_at(url)
        .map_err(|e| fail(&e))?
        .with_refspecs([refspec], Direction::Fetch)
        .map_err(|e| fail(&e))
}

/// The refspec that fetches one ref.
fn wanted_refspec(reference: &str) -> String {
    format!("+{reference}:refs/remotes/origin/wanted")
}

/// The commit `reference` points to among the remote's refs (a tag peeled to its commit).
fn revision_of(
    refs: &[gix::protocol::handshake::Ref],
    url: &str,
    reference: &str,
) -> Result<Revision, SourceError> {
    refs.iter()
        .find_map(|r| {
            let (name, target, peeled) = r.unpack();
            (name == reference).then(|| peeled.or(target).map(|id| id.to_string()))
        })
        .flatten()
        .ok_or_else(|| SourceError::NoSuchRef {
            url: redact_urls(url),
            reference: reference.to_owned(),
        })
}

/// A shallow fetch of depth 1.
fn depth_one() -> gix::remote::fetch::Shallow {
    NonZeroU32::new(1)
        .map(gix::remote::fetch::Shallow::DepthAtRemote)
        .unwrap_or_default()
}

/// A checkout's outcome as a [`SourceError`].
fn written(
    result: Result<(), Replace>,
    dest: &Path,
    fail: &impl Fn(&dyn std::error::Error) -> SourceError,
) -> Result<(), SourceError> {
    result.map_err(|e| match e {
        Replace::Tree(e) => fail(e.as_ref()),
        Replace::Io(source) => SourceError::Write {
            path: dest.to_owned(),
            source,
        },
    })
}

fn packs(repo_dir: &Path) -> usize {
    std::fs::read_dir(repo_dir.join("objects/pack"))
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pack"))
            })
            .count()
        })
        .unwrap_or(0)
}

enum Replace {
    Tree(Box<dyn std::error::Error + Send + Sync>),
    Io(std::io::Error),
}

/// Writes the tree to a staging folder beside `dest`, then swaps it in.
fn replace_dir(repo: &gix::Repository, tree: &gix::Tree<'_>, dest: &Path) -> Result<(), Replace> {
    let staging = dest.with_extension("incoming");
    let _ = std::fs::remove_dir_all(&staging);
    write_tree(repo, tree, &staging).map_err(Replace::Tree)?;
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(Replace::Io)?;
    }
    std::fs::rename(&staging, dest).map_err(Replace::Io)
}

/// Brings `dest`, a checkout of `previous`, to `tree`: writes the blobs that changed or are new,
/// removes the files that left. A crash half-way leaves the revision marker at `previous`, so the
/// next update redoes the same difference.
fn update_dir(
    repo: &gix::Repository,
    previous: &gix::Tree<'_>,
    tree: &gix::Tree<'_>,
    dest: &Path,
) -> Result<(), Replace> {
    let entries = |t: &gix::Tree<'_>| -> Result<Vec<(PathBuf, gix::ObjectId, bool)>, Replace> {
        let mut recorder = gix::traverse::tree::Recorder::default();
        t.traverse()
            .breadthfirst(&mut recorder)
            .map_err(|e| Replace::Tree(Box::new(e)))?;
        recorder
            .records
            .into_iter()
            .filter(|e| e.mode.is_blob())
            .map(|e| {
                let path = safe_path(e.filepath.as_ref()).map_err(Replace::Tree)?;
                Ok((path, e.oid, e.mode.is_executable()))
            })
            .collect()
    };
    let old: std::collections::HashMap<PathBuf, gix::ObjectId> = entries(previous)?
        .into_iter()
        .map(|(p, id, _)| (p, id))
        .collect();
    let new = entries(tree)?;
    let keep: std::collections::HashSet<&PathBuf> = new.iter().map(|(p, _, _)| p).collect();
    for path in old.keys().filter(|p| !keep.contains(p)) {
        match std::fs::remove_file(dest.join(path)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Replace::Io(e)),
            _ => {}
        }
    }
    for (path, id, _) in &new {
        let target = dest.join(path);
        if old.get(path) == Some(id) && target.is_file() {
            continue;
        }
        let object = repo
            .find_object(*id)
            .map_err(|e| Replace::Tree(Box::new(e)))?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(Replace::Io)?;
        }
        let staging = target.with_extension("incoming");
        std::fs::write(&staging, &object.data).map_err(Replace::Io)?;
        std::fs::rename(&staging, &target).map_err(Replace::Io)?;
    }
    Ok(())
}

/// A tree entry's path, refused if it could leave the checkout.
fn safe_path(path: &gix::bstr::BStr) -> Result<PathBuf, Box<dyn std::error::Error + Send + Sync>> {
    let relative = gix::path::from_bstr(path)?.into_owned();
    if relative
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!("the tree holds an unsafe path {}", relative.display()).into());
    }
    Ok(relative)
}

/// Writes every blob of `tree` below `dir` (symlinks and submodules are skipped).
fn write_tree(
    repo: &gix::Repository,
    tree: &gix::Tree<'_>,
    dir: &Path,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse().breadthfirst(&mut recorder)?;
    std::fs::create_dir_all(dir)?;
    for entry in recorder.records {
        // A tree entry never leaves the checkout, whatever the repository holds.
        let path = dir.join(safe_path(entry.filepath.as_ref())?);
        if entry.mode.is_tree() {
            std::fs::create_dir_all(&path)?;
        } else if entry.mode.is_blob() {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let object = repo.find_object(entry.oid)?;
            std::fs::write(&path, &object.data)?;
        }
    }
    Ok(())
}
