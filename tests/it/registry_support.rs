//! Test helper: Debian's real `docker-registry` (CNCF distribution) on a free loopback port,
//! with htpasswd (bcrypt) auth or anonymous, TLS from a CA generated here, and our own push
//! code (OCI distribution push API over reqwest) to put test images in it.
//!
//! Used by `pull.rs` (H6) and by `run.rs` (H7): `Registry::start(Auth::..., true)`, then
//! `push(repo, tag, &TestImage)`, and `auth_file(...)` / `ca_path()` for the CLI flags.

#![allow(dead_code)]

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest, Sha256};

pub const REGISTRY_BIN: &str = "/usr/bin/docker-registry";

/// How the registry authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    /// No authentication at all (a public registry).
    Anonymous,
    /// htpasswd file with one bcrypt user (HTTP basic auth).
    Htpasswd { user: String, pass: String },
    /// Token auth (`auth: token`): a realm served by this helper issues signed JWTs after
    /// checking user/pass with basic auth — the bearer handshake real registries use.
    Token { user: String, pass: String },
}

impl Auth {
    pub fn htpasswd(user: &str, pass: &str) -> Auth {
        Auth::Htpasswd {
            user: user.into(),
            pass: pass.into(),
        }
    }
    pub fn token(user: &str, pass: &str) -> Auth {
        Auth::Token {
            user: user.into(),
            pass: pass.into(),
        }
    }
    fn creds(&self) -> Option<(&str, &str)> {
        match self {
            Auth::Anonymous => None,
            Auth::Htpasswd { user, pass } | Auth::Token { user, pass } => Some((user, pass)),
        }
    }
}

