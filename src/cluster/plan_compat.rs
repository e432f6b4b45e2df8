//! A minimal private stand-in for H2's `runner::plan` (plan_patch / plan_remove +
//! apply_to_value), used by the live commands until that lands. TO BE REPLACED by
//! `crate::runner::plan`; keep its behaviour the same: flags updated in place (`--f=v`),
//! the space-separated boolean form rewritten, secret volumes + read-only mounts.

use serde_json::{Value, json};

use crate::error::{Error, Result};

pub const AUTH_VOLUME: &str = "registry-auth-secret";
pub const TLS_VOLUME: &str = "registry-tls-secret";

#[derive(Debug, Clone)]
pub struct Desired {
    pub auth_secret_name: String,
    pub auth_mount_path: String,
    pub registry_auth_secret_name: Option<String>,
    pub tls: Option<(String, String)>, // (secret name, mount path)
}

fn container_mut<'a>(d: &'a mut Value, container: &str, deployment: &str) -> Result<&'a mut Value> {
    d.pointer_mut("/spec/template/spec/containers")
        .and_then(Value::as_array_mut)
        .and_then(|cs| cs.iter_mut().find(|c| c["name"] == container))
        .ok_or_else(|| {
            Error::not_found(format!(
                "container \"{container}\" not found in deployment \"{deployment}\"; pass it with --container"
            ))
        })
}

