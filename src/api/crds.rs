//! Every CRD sealsync serves, as the YAML that `sealsync crds` prints and `crds/` holds.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use sealsync_core::api::docs::{DocError, Format, render_all};

use super::SealedSecret;
use super::gitsync::GitSync;

/// Every CRD, in a stable order.
pub fn all_crds() -> Vec<CustomResourceDefinition> {
    vec![SealedSecret::crd(), GitSync::crd()]
}

/// Every CRD as multi-document YAML, each document introduced by `---`: the same writer `seal`
/// uses for its output.
pub fn crds_yaml() -> Result<String, DocError> {
    render_all(&all_crds(), Format::Yaml)
}
