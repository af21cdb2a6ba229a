//! The kubeconfig, read as kubectl reads it: `--kubeconfig`, else every path in `KUBECONFIG`
//! (the first file to set a field wins), else `~/.kube/config`; `--context` picks the context,
//! otherwise the first `current-context` set; `--cluster`, `--user`, `--server`, `--token` and
//! the TLS flags override what the context names. Relative paths are relative to the file that
//! holds them. `seal` needs two things from it: the context's namespace (for a Secret that names
//! none, as kubeseal does) and a connection to fetch the certificate the controller publishes.

use std::path::{Path, PathBuf};

use sealsync_core::api::docs::parse_documents;
use serde_json::Value;

use crate::args::ClusterArgs;
use crate::config::Env;

/// Why a kubeconfig could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum KubeconfigError {
    /// A file exists but could not be read.
    #[error("cannot read {path}")]
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
    /// No kubeconfig, or no context in it.
    #[error("no kubeconfig context (looked at {looked})")]
    NoContext {
        /// The files looked at.
        looked: String,
    },
    /// The context names a cluster or user that is not there.
    #[error("the kubeconfig has no {what} {name:?}")]
    Missing {
        /// `context`, `cluster` or `user`.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// The cluster has no server address.
    #[error("the kubeconfig cluster {name:?} has no server")]
    NoServer {
        /// The cluster's name.
        name: String,
    },
    /// A credential form seal does not run.
    #[error("the kubeconfig user {name:?} authenticates with {form}, which seal does not run")]
    Unsupported {
        /// The user's name.
        name: String,
        /// `an exec plugin` or `an auth provider`.
        form: &'static str,
    },
    /// A `*-data` field is not base64.
    #[error("the kubeconfig field {field} is not valid base64")]
    Base64 {
        /// The field.
        field: &'static str,
    },
}

/// Everything needed to call the API server. No `Debug`: it holds credentials.
pub struct Connection {
    /// The API server's base URL.
    pub server: String,
    /// The CA bundle (PEM), if the kubeconfig names one.
    pub ca_pem: Option<Vec<u8>>,
    /// Skip verifying the server's certificate.
    pub insecure: bool,
    /// A bearer token.
    pub token: Option<String>,
    /// Basic-auth user and password.
    pub basic: Option<(String, String)>,
    /// Client certificate and key (PEM).
    pub client: Option<(Vec<u8>, Vec<u8>)>,
    /// Who to act as.
    pub impersonate: Impersonate,
    /// A proxy for the API server.
    pub proxy: Option<String>,
    /// The name to check the API server's certificate against, if not its host.
    pub tls_server_name: Option<String>,
}

/// Impersonation (`--as`, `--as-group`, `--as-uid`, or the kubeconfig user's `as` fields).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impersonate {
    /// The user.
    pub user: Option<String>,
    /// The groups.
    pub groups: Vec<String>,
    /// The UID.
    pub uid: Option<String>,
}

/// One parsed kubeconfig file, and the folder its relative paths start from.
struct File {
    value: Value,
    dir: PathBuf,
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

fn load(
    explicit: Option<&Path>,
    env: Env<'_>,
) -> Result<(Vec<File>, Vec<PathBuf>), KubeconfigError> {
    let looked = paths(explicit, env);
    let mut files = Vec::new();
    for path in &looked {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(KubeconfigError::Read {
                    path: path.clone(),
                    source,
                });
            }
        };
        let docs = parse_documents(&text).map_err(|e| KubeconfigError::Parse {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let dir = path.parent().map(Path::to_owned).unwrap_or_default();
        files.extend(
            docs.into_iter()
                .map(|d| File {
                    value: d.value,
                    dir: dir.clone(),
                })
                .take(1),
        );
    }
    Ok((files, looked))
}

/// The first `section` entry named `name`, and the file it came from.
fn named<'a>(files: &'a [File], section: &str, name: &str) -> Option<(&'a Value, &'a Path)> {
    files.iter().find_map(|f| {
        let entry = f.value[section]
            .as_array()?
            .iter()
            .find(|e| e["name"].as_str() == Some(name))?;
        Some((entry, f.dir.as_path()))
    })
}

