//! The HTTP stack under the kube client. kube builds the same stack itself
//! (`Client::try_from(Config)`), but then every client loads the system roots again: with no
//! `certificate-authority-data` in the kubeconfig its rustls config gets a fresh platform
//! verifier, which reads every file of the system trust store (146 files here) and parses
//! every root, once per cluster of a run across contexts. Here the system-roots verifier is
//! built once per process and shared by every client; everything else is kube's own stack
//! (kube-client 5 `make_generic_builder`): the base URI, the retry of 429/503/504, the
//! kubeconfig's credentials and impersonation headers, the connect/read/write timeouts,
//! HTTP/1.1 over rustls with kube's own TLS config (client certificates, a kubeconfig CA,
//! `insecure-skip-tls-verify`, `tls-server-name`, the in-cluster CA that is re-read).

use std::sync::{Arc, OnceLock};

use hyper_util::client::legacy::connect::HttpConnector;
use kube::client::{ConfigExt, RustlsTlsError};
use rustls::client::danger::ServerCertVerifier;
use tower::ServiceBuilder;

/// Which verifier a cluster's TLS config gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roots {
    /// The kubeconfig's own: its CA (`certificate-authority[-data]`, the in-cluster CA) or no
    /// verification at all (`insecure-skip-tls-verify`); kube builds it, cheaply.
    Kubeconfig,
    /// The system trust store, shared: an `https://` server with no CA in the kubeconfig.
    System,
    /// None: a plain `http://` server never does TLS, so nothing is loaded for it.
    PlainHttp,
}

impl Roots {
    pub fn of(config: &kube::Config) -> Roots {
        if config.cluster_url.scheme_str() == Some("http") && config.root_cert.is_none() {
            Roots::PlainHttp
        } else if config.root_cert.is_none() && !config.accept_invalid_certs {
            Roots::System
        } else {
            Roots::Kubeconfig
        }
    }
}

/// The system-roots verifier of this process, once built.
static SYSTEM_VERIFIER: OnceLock<Result<Arc<dyn ServerCertVerifier>, rustls::Error>> =
    OnceLock::new();

/// The verifier trusting the system roots, as kube's default (rustls-platform-verifier: on
/// Linux `SSL_CERT_FILE`/`SSL_CERT_DIR`, else the distribution's store), built on first use
/// and shared by every client of the process. Threads asking at the same time wait for the
/// one that loads it.
fn system_verifier() -> Result<Arc<dyn ServerCertVerifier>, rustls::Error> {
    SYSTEM_VERIFIER
        .get_or_init(|| {
            let provider = rustls::crypto::CryptoProvider::get_default()
                .cloned()
                .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()));
            rustls_platform_verifier::Verifier::new(provider)
                .map(|v| Arc::new(v) as Arc<dyn ServerCertVerifier>)
        })
        .clone()
}

/// kube's client for `config`, with the shared system-roots verifier where kube would load
/// the system roots. A proxy (`proxy-url`) is left to kube (it refuses it: this build has no
/// proxy support).
pub fn client(config: kube::Config) -> Result<kube::Client, kube::Error> {
    if config.proxy_url.is_some() {
        return kube::Client::try_from(config);
    }
    let roots = Roots::of(&config);
    // kube's TLS config (client identity, kubeconfig CA, insecure, reloading in-cluster CA);
    // where it would load the system roots it gets an empty store, replaced below.
    let mut tls = if config.root_cert.is_none() {
        let mut without_roots = config.clone();
        without_roots.root_cert = Some(Vec::new());
        without_roots.rustls_client_config()?
    } else {
        config.rustls_client_config()?
    };
    if roots == Roots::System {
        let verifier = system_verifier()
            .map_err(|e| kube::Error::RustlsTls(RustlsTlsError::AddRootCertificate(Box::new(e))))?;
        tls.dangerous().set_certificate_verifier(verifier);
    }
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let mut https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    if let Some(name) = &config.tls_server_name {
        let name = name
            .clone()
            .try_into()
            .map_err(|e| kube::Error::RustlsTls(RustlsTlsError::InvalidServerName(e)))?;
        https = https.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name));
    }
    let mut connector =
        hyper_timeout::TimeoutConnector::new(https.enable_http1().wrap_connector(http));
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    connector.set_reset_reader_on_write(config.reset_reader_on_write);
    let http_client: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Builder::new(hyper_util::rt::TokioExecutor::new())
            .build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.default_retry.then(|| {
            tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry())
        }))
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(tower::BoxError::from)
        .service(http_client);
    Ok(kube::Client::new(service, config.default_namespace))
}
