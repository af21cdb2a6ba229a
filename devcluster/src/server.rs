//! Starting and stopping a devcluster: the [`DevCluster`] handle and its [`Builder`].

use crate::faults::Faults;
use crate::http::{Shared, router};
use crate::kubeconfig::{self, KubeconfigError};
use crate::persist::{self, PersistError};
use crate::registry::ResourceKey;
use crate::requests::{RecordedRequest, RequestLog};
use crate::status::ApiError;
use crate::store::{State, Store, StoreConfig, WriteCtx};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Namespaces a fresh cluster has, as kube-apiserver creates them.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("binding {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("loading persisted state")]
    Load(#[source] PersistError),
    #[error("the server address {url} is not a valid URI")]
    Url {
        url: String,
        #[source]
        source: axum::http::uri::InvalidUri,
    },
    #[error("creating the system namespace {name}")]
    SystemNamespace {
        name: String,
        #[source]
        source: ApiError,
    },
}

impl StartError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            StartError::Bind { .. } => {
                "free the port, or give another --listen address (port 0 picks a free one)"
            }
            StartError::Load(_) => {
                "the data directory is left as it was: fix the cause shown (permissions, disk \
                 space) and start again, or start with another --data directory"
            }
            StartError::Url { .. } => "give --listen as IP:PORT, e.g. 127.0.0.1:0",
            StartError::SystemNamespace { .. } => {
                "start with an empty --data directory; if that fails too, report a bug"
            }
        }
    }
}

/// How to start a devcluster.
#[derive(Debug, Clone)]
pub struct Builder {
    listen: SocketAddr,
    data_dir: Option<PathBuf>,
    store: StoreConfig,
    bookmark_interval: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            store: StoreConfig::default(),
            bookmark_interval: Duration::from_secs(30),
        }
    }
}

impl Builder {
    /// The address to bind (default `127.0.0.1:0`, a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Persist state under `dir` (created when missing) and load what is there.
    pub fn data_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.data_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// How many events the watch history keeps; watches from older resourceVersions get 410.
    pub fn watch_history(mut self, events: usize) -> Self {
        self.store.watch_history = events;
        self
    }

    /// Events a watcher may have queued before it is closed as too slow.
    pub fn watch_queue(mut self, events: usize) -> Self {
        self.store.watch_queue = events;
        self
    }

    /// How often watchers that allow bookmarks receive one.
    pub fn bookmark_interval(mut self, every: Duration) -> Self {
        self.bookmark_interval = every;
        self
    }

    /// Report workloads (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs) as their
    /// controllers would once their pods ran: rolled out or complete, or failed or stuck when
    /// they ask for it (see the README's "Workload simulation"). Nothing runs. Off by default.
    pub fn simulate_workloads(mut self, on: bool) -> Self {
        self.store.simulate_workloads = on;
        self
    }

    /// Keep each new CRD `Established=False` (and out of discovery) for `delay`, as a real
    /// apiserver's establishing controller does for a moment, so that "wait for Established"
    /// code paths are exercised. Zero (the default) establishes at create.
    pub fn crd_establish_delay(mut self, delay: Duration) -> Self {
        self.store.crd_establish_delay = Some(delay);
        self
    }

    /// Log records between two snapshots (persistence compaction).
    pub fn snapshot_every(mut self, records: usize) -> Self {
        self.store.snapshot_every = records;
        self
    }

