//! Every error a user can hit, what went wrong and what to do about it. Messages name files,
//! keys and objects, never values: the library errors they wrap carry no plaintext.

use std::error::Error as _;
use std::path::PathBuf;
use std::process::ExitCode;

use sealsync_core::api::docs::DocError;
use sealsync_core::api::sealed::SealedSecretError;
use sealsync_core::api::secret::SecretError;
use sealsync_core::crypto::KeyError;
use sealsync_core::sealing::{
    KeyFileError, MergeError, ReEncryptError, SealSecretError, UnsealError,
};

/// How an input holds no object.
#[derive(Debug, thiserror::Error)]
pub enum NoObjects {
    /// The stream holds no document.
    #[error("the input is empty: no document found")]
    Empty,
    /// Every document is a `List` with no items.
    #[error("the input holds no objects: its List has no items")]
    EmptyList,
}

/// A failed `seal` run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A combination of flags that cannot work.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// An environment variable holds a value its flag would refuse.
    #[error("{var}={value:?} is not valid: expected {expected}")]
    BadEnv {
        /// The variable.
        var: String,
        /// Its value (flags and scopes, never secrets).
        value: String,
        /// The accepted values.
        expected: &'static str,
    },
    /// An environment variable holds a value its flag's parser refuses.
    #[error("{var} is not valid: {reason}")]
    BadEnvFlag {
        /// The variable.
        var: String,
        /// Why (never the value, which may be a credential).
        reason: String,
    },
    /// An argument that is not a flag.
    #[error("unexpected argument {arg:?}: seal takes flags only")]
    StrayArgument {
        /// The argument.
        arg: String,
    },
    /// A flag names something the API server would refuse.
    #[error("{flag}")]
    InvalidFlag {
        /// The flag, or the variable that stood in for it.
        flag: String,
        /// What is wrong.
        source: crate::validate::Invalid,
    },
    /// An object would be refused by the API server.
    #[error("{what}")]
    InvalidObject {
        /// Which object: e.g. `Secret "db" (document 1 of stdin)`.
        what: String,
        /// What is wrong.
        source: crate::validate::Invalid,
    },
    /// A request timed out.
    #[error("no answer from {url} within {after:?}")]
    Timeout {
        /// The URL.
        url: String,
        /// How long `seal` waited.
        after: std::time::Duration,
        /// Which of `seal`'s limits applies: `--request-timeout` or the fixed one.
        limit: &'static str,
    },
    /// The input could not be read.
    #[error("cannot read {}{what}", if *.flag == "--from-file" { "the --from-file file " } else { "" })]
    ReadInput {
        /// The flag that named it (`-f`, `--from-file`), or "stdin".
        flag: &'static str,
        /// The file, or "stdin".
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The input is not UTF-8 text.
    #[error("{what} is not UTF-8 text")]
    InputNotText {
        /// The file, or "stdin".
        what: String,
    },
    /// The input is not YAML or JSON, or holds no object.
    #[error("cannot parse {what}")]
    Parse {
        /// The file, or "stdin".
        what: String,
        /// The kind of object this mode reads: "Secret" or "SealedSecret".
        expected: &'static str,
        /// Where it broke.
        #[source]
        source: DocError,
    },
    /// The input holds no object (an empty stream, or only empty Lists).
    #[error("cannot parse {what}")]
    NoObjects {
        /// The file, or "stdin".
        what: String,
        /// The kind of object this mode reads: "Secret" or "SealedSecret".
        expected: &'static str,
        /// Which kind of nothing.
        #[source]
        source: NoObjects,
    },
    /// A document is not a Secret.
    #[error("document {index} of {what} is not a usable Secret")]
    NotASecret {
        /// The file, or "stdin".
        what: String,
        /// 1-based document number.
        index: usize,
        /// Why.
        #[source]
        source: SecretError,
    },
    /// A document is not a SealedSecret.
    #[error("document {index} of {what} is not a usable SealedSecret")]
    NotASealedSecret {
        /// The file, or "stdin".
        what: String,
        /// 1-based document number.
        index: usize,
        /// Why.
        #[source]
        source: SealedSecretError,
    },
    /// Sealing failed.
    #[error("cannot seal")]
    Seal {
        /// Why.
        #[source]
        source: SealSecretError,
    },
    /// Unsealing failed.
    #[error("cannot unseal")]
    Unseal {
        /// Why.
        #[source]
        source: UnsealError,
    },
    /// `--validate` found values that do not open.
    #[error("validation failed: {}", failures.join("; "))]
    Validate {
        /// One entry per failing SealedSecret, naming its keys.
        failures: Vec<String>,
    },
    /// Re-encryption failed.
    #[error("cannot re-encrypt")]
    ReEncrypt {
        /// Why.
        #[source]
        source: ReEncryptError,
    },
    /// The `--merge-into` file does not exist.
    #[error("the --merge-into file {} does not exist", path.display())]
    MergeTargetMissing {
        /// The file.
        path: PathBuf,
    },
    /// The `--merge-into` file could not be read (e.g. it is a directory).
    #[error("cannot read the --merge-into file {}", path.display())]
    ReadMergeTarget {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The `--merge-into` file holds nothing.
    #[error("the --merge-into file {} is empty", path.display())]
    MergeTargetEmpty {
        /// The file.
        path: PathBuf,
    },
    /// `--namespace` is not the `--merge-into` file's namespace.
    #[error(
        "namespace mismatch: --namespace {given:?} was given but {} is in namespace {found:?}",
        path.display()
    )]
    MergeNamespace {
        /// The file.
        path: PathBuf,
        /// From the command line.
        given: String,
        /// The file's.
        found: String,
    },
    /// kubeseal mode: the input's scope is not the `--merge-into` file's.
    #[error(
        "scope mismatch: the input is {scope} ({why}) but {} is {file_scope}; its values would not open",
        path.display()
    )]
    MergeScope {
        /// The file.
        path: PathBuf,
        /// The scope the input would be sealed with.
        scope: sealsync_core::crypto::Scope,
        /// Where that scope came from.
        why: &'static str,
        /// The file's scope.
        file_scope: sealsync_core::crypto::Scope,
    },
    /// The `--merge-into` file holds not exactly one SealedSecret.
    #[error("the --merge-into file {} holds {count} documents; expected one SealedSecret", path.display())]
    MergeTargetNotOne {
        /// The file.
        path: PathBuf,
        /// How many documents it holds.
        count: usize,
    },
    /// Merging failed.
    #[error("cannot merge into {}", path.display())]
    Merge {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: MergeError,
    },
    /// The certificate could not be read.
    #[error("cannot read the certificate {location}")]
    ReadCert {
        /// Path or URL.
        location: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The certificate could not be fetched.
    #[error("cannot fetch the certificate from {url}")]
    FetchCert {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: ureq::Error,
    },
    /// The server answered with an error status.
    #[error("fetching the certificate from {url} returned HTTP {status}")]
    FetchCertStatus {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The controller could not be reached.
    #[error("cannot reach the controller at {url}")]
    Controller {
        /// The URL.
        url: String,
        /// Why.
        #[source]
        source: ureq::Error,
    },
    /// The controller refused the request.
    #[error("the controller at {url} answered HTTP {status}: {message}")]
    ControllerStatus {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// Its error message.
        message: String,
    },
    /// The certificate is not a usable PEM RSA certificate.
    #[error("{location} is not a usable certificate")]
    BadCert {
        /// Path or URL.
        location: String,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// The certificates do not make a recipient list.
    #[error("cannot seal to these certificates")]
    Recipients {
        /// Why.
        #[source]
        source: sealsync_core::crypto::SealError,
    },
    /// The certificate has expired.
    #[error("the certificate {location} expired on {not_after}")]
    CertExpired {
        /// Path or URL.
        location: String,
        /// When it expired (RFC 3339).
        not_after: String,
    },
    /// The kubeconfig could not be used to reach the cluster.
    #[error("cannot fetch the certificate through the kubeconfig")]
    Kubeconfig {
        /// Why.
        #[source]
        source: crate::kubeconfig::KubeconfigError,
    },
    /// `--validate` or `--re-encrypt` has no keys, no `--controller-url`, and no usable
    /// kubeconfig to reach the controller through.
    #[error("cannot reach the controller through the kubeconfig")]
    NoOpener {
        /// Why.
        #[source]
        source: crate::kubeconfig::KubeconfigError,
    },
    /// The API server answered an error status.
    #[error("the API server answered HTTP {status} for {url}")]
    ClusterStatus {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
    },
    /// Neither the ConfigMap nor the controller's Service gave a certificate.
    #[error(
        "no certificate in ConfigMap {namespace}/sealsync-cert, nor from service {namespace}/{name} (HTTP {status})"
    )]
    ClusterCertNotFound {
        /// The controller's namespace.
        namespace: String,
        /// The controller's Service.
        name: String,
        /// The proxy's status.
        status: u16,
    },
    /// TLS could not be set up.
    #[error("cannot set up TLS")]
    Tls {
        /// Why.
        #[source]
        source: crate::tls::TlsError,
    },
    /// The kubeconfig's TLS material is unusable.
    #[error("cannot use the kubeconfig's TLS settings: {what}")]
    ClusterTls {
        /// What is wrong.
        what: &'static str,
    },
    /// A key file could not be read.
    #[error("cannot read the private key file {}", path.display())]
    ReadKeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A key file holds no usable key.
    #[error("no usable private key in {}", path.display())]
    BadKeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: KeyFileError,
    },
    /// The output could not be rendered.
    #[error("cannot write the output")]
    Render {
        /// Why.
        #[source]
        source: DocError,
    },
    /// The output could not be written.
    #[error("cannot write {what}")]
    Write {
        /// The file, or "stdout".
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `keygen` would overwrite a key.
    #[error("{} already exists", path.display())]
    KeyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// Key generation failed.
    #[error("cannot generate the key")]
    Keygen {
        /// Why.
        #[source]
        source: KeyError,
    },
}

