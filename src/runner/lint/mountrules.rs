//! Rules about where the Secrets are mounted and whether the runner's paths point into them.

use std::collections::BTreeMap;

use serde_json::Value;

use super::flagrules::{Effective, flag};
use super::model::{
    Mount, Runner, SecretLookup, SecretObj, VolumeSource, files_in_secret_mount, find_secret,
    is_ancestor_or_equal, norm_path, parent,
};
use super::{Finding, LintContext, Severity, rules};

/// The Secrets (and keys) the runner will really read, for content rules.
#[derive(Default)]
pub struct Resolved<'a> {
    /// The auth file: Secret and key.
    pub auth: Option<(SecretObj<'a>, String)>,
    /// The TLS folder: Secret and its files there (file name -> key).
    pub tls: Option<(SecretObj<'a>, BTreeMap<String, String>)>,
}

/// Directories that are never dedicated to one Secret.
const SHARED_DIRS: &[&str] = &[
    "/",
    "/tmp",
    "/var",
    "/var/tmp",
    "/var/run",
    "/var/lib",
    "/var/log",
    "/run",
    "/etc",
    "/etc/ssl",
    "/etc/ssl/certs",
    "/home",
    "/root",
    "/usr",
    "/usr/local",
    "/usr/bin",
    "/usr/lib",
    "/usr/local/bin",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/opt",
    "/srv",
    "/mnt",
    "/dev",
    "/proc",
    "/sys",
];

fn is_home(p: &str) -> bool {
    // /home/USER (distroless "nonroot" is /home/nonroot).
    p.strip_prefix("/home/")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'))
}

fn describe_volume(r: &Runner<'_>, m: &Mount) -> String {
    match r.volume(&m.name).map(|v| &v.source) {
        Some(VolumeSource::Secret { secret_name, .. }) => format!(
            "Secret {} (volume {})",
            secret_name.as_deref().unwrap_or("?"),
            m.name
        ),
        Some(VolumeSource::ConfigMap(n)) => format!("ConfigMap {n} (volume {})", m.name),
        Some(VolumeSource::Other(k)) => format!("{k} volume {}", m.name),
        None => format!("volume {}", m.name),
    }
}

/// A Secret mount that looks meant for registry auth (by content, else by name).
fn looks_auth(lookup: Option<&SecretObj<'_>>, secret_name: &str, volume: &str) -> bool {
    match lookup {
        Some(s) => {
            s.type_() == "kubernetes.io/dockerconfigjson"
                || s.has_key(".dockerconfigjson")
                || s.has_key("config.json")
        }
        None => {
            let n = format!("{secret_name} {volume}").to_ascii_lowercase();
            n.contains("auth") || n.contains("docker") || n.contains("pull")
        }
    }
}

/// A Secret mount that looks meant for the registry CA.
fn looks_tls(lookup: Option<&SecretObj<'_>>, secret_name: &str, volume: &str) -> bool {
    match lookup {
        Some(s) => s.has_key("ca.crt") || s.has_key("ca.pem") || s.type_() == "kubernetes.io/tls",
        None => {
            let n = format!("{secret_name} {volume}").to_ascii_lowercase();
            n.contains("tls") || n.contains("-ca") || n.contains("cert")
        }
    }
}

struct SecretMount<'a> {
    mount: &'a Mount,
    secret_name: String,
    secret: Option<SecretObj<'a>>,
    items: Option<Vec<(String, String)>>,
    auth: bool,
    tls: bool,
}

