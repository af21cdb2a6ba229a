//! The list and watch query options (`resourceVersion`, `resourceVersionMatch`,
//! `sendInitialEvents`, `continue`), defaulted and validated as kube-apiserver 1.32's generic
//! handler does before it reaches storage: `SetListOptionsDefaults` (with the WatchList feature,
//! beta and on in 1.32), then `ValidateListOptions`, whose errors are one 422 Invalid for
//! `ListOptions.meta.k8s.io ""`.

use super::request::Params;
use crate::field::{forbidden, not_supported};
use crate::status::{ApiError, Cause};
use crate::store::{ContinueToken, ListFrom};
use crate::watch::WatchStart;

pub const NOT_OLDER_THAN: &str = "NotOlderThan";
pub const EXACT: &str = "Exact";

/// The options of one list or watch request, after defaulting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListOptions {
    pub watch: bool,
    /// `resourceVersion`, empty when absent.
    pub resource_version: String,
    /// `resourceVersionMatch` as sent, empty when absent.
    pub resource_version_match: String,
    pub send_initial_events: Option<bool>,
    pub continue_token: String,
}

/// Go's query decoding of a `*bool`: "0", "f" and "false" (any case) are false, anything else
/// true; absent or empty is unset.
fn optional_bool(value: Option<&str>) -> Option<bool> {
    value.map(|v| !matches!(v.to_ascii_lowercase().as_str(), "0" | "f" | "false"))
}

const RV_MATCH: &str = "resourceVersionMatch";

impl ListOptions {
    /// Reads the options and applies `SetListOptionsDefaults`: a watch from "now" (no
    /// `resourceVersion`, or `0`) that says nothing about initial events becomes
    /// `sendInitialEvents=true&resourceVersionMatch=NotOlderThan`.
    pub fn parse(params: &Params, watch: bool) -> Self {
        let mut opts = ListOptions {
            watch,
            resource_version: params.get("resourceVersion").unwrap_or_default().into(),
            resource_version_match: params
                .get("resourceVersionMatch")
                .unwrap_or_default()
                .into(),
            send_initial_events: optional_bool(params.get("sendInitialEvents")),
            continue_token: params.get("continue").unwrap_or_default().into(),
        };
        let legacy = matches!(opts.resource_version.as_str(), "" | "0");
        if opts.watch
            && legacy
            && opts.send_initial_events.is_none()
            && opts.resource_version_match.is_empty()
        {
            opts.send_initial_events = Some(true);
            opts.resource_version_match = NOT_OLDER_THAN.into();
        }
        opts
    }

