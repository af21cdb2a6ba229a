//! Request paths: which document or resource a URL names.

/// A resource request path: `/api/v1[/namespaces/{ns}]/{plural}[/{name}[/{sub}]]` or the same
/// under `/apis/{group}/{version}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    Health,
    Api,
    Apis,
    ApiGroup(String),
    ResourceList { group: String, version: String },
    OpenApiV2,
    OpenApiV3Root,
    OpenApiV3 { group: String, version: String },
    Resource(ResourcePath),
    NotFound,
}

fn resource(group: &str, version: &str, rest: &[&str]) -> Route {
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, more @ ..] if !matches!(*plural, "status" | "finalize") => {
            (Some(ns.to_string()), [&[*plural][..], more].concat())
        }
        other => (None, other.to_vec()),
    };
    let (plural, name, subresource) = match rest.as_slice() {
        [p] => (p, None, None),
        [p, n] => (p, Some(n.to_string()), None),
        [p, n, s] => (p, Some(n.to_string()), Some(s.to_string())),
        _ => return Route::NotFound,
    };
    Route::Resource(ResourcePath {
        group: group.into(),
        version: version.into(),
        plural: plural.to_string(),
        namespace,
        name,
        subresource,
    })
}

pub fn parse(path: &str) -> Route {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "readyz" | "livez"] => Route::Health,
        ["api"] => Route::Api,
        ["api", v] => Route::ResourceList {
            group: String::new(),
            version: v.to_string(),
        },
        ["api", v, rest @ ..] => resource("", v, rest),
        ["apis"] => Route::Apis,
        ["apis", g] => Route::ApiGroup(g.to_string()),
        ["apis", g, v] => Route::ResourceList {
            group: g.to_string(),
            version: v.to_string(),
        },
        ["apis", g, v, rest @ ..] => resource(g, v, rest),
        ["openapi", "v2"] => Route::OpenApiV2,
        ["openapi", "v3"] => Route::OpenApiV3Root,
        ["openapi", "v3", "api", v] => Route::OpenApiV3 {
            group: String::new(),
            version: v.to_string(),
        },
        ["openapi", "v3", "apis", g, v] => Route::OpenApiV3 {
            group: g.to_string(),
            version: v.to_string(),
        },
        _ => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(path: &str) -> ResourcePath {
        match parse(path) {
            Route::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn namespaced_and_cluster_paths() {
        let r = res("/api/v1/namespaces/ns1/configmaps/x");
        assert_eq!(
            (r.namespace.as_deref(), r.plural.as_str(), r.name.as_deref()),
            (Some("ns1"), "configmaps", Some("x"))
        );
        let r = res("/api/v1/namespaces/ns1");
        assert_eq!(
            (r.namespace, r.plural.as_str(), r.name.as_deref()),
            (None, "namespaces", Some("ns1"))
        );
        let r = res("/api/v1/namespaces/ns1/status");
        assert_eq!(
            (r.plural.as_str(), r.subresource.as_deref()),
            ("namespaces", Some("status"))
        );
        let r = res("/apis/apps/v1/namespaces/a/deployments/d/status");
        assert_eq!(
            (r.group.as_str(), r.subresource.as_deref()),
            ("apps", Some("status"))
        );
        let r = res("/apis/apps/v1/deployments");
        assert_eq!((r.namespace, r.name), (None, None));
        assert_eq!(
            parse("/apis/apps/v1/namespaces/a/deployments/d/status/x"),
            Route::NotFound
        );
        assert_eq!(
            parse("/openapi/v3/apis/apps/v1"),
            Route::OpenApiV3 {
                group: "apps".into(),
                version: "v1".into()
            }
        );
        assert_eq!(parse("/openapi/v2"), Route::OpenApiV2);
    }
}
