//! devcluster: a Kubernetes-API-compatible server.