    /// Binds, loads persisted state, creates the system namespaces and starts serving.
    pub async fn start(self) -> Result<DevCluster, StartError> {
        let (persister, loaded) = match &self.data_dir {
            Some(dir) => {
                let (p, l) = persist::open(dir).map_err(StartError::Load)?;
                (Some(p), Some(l))
            }
            None => (None, None),
        };
        let mut state = State::new(self.store, persister);
        if let Some(loaded) = loaded {
            state.replay(loaded);
        }
        let store = Arc::new(Store::new(state));
        ensure_system_namespaces(&store).await?;
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: self.listen,
            source,
        })?;
        let faults = Faults::new(store.clone());
        let requests = Arc::new(RequestLog::default());
        let shared = Arc::new(Shared {
            store: store.clone(),
            faults: faults.clone(),
            requests: requests.clone(),
        });
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let app = router(shared);
        let serve_store = store.clone();
        let server = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stop_rx.await;
                serve_store.lock().hub.close_all();
            };
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        let url = format!("http://{addr}");
        let uri = url.parse().map_err(|source| StartError::Url {
            url: url.clone(),
            source,
        })?;
        let ticker = tokio::spawn(bookmarks(Arc::downgrade(&store), self.bookmark_interval));
        if self.store.crd_establish_delay.is_some_and(|d| !d.is_zero()) {
            tokio::spawn(establish(Arc::downgrade(&store)));
        }
        Ok(DevCluster {
            url,
            uri,
            addr,
            store,
            faults,
            requests,
            stop: Some(stop_tx),
            server: Some(server),
            ticker,
        })
    }
}

async fn ensure_system_namespaces(store: &Store) -> Result<(), StartError> {
    let ctx = WriteCtx {
        dry_run: false,
        manager: "kube-apiserver".into(),
        op: crate::store::ManagerOp::Update,
        subresource: None,
        now: crate::meta::now(),
    };
    let key = ResourceKey {
        group: String::new(),
        plural: "namespaces".into(),
    };
    for name in SYSTEM_NAMESPACES {
        let result = store
            .write(|st| {
                if st.get(&key, "", name).is_some() {
                    return Ok(());
                }
                let rt = st.registry.get(&key).cloned().ok_or_else(|| ApiError::internal("namespaces are not served"))?;
                let obj = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}});
                st.create(&ctx, &rt, "v1", None, obj).map(|_| ())
            })
            .await;
        result.map_err(|source| StartError::SystemNamespace {
            name: name.into(),
            source,
        })?;
    }
    Ok(())
}

/// Sends BOOKMARK events at the current resourceVersion to watchers that allow them.
async fn bookmarks(store: std::sync::Weak<Store>, every: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(store) = store.upgrade() else { return };
        let mut st = store.lock();
        let rv = st.resource_version();
        st.hub.bookmark_all(rv);
    }
}

/// Establishes delayed CRDs when their time comes; ends with the store.
async fn establish(store: std::sync::Weak<Store>) {
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    loop {
        tick.tick().await;
        let Some(store) = store.upgrade() else { return };
        // Through `write`, so that watchers get the event and the change is persisted.
        let _ = store
            .write(|st| {
                st.establish_due();
                Ok(())
            })
            .await;
    }
}

/// A running devcluster. Stops when dropped.
pub struct DevCluster {
    url: String,
    uri: axum::http::Uri,
    addr: SocketAddr,
    store: Arc<Store>,
    faults: Faults,
    requests: Arc<RequestLog>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    ticker: JoinHandle<()>,
}

impl std::fmt::Debug for DevCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCluster")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl DevCluster {
    /// Starts a devcluster on a free loopback port, in memory.
    pub async fn start() -> Result<DevCluster, StartError> {
        Builder::default().start().await
    }

    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A `kube::Config` for this server, ready for `kube::Client::try_from`.
    pub fn kube_config(&self) -> kube::Config {
        kubeconfig::kube_config(self.uri.clone())
    }

    /// A `kube::Client` for this server.
    pub fn client(&self) -> Result<kube::Client, kube::Error> {
        kube::Client::try_from(self.kube_config())
    }

    /// Writes a kubeconfig for this server that kubectl accepts.
    pub fn write_kubeconfig(&self, path: impl AsRef<Path>) -> Result<(), KubeconfigError> {
        kubeconfig::write_kubeconfig(&self.url, path.as_ref())
    }

    /// The fault-injection handle.
    pub fn faults(&self) -> Faults {
        self.faults.clone()
    }

    /// Every request answered so far (up to the last 100,000), in the order they arrived.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.snapshot()
    }

    /// Forgets the recorded requests (e.g. after a test's setup).
    pub fn clear_requests(&self) {
        self.requests.clear();
    }

    /// The current cluster-wide resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.store.lock().resource_version()
    }

    /// Stops serving: open watches end, in-flight requests finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.ticker.abort();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for DevCluster {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.store.lock().hub.close_all();
        self.ticker.abort();
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}
