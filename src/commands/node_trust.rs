//! `node-trust --method kind|k3s|openshift`: read the CA, build that distribution's
//! configuration in the core, print it (stdout) and the steps to apply it (stderr).

use crate::credentials;
use crate::error::{Error, Result};
use crate::runner::node_trust;
use crate::settings::{NodeTrust, NodeTrustMethod};
use crate::ui;

pub fn run(s: &NodeTrust) -> Result<()> {
    let ca = credentials::read_ca(&s.ca_file)?;
    let hosts: Vec<&str> = s.registries.iter().map(|r| r.as_str()).collect();
    let (objects, steps) = match s.method {
        NodeTrustMethod::Daemonset => {
            let pem = utf8_pem(s, &ca.pem)?;
            (
                node_trust::daemonset_objects(&s.name, &s.namespace, &s.image, &s.registries, &pem),
                vec![
                    "kubectl apply -f - with these objects (pipe this output into it)".to_string(),
                    format!("it needs: a hostPath of each node's /etc (writable), root, and a namespace Pod Security admission lets run it: kubectl label namespace {} pod-security.kubernetes.io/enforce=privileged", &*s.namespace),
                    "on every node it writes ca.crt under the certs.d of containerd, CRI-O/podman and Docker where that runtime's folder exists; a new CA in the ConfigMap is written within a minute; deleting the DaemonSet removes only the files it wrote".to_string(),
                    "containerd reads certs.d only when its config.toml sets config_path (the pods' logs warn when it does not)".to_string(),
                ],
            )
        }
        NodeTrustMethod::Kind => {
            // kind resolves the mount on the machine that runs it: an absolute path.
            let abs = std::fs::canonicalize(&s.ca_file).map_err(|e| Error::io(&s.ca_file, e))?;
            let abs = abs.to_str().ok_or_else(|| {
                Error::usage(format!(
                    "--ca-file {}: the path is not UTF-8; kind's config cannot name it (copy the CA to a UTF-8 path)",
                    s.ca_file.display()
                ))
            })?;
            (
                vec![node_trust::kind_cluster(&s.registries, abs)],
                node_trust::kind_steps(&s.registries),
            )
        }
        NodeTrustMethod::K3s => (
            vec![node_trust::k3s_registries(&s.registries)],
            node_trust::k3s_steps(&s.registries, &s.ca_file.display().to_string()),
        ),
        NodeTrustMethod::Openshift => {
            let pem = utf8_pem(s, &ca.pem)?;
            (
                vec![node_trust::openshift_configmap(
                    &s.name,
                    &s.registries,
                    &pem,
                )],
                node_trust::openshift_steps(&s.name),
            )
        }
    };
    ui::output::print_objects(&objects, s.output)?;
    ui::info(format_args!(
        "node trust for {} with the CA of {}; to apply it:",
        hosts.join(", "),
        s.ca_file.display()
    ));
    for step in steps {
        ui::info(format_args!("  {step}"));
    }
    Ok(())
}

/// The CA as ConfigMap text.
fn utf8_pem(s: &NodeTrust, pem: &[u8]) -> Result<String> {
    String::from_utf8(pem.to_vec()).map_err(|_| {
        Error::usage(format!(
            "--ca-file {}: the PEM file is not UTF-8 text; a ConfigMap value must be",
            s.ca_file.display()
        ))
    })
}