/// Whether a controller URL goes through the API server's service proxy (no --controller-url
/// was given), so the hint names the flags that chose it.
fn through_api_server(url: &str) -> bool {
    url.contains("/services/") && url.contains("/proxy/")
}

/// The hint for a data key the API server would refuse.
const KEY_RULE_HINT: &str = "Secret keys are 1 to 253 letters, digits, '-', '_' or '.', and not '.', '..' or anything starting with '..'; rename the key";

impl CliError {
    /// An HTTP failure: a timeout names the URL and the wait; anything else goes to `other`.
    pub fn http(
        url: &str,
        error: ureq::Error,
        wait: crate::http::Wait,
        other: impl FnOnce(ureq::Error) -> CliError,
    ) -> CliError {
        match (error, wait.after) {
            (ureq::Error::Timeout(_), Some(after)) => CliError::Timeout {
                url: url.to_owned(),
                after,
                limit: wait.limit,
            },
            (error, _) => other(error),
        }
    }

    /// A usage error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> CliError {
        CliError::Usage {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// What the user can do about it.
    pub fn hint(&self) -> String {
        use sealsync_core::sealing::TargetError as T;
        let target_hint = |t: &T| match t {
            T::MissingName { .. } => "set metadata.name in the input, or pass --name NAME",
            T::MissingNamespace { .. } => {
                "set metadata.namespace in the input, pass --namespace NS, or choose \
                 --scope cluster-wide"
            }
            T::NameMismatch { .. } => "drop --name, or make it match metadata.name",
            T::NamespaceMismatch { .. } => "drop --namespace, or make it match metadata.namespace",
            _ => "check the name, namespace and scope",
        };
        match self {
            CliError::Usage { hint, .. } => hint.clone(),
            CliError::BadEnv { var, .. } | CliError::BadEnvFlag { var, .. } => {
                format!("unset {var} or fix its value")
            }
            CliError::StrayArgument { arg } => stray_hint(arg),
            CliError::InvalidFlag { source, .. } | CliError::InvalidObject { source, .. } => {
                source.hint().into()
            }
            CliError::Timeout { limit, .. } => format!(
                "check that the server is up and reachable from here (a proxy in HTTPS_PROXY?); {limit}"
            ),
            CliError::ReadInput { flag: "stdin", .. } => {
                "pipe the input on stdin, or pass -f FILE".into()
            }
            CliError::ReadInput { flag, .. } => format!("check the path given to {flag}"),
            CliError::MergeTargetEmpty { path } => format!(
                "--merge-into adds to an existing SealedSecret: create it first with \
                 `seal --cert CERT -w {} < secret.yaml`",
                path.display()
            ),
            CliError::MergeNamespace { .. } => {
                "the file's namespace is kept: drop --namespace, or merge into a file for that namespace".into()
            }
            CliError::MergeScope { file_scope, .. } => format!(
                "pass --scope {file_scope} (kubeseal seals for the input's scope, which must be the file's)"
            ),
            CliError::InputNotText { .. } => "give a Secret as YAML or JSON text".into(),
            CliError::Parse { expected, source, .. } => parse_hint(expected, source),
            CliError::NoObjects { expected, .. } => format!(
                "give at least one {expected} on stdin or with -f FILE, {}",
                input_example(expected)
            ),
            CliError::NotASecret { source, .. } => match source {
                SecretError::NotASecret { .. } => {
                    "seal reads `kind: Secret` objects; to decrypt a SealedSecret use --recovery-unseal".into()
                }
                SecretError::ValueNotString { .. } => "quote the value so that it is a string".into(),
                SecretError::DataNotBase64 { .. } => {
                    "values under data must be base64; put plain text under stringData instead".into()
                }
                SecretError::InvalidKey { .. } => {
                    KEY_RULE_HINT.into()
                }
                _ => "fix the Secret's shape; `kubectl create secret … --dry-run=client -o yaml` makes a valid one".into(),
            },
            CliError::NotASealedSecret { .. } => {
                "give a SealedSecret (sealsync.io/v1alpha1 or bitnami.com/v1alpha1), e.g. one `seal` wrote".into()
            }
            CliError::Seal { source } => match source {
                SealSecretError::Target { source, .. } => target_hint(source).into(),
                SealSecretError::EmptyData { .. } => {
                    "add data or stringData, or pass --allow-empty-data to seal an empty Secret".into()
                }
                SealSecretError::ReadValues { source: SecretError::InvalidKey { .. }, .. } => {
                    KEY_RULE_HINT.into()
                }
                SealSecretError::ReadValues { .. } => {
                    "values under data must be base64; put plain text under stringData instead".into()
                }
                _ => "retry; if it persists, report a bug".into(),
            },
            CliError::Unseal { source } | CliError::ReEncrypt { source: ReEncryptError::Open { source } } => {
                unseal_hint(source, target_hint)
            }
            CliError::ReEncrypt { source: ReEncryptError::WouldLockOut { .. } } => {
                "pass the certificate of every cluster that opens it (--cert NEW --cert OTHER …), \
                 or re-seal it from the Secret"
                    .into()
            }
            CliError::ReEncrypt { .. } => "check --cert".into(),
            CliError::Recipients { source: sealsync_core::crypto::SealError::TooManyRecipients { .. } } => {
                "split the clusters over several SealedSecrets".into()
            }
            CliError::Recipients { .. } => "name each certificate once, with one --cert per cluster".into(),
            CliError::Validate { .. } => {
                "those values were sealed with another key or for another name, namespace or scope; \
                 re-seal them with the current certificate"
                    .into()
            }
            CliError::MergeTargetMissing { .. } => {
                "--merge-into updates an existing file; create it first with `seal --cert CERT -w FILE`".into()
            }
            CliError::MergeTargetNotOne { .. } => "merge into a file holding a single SealedSecret".into(),
            CliError::Merge { source, .. } => match source {
                MergeError::Target { .. } => {
                    "the file's metadata must hold the name and namespace its scope needs; fix the file".into()
                }
                MergeError::ScopeMismatch { .. } => "the file's scope is kept: drop --scope".into(),
                MergeError::EmptyData => "add data or stringData, or pass --allow-empty-data".into(),
                MergeError::WouldLockOut { .. } => {
                    "pass the certificate of every cluster that opens the file (--cert A --cert B …)".into()
                }
                _ => "check the input Secret".into(),
            },
            CliError::ReadCert { .. } => "check the path or URL given to --cert".into(),
            CliError::FetchCert { .. } | CliError::FetchCertStatus { .. } => {
                "check the URL and that the server is reachable (for a private CA, point SSL_CERT_FILE \
                 at its certificate), or pass a local --cert FILE"
                    .into()
            }
            CliError::Controller { url, .. } if through_api_server(url) => {
                "check that the kubeconfig's cluster is reachable and that the controller's Service runs \
                 (`kubectl get svc -n NAMESPACE NAME` with --controller-namespace and --controller-name, \
                 sealsync-system and sealsync by default), or pass --recovery-private-key FILE to work offline"
                    .into()
            }
            CliError::Controller { .. } => {
                "check --controller-url and that the controller is reachable (kubectl port-forward -n sealsync-system svc/sealsync 8080), \
                 or pass --recovery-private-key FILE to work offline"
                    .into()
            }
            CliError::ControllerStatus { status: 429, .. } => {
                "the controller limits verify/rotate requests; wait a second and retry".into()
            }
            CliError::ControllerStatus { url, .. } if through_api_server(url) => {
                "check that the input is a SealedSecret for this cluster, and that --controller-namespace and \
                 --controller-name name sealsync's Service"
                    .into()
            }
            CliError::ControllerStatus { .. } => {
                "check that the input is a SealedSecret for this cluster, and that --controller-url points at sealsync".into()
            }
            CliError::BadCert { .. } => "--cert needs a PEM certificate with an RSA key, such as tls.crt from `seal keygen`".into(),
            CliError::CertExpired { .. } => {
                "fetch the controller's current certificate (`seal --fetch-cert --controller-url URL > cert.pem`) \
                 or generate a new key"
                    .into()
            }
            CliError::NoOpener { .. } => {
                "pass --recovery-private-key FILE[,FILE…] to work offline, or --controller-url URL, or point \
                 KUBECONFIG (or --kubeconfig) at the cluster"
                    .into()
            }
            CliError::Kubeconfig { source: crate::kubeconfig::KubeconfigError::Unsupported { .. } } => {
                "fetch it another way: `kubectl get configmap -n sealsync-system sealsync-cert -o jsonpath='{.data.cert\\.pem}' > cert.pem`, \
                 then pass --cert cert.pem (or use --controller-url)"
                    .into()
            }
            CliError::Kubeconfig { .. } => {
                "pass --cert FILE|URL or --controller-url URL, or point KUBECONFIG (or --kubeconfig) at the cluster".into()
            }
            CliError::ClusterStatus { status: 401 | 403, .. } => {
                "the kubeconfig's user may not read it; pass --cert FILE|URL or --controller-url URL".into()
            }
            CliError::ClusterStatus { .. } => "check that the cluster is up, or pass --cert FILE|URL".into(),
            CliError::ClusterCertNotFound { .. } => {
                "check --controller-namespace and --controller-name (the controller's namespace and Service), \
                 or pass --cert FILE|URL or --controller-url URL"
                    .into()
            }
            CliError::Tls { source: crate::tls::TlsError::ServerName { .. } } => {
                "give --tls-server-name (or the kubeconfig's tls-server-name) as a DNS name or an IP address".into()
            }
            CliError::Tls { .. } => {
                "check SSL_CERT_FILE / SSL_CERT_DIR and the kubeconfig's certificate-authority, client-certificate and client-key".into()
            }
            CliError::ClusterTls { .. } => "fix the kubeconfig's certificate-authority / client-certificate / client-key".into(),
            CliError::ReadKeyFile { .. } => "check the paths given to --recovery-private-key".into(),
            CliError::BadKeyFile { path, source: KeyFileError::EncryptedPem { legacy, .. } } => {
                let p = path.display();
                let tool = if *legacy { "rsa" } else { "pkey" };
                format!(
                    "seal reads unencrypted keys only: decrypt it with `openssl {tool} -in {p} -out {p}.plain` \
                     and pass {p}.plain (it then holds the bare key: keep it safe)"
                )
            }
            CliError::BadKeyFile { source: KeyFileError::EncryptedTlsKey { legacy, .. }, .. } => {
                let tool = if *legacy { "rsa" } else { "pkey" };
                format!(
                    "seal reads unencrypted keys only: decrypt data[\"tls.key\"] with `openssl {tool} -in KEY -out KEY.plain` \
                     and pass KEY.plain"
                )
            }
            CliError::BadKeyFile { .. } => {
                "--recovery-private-key takes PEM keys, a key Secret with data[\"tls.key\"], or a List of them".into()
            }
            CliError::Render { .. } => "report a bug: a sealed object could not be serialized".into(),
            CliError::Write { what, .. } if what == "stdout" => {
                "stdout could not be written (closed, or on a full disk); write to a file with -w FILE instead".into()
            }
            CliError::Write { .. } => "check that the output directory exists and is writable".into(),
            CliError::ReadMergeTarget { .. } => {
                "--merge-into takes a SealedSecret file, such as one `seal -w FILE` wrote".into()
            }
            CliError::KeyExists { .. } => {
                "choose another --out-dir, or pass --force (values sealed to the old key then only open with a copy of it)".into()
            }
            CliError::Keygen { source: KeyError::ValidityTooLong { .. } } => {
                "choose a shorter --validity-days".into()
            }
            CliError::Keygen { .. } => "retry; if it persists, report a bug".into(),
        }
    }
}

fn stray_hint(arg: &str) -> String {
    if super::args::parse_go_bool(arg).is_ok() {
        return format!(
            "a boolean flag takes its value after '=': --flag={arg} (a separate word is an argument)"
        );
    }
    format!(
        "to read the input from a file, pass -f {arg}; kubeseal would ignore {arg:?} and read stdin"
    )
}

/// Where a valid input of kind `expected` comes from.
fn input_example(expected: &str) -> &'static str {
    if expected == "Secret" {
        "e.g. from `kubectl create secret … --dry-run=client -o yaml`"
    } else {
        "e.g. a file `seal` wrote"
    }
}