pub fn lint_mounts<'a>(
    r: &'a Runner<'a>,
    eff: &Effective,
    objects: &'a [Value],
    _ctx: &LintContext,
    out: &mut Vec<Finding>,
) -> Resolved<'a> {
    let find =
        |severity, rule, field: &str, message, fix| r.finding(severity, rule, field, message, fix);

    // The runner container's Secret mounts, with their Secrets where the objects have them.
    let mut smounts: Vec<SecretMount<'a>> = Vec::new();
    for m in &r.mounts {
        let Some(v) = r.volume(&m.name) else {
            out.push(find(
                Severity::Error,
                rules::VOLUME_MOUNT_MISMATCH,
                &m.field,
                format!(
                    "volumeMount \"{}\" at {} names no volume of the pod: the API server rejects the Deployment",
                    m.name, m.raw_path
                ),
                format!(
                    "add a volume named \"{}\" under spec.template.spec.volumes, or fix the mount's name",
                    m.name
                ),
            ));
            continue;
        };
        if let VolumeSource::Secret { secret_name, items } = &v.source {
            let name = secret_name.clone().unwrap_or_default();
            let secret = match find_secret(objects, &name, &r.namespace) {
                SecretLookup::Found(s) | SecretLookup::WrongNamespace(s) => Some(s),
                SecretLookup::Missing => None,
            };
            smounts.push(SecretMount {
                mount: m,
                auth: looks_auth(secret.as_ref(), &name, &m.name),
                tls: looks_tls(secret.as_ref(), &name, &m.name),
                secret_name: name,
                secret,
                items: items.clone(),
            });
        }
    }

    // Secret volumes nobody mounts.
    for v in &r.volumes {
        if let VolumeSource::Secret { secret_name, .. } = &v.source {
            let mounted =
                r.mounts.iter().any(|m| m.name == v.name) || r.other_mounted.contains(&v.name);
            if !mounted {
                out.push(find(
                    Severity::Warning,
                    rules::VOLUME_MOUNT_MISMATCH,
                    &v.field,
                    format!(
                        "volume \"{}\" (Secret {}) is not mounted in the runner container: the runner cannot read it",
                        v.name,
                        secret_name.as_deref().unwrap_or("?")
                    ),
                    format!(
                        "add a volumeMount named \"{}\" with a dedicated mountPath (e.g. /var/tmp/auth-secret) to container {}",
                        v.name,
                        r.container_field
                    ),
                ));
            }
        }
    }

    // Projected keys that the Secret does not have (the pod cannot start).
    for sm in &smounts {
        if let (Some(items), Some(s)) = (&sm.items, &sm.secret) {
            for (key, _) in items {
                if !s.has_key(key) {
                    out.push(find(
                        Severity::Error,
                        rules::VOLUME_MOUNT_MISMATCH,
                        &r.volume(&sm.mount.name).map(|v| v.field.clone()).unwrap_or_default(),
                        format!(
                            "volume \"{}\" projects key \"{key}\" of Secret {}, which has no such key (it has: {}): the pod cannot start",
                            sm.mount.name,
                            sm.secret_name,
                            list(&s.keys())
                        ),
                        "fix the item's key, or drop `items` to mount every key".into(),
                    ));
                }
            }
        }
        if let (Some(sub), Some(s)) = (&sm.mount.sub_path, &sm.secret) {
            let files = files_in_secret_mount(&sm.items, Some(s)).unwrap_or_default();
            if !files.contains_key(&norm_path(sub)) {
                out.push(find(
                    Severity::Error,
                    rules::VOLUME_MOUNT_MISMATCH,
                    &sm.mount.field,
                    format!(
                        "subPath \"{sub}\" of mount {} is not a file of Secret {} (it has: {})",
                        sm.mount.raw_path,
                        sm.secret_name,
                        list(&s.keys())
                    ),
                    "fix the subPath, or mount the whole Secret on a dedicated directory".into(),
                ));
            }
        }
    }

    lint_dedicated(r, &smounts, out, &find);

    let mut resolved = Resolved::default();
    if !eff.modelled {
        return resolved;
    }

    // Flags that do nothing without the switch.
    let auth_mounted: Vec<&SecretMount<'_>> = smounts.iter().filter(|s| s.auth).collect();
    if !eff.enable && (eff.auth_path_set || eff.auth_name_set || !auth_mounted.is_empty()) {
        let mut what = Vec::new();
        if eff.auth_path_set {
            what.push("--registry-auth-secret-path".to_string());
        }
        if eff.auth_name_set {
            what.push("--registry-auth-secret-name".to_string());
        }
        for s in &auth_mounted {
            what.push(format!("the mounted Secret {}", s.secret_name));
        }
        let state = match &eff.enable_field {
            Some(_) => "--enable-private-registries is false",
            None => {
                "--enable-private-registries is not set (it defaults to false, or it comes after the point where Go stopped parsing)"
            }
        };
        out.push(find(
            Severity::Error,
            rules::AUTH_FLAGS_WITHOUT_ENABLE,
            eff.enable_field.as_deref().unwrap_or(&r.flags_field),
            format!(
                "{} configure private registries, but {state}: the runner ignores them and pulls every function image anonymously",
                what.join(", ")
            ),
            "add --enable-private-registries=true (one item, with the `=`)".into(),
        ));
    }
    if !eff.enable
        && !eff.tls
        && !eff.auth_path_set
        && !eff.auth_name_set
        && !eff.tls_path_set
        && smounts.is_empty()
    {
        out.push(find(
            Severity::Info,
            rules::PRIVATE_REGISTRIES_OFF,
            &r.flags_field,
            "the runner has no private-registry configuration: it pulls function images anonymously (fine for public images)".into(),
            "to pull from a private registry: kubectl porch-registry setup -f PATH --dry-run=client (or patch -f PATH plus the Secrets)".into(),
        ));
    }
    if eff.tls && !eff.enable {
        out.push(find(
            Severity::Error,
            rules::TLS_WITHOUT_PRIVATE_REGISTRIES,
            &r.flags_field,
            "--enable-private-registries-tls is on but --enable-private-registries is not: the runner uses the TLS Secret only when both are on, so the CA is never used".into(),
            "add --enable-private-registries=true (with the auth Secret mounted), or drop the TLS flags".into(),
        ));
    }
    let tls_mounted: Vec<&SecretMount<'_>> = smounts.iter().filter(|s| s.tls && !s.auth).collect();
    if !eff.tls && (eff.tls_path_set || !tls_mounted.is_empty()) {
        let what = if eff.tls_path_set {
            "--tls-secret-path is set".to_string()
        } else {
            format!("Secret {} (a CA) is mounted", tls_mounted[0].secret_name)
        };
        out.push(find(
            Severity::Warning,
            rules::TLS_FLAGS_WITHOUT_ENABLE,
            &r.flags_field,
            format!(
                "{what} but --enable-private-registries-tls is not true: the runner trusts only the system roots"
            ),
            "add --enable-private-registries-tls=true if the registry uses a private CA".into(),
        ));
    }

    // The auth file.
    if eff.enable {
        resolved.auth = resolve_auth(r, eff, &smounts, out, &find);
    }
    if eff.tls {
        resolved.tls = resolve_tls(r, eff, &smounts, out, &find);
    }
    resolved
}

