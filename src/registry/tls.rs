//! TLS in the runner's order: a pool of ONLY the given CA (TLS 1.2 minimum), then the system
//! roots; plain HTTP only when the user allows it (the runner has no such step).
//!
//! One crypto provider for the whole binary: rustls with ring (as kube uses).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Serialize;

use crate::error::{Error, Result};

/// A CA as the user gave it.
#[derive(Debug, Clone)]
pub struct CaInput {
    pub path: PathBuf,
    pub pem: Vec<u8>,
}

/// One step of the TLS order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum TlsStep {
    /// HTTPS trusting only the given CA.
    GivenCa { path: String },
    /// HTTPS trusting the system roots.
    SystemRoots,
    /// Plain HTTP (only with --allow-insecure-http).
    PlainHttp,
}

impl fmt::Display for TlsStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsStep::GivenCa { path } => write!(f, "given CA ({path})"),
            TlsStep::SystemRoots => write!(f, "system roots"),
            TlsStep::PlainHttp => write!(f, "plain HTTP"),
        }
    }
}

impl TlsStep {
    pub fn scheme(&self) -> &'static str {
        match self {
            TlsStep::PlainHttp => "http",
            _ => "https",
        }
    }
}

/// The CA from `--ca-file`, or `--tls-dir` (`ca.crt`, else `ca.pem`, as the runner).
pub fn ca_from_args(ca_file: Option<&Path>, tls_dir: Option<&Path>) -> Result<Option<CaInput>> {
    let path = match (ca_file, tls_dir) {
        (Some(f), _) => f.to_path_buf(),
        (None, Some(dir)) => {
            let crt = dir.join("ca.crt");
            let pem = dir.join("ca.pem");
            if !dir.is_dir() {
                return Err(Error::not_found(format!(
                    "--tls-dir {}: no such directory; give the directory that holds ca.crt or ca.pem, or use --ca-file",
                    dir.display()
                )));
            }
            if crt.is_file() {
                crt
            } else if pem.is_file() {
                pem
            } else {
                return Err(Error::not_found(format!(
                    "{}: neither ca.crt nor ca.pem is there (the runner looks for these two names); \
                     put the CA there or use --ca-file",
                    dir.display()
                )));
            }
        }
        (None, None) => return Ok(None),
    };
    let pem = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    // Validate now so a bad file is a usage error, not a TLS failure later.
    parse_ca(&pem, &path)?;
    Ok(Some(CaInput { path, pem }))
}

fn parse_ca(pem: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| {
            Error::usage(format!(
                "{}: not a PEM certificate file ({e}); give the registry's CA certificate in PEM",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        // Say what the file is instead (a private key, DER, ...), as `secret tls` does.
        if let Err(e) = crate::runner::ca::analyze_ca_pem(pem, 0) {
            return Err(Error::usage(format!("{}: {e}", path.display())));
        }
        return Err(Error::usage(format!(
            "{}: contains no PEM certificate (-----BEGIN CERTIFICATE-----); give the registry's CA in PEM",
            path.display()
        )));
    }
    Ok(certs)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn config_with_roots(roots: RootCertStore) -> Result<rustls::ClientConfig> {
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::other(format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}

/// A rustls config trusting ONLY the given CA (the runner's first step).
pub fn config_only_ca(ca: &CaInput) -> Result<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in parse_ca(&ca.pem, &ca.path)? {
        roots.add(cert).map_err(|e| {
            Error::usage(format!(
                "{}: the certificate cannot be used as a trust anchor ({e}); give the registry's CA certificate in PEM (check it with `openssl x509 -noout -text -in FILE`)",
                ca.path.display()
            ))
        })?;
    }
    config_with_roots(roots)
}

/// A rustls config trusting the system roots (falls back to the bundled Mozilla roots if the
/// system has none).
pub fn config_system_roots() -> Result<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    config_with_roots(roots)
}

/// The steps to try, in order.
pub fn steps(ca: Option<&CaInput>, allow_insecure_http: bool) -> Vec<TlsStep> {
    let mut v = Vec::new();
    if let Some(ca) = ca {
        v.push(TlsStep::GivenCa {
            path: ca.path.display().to_string(),
        });
    }
    v.push(TlsStep::SystemRoots);
    if allow_insecure_http {
        v.push(TlsStep::PlainHttp);
    }
    v
}

/// An HTTP client for one step.
pub fn http_client(step: &TlsStep, ca: Option<&CaInput>) -> Result<reqwest::Client> {
    let cfg = match (step, ca) {
        (TlsStep::GivenCa { .. }, Some(ca)) => config_only_ca(ca)?,
        _ => config_system_roots()?,
    };
    let b = reqwest::Client::builder()
        .tls_backend_preconfigured(cfg)
        .user_agent(concat!(
            "kubectl-porch-registry/",
            env!("CARGO_PKG_VERSION")
        ))
        .connect_timeout(std::time::Duration::from_secs(15))
        .read_timeout(std::time::Duration::from_secs(60))
        .http1_only();
    // Not https_only: the plain-HTTP step and a plain-HTTP registry's token realm use it too
    // (the client refuses an http realm behind an HTTPS registry before sending anything).
    // The step only picks the roots.
    b.build()
        .map_err(|e| Error::other(format!("cannot build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order() {
        let ca = CaInput {
            path: "ca.crt".into(),
            pem: vec![],
        };
        assert_eq!(
            steps(Some(&ca), false),
            vec![
                TlsStep::GivenCa {
                    path: "ca.crt".into()
                },
                TlsStep::SystemRoots
            ]
        );
        assert_eq!(
            steps(None, true),
            vec![TlsStep::SystemRoots, TlsStep::PlainHttp]
        );
    }

    #[test]
    fn tls_dir_prefers_ca_crt() {
        let d = tempfile::tempdir().unwrap();
        let err = ca_from_args(None, Some(d.path())).unwrap_err().to_string();
        assert!(err.contains("neither ca.crt nor ca.pem"));
        std::fs::write(d.path().join("ca.pem"), "garbage").unwrap();
        let err = ca_from_args(None, Some(d.path())).unwrap_err().to_string();
        assert!(err.contains("ca.pem"), "{err}");
        assert!(err.contains("holds no PEM data"), "{err}");
    }

    #[test]
    fn system_roots_load() {
        config_system_roots().unwrap();
    }
}