fn current_context(files: &[File], context: Option<&str>) -> Option<String> {
    context.map(str::to_owned).or_else(|| {
        files.iter().find_map(|f| {
            f.value["current-context"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        })
    })
}

/// The current context's namespace; `None` when there is no kubeconfig, no context, or the
/// context names no namespace (kubeseal then uses `default`).
pub fn context_namespace(
    explicit: Option<&Path>,
    context: Option<&str>,
    env: Env<'_>,
) -> Result<Option<String>, KubeconfigError> {
    let (files, _) = load(explicit, env)?;
    let Some(current) = current_context(&files, context) else {
        return Ok(None);
    };
    Ok(named(&files, "contexts", &current).and_then(|(c, _)| {
        c["context"]["namespace"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    }))
}

/// The connection the kubeconfig and the flags describe.
pub fn connection(args: &ClusterArgs, env: Env<'_>) -> Result<Connection, KubeconfigError> {
    let (files, looked) = load(args.kubeconfig.as_deref(), env)?;
    let context_name = current_context(&files, args.context.as_deref());
    let context = match &context_name {
        Some(name) => Some(
            named(&files, "contexts", name)
                .ok_or_else(|| KubeconfigError::Missing {
                    what: "context",
                    name: name.clone(),
                })?
                .0,
        ),
        None => None,
    };
    let cluster_name = args.cluster.clone().or_else(|| {
        context
            .and_then(|c| c["context"]["cluster"].as_str())
            .map(str::to_owned)
    });
    let user_name = args.user.clone().or_else(|| {
        context
            .and_then(|c| c["context"]["user"].as_str())
            .map(str::to_owned)
    });
    let cluster = match &cluster_name {
        Some(name) => {
            Some(
                named(&files, "clusters", name).ok_or_else(|| KubeconfigError::Missing {
                    what: "cluster",
                    name: name.clone(),
                })?,
            )
        }
        None => None,
    };
    let server = args.server.clone().or_else(|| {
        cluster
            .and_then(|(c, _)| c["cluster"]["server"].as_str())
            .map(str::to_owned)
    });
    let Some(server) = server else {
        return Err(match cluster_name {
            Some(name) => KubeconfigError::NoServer { name },
            None => KubeconfigError::NoContext {
                looked: looked
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        });
    };
    let mut conn = Connection {
        server,
        ca_pem: None,
        insecure: false,
        token: None,
        basic: None,
        client: None,
        impersonate: Impersonate::default(),
        proxy: None,
        tls_server_name: None,
    };
    if let Some((c, dir)) = cluster {
        let c = &c["cluster"];
        conn.insecure = c["insecure-skip-tls-verify"].as_bool().unwrap_or(false);
        conn.proxy = c["proxy-url"].as_str().map(str::to_owned);
        conn.tls_server_name = c["tls-server-name"].as_str().map(str::to_owned);
        conn.ca_pem = data_or_file(
            c,
            "certificate-authority-data",
            "certificate-authority",
            dir,
        )?;
    }
    if let Some(name) = &user_name {
        let (u, dir) = named(&files, "users", name).ok_or_else(|| KubeconfigError::Missing {
            what: "user",
            name: name.clone(),
        })?;
        user_credentials(&mut conn, &u["user"], name, dir)?;
    }
    overrides(&mut conn, args)?;
    Ok(conn)
}

fn user_credentials(
    conn: &mut Connection,
    user: &Value,
    name: &str,
    dir: &Path,
) -> Result<(), KubeconfigError> {
    if !user["exec"].is_null() {
        return Err(KubeconfigError::Unsupported {
            name: name.to_owned(),
            form: "an exec plugin",
        });
    }
    if !user["auth-provider"].is_null() {
        return Err(KubeconfigError::Unsupported {
            name: name.to_owned(),
            form: "an auth provider",
        });
    }
    conn.token = match (user["token"].as_str(), user["tokenFile"].as_str()) {
        (Some(t), _) => Some(t.to_owned()),
        (None, Some(file)) => Some(read(&dir.join(file))?.trim().to_owned()),
        (None, None) => None,
    };
    if let (Some(u), Some(p)) = (user["username"].as_str(), user["password"].as_str()) {
        conn.basic = Some((u.to_owned(), p.to_owned()));
    }
    conn.impersonate = Impersonate {
        user: user["as"].as_str().map(str::to_owned),
        groups: user["as-groups"]
            .as_array()
            .map(|groups| {
                groups
                    .iter()
                    .filter_map(|g| g.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        uid: user["as-uid"].as_str().map(str::to_owned),
    };
    let cert = data_or_file(user, "client-certificate-data", "client-certificate", dir)?;
    let key = data_or_file(user, "client-key-data", "client-key", dir)?;
    if let (Some(cert), Some(key)) = (cert, key) {
        conn.client = Some((cert, key));
    }
    Ok(())
}

fn overrides(conn: &mut Connection, args: &ClusterArgs) -> Result<(), KubeconfigError> {
    let set = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    if let Some(token) = args.token.as_ref().filter(|t| !t.0.is_empty()) {
        conn.token = Some(token.0.clone());
    }
    if let (Some(user), Some(password)) = (set(&args.username), args.password.as_ref()) {
        conn.basic = Some((user, password.0.clone()));
    }
    if let Some(user) = set(&args.as_user) {
        conn.impersonate.user = Some(user);
    }
    if !args.as_group.is_empty() {
        conn.impersonate.groups.clone_from(&args.as_group);
    }
    if let Some(uid) = set(&args.as_uid) {
        conn.impersonate.uid = Some(uid);
    }
    if let Some(proxy) = set(&args.proxy_url) {
        conn.proxy = Some(proxy);
    }
    if let Some(name) = set(&args.tls_server_name) {
        conn.tls_server_name = Some(name);
    }
    if let Some(insecure) = args.insecure_skip_tls_verify {
        conn.insecure = insecure;
    }
    if let Some(ca) = &args.certificate_authority {
        conn.ca_pem = Some(read(ca)?.into_bytes());
    }
    if let (Some(cert), Some(key)) = (&args.client_certificate, &args.client_key) {
        conn.client = Some((read(cert)?.into_bytes(), read(key)?.into_bytes()));
    }
    Ok(())
}

fn read(path: &Path) -> Result<String, KubeconfigError> {
    std::fs::read_to_string(path).map_err(|source| KubeconfigError::Read {
        path: path.to_owned(),
        source,
    })
}

fn data_or_file(
    entry: &Value,
    data: &'static str,
    file: &str,
    dir: &Path,
) -> Result<Option<Vec<u8>>, KubeconfigError> {
    if let Some(encoded) = entry[data].as_str() {
        return sealsync_core::crypto::format::decode_base64(encoded)
            .map(Some)
            .ok_or(KubeconfigError::Base64 { field: data });
    }
    match entry[file].as_str() {
        Some(path) => Ok(Some(read(&dir.join(path))?.into_bytes())),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    const CONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: dev\ncontexts:\n- name: dev\n  context:\n    cluster: c\n    user: u\n    namespace: team-a\n- name: prod\n  context:\n    cluster: c\n    user: exec-user\nclusters:\n- name: c\n  cluster:\n    server: https://api.example:6443\n    certificate-authority: ca.pem\nusers:\n- name: u\n  user:\n    token: t0k\n- name: exec-user\n  user:\n    exec:\n      command: aws\n";

    fn cluster_args(extra: &[&str]) -> ClusterArgs {
        let mut argv = vec!["seal"];
        argv.extend_from_slice(extra);
        crate::args::Cli::try_parse_from(argv)
            .expect("args")
            .seal
            .cluster
    }

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

    #[test]
    fn a_connection_from_the_context_with_relative_files_and_overrides() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config");
        std::fs::write(&path, CONFIG).expect("write");
        std::fs::write(dir.path().join("ca.pem"), "CA PEM").expect("write");
        let env = {
            let p = path.to_string_lossy().into_owned();
            move |k: &str| (k == "KUBECONFIG").then(|| p.clone())
        };
        let conn = connection(&cluster_args(&[]), &env).expect("connection");
        assert_eq!(conn.server, "https://api.example:6443");
        assert_eq!(conn.token.as_deref(), Some("t0k"));
        assert_eq!(
            conn.ca_pem.as_deref(),
            Some(&b"CA PEM"[..]),
            "relative to the kubeconfig's folder"
        );
        let conn = connection(
            &cluster_args(&["--server", "https://other:443", "--token", "flag"]),
            &env,
        )
        .expect("connection");
        assert_eq!(
            (conn.server.as_str(), conn.token.as_deref()),
            ("https://other:443", Some("flag"))
        );
        assert!(matches!(
            connection(&cluster_args(&["--context", "prod"]), &env),
            Err(KubeconfigError::Unsupported { .. })
        ));
        let none = |k: &str| (k == "KUBECONFIG").then(|| "/nonexistent".to_owned());
        assert!(matches!(
            connection(&cluster_args(&[]), &none),
            Err(KubeconfigError::NoContext { .. })
        ));
    }
}