/// A test CA and a server certificate for 127.0.0.1 / localhost.
pub struct TestCa {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn generate(name: &str) -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
        };
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, format!("{name} test CA"));
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        TestCa {
            ca_pem: ca_cert.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A running `docker-registry`. Killed on drop.
pub struct Registry {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub tls: bool,
    pub auth: Auth,
    child: Option<Child>,
    token_server: Option<token::TokenServer>,
    /// Token auth: serve the realm over HTTPS when the registry is (false: a plain-HTTP realm
    /// even for an HTTPS registry, the downgrade a client must refuse).
    realm_tls: bool,
}

impl Registry {
    /// Start a registry; `tls` serves HTTPS with a certificate from a fresh test CA.
    pub fn start(auth: Auth, tls: bool) -> Registry {
        Registry::start_with_realm(auth, tls, tls)
    }

    /// Like `start`, choosing whether a token realm is HTTPS (`realm_tls`) on its own.
    pub fn start_with_realm(auth: Auth, tls: bool, realm_tls: bool) -> Registry {
        assert!(
            Path::new(REGISTRY_BIN).exists(),
            "{REGISTRY_BIN} is missing: apt-get install docker-registry"
        );
        let dir = tempfile::tempdir().unwrap();
        let port = portpicker::pick_unused_port().expect("a free port");
        let mut reg = Registry {
            dir,
            port,
            tls,
            auth,
            child: None,
            token_server: None,
            realm_tls,
        };
        reg.write_config();
        reg.spawn();
        reg
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }

    /// The CA that signed the registry's certificate (PEM file).
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("ca.crt")
    }

    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("registry.log")
    }

    /// Where distribution keeps a blob's bytes (to corrupt it in tests).
    pub fn blob_data_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.storage()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }

    fn write_config(&mut self) {
        let d = self.dir.path();
        std::fs::create_dir_all(d.join("storage")).unwrap();
        let mut cfg = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{}\n  secret: test-secret\n",
            d.join("storage").display(),
            self.port
        );
        let mut server_pem = None;
        if self.tls {
            let ca = TestCa::generate("registry");
            server_pem = Some((ca.cert_pem.clone(), ca.key_pem.clone()));
            std::fs::write(d.join("ca.crt"), &ca.ca_pem).unwrap();
            std::fs::write(d.join("server.crt"), &ca.cert_pem).unwrap();
            std::fs::write(d.join("server.key"), &ca.key_pem).unwrap();
            cfg.push_str(&format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                d.join("server.crt").display(),
                d.join("server.key").display()
            ));
        }
        match &self.auth {
            Auth::Anonymous => {}
            Auth::Htpasswd { user, pass } => {
                let out = Command::new("htpasswd")
                    .args(["-Bbn", user, pass])
                    .output()
                    .expect("htpasswd (apache2-utils) is installed");
                assert!(out.status.success(), "htpasswd failed");
                std::fs::write(d.join("htpasswd"), &out.stdout).unwrap();
                cfg.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                    d.join("htpasswd").display()
                ));
            }
            Auth::Token { user, pass } => {
                let tls = server_pem.filter(|_| self.realm_tls);
                let ts = token::TokenServer::start(user, pass, d, tls);
                cfg.push_str(&format!(
                    "auth:\n  token:\n    realm: {}\n    service: test-registry\n    issuer: test-issuer\n    rootcertbundle: {}\n",
                    ts.realm(),
                    ts.cert_path.display()
                ));
                self.token_server = Some(ts);
            }
        }
        std::fs::write(d.join("config.yml"), cfg).unwrap();
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let child = Command::new(REGISTRY_BIN)
            .arg("serve")
            .arg(self.dir.path().join("config.yml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start docker-registry");
        self.child = Some(child);
        let start = Instant::now();
        loop {
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                break;
            }
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                panic!("docker-registry exited ({st}) at start:\n{}", self.log());
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "docker-registry did not listen within 20s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kill the registry process (SIGKILL) and wait for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Start it again on the same port with the same storage.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Requests the token service received that carried an `Authorization` header.
    pub fn token_requests_with_credentials(&self) -> usize {
        self.token_server
            .as_ref()
            .map(|t| t.with_credentials.load(std::sync::atomic::Ordering::SeqCst))
            .unwrap_or(0)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Requests in the access log (combined log format: `"GET /v2/... HTTP/1.1" 200 ...`)
    /// whose method matches, whose path contains `path_part` and, if given, whose status matches.
    pub fn count_requests(&self, method: &str, path_part: &str, status: Option<u16>) -> usize {
        self.log()
            .lines()
            .filter_map(|l| {
                let start = l.find(&format!("\"{method} "))?;
                let rest = &l[start + 1..];
                let end = rest.find('"')?;
                let req = &rest[..end];
                let path = req.split(' ').nth(1)?;
                let st: u16 = rest[end + 1..].split_whitespace().next()?.parse().ok()?;
                Some((path.to_string(), st))
            })
            .filter(|(p, st)| p.contains(path_part) && status.is_none_or(|s| s == *st))
            .count()
    }

    /// A `.dockerconfigjson` with `user:pass` under `key` (usually `self.host()`).
    pub fn write_auth_file(&self, dir: &Path, key: &str, user: &str, pass: &str) -> PathBuf {
        let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
        let p = dir.join(format!("auth-{}.json", self.port));
        std::fs::write(
            &p,
            format!(r#"{{"auths":{{"{key}":{{"username":"{user}","password":"{pass}","auth":"{auth}"}}}}}}"#),
        )
        .unwrap();
        p
    }

    /// The auth file with this registry's own (right) credentials.
    pub fn auth_file(&self, dir: &Path) -> PathBuf {
        let (u, p) = self.auth.creds().unwrap_or(("anonymous", "none"));
        self.write_auth_file(dir, &self.host(), u, p)
    }

    fn http(&self) -> reqwest::Client {
        let mut roots = rustls::RootCertStore::empty();
        if self.tls {
            use rustls_pki_types::{CertificateDer, pem::PemObject};
            for c in CertificateDer::pem_file_iter(self.ca_path()).unwrap() {
                roots.add(c.unwrap()).unwrap();
            }
        }
        let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        reqwest::Client::builder()
            .tls_backend_preconfigured(cfg)
            .http1_only()
            .build()
            .unwrap()
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Authorization header value for pushing to `repo`.
    async fn push_auth(&self, http: &reqwest::Client, repo: &str) -> Option<String> {
        let (u, p) = self.auth.creds()?;
        match &self.auth {
            Auth::Htpasswd { .. } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )),
            Auth::Token { .. } => {
                let ts = self.token_server.as_ref().unwrap();
                let v: serde_json::Value = http
                    .get(format!(
                        "{}?service=test-registry&scope=repository:{repo}:pull,push",
                        ts.realm()
                    ))
                    .basic_auth(u, Some(p))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                Some(format!("Bearer {}", v["token"].as_str().unwrap()))
            }
            Auth::Anonymous => None,
        }
    }

    async fn put_blob(
        &self,
        http: &reqwest::Client,
        auth: &Option<String>,
        repo: &str,
        data: &[u8],
    ) -> String {
        let digest = sha256(data);
        let base = format!("{}://{}", self.scheme(), self.host());
        let mut req = http.post(format!("{base}/v2/{repo}/blobs/uploads/"));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 202, "start upload: {:?}", resp.text().await);
        let loc = resp.headers()["location"].to_str().unwrap().to_string();
        let loc = if loc.starts_with('/') {
            format!("{base}{loc}")
        } else {
            loc
        };
        let sep = if loc.contains('?') { '&' } else { '?' };
        let mut req = http
            .put(format!("{loc}{sep}digest={digest}"))
            .header("Content-Type", "application/octet-stream")
            .body(data.to_vec());
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 201, "finish upload: {:?}", resp.text().await);
        digest
    }

    async fn put_manifest(
        &self,
        http: &reqwest::Client,
        auth: &Option<String>,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) {
        let mut req = http
            .put(format!(
                "{}://{}/v2/{repo}/manifests/{reference}",
                self.scheme(),
                self.host()
            ))
            .header("Content-Type", media_type)
            .body(body.to_vec());
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 201, "put manifest: {:?}", resp.text().await);
    }

    async fn push_one(
        &self,
        http: &reqwest::Client,
        auth: &Option<String>,
        repo: &str,
        image: &TestImage,
    ) -> (String, usize) {
        let config = serde_json::to_vec(&image.config).unwrap();
        let config_digest = self.put_blob(http, auth, repo, &config).await;
        let mut layers = Vec::new();
        for l in &image.layers {
            let d = self.put_blob(http, auth, repo, l).await;
            layers.push(serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": d,
                "size": l.len(),
            }));
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": config.len(),
            },
            "layers": layers,
        });
        let body = serde_json::to_vec(&manifest).unwrap();
        let digest = sha256(&body);
        self.put_manifest(
            http,
            auth,
            repo,
            &digest,
            "application/vnd.oci.image.manifest.v1+json",
            &body,
        )
        .await;
        (digest, body.len())
    }

    /// Push an image under `repo:tag`; returns the manifest digest.
    pub fn push(&self, repo: &str, tag: &str, image: &TestImage) -> String {
        Self::rt().block_on(async {
            let http = self.http();
            let auth = self.push_auth(&http, repo).await;
            let (digest, _) = self.push_one(&http, &auth, repo, image).await;
            // Tag it (the same manifest bytes under the tag).
            let body = http
                .get(format!(
                    "{}://{}/v2/{repo}/manifests/{digest}",
                    self.scheme(),
                    self.host()
                ))
                .header("Accept", "application/vnd.oci.image.manifest.v1+json")
                .header("Authorization", auth.clone().unwrap_or_default())
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            self.put_manifest(
                &http,
                &auth,
                repo,
                tag,
                "application/vnd.oci.image.manifest.v1+json",
                &body,
            )
            .await;
            digest
        })
    }

    /// Push a multi-arch index `repo:tag` of (`os/arch`, image) pairs; returns
    /// (index digest, per-platform manifest digests).
    pub fn push_index(
        &self,
        repo: &str,
        tag: &str,
        images: &[(&str, &TestImage)],
    ) -> (String, Vec<String>) {
        Self::rt().block_on(async {
            let http = self.http();
            let auth = self.push_auth(&http, repo).await;
            let mut manifests = Vec::new();
            let mut digests = Vec::new();
            for (plat, img) in images {
                let (d, size) = self.push_one(&http, &auth, repo, img).await;
                let mut parts = plat.split('/');
                let os = parts.next().unwrap();
                let arch = parts.next().unwrap();
                let mut p = serde_json::json!({"os": os, "architecture": arch});
                if let Some(v) = parts.next() {
                    p["variant"] = v.into();
                }
                manifests.push(serde_json::json!({
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": d, "size": size, "platform": p,
                }));
                digests.push(d);
            }
            let index = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": manifests,
            });
            let body = serde_json::to_vec(&index).unwrap();
            self.put_manifest(
                &http,
                &auth,
                repo,
                tag,
                "application/vnd.oci.image.index.v1+json",
                &body,
            )
            .await;
            (sha256(&body), digests)
        })
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// An image to push: gzip'ed tar layers and a config.
#[derive(Clone)]
pub struct TestImage {
    pub layers: Vec<Vec<u8>>,
    pub config: serde_json::Value,
}