/// Where a flag sits: (list key, index, tokens it spans).
fn find_flag(c: &Value, name: &str) -> Vec<(&'static str, usize, usize)> {
    let mut out = vec![];
    for key in ["command", "args"] {
        let Some(list) = c.get(key).and_then(Value::as_array) else {
            continue;
        };
        let mut i = 0;
        while i < list.len() {
            let t = list[i].as_str().unwrap_or_default();
            let body = t.strip_prefix("--").or_else(|| t.strip_prefix('-'));
            match body {
                Some(b) if b == name => {
                    let next = list.get(i + 1).and_then(Value::as_str).unwrap_or("-");
                    let span = if !next.starts_with('-') { 2 } else { 1 };
                    out.push((key, i, span));
                    i += span;
                }
                Some(b) if b.split_once('=').map(|(n, _)| n) == Some(name) => {
                    out.push((key, i, 1));
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }
    out
}

fn set_flag(c: &mut Value, name: &str, value: Option<&str>, changes: &mut Vec<String>) {
    let hits = find_flag(c, name);
    let want = value.map(|v| format!("--{name}={v}"));
    match (&want, hits.as_slice()) {
        (Some(w), [(key, i, 1)]) if c[*key][*i] == json!(w) => {}
        (Some(w), [(key, i, span), ..]) => {
            let list = c[*key].as_array_mut().expect("list");
            list.splice(*i..*i + *span, [json!(w)]);
            changes.push(format!("set {w}"));
            // Drop later duplicates.
            for (key, i, span) in find_flag(c, name).into_iter().skip(1).rev() {
                c[key].as_array_mut().expect("list").drain(i..i + span);
            }
        }
        (Some(w), []) => {
            let key = if c.get("args").is_some()
                || c.get("command")
                    .and_then(Value::as_array)
                    .is_none_or(|a| a.len() <= 1)
            {
                "args"
            } else {
                "command"
            };
            if !c[key].is_array() {
                c[key] = json!([]);
            }
            c[key].as_array_mut().expect("list").push(json!(w));
            changes.push(format!("add {w}"));
        }
        (None, hits) => {
            for (key, i, span) in hits.iter().rev() {
                let removed: Vec<String> = c[*key]
                    .as_array_mut()
                    .expect("list")
                    .drain(*i..*i + *span)
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect();
                changes.push(format!("remove {}", removed.join(" ")));
            }
        }
    }
}

fn ensure_list<'a>(v: &'a mut Value, key: &str) -> &'a mut Vec<Value> {
    if !v[key].is_array() {
        v[key] = json!([]);
    }
    v[key].as_array_mut().expect("list")
}

fn set_volume(
    d: &mut Value,
    container: &str,
    deployment: &str,
    vol: &str,
    secret: Option<&str>,
    mount: Option<&str>,
    changes: &mut Vec<String>,
) -> Result<()> {
    let spec = d
        .pointer_mut("/spec/template/spec")
        .ok_or_else(|| Error::usage("deployment has no pod template"))?;
    let vols = ensure_list(spec, "volumes");
    let want_vol = secret.map(|s| json!({"name": vol, "secret": {"secretName": s}}));
    let pos = vols.iter().position(|v| v["name"] == vol);
    match (pos, &want_vol) {
        (Some(i), Some(w)) if vols[i] != *w => {
            vols[i] = w.clone();
            changes.push(format!(
                "set volume {vol} to secret {}",
                secret.unwrap_or_default()
            ));
        }
        (None, Some(w)) => {
            vols.push(w.clone());
            changes.push(format!(
                "add volume {vol} (secret {})",
                secret.unwrap_or_default()
            ));
        }
        (Some(i), None) => {
            vols.remove(i);
            changes.push(format!("remove volume {vol}"));
        }
        _ => {}
    }
    if vols.is_empty() {
        spec.as_object_mut().expect("spec").remove("volumes");
    }
    let c = container_mut(d, container, deployment)?;
    let mounts = ensure_list(c, "volumeMounts");
    let want = mount.map(|m| json!({"name": vol, "mountPath": m, "readOnly": true}));
    let pos = mounts.iter().position(|m| m["name"] == vol);
    match (pos, &want) {
        (Some(i), Some(w)) if mounts[i] != *w => {
            mounts[i] = w.clone();
            changes.push(format!(
                "mount {vol} read-only at {}",
                mount.unwrap_or_default()
            ));
        }
        (None, Some(w)) => {
            mounts.push(w.clone());
            changes.push(format!(
                "mount {vol} read-only at {}",
                mount.unwrap_or_default()
            ));
        }
        (Some(i), None) => {
            mounts.remove(i);
            changes.push(format!("unmount {vol}"));
        }
        _ => {}
    }
    if mounts.is_empty() {
        c.as_object_mut().expect("container").remove("volumeMounts");
    }
    Ok(())
}

/// The patched Deployment and what changed.
pub fn patch(
    d: &Value,
    deployment: &str,
    container: &str,
    want: &Desired,
) -> Result<(Value, Vec<String>)> {
    let mut out = d.clone();
    let mut changes = vec![];
    let c = container_mut(&mut out, container, deployment)?;
    let auth_path = format!(
        "{}/.dockerconfigjson",
        want.auth_mount_path.trim_end_matches('/')
    );
    set_flag(c, "enable-private-registries", Some("true"), &mut changes);
    set_flag(
        c,
        "registry-auth-secret-path",
        Some(&auth_path),
        &mut changes,
    );
    if let Some(n) = &want.registry_auth_secret_name {
        set_flag(c, "registry-auth-secret-name", Some(n), &mut changes);
    }
    if let Some((_, mp)) = &want.tls {
        set_flag(
            c,
            "enable-private-registries-tls",
            Some("true"),
            &mut changes,
        );
        set_flag(
            c,
            "tls-secret-path",
            Some(&format!("{}/", mp.trim_end_matches('/'))),
            &mut changes,
        );
    }
    set_volume(
        &mut out,
        container,
        deployment,
        AUTH_VOLUME,
        Some(&want.auth_secret_name),
        Some(&want.auth_mount_path),
        &mut changes,
    )?;
    if let Some((s, mp)) = &want.tls {
        set_volume(
            &mut out,
            container,
            deployment,
            TLS_VOLUME,
            Some(s),
            Some(mp),
            &mut changes,
        )?;
    }
    Ok((out, changes))
}

/// The Deployment without the configuration, and what changed.
pub fn remove(d: &Value, deployment: &str, container: &str) -> Result<(Value, Vec<String>)> {
    let mut out = d.clone();
    let mut changes = vec![];
    let c = container_mut(&mut out, container, deployment)?;
    for f in [
        "enable-private-registries",
        "registry-auth-secret-path",
        "registry-auth-secret-name",
        "enable-private-registries-tls",
        "tls-secret-path",
    ] {
        set_flag(c, f, None, &mut changes);
    }
    set_volume(
        &mut out,
        container,
        deployment,
        AUTH_VOLUME,
        None,
        None,
        &mut changes,
    )?;
    set_volume(
        &mut out,
        container,
        deployment,
        TLS_VOLUME,
        None,
        None,
        &mut changes,
    )?;
    Ok((out, changes))
}