fn parse_hint(expected: &str, source: &DocError) -> String {
    match source {
        DocError::ListItemsNotArray { .. } => {
            format!("a List's items must be an array of {expected} objects")
        }
        DocError::Yaml {
            duplicate_key: Some(key),
            ..
        }
        | DocError::JsonDuplicateKey { key, .. } => format!(
            "keep one {key:?} entry (the API server and kubectl refuse an object that gives a key twice)"
        ),
        _ => format!(
            "the input must be YAML or JSON, {}",
            input_example(expected)
        ),
    }
}

fn unseal_hint(
    source: &UnsealError,
    target_hint: impl Fn(&sealsync_core::sealing::TargetError) -> &'static str,
) -> String {
    match source {
        UnsealError::Decrypt { .. } => {
            "those values were sealed with another key or for another name, namespace or scope; \
             check --recovery-private-key and the SealedSecret's metadata"
                .into()
        }
        UnsealError::Target { source, .. } => target_hint(source).into(),
        UnsealError::TemplateData { .. } => {
            "spec.template.data holds Go templates; remove it or unseal with kubeseal".into()
        }
        UnsealError::LegacyData { .. } => "re-seal the Secret with a current sealer".into(),
        _ => "check the SealedSecret".into(),
    }
}

/// Prints `error: …` (with its causes) and `hint: …`; returns the failure exit code.
pub fn report(err: &CliError) -> ExitCode {
    let mut message = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    let text = format!("error: {message}\nhint: {}", err.hint());
    crate::io::stderr_line(&sealsync_core::redact::redact_urls(&text));
    ExitCode::FAILURE
}

/// Prints a clap parse error (or help and version, which are not errors). Help piped into a
/// reader that stops early (`seal --help | head -1`) still succeeds; a failed stderr write is
/// ignored, and the exit code stays the error's.
pub fn report_clap(err: &clap::Error) -> ExitCode {
    use std::io::Write as _;
    if !err.use_stderr() {
        let mut out = std::io::stdout().lock();
        let _ignored = write!(out, "{err}").and_then(|()| out.flush());
        return ExitCode::SUCCESS;
    }
    let text = err.to_string();
    crate::io::stderr_line(&format!(
        "{}\nhint: run `seal --help` to see every flag",
        text.trim_end_matches('\n')
    ));
    ExitCode::from(2)
}