type FindFn<'f> = dyn Fn(Severity, &'static str, &str, String, String) -> Finding + 'f;

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "no keys".into()
    } else {
        items.join(", ")
    }
}

fn lint_dedicated(
    r: &Runner<'_>,
    smounts: &[SecretMount<'_>],
    out: &mut Vec<Finding>,
    find: &FindFn<'_>,
) {
    let binary_dir = r
        .binary
        .as_deref()
        .filter(|b| b.starts_with('/'))
        .map(|b| parent(&norm_path(b)));
    // Paths the runner needs from its image, named by its flags.
    let mut needed: Vec<(String, String)> = Vec::new();
    for name in ["config", "functions", "pod-cache-config"] {
        if let Some(v) = r.flags.value(name).filter(|v| v.starts_with('/')) {
            needed.push((format!("--{name}"), norm_path(v)));
        }
    }
    for sm in smounts {
        let p = &sm.mount.path;
        let what = format!("Secret {}", sm.secret_name);
        if SHARED_DIRS.contains(&p.as_str()) || is_home(p) {
            let home = if is_home(p) {
                " (a home directory)"
            } else {
                ""
            };
            out.push(find(
                Severity::Error,
                rules::MOUNT_PATH_NOT_DEDICATED,
                &sm.mount.field,
                format!(
                    "{what} is mounted on {}{home}, a directory the image already uses: the read-only volume hides everything the image has there and changes the directory's permissions",
                    sm.mount.raw_path
                ),
                format!(
                    "mount it on a directory of its own, e.g. {}",
                    suggest_dir(p, sm.auth, sm.tls)
                ),
            ));
        } else if let Some(bd) = binary_dir
            .as_deref()
            .filter(|bd| is_ancestor_or_equal(p, bd))
        {
            out.push(find(
                Severity::Error,
                rules::MOUNT_PATH_NOT_DEDICATED,
                &sm.mount.field,
                format!(
                    "{what} is mounted on {}, which hides the runner binary {} (in {bd}): the container cannot start",
                    sm.mount.raw_path,
                    r.binary.as_deref().unwrap_or("")
                ),
                format!(
                    "mount it on a directory of its own, e.g. {}",
                    suggest_dir(p, sm.auth, sm.tls)
                ),
            ));
        } else if let Some((flag_name, path)) = needed.iter().find(|(_, path)| {
            is_ancestor_or_equal(p, &parent(path))
                && r.mount_holding(path).map(|m| &m.path) == Some(p)
        }) {
            out.push(find(
                Severity::Error,
                rules::MOUNT_PATH_NOT_DEDICATED,
                &sm.mount.field,
                format!(
                    "{what} is mounted on {}, which hides {path} ({flag_name}) that the runner reads from its image",
                    sm.mount.raw_path
                ),
                format!(
                    "mount it on a directory of its own, e.g. {}",
                    suggest_dir(p, sm.auth, sm.tls)
                ),
            ));
        }
        for other in &r.mounts {
            if std::ptr::eq(other, sm.mount) {
                continue;
            }
            let o = &other.path;
            let rel = if o == p {
                "on the same path as"
            } else if is_ancestor_or_equal(o, p) {
                "inside"
            } else if is_ancestor_or_equal(p, o) {
                "above"
            } else {
                continue;
            };
            // Report each pair once (the Secret mount that comes first reports it).
            let other_is_earlier_secret = smounts.iter().any(|s| std::ptr::eq(s.mount, other))
                && r.mounts.iter().position(|m| std::ptr::eq(m, other))
                    < r.mounts.iter().position(|m| std::ptr::eq(m, sm.mount));
            if other_is_earlier_secret {
                continue;
            }
            let consequence = if o == p {
                "the API server rejects two mounts on one path"
            } else {
                "nested mounts hide each other's files and a mount point inside a read-only Secret volume cannot be created"
            };
            out.push(find(
                Severity::Error,
                rules::MOUNT_PATH_NOT_DEDICATED,
                &sm.mount.field,
                format!(
                    "{what} is mounted at {} {rel} the mount of {} at {}: {consequence}",
                    sm.mount.raw_path,
                    describe_volume(r, other),
                    other.raw_path
                ),
                "give every Secret a sibling directory of its own, e.g. /var/tmp/auth-secret and /var/tmp/tls-secret".into(),
            ));
        }
    }
}

fn suggest_dir(p: &str, auth: bool, tls: bool) -> String {
    let leaf = if tls && !auth {
        "tls-secret"
    } else {
        "auth-secret"
    };
    if p == "/" || is_home(p) || p == "/home" {
        format!("/var/tmp/{leaf}")
    } else {
        format!("{p}/{leaf}")
    }
}

fn resolve_auth<'a>(
    r: &'a Runner<'a>,
    eff: &Effective,
    smounts: &[SecretMount<'a>],
    out: &mut Vec<Finding>,
    find: &FindFn<'_>,
) -> Option<(SecretObj<'a>, String)> {
    let path = norm_path(&eff.auth_path);
    let field = r.flags_field.clone();
    let default_note = if eff.auth_path_set {
        String::new()
    } else {
        " (the flag's default, because --registry-auth-secret-path is not set or comes after the point where Go stopped parsing)".to_string()
    };
    let consequence = "every function image outside gcr.io/kpt-fn/ then fails to load (the runner cannot read the file), so no function pod is created";
    // The fix points at an auth Secret that is mounted, when there is one.
    let hint = smounts.iter().find(|s| s.auth).map(|s| {
        let key = files_in_secret_mount(&s.items, s.secret.as_ref())
            .and_then(|f| {
                f.into_iter()
                    .find(|(_, k)| k == ".dockerconfigjson" || k == "config.json")
                    .map(|(p, _)| p)
            })
            .unwrap_or_else(|| ".dockerconfigjson".into());
        let file = if s.mount.sub_path.is_some() {
            s.mount.path.clone()
        } else {
            format!("{}/{key}", s.mount.path)
        };
        format!(
            "set {} (where Secret {} is mounted)",
            flag("registry-auth-secret-path", &file),
            s.secret_name
        )
    });
    if !path.starts_with('/') {
        out.push(find(
            Severity::Error,
            rules::AUTH_PATH_OUTSIDE_MOUNT,
            &field,
            format!(
                "--registry-auth-secret-path={} is not absolute: it depends on the container's working directory",
                eff.auth_path
            ),
            hint.unwrap_or_else(|| "give the absolute path of the file in the auth Secret's mount".into()),
        ));
        return None;
    }
    let Some(m) = r.mount_holding(&path) else {
        out.push(find(
            Severity::Error,
            rules::AUTH_PATH_OUTSIDE_MOUNT,
            &field,
            format!(
                "the runner reads its registry credentials from {path}{default_note}, but no volumeMount of the container holds that path: {consequence}"
            ),
            hint.unwrap_or_else(|| {
                format!(
                    "mount the auth Secret on {} (a dedicated directory), or point --registry-auth-secret-path at the file in its mount",
                    parent(&path)
                )
            }),
        ));
        return None;
    };
    let Some(sm) = smounts.iter().find(|s| std::ptr::eq(s.mount, m)) else {
        if r.volume(&m.name).is_some() {
            out.push(find(
                Severity::Error,
                rules::AUTH_PATH_OUTSIDE_MOUNT,
                &field,
                format!(
                    "{path}{default_note} is inside the mount of {} at {}, not in a Secret: {consequence}",
                    describe_volume(r, m),
                    m.raw_path
                ),
                hint.unwrap_or_else(|| "mount the auth Secret on a dedicated directory and point --registry-auth-secret-path at its .dockerconfigjson".into()),
            ));
        }
        return None;
    };
    let rel = if m.sub_path.is_some() {
        norm_path(m.sub_path.as_deref().unwrap_or(""))
    } else {
        path.strip_prefix(&m.path)
            .unwrap_or("")
            .trim_start_matches('/')
            .to_string()
    };
    if rel.is_empty() {
        out.push(find(
            Severity::Error,
            rules::AUTH_PATH_OUTSIDE_MOUNT,
            &field,
            format!(
                "--registry-auth-secret-path={} names the mount directory of Secret {}, not the file in it: {consequence}",
                eff.auth_path, sm.secret_name
            ),
            format!(
                "set {}",
                flag("registry-auth-secret-path", &format!("{}/.dockerconfigjson", m.path))
            ),
        ));
        return None;
    }
    let files = files_in_secret_mount(&sm.items, sm.secret.as_ref())?;
    match files.get(&rel) {
        Some(key) => sm.secret.map(|s| (s, key.clone())),
        None => {
            let have: Vec<String> = files.keys().cloned().collect();
            let fix = match files
                .iter()
                .find(|(_, k)| *k == ".dockerconfigjson" || *k == "config.json")
            {
                Some((p, _)) => format!(
                    "set {}",
                    flag("registry-auth-secret-path", &format!("{}/{p}", m.path))
                ),
                None => format!(
                    "store the config under the key .dockerconfigjson in Secret {}",
                    sm.secret_name
                ),
            };
            out.push(find(
                Severity::Error,
                rules::AUTH_PATH_OUTSIDE_MOUNT,
                &field,
                format!(
                    "the runner reads {path}{default_note}, but Secret {} mounted at {} has no file \"{rel}\" (it has: {}): {consequence}",
                    sm.secret_name,
                    m.raw_path,
                    list(&have)
                ),
                fix,
            ));
            None
        }
    }
}

fn resolve_tls<'a>(
    r: &'a Runner<'a>,
    eff: &Effective,
    smounts: &[SecretMount<'a>],
    out: &mut Vec<Finding>,
    find: &FindFn<'_>,
) -> Option<(SecretObj<'a>, BTreeMap<String, String>)> {
    let path = norm_path(&eff.tls_path);
    let field = r.flags_field.clone();
    let default_note = if eff.tls_path_set {
        ""
    } else {
        " (the flag's default)"
    };
    let consequence =
        "every private pull fails (the runner looks for ca.crt, else ca.pem, in that folder)";
    let hint = smounts.iter().find(|s| s.tls && !s.auth).map(|s| {
        format!(
            "set {} (where Secret {} is mounted)",
            flag("tls-secret-path", &format!("{}/", s.mount.path)),
            s.secret_name
        )
    });
    let leaf = path.rsplit('/').next().unwrap_or("");
    if (leaf == "ca.crt" || leaf == "ca.pem")
        && r.mount_holding(&path).is_none_or(|m| m.path != path)
    {
        out.push(find(
            Severity::Error,
            rules::TLS_PATH_OUTSIDE_MOUNT,
            &field,
            format!(
                "--tls-secret-path={} names a file: the runner treats it as a folder and looks for {path}/ca.crt: {consequence}",
                eff.tls_path
            ),
            format!("set {}", flag("tls-secret-path", &format!("{}/", parent(&path)))),
        ));
        return None;
    }
    let Some(m) = r.mount_holding(&path) else {
        out.push(find(
            Severity::Error,
            rules::TLS_PATH_OUTSIDE_MOUNT,
            &field,
            format!(
                "the runner looks for the registry CA in {path}{default_note}, but no volumeMount of the container holds that folder: {consequence}"
            ),
            hint.unwrap_or_else(|| {
                format!(
                    "mount the TLS Secret (key ca.crt) on {path}, or point --tls-secret-path at its mount"
                )
            }),
        ));
        return None;
    };
    let Some(sm) = smounts.iter().find(|s| std::ptr::eq(s.mount, m)) else {
        if r.volume(&m.name).is_some() {
            out.push(find(
                Severity::Error,
                rules::TLS_PATH_OUTSIDE_MOUNT,
                &field,
                format!(
                    "{path}{default_note} is inside the mount of {} at {}, not in a Secret: {consequence}",
                    describe_volume(r, m),
                    m.raw_path
                ),
                hint.unwrap_or_else(|| "mount the TLS Secret on a dedicated directory and point --tls-secret-path at it".into()),
            ));
        }
        return None;
    };
    if m.sub_path.is_some() {
        out.push(find(
            Severity::Error,
            rules::TLS_PATH_OUTSIDE_MOUNT,
            &field,
            format!(
                "{path} is a single-file subPath mount of Secret {}, not a folder: {consequence}",
                sm.secret_name
            ),
            format!(
                "mount Secret {} without subPath on a dedicated directory",
                sm.secret_name
            ),
        ));
        return None;
    }
    let rel = path
        .strip_prefix(&m.path)
        .unwrap_or("")
        .trim_start_matches('/')
        .to_string();
    let files = files_in_secret_mount(&sm.items, sm.secret.as_ref())?;
    let in_dir: BTreeMap<String, String> = files
        .iter()
        .filter_map(|(p, k)| {
            let name = if rel.is_empty() {
                Some(p.as_str())
            } else {
                p.strip_prefix(&format!("{rel}/"))
            }?;
            (!name.contains('/')).then(|| (name.to_string(), k.clone()))
        })
        .collect();
    if !rel.is_empty() && in_dir.is_empty() {
        out.push(find(
            Severity::Error,
            rules::TLS_PATH_OUTSIDE_MOUNT,
            &field,
            format!(
                "--tls-secret-path={} is a folder \"{rel}\" inside the mount of Secret {} at {}, which has no such folder: {consequence}",
                eff.tls_path, sm.secret_name, m.raw_path
            ),
            format!("set {}", flag("tls-secret-path", &format!("{}/", m.path))),
        ));
        return None;
    }
    sm.secret.map(|s| (s, in_dir))
}
