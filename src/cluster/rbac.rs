//! RBAC review: may we do a step (SelfSubjectAccessReview), and what the RBAC objects grant
//! a service account (read and evaluated here, for `check`).

use serde_json::Value;

use super::client::{Kind, Kube};
use crate::error::{Error, Result};

/// Ask the API server (SelfSubjectAccessReview) whether we may do each step; a refusal
/// becomes a Forbidden error before anything changes. Unknown (review unavailable) passes.
pub fn review_steps(kube: &Kube, checks: &[(&str, &str, &str, &str)]) -> Result<()> {
    for (verb, group, resource, ns) in checks {
        if let Some(false) = kube.self_access_review(verb, group, resource, ns)? {
            let res = if group.is_empty() {
                resource.to_string()
            } else {
                format!("{resource}.{group}")
            };
            return Err(Error::Forbidden(format!(
                "RBAC forbids the step \"{verb} {res} in namespace {ns}\" (verb {verb}, resource {res}); nothing was changed; ask a cluster admin to grant `{verb}` on {res} in namespace \"{ns}\""
            )));
        }
    }
    Ok(())
}

/// The RBAC objects that can grant a service account rights in one namespace.
#[derive(Debug, Clone, Default)]
pub struct RbacObjects {
    pub role_bindings: Vec<Value>,
    pub roles: Vec<Value>,
    pub cluster_role_bindings: Vec<Value>,
    pub cluster_roles: Vec<Value>,
}

/// Read them; `None` when we may not.
pub fn read_rbac(kube: &Kube, namespace: &str) -> Option<RbacObjects> {
    Some(RbacObjects {
        role_bindings: kube.list(Kind::RoleBinding, namespace).ok()?,
        roles: kube.list(Kind::Role, namespace).ok()?,
        cluster_role_bindings: kube.list(Kind::ClusterRoleBinding, "").ok()?,
        cluster_roles: kube.list(Kind::ClusterRole, "").ok()?,
    })
}

impl RbacObjects {
    /// Whether the service account `sa_ns/sa` (with `groups`) may `verb` `resource` in
    /// `namespace`, by the RBAC rules (bindings' subjects, roleRef, rules' apiGroups,
    /// resources, verbs, resourceNames). Aggregated ClusterRoles count by their rules as stored.
    #[allow(clippy::too_many_arguments)]
    pub fn allows(
        &self,
        sa_ns: &str,
        sa: &str,
        groups: &[String],
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
    ) -> bool {
        let subject_matches = |s: &Value| match s["kind"].as_str() {
            Some("ServiceAccount") => {
                s["name"] == sa && s["namespace"].as_str().unwrap_or(sa_ns) == sa_ns
            }
            Some("Group") => groups.iter().any(|g| s["name"] == g.as_str()),
            Some("User") => s["name"] == format!("system:serviceaccount:{sa_ns}:{sa}").as_str(),
            _ => false,
        };
        let rules_allow = |rules: &Value| {
            rules.as_array().into_iter().flatten().any(|r| {
                let has = |field: &str, want: &str| {
                    r[field]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == "*" || x == want))
                };
                let unnamed = r["resourceNames"].as_array().is_none_or(|a| a.is_empty());
                has("verbs", verb)
                    && has("resources", resource)
                    && has("apiGroups", group)
                    && unnamed
            })
        };
        let find = |list: &[Value], name: &str| -> Option<Value> {
            list.iter()
                .find(|r| r["metadata"]["name"] == name)
                .map(|r| r["rules"].clone())
        };
        let bound = |b: &Value, local: bool| -> bool {
            if !b["subjects"]
                .as_array()
                .into_iter()
                .flatten()
                .any(subject_matches)
            {
                return false;
            }
            let name = b["roleRef"]["name"].as_str().unwrap_or_default();
            let rules = match b["roleRef"]["kind"].as_str() {
                Some("Role") if local => find(&self.roles, name),
                Some("ClusterRole") => find(&self.cluster_roles, name),
                _ => None,
            };
            rules.is_some_and(|r| rules_allow(&r))
        };
        let local = self.role_bindings.iter().any(|b| {
            b["metadata"]["namespace"]
                .as_str()
                .is_none_or(|n| n == namespace)
                && bound(b, true)
        });
        local || self.cluster_role_bindings.iter().any(|b| bound(b, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rbac_evaluation() {
        let objs = RbacObjects {
            role_bindings: vec![json!({"metadata": {"name": "b", "namespace": "fns"},
                "roleRef": {"kind": "Role", "name": "r"},
                "subjects": [{"kind": "ServiceAccount", "name": "runner", "namespace": "porch"}]})],
            roles: vec![json!({"metadata": {"name": "r", "namespace": "fns"},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "create"]}]})],
            cluster_role_bindings: vec![json!({"metadata": {"name": "cb"},
                "roleRef": {"kind": "ClusterRole", "name": "cr"},
                "subjects": [{"kind": "Group", "name": "system:serviceaccounts:porch"}]})],
            cluster_roles: vec![json!({"metadata": {"name": "cr"},
                "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["update"], "resourceNames": ["only-this"]}]})],
        };
        let groups = vec!["system:serviceaccounts:porch".to_string()];
        let can = |verb| objs.allows("porch", "runner", &groups, verb, "", "secrets", "fns");
        assert!(can("get") && can("create"));
        assert!(!can("update"), "resourceNames restrict the rule");
        assert!(!objs.allows("porch", "other", &[], "get", "", "secrets", "fns"));
        assert!(!objs.allows(
            "porch",
            "runner",
            &groups,
            "get",
            "",
            "secrets",
            "elsewhere"
        ));
    }
}
