//! Many clusters in one run: which kubeconfig contexts a `--context-pattern` selects, and the
//! outcome of a run across them. Pure: no I/O.

/// The contexts whose name matches `pattern` (every one without a pattern), in the given order.
pub fn select_contexts(available: &[String], pattern: Option<&str>) -> Vec<String> {
    available
        .iter()
        .filter(|name| pattern.is_none_or(|p| glob_match(p, name)))
        .cloned()
        .collect()
}

/// Shell-style glob on a whole name: `*` any run of characters, `?` one character, `[abc]` /
/// `[a-z]` / `[!a-z]` one character of (not of) a set; every other character is itself.
/// Iterative with one backtrack point: linear-ish, never recursive.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class(&p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        // An unclosed `[` is a literal.
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A `[...]` class at `p[start]`: whether `c` is in it and the index after it; `None` when
/// the class is not closed.
fn class(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

/// What became of the runner's copy of the auth Secret in a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyRefresh {
    /// Updated to the new credential (or it already held it).
    Current,
    /// Not there: the runner creates it, from the new file, on its next image lookup.
    Absent,
    /// Could not be updated: only a restart of the runner refreshes it.
    NotRefreshed,
}

/// How the runner's rollout ended after the setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutEnd {
    /// Nothing restarted the runner.
    NotRestarted,
    /// Nothing restarted the runner, but an earlier change of its Deployment is still rolling
    /// out: pods of the old template still run.
    EarlierPending,
    Complete,
    /// `--wait=false`: not waited for.
    NotWaited,
    TimedOut,
    Failed,
}

/// After a rotation (new credential in the auth Secret, or a stale copy): why the cluster's
/// runner may still run with the old credential, `None` when the new one is in use. The old
/// pods run on until the rollout is complete; a copy the tool could not update stays stale
/// until the runner restarts (the runner refreshes it only on a cache miss).
pub fn old_credential(copy: CopyRefresh, rollout: RolloutEnd) -> Option<&'static str> {
    match rollout {
        RolloutEnd::TimedOut => Some("rollout not done: old runner pods still run"),
        RolloutEnd::Failed => Some("rollout failed: old runner pods still run"),
        RolloutEnd::NotWaited => {
            Some("rollout not waited for (--wait=false): old pods may still run")
        }
        RolloutEnd::EarlierPending => {
            Some("an earlier rollout of the runner is not done: old runner pods still run")
        }
        RolloutEnd::NotRestarted if copy == CopyRefresh::NotRefreshed => {
            Some("runner's copy not updated and the runner not restarted")
        }
        RolloutEnd::NotRestarted | RolloutEnd::Complete => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names() {
        assert!(glob_match("prod-*", "prod-eu"));
        assert!(glob_match("prod-*", "prod-"));
        assert!(!glob_match("prod-*", "staging-prod-eu"));
        assert!(glob_match("*-eu", "prod-eu"));
        assert!(glob_match("kind-?", "kind-a"));
        assert!(!glob_match("kind-?", "kind-ab"));
        assert!(glob_match("kind-[ab]", "kind-b"));
        assert!(!glob_match("kind-[!ab]", "kind-b"));
        assert!(glob_match("kind-[a-c]*", "kind-c9"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
        assert!(glob_match("*", ""));
        assert!(glob_match("[x", "[x"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }

    #[test]
    fn old_credential_until_the_copy_or_the_rollout_says_otherwise() {
        use CopyRefresh::*;
        use RolloutEnd::*;
        assert_eq!(old_credential(Current, NotRestarted), None);
        assert_eq!(old_credential(Absent, NotRestarted), None);
        assert_eq!(old_credential(NotRefreshed, Complete), None);
        assert!(old_credential(NotRefreshed, NotRestarted).is_some());
        for copy in [Current, Absent, NotRefreshed] {
            assert!(old_credential(copy, TimedOut).unwrap().contains("not done"));
            assert!(old_credential(copy, Failed).unwrap().contains("failed"));
            assert!(old_credential(copy, NotWaited).is_some());
            assert!(
                old_credential(copy, EarlierPending)
                    .unwrap()
                    .contains("earlier rollout")
            );
        }
    }

    #[test]
    fn selection_keeps_the_kubeconfig_order() {
        let all: Vec<String> = ["b-prod", "a-dev", "c-prod"].map(String::from).to_vec();
        assert_eq!(
            select_contexts(&all, Some("*-prod")),
            vec!["b-prod", "c-prod"]
        );
        assert_eq!(select_contexts(&all, None), all);
        assert!(select_contexts(&all, Some("x*")).is_empty());
    }
}
