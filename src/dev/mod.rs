//! `sealsync dev [REPO]`: the whole loop on a laptop, from a fresh clone.
//!
//! It starts devcluster in this process (state and kubeconfig under `.sealsync/`), installs the
//! CRDs, runs the controller (`sealsync run`, as its own process), and creates a GitSync for
//! REPO: the bundled demo by default, copied to `.sealsync/demo` with its Secret sealed by the dev
//! cluster's own key. It then shows a live summary and applies each new commit of a local
//! repository at once. Ctrl-C stops it; a second run reuses the state and the key.
//!
//! - [`repo`]: the demo copy, a local repository or a URL.
//! - [`processes`]: the controller and `git daemon` child processes.

pub mod processes;
pub mod repo;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use devcluster::DevCluster;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams};
use kube::{Client, ResourceExt};
use sealsync_core::crypto::Certificate;
use serde_json::json;

use crate::api::gitsync::GitSync;
use crate::api::{Group, Sealed};
use repo::Source;

/// The namespace of the controller and the GitSync.
const NS: &str = "sealsync-system";
/// The GitSync's name.
const NAME: &str = "dev";
const MANAGER: &str = "sealsync-dev";

/// Why `sealsync dev` stopped.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// The cluster did not start.
    #[error("devcluster did not start: {0}")]
    Cluster(String),
    /// A Kubernetes call failed.
    #[error("{what} failed: {detail}")]
    Api {
        /// The step.
        what: &'static str,
        /// The error.
        detail: String,
    },
    /// A file or socket.
    #[error("{}: {detail}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        detail: String,
    },
    /// A child process could not start.
    #[error("cannot start {what}: {detail}")]
    Spawn {
        /// Which.
        what: &'static str,
        /// Why.
        detail: String,
    },
    /// The controller did not become ready.
    #[error("the controller did not become ready: {0}")]
    Controller(String),
    /// REPO is not usable.
    #[error("{repo}: {detail}")]
    Repo {
        /// What was given.
        repo: String,
        /// Why.
        detail: String,
    },
    /// A git command failed.
    #[error("git {args} failed: {detail}")]
    Git {
        /// Its arguments.
        args: String,
        /// Its error output.
        detail: String,
    },
    /// Sealing the demo Secret failed.
    #[error("cannot seal the demo Secret: {0}")]
    Seal(String),
}

impl DevError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            DevError::Cluster(_) => {
                "another `sealsync dev` may hold the state folder; stop it, or pass --state-dir"
            }
            DevError::Api { .. } => "see .sealsync/controller.log; a rerun keeps the state",
            DevError::Io { .. } => "check the path's permissions and free space",
            DevError::Spawn { .. } => "install git (with `git daemon`) and retry",
            DevError::Controller(_) => "see .sealsync/controller.log for the controller's own log",
            DevError::Repo { .. } => "give a local Git repository folder or an https/ssh/git URL",
            DevError::Git { .. } => {
                "check the repository folder; `git status` there shows its state"
            }
            DevError::Seal(_) => "report this as a bug",
        }
    }
}

/// What `sealsync dev` was asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository: None for the bundled demo.
    pub repo: Option<String>,
    /// The state folder.
    pub state: PathBuf,
    /// The API server's port (0: a free one).
    pub port: u16,
    /// Stop once the GitSync is Ready (for scripts and tests) instead of running until Ctrl-C.
    pub once: bool,
}

/// Runs the dev loop until Ctrl-C (or, with `once`, until the first Ready).
pub async fn dev(options: Options) -> Result<(), DevError> {
    let state = &options.state;
    let io = |path: &Path| {
        let path = path.to_owned();
        move |e: std::io::Error| DevError::Io {
            path,
            detail: e.to_string(),
        }
    };
    std::fs::create_dir_all(state).map_err(io(state))?;
    step(&format!(
        "starting devcluster (state in {})",
        state.display()
    ));
    let cluster = DevCluster::builder()
        .data_dir(state.join("cluster"))
        .simulate_workloads(true)
        .listen(([127, 0, 0, 1], options.port).into())
        .start()
        .await
        .map_err(|e| DevError::Cluster(format!("{e}; {}", e.hint())))?;
    let kubeconfig = state.join("kubeconfig");
    cluster
        .write_kubeconfig(&kubeconfig)
        .map_err(|e| DevError::Io {
            path: kubeconfig.clone(),
            detail: e.to_string(),
        })?;
    let client = cluster.client().map_err(|e| DevError::Api {
        what: "connecting to devcluster",
        detail: e.to_string(),
    })?;
    install(&client).await?;

    step("starting the controller (log: controller.log; the first start makes an RSA-4096 key)");
    let port = processes::free_port()?;
    let mut controller = processes::controller(
        &kubeconfig,
        &state.join("cache"),
        &state.join("controller.log"),
        port,
    )?;
    let url = format!("http://127.0.0.1:{port}");
    let cert = wait_for_cert(&url, &mut controller).await?;

    let (gitsync_url, local, _daemon) = match options.repo.as_deref().map(repo::source) {
        None => {
            let fingerprint = cert.public_key().fingerprint().to_string();
            let dir = repo::demo(state, &cert, &fingerprint)?;
            step(&format!("demo repository: {}", dir.display()));
            serve(&dir)?
        }
        Some(Ok(Source::Local(dir))) => serve(&dir)?,
        Some(Ok(Source::Remote(url))) => (url, None, None),
        Some(Err(e)) => return Err(e),
    };
    let branch = local.as_deref().map_or_else(|| "main".into(), repo::branch);
    apply_gitsync(&client, &gitsync_url, &branch).await?;
    step(&format!(
        "following {} (branch {branch})",
        sealsync_core::redact::redact_urls(&gitsync_url)
    ));
    let outcome = follow(&client, local.as_deref(), &options, &mut controller).await;
    drop(controller);
    cluster.shutdown().await;
    outcome
}

