//! The runner's configuration for images ([`crate::runner::model::RunnerConfig`]) read from the
//! objects (its Deployment's flags, the Secret mounted at the auth path, `FunctionConfig`s),
//! and the findings about function images judged by THE runner model.

use serde_json::Value;

use super::flagrules;
use super::model::{self, RunnerLocateError};
use super::{Finding, LintContext, Severity, rules};
use crate::runner::authfile::Credential;
use crate::runner::model::{
    AuthFileState, DEFAULT_IMAGE_PREFIX, Family, Keychain, Prediction, RunnerConfig,
    builtin_images, function_configs, predict, stock_function_configs,
};

/// The runner's configuration and where its auth file comes from (for people).
#[derive(Debug, Clone)]
pub struct ConfiguredRunner {
    pub config: RunnerConfig,
    /// e.g. `Secret/porch-system/registry-auth-secret key .dockerconfigjson`.
    pub auth_source: String,
    /// The Deployment (`Deployment/ns/name`).
    pub object: String,
}

/// A function image and where it was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUse {
    pub image: String,
    /// e.g. `Kptfile of pkg (pipeline.mutators[0])`, or `command line`.
    pub source: String,
}

/// Read the runner's configuration from the objects. `prefix_override` is
/// `--default-image-prefix` given to this tool (wins over the Deployment's flag).
pub fn runner_config(
    objects: &[Value],
    ctx: &LintContext,
    prefix_override: Option<&str>,
) -> Result<ConfiguredRunner, RunnerLocateError> {
    let loc = model::locate_runner(objects, ctx)?;
    let index = loc.index;
    let Some(runner) = model::Runner::build(objects, loc, ctx) else {
        return Err(RunnerLocateError::NoContainer {
            object: super::object_name(&objects[index]),
            index,
            container: ctx.container.clone(),
            have: "none".into(),
        });
    };
    // The rules' findings are not wanted here, only what Go ends up with.
    let mut scratch = Vec::new();
    let eff = flagrules::lint_flags(&runner, &mut scratch);
    let resolved = super::mountrules::lint_mounts(&runner, &eff, objects, ctx, &mut scratch);
    let (auth_file, auth_source) = if !eff.enable {
        (
            AuthFileState::Unknown("--enable-private-registries is off".into()),
            "none (--enable-private-registries is off: the default keychain)".to_string(),
        )
    } else {
        match &resolved.auth {
            Some((s, key)) => {
                let what = format!("{} key {key} (mounted at {})", s.object(), eff.auth_path);
                match s.bytes(key) {
                    Some(Ok(bytes)) => (AuthFileState::from_bytes(&bytes), what),
                    _ => (
                        AuthFileState::Unknown(format!("{what} has no readable value")),
                        what,
                    ),
                }
            }
            None => (
                AuthFileState::Unknown(format!(
                    "no Secret among the objects is mounted at {}",
                    eff.auth_path
                )),
                format!(
                    "unknown: no Secret among the objects is mounted at {}",
                    eff.auth_path
                ),
            ),
        }
    };
    let family = Family::from_release(runner.image.as_deref().and_then(flagrules::image_release));
    let prefix = match prefix_override {
        Some(p) => p.to_string(),
        None => runner
            .flags
            .value("default-image-prefix")
            .unwrap_or(DEFAULT_IMAGE_PREFIX)
            .to_string(),
    };
    let declared = function_configs(objects);
    let configs = if declared.is_empty() {
        stock_function_configs()
    } else {
        declared
    };
    Ok(ConfiguredRunner {
        config: RunnerConfig {
            private_registries: eff.enable,
            tls: eff.enable && eff.tls,
            auth_file,
            builtins: builtin_images(&configs, &prefix),
            default_image_prefix: prefix,
            family,
        },
        auth_source,
        object: runner.object.clone(),
    })
}

/// What breaks for each function image: `image-unparsable` (no pod), `image-no-credentials`
/// (its registry has no entry: the pull goes anonymous), `image-credential-incomplete` (an
/// entry that sends no header).
pub fn image_findings(images: &[ImageUse], runner: &ConfiguredRunner) -> Vec<Finding> {
    let mut out = Vec::new();
    for u in images {
        let p = predict(&u.image, &runner.config);
        if let Some(f) = image_finding(u, &p, runner) {
            out.push(f);
        }
    }
    out
}

