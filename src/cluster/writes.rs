//! Writes to the API beyond a plain apply/replace/delete: the Deployment update with
//! conflict retries, the rollout restart, the refresh of the runner's Secret copy, and the
//! object as `kubectl apply -f -` takes it.

use serde_json::{Value, json};

use super::client::{Kind, Kube, Op, api_code};
use super::reads::read_deployment;
use crate::error::{Error, Result};
use crate::runner::secrets::{DOCKERCONFIGJSON_KEY, DOCKERCONFIGJSON_TYPE};

/// Strip what the server owns, so the object can go to `kubectl apply -f -`.
pub fn for_apply(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "resourceVersion",
            "uid",
            "creationTimestamp",
            "generation",
            "managedFields",
            "selfLink",
        ] {
            m.remove(k);
        }
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            a.remove("deployment.kubernetes.io/revision");
            if a.is_empty() {
                m.remove("annotations");
            }
        }
    }
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    o
}

/// PUT the Deployment as `plan` makes it from the live one; on a 409 Conflict read it again
/// and re-plan (up to 3 times). `plan` returns None when there is nothing to change.
pub fn update_deployment(
    kube: &Kube,
    namespace: &str,
    name: &str,
    dry_run: bool,
    plan: impl Fn(&Value) -> Result<Option<Value>>,
) -> Result<()> {
    for attempt in 0..3 {
        let live = read_deployment(kube, namespace, name)?;
        let Some(patched) = plan(&live)? else {
            return Ok(());
        };
        match kube.replace_raw(Kind::Deployment, namespace, &patched, dry_run) {
            Ok(_) => return Ok(()),
            Err(e) if api_code(&e) == Some(409) && attempt < 2 => continue,
            Err(e) => {
                return Err(kube.error(
                    &Op {
                        verb: "update",
                        kind: Kind::Deployment,
                        namespace,
                        name: Some(name),
                    },
                    e,
                ));
            }
        }
    }
    Err(Error::Cluster(format!(
        "deployment \"{name}\" kept changing while we updated it (conflicts); try again"
    )))
}

/// Restart the runner the way `kubectl rollout restart` does (a pod template annotation).
pub fn restart(kube: &Kube, namespace: &str, name: &str, dry_run: bool) -> Result<()> {
    let ns = namespace;
    let mut d = read_deployment(kube, ns, name)?;
    let now = crate::runner::ca::format_unix(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    );
    let meta = &mut d["spec"]["template"]["metadata"];
    if !meta.is_object() {
        *meta = json!({});
    }
    if !meta["annotations"].is_object() {
        meta["annotations"] = json!({});
    }
    meta["annotations"]["kubectl.kubernetes.io/restartedAt"] = json!(now);
    kube.replace(Kind::Deployment, ns, &d, dry_run).map(|_| ())
}

/// What [`refresh_copy`] did.
pub enum CopyRefresh {
    Updated,
    Current,
    Missing,
}

/// Bring the runner's copy (`kubernetes.io/dockerconfigjson` in the function namespace) up to
/// date. Err(reason) when we cannot (forbidden and the like).
pub fn refresh_copy(
    kube: &Kube,
    fn_ns: &str,
    name: &str,
    dockerconfig_b64: &Value,
    dry_run: bool,
) -> std::result::Result<CopyRefresh, String> {
    let copy = match kube.get_opt(Kind::Secret, fn_ns, name) {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(CopyRefresh::Missing),
        Err(e) => return Err(e.to_string()),
    };
    if copy.pointer(&format!("/data/{DOCKERCONFIGJSON_KEY}")) == Some(dockerconfig_b64)
        && copy["type"] == DOCKERCONFIGJSON_TYPE
    {
        return Ok(CopyRefresh::Current);
    }
    let mut updated = copy.clone();
    updated["data"] = json!({ DOCKERCONFIGJSON_KEY: dockerconfig_b64 });
    kube.replace(Kind::Secret, fn_ns, &updated, dry_run)
        .map(|_| CopyRefresh::Updated)
        .map_err(|e| e.to_string())
}
