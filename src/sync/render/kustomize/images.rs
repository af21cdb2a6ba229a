//! The `images` transformer: for every container image whose name matches an entry, set a new
//! name, tag or digest. This is what CI edits with `kustomize edit set image`.

use serde_json::Value;

/// One `images` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The image name to match (no tag, no digest).
    pub name: String,
    /// `newName`.
    pub new_name: Option<String>,
    /// `newTag`.
    pub new_tag: Option<String>,
    /// `digest`.
    pub digest: Option<String>,
}

/// Reads the `images` list.
pub fn rules(list: &Value) -> Result<Vec<Rule>, String> {
    let items = list.as_array().ok_or("`images` must be a list")?;
    items
        .iter()
        .map(|item| {
            let text = |field: &str| match &item[field] {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone())),
                Value::Number(n) => Ok(Some(n.to_string())),
                _ => Err(format!("`images[].{field}` must be a string")),
            };
            Ok(Rule {
                name: text("name")?.ok_or("every `images` entry needs a name")?,
                new_name: text("newName")?,
                new_tag: text("newTag")?,
                digest: text("digest")?,
            })
        })
        .collect()
}

/// Applies the rules to every container list in the object (`containers`, `initContainers`,
/// `ephemeralContainers`, at any depth: Pods, pod templates, CronJob job templates).
pub fn apply(object: &mut Value, rules: &[Rule]) {
    match object {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let is_containers = matches!(
                    key.as_str(),
                    "containers" | "initContainers" | "ephemeralContainers"
                );
                match value {
                    Value::Array(items) if is_containers => {
                        for c in items.iter_mut() {
                            if let Some(image) = c.get_mut("image")
                                && let Some(current) = image.as_str()
                                && let Some(new) = rewrite(current, rules)
                            {
                                *image = Value::String(new);
                            }
                        }
                    }
                    other => apply(other, rules),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| apply(v, rules)),
        _ => {}
    }
}

/// `name[:tag][@digest]` split into its parts; a `:` before the last `/` is a registry port.
fn split(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

fn rewrite(image: &str, rules: &[Rule]) -> Option<String> {
    let (name, tag, digest) = split(image);
    let rule = rules.iter().find(|r| r.name == name)?;
    let name = rule.new_name.as_deref().unwrap_or(name);
    Some(match (&rule.digest, &rule.new_tag) {
        (Some(d), _) => format!("{name}@{d}"),
        (None, Some(t)) => format!("{name}:{t}"),
        (None, None) => {
            let mut out = name.to_owned();
            if let Some(t) = tag {
                out.push(':');
                out.push_str(t);
            }
            if let Some(d) = digest {
                out.push('@');
                out.push_str(d);
            }
            out
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, new_name: Option<&str>, tag: Option<&str>, digest: Option<&str>) -> Rule {
        Rule {
            name: name.into(),
            new_name: new_name.map(Into::into),
            new_tag: tag.map(Into::into),
            digest: digest.map(Into::into),
        }
    }

    #[test]
    fn names_tags_digests_and_registry_ports() {
        assert_eq!(
            split("registry:5000/team/app:1.2@sha256:ab"),
            ("registry:5000/team/app", Some("1.2"), Some("sha256:ab"))
        );
        assert_eq!(split("nginx"), ("nginx", None, None));
        let rules = [rule("nginx", None, Some("1.27"), None)];
        assert_eq!(rewrite("nginx:1.25", &rules).as_deref(), Some("nginx:1.27"));
        assert_eq!(rewrite("nginx", &rules).as_deref(), Some("nginx:1.27"));
        assert_eq!(rewrite("nginxx:1", &rules), None);
        let rules = [rule(
            "app",
            Some("ghcr.io/acme/app"),
            None,
            Some("sha256:00"),
        )];
        assert_eq!(
            rewrite("app:old", &rules).as_deref(),
            Some("ghcr.io/acme/app@sha256:00")
        );
        let rules = [rule("registry:5000/app", Some("other/app"), None, None)];
        assert_eq!(
            rewrite("registry:5000/app:3", &rules).as_deref(),
            Some("other/app:3")
        );
    }
}