impl TestImage {
    /// An image for `os/arch` with an entrypoint and the given layers.
    pub fn new(platform: &str, entrypoint: &[&str], layers: Vec<Vec<u8>>) -> TestImage {
        let mut parts = platform.split('/');
        let os = parts.next().unwrap();
        let arch = parts.next().unwrap();
        let diff_ids: Vec<String> = layers.iter().map(|l| sha256(&gunzip(l))).collect();
        TestImage {
            config: serde_json::json!({
                "architecture": arch,
                "os": os,
                "config": {
                    "Entrypoint": entrypoint,
                    "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
                    "WorkingDir": "/",
                },
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
            }),
            layers,
        }
    }
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A gzip'ed tar with regular files `(path, content, mode)`.
pub fn tar_gz(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (path, data, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

/// Deterministic incompressible bytes (xorshift), for big layers.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut v = Vec::with_capacity(len + 8);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

/// A layer holding one file of `len` noise bytes at `path`.
pub fn noise_layer(path: &str, len: usize, seed: u64) -> Vec<u8> {
    tar_gz(&[(path, &noise(len, seed), 0o644)])
}

/// A config.json-style file for the user's docker config (e.g. for DOCKER_CONFIG).
pub fn write_file(path: &Path, content: &[u8]) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(content).unwrap();
}

mod token {
    //! A tiny token service for distribution's `auth: token`: checks basic auth, answers
    //! `{"token": JWT}` with an ES256 JWT whose x5c chain is a self-signed certificate that
    //! the registry trusts through `rootcertbundle`.

    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use base64::Engine;

    pub struct TokenServer {
        pub port: u16,
        pub cert_path: PathBuf,
        /// Requests that carried an `Authorization` header (credentials sent to the realm).
        pub with_credentials: Arc<AtomicUsize>,
        tls: bool,
        stop: Arc<AtomicBool>,
    }

    fn server_config(cert_pem: &str, key_pem: &str) -> Arc<rustls::ServerConfig> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(cert_pem.as_bytes())
                .map(|c| c.unwrap())
                .collect();
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        Arc::new(cfg)
    }

    trait Conn: std::io::Read + Write {}
    impl<T: std::io::Read + Write> Conn for T {}

    impl TokenServer {
        pub fn realm(&self) -> String {
            let scheme = if self.tls { "https" } else { "http" };
            format!("{scheme}://127.0.0.1:{}/token", self.port)
        }

        /// `tls`: the server certificate and key (PEM) to serve HTTPS with; `None`: plain HTTP.
        pub fn start(
            user: &str,
            pass: &str,
            dir: &Path,
            tls: Option<(String, String)>,
        ) -> TokenServer {
            use rcgen::{CertificateParams, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params
                .distinguished_name
                .push(DnType::CommonName, "test token signer");
            let cert = params.self_signed(&key).unwrap();
            let cert_path = dir.join("token-signer.crt");
            std::fs::write(&cert_path, cert.pem()).unwrap();
            let x5c = base64::engine::general_purpose::STANDARD.encode(cert.der());
            let pkcs8 = key.serialize_der();

            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let stop = Arc::new(AtomicBool::new(false));
            let stop2 = Arc::clone(&stop);
            let with_credentials = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&with_credentials);
            let tls_config = tls.as_ref().map(|(c, k)| server_config(c, k));
            let is_tls = tls_config.is_some();
            let expected = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
            );
            let user = user.to_string();
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(tcp) = conn else { continue };
                    let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                    let conn: Box<dyn Conn> = match &tls_config {
                        Some(cfg) => {
                            let Ok(sc) = rustls::ServerConnection::new(Arc::clone(cfg)) else {
                                continue;
                            };
                            Box::new(rustls::StreamOwned::new(sc, tcp))
                        }
                        None => Box::new(tcp),
                    };
                    let mut reader = BufReader::new(conn);
                    let mut first = String::new();
                    if reader.read_line(&mut first).is_err() {
                        continue;
                    }
                    let mut authz = None;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = line.split_once(':')
                            && k.eq_ignore_ascii_case("authorization")
                        {
                            authz = Some(v.trim().to_string());
                        }
                    }
                    if authz.is_some() {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    let target = first.split(' ').nth(1).unwrap_or("/").to_string();
                    let query = target.split_once('?').map(|x| x.1).unwrap_or("");
                    let mut service = String::new();
                    let mut scopes = Vec::new();
                    for (k, v) in url_pairs(query) {
                        match k.as_str() {
                            "service" => service = v,
                            "scope" => scopes.push(v),
                            _ => {}
                        }
                    }
                    let (status, body) = if authz.as_deref() == Some(expected.as_str()) {
                        let token = jwt(&pkcs8, &x5c, &user, &service, &scopes);
                        (
                            "200 OK",
                            format!(r#"{{"token":"{token}","access_token":"{token}"}}"#),
                        )
                    } else if authz.is_none() {
                        // anonymous: a token with no access
                        let token = jwt(&pkcs8, &x5c, "", &service, &[]);
                        ("200 OK", format!(r#"{{"token":"{token}"}}"#))
                    } else {
                        (
                            "401 Unauthorized",
                            r#"{"details":"invalid credentials"}"#.to_string(),
                        )
                    };
                    let conn = reader.get_mut();
                    let _ = write!(
                        conn,
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.flush();
                }
            });
            TokenServer {
                port,
                cert_path,
                with_credentials,
                tls: is_tls,
                stop,
            }
        }
    }

    impl Drop for TokenServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
            let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        }
    }

    fn url_pairs(q: &str) -> Vec<(String, String)> {
        q.split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (unescape(k), unescape(v))
            })
            .collect()
    }

    fn unescape(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    let h = u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?');
                    out.push(h);
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn b64url(data: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
    }

    fn jwt(pkcs8: &[u8], x5c: &str, sub: &str, service: &str, scopes: &[String]) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let access: Vec<serde_json::Value> = if sub.is_empty() {
            vec![]
        } else {
            scopes
                .iter()
                .filter_map(|s| {
                    let mut p = s.split(':');
                    let typ = p.next()?;
                    let name = p.next()?;
                    let actions: Vec<&str> = p.next()?.split(',').collect();
                    Some(serde_json::json!({"type": typ, "name": name, "actions": actions}))
                })
                .collect()
        };
        let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "x5c": [x5c]});
        let claims = serde_json::json!({
            "iss": "test-issuer", "sub": sub, "aud": service,
            "exp": now + 300, "nbf": now - 10, "iat": now,
            "jti": format!("{now}-{}", scopes.len()), "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let rng = ring::rand::SystemRandom::new();
        let kp = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8,
            &rng,
        )
        .unwrap();
        let sig = kp.sign(&rng, signing_input.as_bytes()).unwrap();
        format!("{signing_input}.{}", b64url(sig.as_ref()))
    }
}
