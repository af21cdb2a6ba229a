//! Client configuration for a running devcluster: a `kube::Config`, and a kubeconfig file that
//! kubectl accepts (plain http on loopback, no credentials).

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    #[error("writing kubeconfig {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A `kube::Config` for the server at `uri`, default namespace `default`.
pub fn kube_config(uri: axum::http::Uri) -> kube::Config {
    let mut config = kube::Config::new(uri);
    config.default_namespace = "default".into();
    config
}

/// The kubeconfig YAML for the server at `url`.
pub fn kubeconfig_yaml(url: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: devcluster\n  cluster:\n    server: {url}\ncontexts:\n- name: devcluster\n  context:\n    cluster: devcluster\n    user: devcluster\n    namespace: default\ncurrent-context: devcluster\nusers:\n- name: devcluster\n  user: {{}}\npreferences: {{}}\n"
    )
}

/// Writes the kubeconfig atomically (temporary file, then rename).
pub fn write_kubeconfig(url: &str, path: &Path) -> Result<(), KubeconfigError> {
    let err = |source| KubeconfigError::Write {
        path: path.into(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, kubeconfig_yaml(url)).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_names_the_server() {
        let y = kubeconfig_yaml("http://127.0.0.1:1234");
        let v: serde_json::Value = serde_saphyr::from_str(&y).expect("valid yaml");
        assert_eq!(
            v["clusters"][0]["cluster"]["server"],
            "http://127.0.0.1:1234"
        );
        assert_eq!(v["current-context"], "devcluster");
    }
}
