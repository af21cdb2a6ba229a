//! Whose defaults the command line follows: `seal`'s own, or kubeseal's when the binary is
//! invoked as `kubeseal` (a symlink or a copy with that name) or with `--kubeseal-compat`.
//!
//! Every difference between the two lives here, so the README's table of defaults and the code
//! cannot drift apart:
//!
//! | | seal | kubeseal |
//! |---|---|---|
//! | output format | YAML | JSON |
//! | apiVersion | `sealsync.io/v1alpha1` | `bitnami.com/v1alpha1` |
//! | `-w FILE` | `-o`, else the extension (`.json`, `.yaml`, `.yml`, any case), else YAML | `.yaml`/`.yml` (exact) forces YAML, else `-o`, else JSON |
//! | `--merge-into` format | `-o`, else the file's own | `-o`, else JSON |
//! | `-n ns/x` | an error: not a namespace | `ns/`, `namespace/`, `namespaces/` stripped (client-go) |
//! | cluster-wide scope | `-n` must still agree with the input | `-n` and the context namespace ignored |
//! | `--merge-into` scope | the file's | the input's or `--scope`'s (strict by default), which must be the file's |

use std::ffi::OsStr;
use std::path::Path;

use sealsync_core::api::{Api, Format};

/// Whose defaults apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `seal`'s own.
    Seal,
    /// kubeseal's.
    Kubeseal,
}

/// The `-o` flag: its value, and whether it was on the command line (else a variable).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormatFlag {
    /// The format asked for, if any.
    pub value: Option<Format>,
    /// Whether the command line gave it.
    pub on_command_line: bool,
}

/// The prefixes client-go strips from `--namespace` (`RemoveNamespacesPrefix`), longest first.
const NAMESPACE_PREFIXES: [&str; 3] = ["namespaces/", "namespace/", "ns/"];

impl Dialect {
    /// kubeseal's when the program's file name is `kubeseal` or `--kubeseal-compat` is set.
    pub fn detect(argv0: Option<&OsStr>, compat: bool) -> Dialect {
        let name = argv0
            .and_then(|a| Path::new(a).file_stem())
            .and_then(OsStr::to_str);
        if compat || name == Some("kubeseal") {
            Dialect::Kubeseal
        } else {
            Dialect::Seal
        }
    }

    /// The API group of what is sealed when `--api` is not given.
    pub fn default_api(self) -> Api {
        match self {
            Dialect::Seal => Api::Sealsync,
            Dialect::Kubeseal => Api::Bitnami,
        }
    }

    /// The format of an output written to `path` (or stdout). `fallback` is `seal`'s default
    /// when neither `-o` nor the file name says (YAML, or the input's format when re-encrypting).
    pub fn output_format(self, flag: FormatFlag, path: Option<&Path>, fallback: Format) -> Format {
        match self {
            Dialect::Seal => {
                let from_flag = flag.value.filter(|_| flag.on_command_line);
                from_flag
                    .or_else(|| path.and_then(Format::from_extension))
                    .or(flag.value)
                    .unwrap_or(fallback)
            }
            // main.go: `if ext := filepath.Ext(name); ext == ".yaml" || ext == ".yml"`.
            Dialect::Kubeseal => {
                let ext = path.and_then(Path::extension).and_then(OsStr::to_str);
                match ext {
                    Some("yaml" | "yml") => Format::Yaml,
                    _ => flag.value.unwrap_or(Format::Json),
                }
            }
        }
    }

    /// The format `--merge-into` rewrites the file in; `None` keeps the file's own.
    pub fn merge_format(self, flag: FormatFlag) -> Option<Format> {
        match self {
            Dialect::Seal => flag.value,
            Dialect::Kubeseal => Some(flag.value.unwrap_or(Format::Json)),
        }
    }

    /// The `--namespace` value as this dialect reads it: kubeseal strips kubectl's `ns/` forms.
    pub fn namespace_flag(self, value: &str) -> String {
        if self == Dialect::Seal {
            return value.to_owned();
        }
        for prefix in NAMESPACE_PREFIXES {
            let head = value.get(..prefix.len());
            if value.len() > prefix.len() && head.is_some_and(|h| h.eq_ignore_ascii_case(prefix)) {
                return value[prefix.len()..].to_owned();
            }
        }
        value.to_owned()
    }

