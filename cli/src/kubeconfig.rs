//! The namespace of the kubeconfig's current context: what kubeseal (through client-go) fills
//! in for a Secret that names none. The files are found as kubectl finds them: `--kubeconfig`,
//! else every path in `KUBECONFIG` (the first to set a field wins), else `~/.kube/config`.
//! `--context` picks the context; otherwise the first `current-context` set.

use std::path::{Path, PathBuf};

use sealsync_core::api::docs::parse_documents;

use crate::config::Env;

/// Why a kubeconfig could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    /// The file exists but could not be read.
    #[error("cannot read kubeconfig {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not YAML.
    #[error("kubeconfig {path} is not valid YAML: {detail}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        detail: String,
    },
}

/// The kubeconfig files in kubectl's order.
fn paths(explicit: Option<&Path>, env: Env<'_>) -> Vec<PathBuf> {
    if let Some(path) = explicit {
        return vec![path.to_owned()];
    }
    if let Some(list) = env("KUBECONFIG").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
    }
    env("HOME")
        .map(|home| vec![Path::new(&home).join(".kube/config")])
        .unwrap_or_default()
}

/// The current context's namespace; `None` when there is no kubeconfig, no context, or the
/// context names no namespace (kubeseal then uses `default`).
pub fn context_namespace(
    explicit: Option<&Path>,
    context: Option<&str>,
    env: Env<'_>,
) -> Result<Option<String>, KubeconfigError> {
    let mut files = Vec::new();
    for path in paths(explicit, env) {
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(KubeconfigError::Read { path, source }),
        };
        let docs = parse_documents(&text).map_err(|e| KubeconfigError::Parse {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        files.extend(docs.into_iter().map(|d| d.value).take(1));
    }
    let current = context.map(str::to_owned).or_else(|| {
        files.iter().find_map(|f| {
            f["current-context"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
    });
    let Some(current) = current else {
        return Ok(None);
    };
    let namespace = files.iter().find_map(|f| {
        let contexts = f["contexts"].as_array()?;
        let entry = contexts
            .iter()
            .find(|c| c["name"].as_str() == Some(current.as_str()))?;
        Some(
            entry["context"]["namespace"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        )
    });
    Ok(namespace.flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    namespace: team-a\n- name: prod\n  context:\n    cluster: c\n";

    #[test]
    fn the_current_or_chosen_context_gives_the_namespace() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config");
        std::fs::write(&path, CONFIG).expect("write");
        let no_env = |_: &str| None;
        assert_eq!(
            context_namespace(Some(&path), None, &no_env)
                .expect("read")
                .as_deref(),
            Some("team-a")
        );
        assert_eq!(
            context_namespace(Some(&path), Some("prod"), &no_env).expect("read"),
            None
        );
        let kubeconfig = path.to_string_lossy().into_owned();
        let env = move |k: &str| (k == "KUBECONFIG").then(|| format!("/nonexistent:{kubeconfig}"));
        assert_eq!(
            context_namespace(None, None, &env)
                .expect("read")
                .as_deref(),
            Some("team-a")
        );
        let missing = |k: &str| (k == "KUBECONFIG").then(|| "/nonexistent".to_owned());
        assert_eq!(
            context_namespace(None, None, &missing).expect("no file is no namespace"),
            None
        );
        std::fs::write(&path, "contexts: [unclosed\n").expect("write");
        assert!(context_namespace(Some(&path), None, &no_env).is_err());
    }
}
