//! The Git reconciler (GitSync), being built in steps. Data flows one way:
//! source (fetch) → render (files, kustomize) → plan → apply → status.
//!
//! - [`source`]: gix ls-remote and shallow fetch.
//! - [`render`]: a folder (plain files, a kustomize subset) → the objects, or an error naming
//!   the file and the document. `sealsync build` prints it.
//! - [`apply`]: the engine: stages, server-side dry runs compared with the live objects.
//!   `sealsync diff` shows them.
//! - [`inventory`], [`prune`] (the safety rules), [`health`] (kstatus), [`drift`] (what was
//!   applied and the metadata watches that notice edits), [`webhook`] authentication.
//! - [`gitsync`]: the reconciler that ties them together in `sealsync run`.

pub mod apply;
pub mod build;
pub mod diff;
pub mod drift;
pub mod gitsync;
pub mod health;
pub mod inventory;
pub mod prune;
pub mod render;
pub mod source;
pub mod webhook;