    /// Whether a cluster-wide value ignores `--namespace` and the context namespace (kubeseal's
    /// `Seal` checks and fills the namespace only for narrower scopes).
    pub fn cluster_wide_ignores_namespace(self) -> bool {
        self == Dialect::Kubeseal
    }

    /// The `--version` line.
    pub fn version_line(self) -> String {
        let version = env!("CARGO_PKG_VERSION");
        let revision = env!("SEAL_GIT_REVISION");
        match self {
            Dialect::Seal => format!("seal {version} ({revision})"),
            Dialect::Kubeseal => format!("kubeseal version: {version} (sealsync seal {revision})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubeseal_by_name_or_flag() {
        let detect = |name: &str, compat| Dialect::detect(Some(OsStr::new(name)), compat);
        assert_eq!(detect("/usr/local/bin/kubeseal", false), Dialect::Kubeseal);
        assert_eq!(detect("kubeseal", false), Dialect::Kubeseal);
        assert_eq!(detect("kubeseal.exe", false), Dialect::Kubeseal);
        assert_eq!(detect("/bin/seal", false), Dialect::Seal);
        assert_eq!(detect("kubeseal-old", false), Dialect::Seal);
        assert_eq!(detect("seal", true), Dialect::Kubeseal);
        assert_eq!(Dialect::detect(None, false), Dialect::Seal);
    }

    #[test]
    fn the_w_rule_of_each_dialect() {
        let none = FormatFlag::default();
        let json_flag = FormatFlag {
            value: Some(Format::Json),
            on_command_line: true,
        };
        let yaml_env = FormatFlag {
            value: Some(Format::Yaml),
            on_command_line: false,
        };
        let p = |s: &'static str| Some(Path::new(s));
        let k = Dialect::Kubeseal;
        assert_eq!(k.output_format(none, None, Format::Yaml), Format::Json);
        assert_eq!(
            k.output_format(none, p("s.yaml"), Format::Json),
            Format::Yaml
        );
        assert_eq!(
            k.output_format(json_flag, p("s.yml"), Format::Json),
            Format::Yaml
        );
        assert_eq!(
            k.output_format(none, p("s.YAML"), Format::Yaml),
            Format::Json
        );
        assert_eq!(
            k.output_format(none, p("s.txt"), Format::Yaml),
            Format::Json
        );
        assert_eq!(
            k.output_format(yaml_env, p("s.json"), Format::Json),
            Format::Yaml
        );
        let s = Dialect::Seal;
        assert_eq!(s.output_format(none, None, Format::Yaml), Format::Yaml);
        assert_eq!(
            s.output_format(none, p("s.JSON"), Format::Yaml),
            Format::Json
        );
        assert_eq!(
            s.output_format(json_flag, p("s.yaml"), Format::Yaml),
            Format::Json
        );
        assert_eq!(
            s.output_format(yaml_env, p("s.json"), Format::Yaml),
            Format::Json
        );
        assert_eq!(
            s.output_format(yaml_env, p("s.txt"), Format::Json),
            Format::Yaml
        );
        assert_eq!(k.merge_format(none), Some(Format::Json));
        assert_eq!(s.merge_format(none), None);
    }

    #[test]
    fn kubeseal_strips_namespace_prefixes_as_client_go() {
        let k = Dialect::Kubeseal;
        assert_eq!(k.namespace_flag("ns/prod"), "prod");
        assert_eq!(k.namespace_flag("NS/prod"), "prod");
        assert_eq!(k.namespace_flag("namespace/prod"), "prod");
        assert_eq!(k.namespace_flag("Namespaces/prod"), "prod");
        assert_eq!(
            k.namespace_flag("ns/"),
            "ns/",
            "nothing after the prefix: kept"
        );
        assert_eq!(k.namespace_flag("prod/ns"), "prod/ns");
        assert_eq!(k.namespace_flag("nś/x"), "nś/x");
        assert_eq!(Dialect::Seal.namespace_flag("ns/prod"), "ns/prod");
    }
}