    /// `ValidateListOptions`: every problem, as one 422 Invalid.
    pub fn validate(&self) -> Result<(), ApiError> {
        let causes = if self.watch {
            self.watch_causes()
        } else {
            self.list_causes()
        };
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid("meta.k8s.io", "ListOptions", "", causes))
        }
    }

    fn list_causes(&self) -> Vec<Cause> {
        let mut causes = Vec::new();
        let m = self.resource_version_match.as_str();
        if !m.is_empty() {
            if self.resource_version.is_empty() {
                causes.push(forbidden(
                    RV_MATCH,
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                ));
            }
            if !self.continue_token.is_empty() {
                causes.push(forbidden(
                    RV_MATCH,
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
            if m != EXACT && m != NOT_OLDER_THAN {
                causes.push(not_supported(RV_MATCH, m, &[EXACT, NOT_OLDER_THAN, ""]));
            }
            if m == EXACT && self.resource_version == "0" {
                causes.push(forbidden(
                    RV_MATCH,
                    "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                ));
            }
        }
        if self.send_initial_events.is_some() {
            causes.push(forbidden(
                "sendInitialEvents",
                "sendInitialEvents is forbidden for list",
            ));
        }
        causes
    }

    fn watch_causes(&self) -> Vec<Cause> {
        let mut causes = Vec::new();
        let m = self.resource_version_match.as_str();
        if self.send_initial_events.is_some() && m != NOT_OLDER_THAN {
            causes.push(forbidden(
                RV_MATCH,
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        if !m.is_empty() {
            if self.send_initial_events.is_none() {
                causes.push(forbidden(
                    RV_MATCH,
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                ));
            }
            if m != NOT_OLDER_THAN {
                causes.push(not_supported(RV_MATCH, m, &[NOT_OLDER_THAN]));
            }
            if !self.continue_token.is_empty() {
                causes.push(forbidden(
                    RV_MATCH,
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
        }
        causes
    }

    /// Which state a valid list reads: the snapshot of its `continue` token, the past state
    /// `resourceVersionMatch=Exact` names, or the latest one (at least `resourceVersion`).
    pub fn list_from(&self) -> Result<ListFrom, ApiError> {
        let rv = match self.resource_version.as_str() {
            "" | "0" => None,
            s => Some(
                s.parse::<u64>()
                    .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {s:?}")))?,
            ),
        };
        if !self.continue_token.is_empty() {
            if rv.is_some() {
                return Err(ApiError::bad_request(
                    "specifying resource version is not allowed when using continue",
                ));
            }
            return ContinueToken::decode(&self.continue_token).map(ListFrom::Continue);
        }
        Ok(match (rv, self.resource_version_match.as_str()) {
            (None, _) => ListFrom::Latest,
            (Some(rv), EXACT) => ListFrom::Exact(rv),
            (Some(rv), _) => ListFrom::NotOlderThan(rv),
        })
    }

    /// Where a valid watch starts, as the watch cache decides: initial events when asked for
    /// (from the latest state, which is never older than a given `resourceVersion`); else from
    /// the given `resourceVersion`, or from now.
    pub fn watch_start(&self, bookmarks: bool) -> Result<WatchStart, ApiError> {
        if self.send_initial_events == Some(true) {
            return Ok(WatchStart::Initial {
                end_bookmark: bookmarks,
            });
        }
        match self.resource_version.as_str() {
            "" | "0" => Ok(WatchStart::Now),
            s => s
                .parse::<u64>()
                .map(WatchStart::After)
                .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {s:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(query: &str, watch: bool) -> ListOptions {
        ListOptions::parse(&Params::parse(Some(query)), watch)
    }

    fn message(query: &str, watch: bool) -> Option<String> {
        opts(query, watch).validate().err().map(|e| e.message)
    }

    #[test]
    fn upstream_validation_cases() {
        let prefix = "ListOptions.meta.k8s.io \"\" is invalid: ";
        let cases: &[(&str, bool, Option<&str>)] = &[
            ("", true, None),
            ("resourceVersion=5", true, None),
            (
                "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
                true,
                None,
            ),
            (
                "sendInitialEvents=false&resourceVersionMatch=NotOlderThan",
                true,
                None,
            ),
            (
                "sendInitialEvents=true",
                true,
                Some(
                    "resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                ),
            ),
            (
                "resourceVersion=5&resourceVersionMatch=NotOlderThan",
                true,
                Some(
                    "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                ),
            ),
            (
                "sendInitialEvents=true&resourceVersionMatch=Exact",
                true,
                Some(
                    "[resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan, resourceVersionMatch: Unsupported value: \"Exact\": supported values: \"NotOlderThan\"]",
                ),
            ),
            ("resourceVersion=5&resourceVersionMatch=Exact", false, None),
            (
                "sendInitialEvents=true",
                false,
                Some("sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list"),
            ),
            (
                "resourceVersionMatch=Exact",
                false,
                Some(
                    "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
                ),
            ),
            (
                "resourceVersion=0&resourceVersionMatch=Exact",
                false,
                Some(
                    "resourceVersionMatch: Forbidden: resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                ),
            ),
            (
                "resourceVersion=1&resourceVersionMatch=Newest",
                false,
                Some(
                    "resourceVersionMatch: Unsupported value: \"Newest\": supported values: \"Exact\", \"NotOlderThan\", \"\"",
                ),
            ),
        ];
        for (query, watch, want) in cases {
            let want = want.map(|w| format!("{prefix}{w}"));
            assert_eq!(message(query, *watch), want, "{query} (watch: {watch})");
        }
    }

    #[test]
    fn the_invalid_status_names_list_options_and_the_field() {
        let e = opts("sendInitialEvents=true", true)
            .validate()
            .expect_err("invalid");
        assert_eq!(e.code, 422);
        assert_eq!(e.reason, crate::status::Reason::Invalid);
        let s = e.to_status();
        assert_eq!(s["details"]["group"], "meta.k8s.io");
        assert_eq!(s["details"]["kind"], "ListOptions");
        assert!(s["details"].get("name").is_none(), "Go omits an empty name");
        assert_eq!(s["details"]["causes"][0]["field"], "resourceVersionMatch");
        assert_eq!(s["details"]["causes"][0]["reason"], "FieldValueForbidden");
    }

    #[test]
    fn watch_starts() {
        let start = |q: &str, b: bool| opts(q, true).watch_start(b).ok();
        // Defaulted: a watch from "now" is a streaming list.
        assert_eq!(
            start("", true),
            Some(WatchStart::Initial { end_bookmark: true })
        );
        assert_eq!(
            start("resourceVersion=0", false),
            Some(WatchStart::Initial {
                end_bookmark: false
            })
        );
        assert_eq!(start("resourceVersion=7", true), Some(WatchStart::After(7)));
        assert_eq!(
            start(
                "sendInitialEvents=false&resourceVersionMatch=NotOlderThan",
                true
            ),
            Some(WatchStart::Now)
        );
        assert_eq!(
            start(
                "sendInitialEvents=false&resourceVersionMatch=NotOlderThan&resourceVersion=3",
                true
            ),
            Some(WatchStart::After(3))
        );
        assert_eq!(
            start(
                "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=3",
                true
            ),
            Some(WatchStart::Initial { end_bookmark: true })
        );
        assert_eq!(start("resourceVersion=x", true), None);
    }
}
