//! The Git reconciler (GitSync), being built in steps. Data flows one way:
//! source (fetch) → render (files, kustomize) → plan → apply → status.
//!
//! Built so far: [`render`] (a folder → the objects, or an error naming the file and the
//! document; `sealsync build` prints it) and the core of [`apply`] (stages, server-side dry runs
//! compared with the live objects; `sealsync diff` shows them), the [`inventory`] and the
//! [`prune`] decisions, object [`health`], [`webhook`] authentication, and the gix [`source`]
//! (ls-remote, shallow fetch to a folder). The GitSync reconciler that fetches, applies, prunes and reports is not
//! built yet.

pub mod apply;
pub mod build;
pub mod diff;
pub mod gitsync;
pub mod health;
pub mod inventory;
pub mod prune;
pub mod render;
pub mod source;
pub mod webhook;