/// A `git daemon` for a local repository: its URL, its folder, and the process.
fn serve(dir: &Path) -> Result<(String, Option<PathBuf>, Option<processes::Process>), DevError> {
    let base = dir.parent().unwrap_or(dir);
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (daemon, port) = processes::git_daemon(base)?;
    Ok((
        format!("git://127.0.0.1:{port}/{name}"),
        Some(dir.to_owned()),
        Some(daemon),
    ))
}

fn step(text: &str) {
    eprintln!("==> {text}");
}

/// The CRDs and the controller's namespace, server-side applied (a rerun changes nothing).
async fn install(client: &Client) -> Result<(), DevError> {
    let api_error = |what: &'static str| {
        move |e: kube::Error| DevError::Api {
            what,
            detail: e.to_string(),
        }
    };
    let params = PatchParams::apply(MANAGER).force();
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in crate::api::all_crds() {
        crds.patch(&crd.name_any(), &params, &Patch::Apply(&crd))
            .await
            .map_err(api_error("installing the CRDs"))?;
    }
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}});
    namespaces
        .patch(NS, &params, &Patch::Apply(&ns))
        .await
        .map_err(api_error("creating the namespace"))?;
    let gitsyncs: Api<GitSync> = Api::namespaced(client.clone(), NS);
    let deadline = Instant::now() + Duration::from_secs(30);
    while gitsyncs.list(&Default::default()).await.is_err() {
        if Instant::now() > deadline {
            return Err(DevError::Api {
                what: "waiting for the CRDs",
                detail: "GitSyncs are not served after 30 s".into(),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Waits until the controller serves its certificate (it makes its key on the first start).
async fn wait_for_cert(
    url: &str,
    controller: &mut processes::Process,
) -> Result<Certificate, DevError> {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if controller.exited() {
            return Err(DevError::Controller("it exited".into()));
        }
        if let Some(pem) = http_get(url, "/v1/cert.pem").await
            && let Ok(cert) = Certificate::from_pem(pem.as_bytes())
        {
            return Ok(cert);
        }
        if Instant::now() > deadline {
            return Err(DevError::Controller(
                "no certificate after 3 minutes".into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The body of a 200 answer to a plain HTTP GET.
async fn http_get(base: &str, path: &str) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_owned())
}

/// Creates or updates the GitSync `sealsync-system/dev`.
async fn apply_gitsync(client: &Client, url: &str, branch: &str) -> Result<(), DevError> {
    let gitsyncs: Api<GitSync> = Api::namespaced(client.clone(), NS);
    let body = json!({
        "apiVersion": "sealsync.io/v1alpha1", "kind": "GitSync",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": {"url": url, "ref": {"branch": branch}, "interval": "30s", "timeout": "2m"},
    });
    gitsyncs
        .patch(
            NAME,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(&body),
        )
        .await
        .map_err(|e| DevError::Api {
            what: "creating the GitSync",
            detail: e.to_string(),
        })?;
    Ok(())
}

/// Shows the GitSync's state as it changes, and asks for a run on each new local commit, until
/// Ctrl-C (or, with `once`, the first Ready).
async fn follow(
    client: &Client,
    local: Option<&Path>,
    options: &Options,
    controller: &mut processes::Process,
) -> Result<(), DevError> {
    let gitsyncs: Api<GitSync> = Api::namespaced(client.clone(), NS);
    let mut last_head = local.and_then(repo::head);
    let mut shown = String::new();
    let mut told = false;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            _ = &mut ctrl_c => {
                step("stopping (the state stays in place for the next run)");
                return Ok(());
            }
            _ = tick.tick() => {}
        }
        if controller.exited() {
            return Err(DevError::Controller("it exited".into()));
        }
        let head = local.and_then(repo::head);
        if head.is_some() && head != last_head {
            last_head = head.clone();
            ask_for_run(&gitsyncs, head.as_deref().unwrap_or_default()).await;
        }
        let Ok(gs) = gitsyncs.get(NAME).await else {
            continue;
        };
        let line = summary(client, &gs).await;
        if line != shown {
            eprintln!("{line}");
            shown = line;
        }
        let ready = gs
            .status
            .as_ref()
            .and_then(|s| s.conditions.first())
            .is_some_and(|c| c.status == "True");
        if ready && !told {
            told = true;
            guide(&options.state, local, options.repo.is_none());
            if options.once {
                return Ok(());
            }
        }
    }
}

async fn ask_for_run(gitsyncs: &Api<GitSync>, head: &str) {
    let patch = json!({"metadata": {"annotations": {crate::http::hooks::RECONCILE_AT: head}}});
    let _ = gitsyncs
        .patch(NAME, &PatchParams::default(), &Patch::Merge(&patch))
        .await;
}

/// One line: Ready or not, the revision, the objects, the Secrets unsealed.
async fn summary(client: &Client, gs: &GitSync) -> String {
    let status = gs.status.clone().unwrap_or_default();
    let current = status.observed_generation == gs.metadata.generation;
    let Some(ready) = status.conditions.first().filter(|_| current) else {
        return "    GitSync dev: waiting for its first run".into();
    };
    let objects: usize = status.inventory.values().map(Vec::len).sum();
    let revision = status
        .last_applied_revision
        .as_deref()
        .map(short)
        .unwrap_or_else(|| "none yet".into());
    let sealed: Api<Sealed> = Api::all_with(client.clone(), &Group::Sealsync.api_resource());
    let unsealed: Vec<String> = sealed
        .list(&Default::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default()
        .iter()
        .filter(|s| {
            s.status
                .as_ref()
                .and_then(|st| st.conditions.iter().find(|c| c.type_ == "Ready"))
                .is_some_and(|c| c.status == "True")
        })
        .map(|s| format!("{}/{}", s.namespace().unwrap_or_default(), s.name_any()))
        .collect();
    let message = ready.message.clone().unwrap_or_default();
    match ready.status.as_str() {
        "True" => format!(
            "    GitSync dev: Ready at {revision}, {objects} objects; Secrets unsealed: {}",
            if unsealed.is_empty() {
                "none".into()
            } else {
                unsealed.join(", ")
            }
        ),
        _ => format!(
            "    GitSync dev: not Ready ({}): {message}",
            ready.reason.clone().unwrap_or_default()
        ),
    }
}

fn short(revision: &str) -> String {
    match revision.split_once("@sha1:") {
        Some((branch, sha)) => format!("{branch}@{}", &sha[..sha.len().min(10)]),
        None => revision.to_owned(),
    }
}

/// What to run next: the kubectl commands that show the result, the git commands that change it
/// (for the bundled demo, when `demo`; else for the user's own repository).
fn guide(state: &Path, local: Option<&Path>, demo: bool) {
    let kubeconfig = state.join("kubeconfig");
    let mut out = String::new();
    out.push_str(&format!(
        "\nsealsync dev is running. In another terminal:\n\n  export KUBECONFIG={}\n  kubectl get gitsyncs,sealedsecrets -A\n",
        absolute(&kubeconfig).display()
    ));
    if let Some(dir) = local.map(absolute) {
        if demo {
            out.push_str(
                "  kubectl -n demo get deployment,service,configmap,secret\n  kubectl -n demo get secret db -o jsonpath='{.data.username}' | base64 -d; echo\n",
            );
            out.push_str(&format!(
                "\nChange it as CI would; each commit is applied within a second:\n\n  cd {}\n  sed -i.bak 's/newTag: \"1.27\"/newTag: \"1.28\"/' kustomization.yaml && rm kustomization.yaml.bak\n  git commit -qam 'web: nginx 1.28'\n  kubectl -n demo get deployment web -o jsonpath='{{.spec.template.spec.containers[0].image}}'; echo\n  git revert --no-edit HEAD    # a rollback is a revert\n",
                dir.display()
            ));
        } else {
            out.push_str(&format!(
                "\nCommit in {} and each commit is applied within a second.\n",
                dir.display()
            ));
        }
    }
    out.push_str("\nCtrl-C stops; the next `sealsync dev` reuses the cluster state and the key.\n");
    let _ = std::io::stderr().write_all(out.as_bytes());
}

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}
