//! Checks made before the controller starts, and the names it derives from its flags. Each
//! failure says what to do.

use std::net::SocketAddr;

use kube::api::ListParams;
use kube::{Api, Client};

use crate::api::{Group, Sealed};
use crate::cli::RunArgs;

/// Why the controller could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No kubeconfig or in-cluster config.
    #[error("cannot configure a Kubernetes client")]
    Client(#[source] kube::Error),
    /// The API server did not answer.
    #[error("cannot reach the Kubernetes API server")]
    Unreachable(#[source] kube::Error),
    /// The SealedSecret CRD is not installed.
    #[error("the CRD sealedsecrets.sealsync.io is not installed")]
    NoCrd,
    /// The selector was refused.
    #[error("the label selector {selector:?} is not valid: {detail}")]
    Selector {
        /// The selector.
        selector: String,
        /// The API server's message.
        detail: String,
    },
    /// The HTTP port could not be bound.
    #[error("cannot listen on {addr}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The lease could not be set up.
    #[error("cannot set up the lease {name}: {detail}")]
    Lease {
        /// The Lease name.
        name: String,
        /// Why.
        detail: String,
    },
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers")]
    Signal(#[source] std::io::Error),
}

impl StartError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            StartError::Client(_) => "set KUBECONFIG (or run inside a Pod with a ServiceAccount)",
            StartError::Unreachable(_) => {
                "check that the cluster is up and that the kubeconfig's server address is right"
            }
            StartError::NoCrd => "install it: sealsync crds | kubectl apply --server-side -f -",
            StartError::Selector { .. } => {
                "write it as kubectl does, e.g. --selector shard=a or --selector 'team in (a,b)'"
            }
            StartError::Listen { .. } => "pick another --listen-addr, or stop what holds the port",
            StartError::Lease { .. } => {
                "check that the namespace exists and that sealsync may manage Leases in it"
            }
            StartError::Signal(_) => "this should not happen; report it",
        }
    }
}

/// Checks the API server, the CRD and the selector with one small list.
pub async fn check(client: &Client, args: &RunArgs) -> Result<(), StartError> {
    let api: Api<Sealed> = Api::all_with(client.clone(), &Group::Sealsync.api_resource());
    let mut params = ListParams::default().limit(1);
    if let Some(selector) = &args.selector {
        params = params.labels(selector);
    }
    match api.list_metadata(&params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(StartError::NoCrd),
        Err(kube::Error::Api(s)) if s.code == 400 => Err(StartError::Selector {
            selector: args.selector.clone().unwrap_or_default(),
            detail: s.message,
        }),
        Err(e) => Err(StartError::Unreachable(e)),
    }
}

/// This replica's identity in the lease.
pub fn identity(args: &RunArgs) -> String {
    args.identity.clone().unwrap_or_else(|| {
        let host = std::env::var("POD_NAME")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "sealsync".into());
        format!("{host}-{}", std::process::id())
    })
}

/// The lease name: one per shard, so each shard elects its own leader.
pub fn lease_name(args: &RunArgs) -> String {
    if let Some(name) = &args.lease_name {
        return name.clone();
    }
    match &args.selector {
        None => "sealsync-controller".into(),
        Some(selector) => {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, selector.as_bytes());
            let short: String = digest.as_ref()[..5]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("sealsync-controller-{short}")
        }
    }
}
