//! Prune decisions, as exhaustive matches: whether a revision may prune at all, and what to do
//! with each object that left Git. Nothing is deleted that does not carry this GitSync's owner
//! label, that opted out, or that is a Namespace still holding objects others manage.

use super::apply::OWNER_LABEL;

/// The label value that keeps an object out of pruning.
pub const PRUNE_OPT_OUT: (&str, &str) = ("sealsync.io/prune", "disabled");

/// Why a revision may not prune.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// The fetch failed: Git is unknown, not empty.
    FetchFailed,
    /// The render failed: the revision is not applied at all.
    RenderFailed,
    /// The render is empty and the GitSync does not say `allowEmpty`.
    EmptyRender,
    /// `prune: false`.
    Disabled,
}

/// What happened before the prune step, as far as pruning cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// The fetch succeeded.
    pub fetched: bool,
    /// The render succeeded.
    pub rendered: bool,
    /// How many objects it rendered.
    pub objects: usize,
    /// `spec.allowEmpty`.
    pub allow_empty: bool,
    /// `spec.prune`.
    pub prune: bool,
}

/// Whether this run may prune.
pub fn may_prune(run: Run) -> Result<(), Hold> {
    match (
        run.fetched,
        run.rendered,
        run.objects == 0 && !run.allow_empty,
        run.prune,
    ) {
        (false, _, _, _) => Err(Hold::FetchFailed),
        (true, false, _, _) => Err(Hold::RenderFailed),
        (true, true, true, _) => Err(Hold::EmptyRender),
        (true, true, false, false) => Err(Hold::Disabled),
        (true, true, false, true) => Ok(()),
    }
}

/// What to do with one object that left Git.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Delete it.
    Delete,
    /// It is already gone: drop it from the inventory.
    Gone,
    /// It does not carry our owner label (someone took it over, or it was never ours): keep it
    /// and drop it from the inventory.
    NotOurs,
    /// It carries `sealsync.io/prune: disabled`: keep it and drop it from the inventory.
    OptedOut,
    /// A Namespace that still holds objects this GitSync does not manage: keep it, say so, and
    /// keep it in the inventory to try again.
    NamespaceInUse,
}

/// The live state of a prune candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// Its labels, if it still exists.
    pub labels: Option<&'a std::collections::BTreeMap<String, String>>,
    /// For a Namespace: how many objects in it this GitSync does not manage.
    pub unmanaged_inside: usize,
}

/// Decides for one candidate.
pub fn decide(candidate: Candidate<'_>, owner: &str) -> Verdict {
    let Some(labels) = candidate.labels else {
        return Verdict::Gone;
    };
    let ours = labels.get(OWNER_LABEL).is_some_and(|v| v == owner);
    let opted_out = labels
        .get(PRUNE_OPT_OUT.0)
        .is_some_and(|v| v == PRUNE_OPT_OUT.1);
    match (ours, opted_out, candidate.unmanaged_inside > 0) {
        (false, _, _) => Verdict::NotOurs,
        (true, true, _) => Verdict::OptedOut,
        (true, false, true) => Verdict::NamespaceInUse,
        (true, false, false) => Verdict::Delete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn run(fetched: bool, rendered: bool, objects: usize, allow_empty: bool) -> Run {
        Run {
            fetched,
            rendered,
            objects,
            allow_empty,
            prune: true,
        }
    }

    #[test]
    fn no_prune_after_a_failed_fetch_a_failed_render_or_an_empty_render() {
        assert_eq!(
            may_prune(run(false, false, 0, true)),
            Err(Hold::FetchFailed)
        );
        assert_eq!(
            may_prune(run(true, false, 0, true)),
            Err(Hold::RenderFailed)
        );
        assert_eq!(may_prune(run(true, true, 0, false)), Err(Hold::EmptyRender));
        assert_eq!(may_prune(run(true, true, 0, true)), Ok(()));
        assert_eq!(may_prune(run(true, true, 3, false)), Ok(()));
        assert_eq!(
            may_prune(Run {
                prune: false,
                ..run(true, true, 3, false)
            }),
            Err(Hold::Disabled)
        );
    }

    #[test]
    fn only_our_labelled_objects_are_deleted() {
        let owner = "ops.web";
        let ours = BTreeMap::from([(OWNER_LABEL.to_owned(), owner.to_owned())]);
        let theirs = BTreeMap::from([(OWNER_LABEL.to_owned(), "ops.other".to_owned())]);
        let mut opted = ours.clone();
        opted.insert(PRUNE_OPT_OUT.0.into(), PRUNE_OPT_OUT.1.into());
        let none = BTreeMap::new();
        let c = |labels, inside| Candidate {
            labels,
            unmanaged_inside: inside,
        };
        assert_eq!(decide(c(Some(&ours), 0), owner), Verdict::Delete);
        assert_eq!(decide(c(None, 0), owner), Verdict::Gone);
        assert_eq!(decide(c(Some(&theirs), 0), owner), Verdict::NotOurs);
        assert_eq!(decide(c(Some(&none), 0), owner), Verdict::NotOurs);
        assert_eq!(decide(c(Some(&opted), 0), owner), Verdict::OptedOut);
        assert_eq!(decide(c(Some(&ours), 2), owner), Verdict::NamespaceInUse);
    }
}