fn image_finding(u: &ImageUse, p: &Prediction, runner: &ConfiguredRunner) -> Option<Finding> {
    let finding = |severity, rule, message: String, fix: String| Finding {
        severity,
        rule,
        object: u.source.clone(),
        message,
        fix,
        object_index: None,
        field: None,
    };
    let shown = if p.resolved == p.image {
        format!("image {}", p.image)
    } else {
        format!("image {} (resolved to {})", p.image, p.resolved)
    };
    if p.in_process {
        return None;
    }
    let r = match &p.reference {
        Err(e) => {
            return Some(finding(
                Severity::Error,
                rules::IMAGE_UNPARSABLE,
                format!(
                    "{shown}: the runner's library refuses it ({e}: {}), so no function pod is created",
                    e.reason
                ),
                "write the image as [REGISTRY/]REPOSITORY[:TAG|@DIGEST] (repository 2-255 characters of a-z 0-9 _ - . /)".into(),
            ));
        }
        Ok(r) => r,
    };
    let a = p.access.as_ref()?;
    if a.keychain != Keychain::AuthFile || a.auth_file_fails {
        return None;
    }
    let registry = r.registry();
    match (&a.entry, &a.credential) {
        (None, Some(_)) => Some(finding(
            Severity::Warning,
            rules::IMAGE_NO_CREDENTIALS,
            format!(
                "{shown}: its registry is {registry}, and the auth file ({}) has no entry \"{registry}\": the runner pulls it anonymously, which fails if the image is private",
                runner.auth_source
            ),
            format!(
                "add credentials for {registry}: kubectl porch-registry secret auth --registry {registry} --username USER --password-stdin"
            ),
        )),
        (Some(key), Some(Credential::None)) => Some(finding(
            Severity::Warning,
            rules::IMAGE_CREDENTIAL_INCOMPLETE,
            format!(
                "{shown}: the auth entry \"{key}\" sends no Authorization header (the runner's library needs a username AND a password, an auth value or a registry token), so the pull goes anonymous"
            ),
            format!(
                "give the entry \"{key}\" both username and password (or auth): kubectl porch-registry secret auth --registry {registry} --username USER --password-stdin"
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::authfile::AuthFile;

    fn runner(auth: &str) -> ConfiguredRunner {
        ConfiguredRunner {
            config: RunnerConfig {
                private_registries: true,
                tls: false,
                auth_file: AuthFileState::Parsed(AuthFile::parse(auth.as_bytes()).unwrap()),
                ..RunnerConfig::stock()
            },
            auth_source: "test".into(),
            object: "Deployment/porch-system/function-runner".into(),
        }
    }
    fn uses(images: &[&str]) -> Vec<ImageUse> {
        images
            .iter()
            .map(|i| ImageUse {
                image: i.to_string(),
                source: "Kptfile of pkg".into(),
            })
            .collect()
    }

    #[test]
    fn image_rules() {
        let r = runner(r#"{"auths":{"ghcr.io":{"auth":"dTpw"},"r.io":{"username":"u"}}}"#);
        let f = image_findings(
            &uses(&[
                "ghcr.io/x",                   // one-char repository: no pod
                "private.example.com/fn/x:v1", // no entry: anonymous
                "r.io/fn/x:v1",                // username only: no header
                "set-namespace:v0.4.1",        // ghcr.io via the prefix: fine
                "set-namespace:v0.4.5",        // in-process on main
                "gcr.io/kpt-fn/x:v1",          // default keychain
            ]),
            &r,
        );
        let rules: Vec<&str> = f.iter().map(|f| f.rule).collect();
        assert_eq!(
            rules,
            [
                rules::IMAGE_UNPARSABLE,
                rules::IMAGE_NO_CREDENTIALS,
                rules::IMAGE_CREDENTIAL_INCOMPLETE
            ]
        );
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[1].message.contains("private.example.com"));
        assert!(!f.iter().any(|x| x.message.contains("dTpw")));
    }
}
