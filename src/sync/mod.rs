//! The Git reconciler (GitSync), being built in steps. Data flows one way:
//! source (fetch) → render (files, kustomize) → plan → apply → status.
//!
//! Built so far: [`render`], which turns a folder of a checked-out revision into the objects to
//! apply, or an error that names the file and the document. `sealsync build` prints it.

pub mod build;
pub mod render;
