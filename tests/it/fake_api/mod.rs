//! An HTTP fake of the Kubernetes API on loopback, for driving the real `kube` client stack
//! (kubeconfig, HTTP, serialisation) end to end from the built binary.
//!
//! `FakeApi::start()` serves on 127.0.0.1 (plain HTTP; `FakeApi::start_tls` serves HTTPS with a
//! given certificate) and writes a kubeconfig pointing at it.
//! The test handle inserts and reads objects, forbids verbs, drives Deployment rollouts and
//! records every request.

#![allow(dead_code)]

pub mod daemonsets;
pub mod kubelet;
pub mod patch;
pub mod store;
pub mod watch;

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use http_body_util::BodyExt;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};

pub use kubelet::PullOutcome;
pub use store::{ForbidRule, RequestRecord, ResourceType, Rollout, State};

/// A response body: whole (`watch::full`) or streamed (watches).
pub type Body = http_body_util::combinators::BoxBody<Bytes, std::io::Error>;

pub struct FakeApi {
    pub state: Arc<Mutex<State>>,
    addr: std::net::SocketAddr,
    /// `http`, or `https` for [`FakeApi::start_tls`].
    scheme: &'static str,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeApi {
    /// Start an empty API server (no namespaces).
    pub fn start() -> FakeApi {
        FakeApi::serve(None)
    }

    /// Start an empty API server serving HTTPS with this certificate (chain) and key (PEM),
    /// as a real API server does; its kubeconfig names it with `https://` and no CA (add
    /// `certificate-authority-data` yourself to trust a private CA).
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> FakeApi {
        FakeApi::serve(Some(tls_acceptor(cert_pem, key_pem)))
    }

    fn serve(tls: Option<tokio_rustls::TlsAcceptor>) -> FakeApi {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let state = Arc::new(Mutex::new(State::default()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
        let st = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            let st = st.clone();
                            let tls = tls.clone();
                            tokio::spawn(async move {
                                let svc = hyper::service::service_fn(move |req| {
                                    let st = st.clone();
                                    async move { Ok::<_, Infallible>(handle(st, req).await) }
                                });
                                let http = hyper::server::conn::http1::Builder::new();
                                match tls {
                                    None => {
                                        let _ = http
                                            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                                            .await;
                                    }
                                    Some(tls) => {
                                        // A client that refuses the certificate ends the
                                        // handshake: that connection is simply closed.
                                        let Ok(stream) = tls.accept(stream).await else { return };
                                        let _ = http
                                            .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                                            .await;
                                    }
                                }
                            });
                        }
                    }
                }
            });
        });
        let dir = tempfile::tempdir().expect("tempdir");
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            kubeconfig_text(&format!("{scheme}://{addr}"), "fake"),
        )
        .expect("write kubeconfig");
        FakeApi {
            state,
            addr,
            scheme,
            dir,
            kubeconfig,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// A kubeconfig whose current context `fake` points at this server.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// A scratch directory that lives as long as the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Store an object as given (kind decides the resource); the server fills in metadata.
    pub fn insert(&self, obj: Value) -> Value {
        let kind = obj["kind"].as_str().expect("kind").to_string();
        let rt = ResourceType::by_kind(&kind).expect("known kind");
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut st = self.state.lock().unwrap();
        // Objects a test puts in place belong to another manager, like `kubectl create`.
        st.manager = "kubectl-create".into();
        let target = store::Target {
            rt,
            namespace: ns,
            name: None,
            subresource: None,
        };
        let mut stored = st
            .create(&target, obj.clone(), false)
            .unwrap_or_else(|e| panic!("insert {kind}: {}", e.message));
        // Keep a given status (pods, a deployment in a chosen state).
        if let Some(status) = obj.get("status") {
            stored["status"] = status.clone();
            let key = (
                rt.resource,
                target.namespace.clone(),
                stored["metadata"]["name"].as_str().unwrap().to_string(),
            );
            st.objects.insert(key, stored.clone());
            if let Some(c) = st.changes.last_mut() {
                c.object = stored.clone();
            }
        }
        stored
    }

    /// A node, Ready or NotReady, with `(key, effect)` taints.
    pub fn node(&self, name: &str, ready: bool, taints: &[(&str, &str)]) -> Value {
        self.insert(daemonsets::node(name, ready, taints))
    }

    /// Whether the fake's DaemonSet controller creates pods (default: yes).
    pub fn daemonset_pods(&self, on: bool) {
        self.state.lock().unwrap().daemonsets.pods = on;
    }

    /// Server-side apply `obj` as `manager` (forced, as GitOps controllers apply: Argo CD,
    /// Flux), so that `manager` owns its fields with operation `Apply`.
    pub fn apply_as(&self, manager: &str, obj: Value) -> Value {
        let kind = obj["kind"].as_str().expect("kind").to_string();
        let rt = ResourceType::by_kind(&kind).expect("known kind");
        let ns = obj
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let name = obj["metadata"]["name"].as_str().expect("name").to_string();
        let mut st = self.state.lock().unwrap();
        st.force = true;
        let target = store::Target {
            rt,
            namespace: ns,
            name: Some(name.clone()),
            subresource: None,
        };
        let out = st
            .patch(
                &target,
                &name,
                "application/apply-patch+yaml",
                obj.to_string().as_bytes(),
                false,
                Some(manager),
            )
            .unwrap_or_else(|e| panic!("apply {kind} as {manager}: {}", e.message));
        st.force = false;
        out
    }

    /// A namespace, with the `default` ServiceAccount the serviceaccounts controller makes in
    /// every namespace (pods that name no service account run as it).
    pub fn namespace(&self, name: &str) {
        self.insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}));
        self.insert(json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": name}}));
    }

    pub fn get(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        let st = self.state.lock().unwrap();
        st.objects
            .iter()
            .find(|((r, ns, n), _)| *r == resource && ns == namespace && n == name)
            .map(|(_, v)| v.clone())
    }

    pub fn remove(&self, resource: &str, namespace: &str, name: &str) {
        let mut st = self.state.lock().unwrap();
        st.objects
            .retain(|(r, ns, n), _| !(*r == resource && ns == namespace && n == name));
    }

    /// Make `verb` on `resource` (in `namespace`, or everywhere) Forbidden for the caller.
    pub fn forbid(&self, verb: &str, resource: &str, namespace: Option<&str>) {
        self.state.lock().unwrap().forbid.push(ForbidRule {
            verb: verb.into(),
            resource: resource.into(),
            namespace: namespace.map(String::from),
        });
    }

    /// Make an admission webhook deny `verb` on `resource` (access reviews still allow it).
    pub fn reject(&self, verb: &str, resource: &str) {
        self.state
            .lock()
            .unwrap()
            .reject
            .push((verb.into(), resource.into()));
    }

    /// The next update of `resource` races with another writer (409 Conflict).
    pub fn race_next_update(&self, resource: &str) {
        self.state
            .lock()
            .unwrap()
            .race_next_update
            .push(resource.into());
    }

    /// Hold every answer back this long (requests are recorded when they arrive).
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.state.lock().unwrap().latency = latency;
    }

    pub fn set_rollout(&self, rollout: Rollout) {
        self.state.lock().unwrap().rollout = rollout;
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }

    /// Write requests sent without dryRun (whatever their outcome).
    pub fn writes(&self) -> Vec<RequestRecord> {
        self.requests()
            .into_iter()
            .filter(|r| r.is_write() && !r.dry_run())
            .collect()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A TLS acceptor serving this certificate (chain) and key (PEM), HTTP/1.1 only.
fn tls_acceptor(cert_pem: &str, key_pem: &str) -> tokio_rustls::TlsAcceptor {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .map(|c| c.expect("certificate PEM"))
        .collect();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key PEM");
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server certificate");
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(Arc::new(cfg))
}

pub fn kubeconfig_text(server: &str, context: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {context}\n  cluster:\n    server: {server}\n\
contexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: {context}\n\
current-context: {context}\nusers:\n- name: {context}\n  user:\n    token: fake-token\n"
    )
}

fn respond(code: u16, body: &Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .body(watch::full(Bytes::from(body.to_string())))
        .expect("response")
}

pub(crate) fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(state: Arc<Mutex<State>>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body_json: Option<Value> = serde_json::from_slice(&body).ok();
    let dry_run = query_param(&query, "dryRun").as_deref() == Some("All")
        || (method == "DELETE"
            && body_json
                .as_ref()
                .and_then(|b| b.get("dryRun"))
                .is_some_and(|d| d.to_string().contains("All")));
    // Recorded on arrival; answered after the latency (none unless a test sets one).
    let latency = {
        let mut st = state.lock().unwrap();
        st.requests.push(RequestRecord {
            dry_run,
            method: method.clone(),
            path: path.clone(),
            query: query.clone(),
            content_type: content_type.clone(),
            at: std::time::Instant::now(),
        });
        st.latency
    };
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut st = state.lock().unwrap();
    let field_manager = query_param(&query, "fieldManager");
    st.manager = field_manager.clone().unwrap_or_else(|| "unknown".into());
    st.operation = "Update";
    st.force = query_param(&query, "force").as_deref() == Some("true");

    if path == "/version" {
        return respond(
            200,
            &json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0"}),
        );
    }
    if path.ends_with("/selfsubjectaccessreviews") || path.ends_with("/subjectaccessreviews") {
        let Some(mut review) = body_json else {
            return respond(
                400,
                &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "BadRequest", "code": 400, "message": "bad review"}),
            );
        };
        let attrs = review
            .pointer("/spec/resourceAttributes")
            .cloned()
            .unwrap_or(json!({}));
        let allowed = if path.ends_with("/selfsubjectaccessreviews") {
            let rt = attrs
                .get("resource")
                .and_then(Value::as_str)
                .and_then(|r| store::RESOURCES.iter().find(|t| t.resource == r));
            match rt {
                Some(rt) => st
                    .forbidden(
                        attrs
                            .get("verb")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                        rt,
                        attrs
                            .get("namespace")
                            .and_then(Value::as_str)
                            .unwrap_or_default(),
                        None,
                    )
                    .is_none(),
                None => true,
            }
        } else {
            let sar = &store::ResourceType {
                resource: "subjectaccessreviews",
                group: "authorization.k8s.io",
                version: "v1",
                kind: "SubjectAccessReview",
                namespaced: false,
            };
            if let Some(e) = st.forbidden("create", sar, "", None) {
                return respond(e.code, &e.status());
            }
            let user = review
                .pointer("/spec/user")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let groups: Vec<String> = review
                .pointer("/spec/groups")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|g| g.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            st.rbac_allows(user, &groups, &attrs)
        };
        review["status"] = json!({"allowed": allowed});
        return respond(201, &review);
    }
    let Some(target) = store::parse_path(&path) else {
        return respond(
            404,
            &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "the server could not find the requested resource", "reason": "NotFound", "code": 404}),
        );
    };
    let name = target.name.clone();
    let watching = matches!(query_param(&query, "watch").as_deref(), Some("1" | "true"));
    let verb = match (method.as_str(), name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) if watching => "watch",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", _) => "delete",
        _ => "unknown",
    };
    if let Some(e) = st.forbidden(verb, target.rt, &target.namespace, name.as_deref()) {
        return respond(e.code, &e.status());
    }
    if let Some(e) = st.rejected(verb, target.rt, name.as_deref()) {
        return respond(e.code, &e.status());
    }
    if verb == "watch" {
        drop(st);
        return watch::serve(state.clone(), target, &query);
    }
    let result = match (verb, name.as_deref()) {
        ("get", Some(n)) => st.get(&target, n).map(|v| (200, v)),
        ("list", None) => Ok((200, {
            let mut list = st.list(&target, query_param(&query, "labelSelector").as_deref());
            let fields = query_param(&query, "fieldSelector");
            if let Some(items) = list["items"].as_array_mut() {
                items.retain(|o| store::matches_fields(o, fields.as_deref()));
            }
            list
        })),
        ("create", None) => match body_json {
            Some(mut b) => match kubelet::service_account_admission(&st, &target, &mut b)
                .or_else(|| kubelet::quota(&st, &target, &b))
            {
                Some(e) => Err(e),
                None => st.create(&target, b, dry_run),
            }
            .map(|v| {
                if target.rt.resource == "pods" && !dry_run {
                    kubelet::admit(&state, &mut st, &v);
                }
                (201, v)
            }),
            None => {
                return respond(
                    400,
                    &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "BadRequest", "code": 400, "message": "invalid JSON body"}),
                );
            }
        },
        ("update", Some(n)) => match body_json {
            Some(b) => st.update(&target, n, b, dry_run).map(|v| (200, v)),
            None => {
                return respond(
                    400,
                    &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "BadRequest", "code": 400, "message": "invalid JSON body"}),
                );
            }
        },
        ("patch", Some(n)) => {
            let existed = st.objects.contains_key(&(
                target.rt.resource,
                target.namespace.clone(),
                n.to_string(),
            ));
            st.patch(
                &target,
                n,
                &content_type,
                &body,
                dry_run,
                field_manager.as_deref(),
            )
            .map(|v| (if existed { 200 } else { 201 }, v))
        }
        ("delete", Some(n)) => st.delete(&target, n, dry_run).map(|v| (200, v)),
        _ => {
            return respond(
                405,
                &json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "MethodNotAllowed", "code": 405, "message": format!("{method} is not supported on {path}")}),
            );
        }
    };
    match result {
        Ok((code, v)) => respond(code, &v),
        Err(e) => respond(e.code, &e.status()),
    }
}

/// A minimal HTTP/1.1 client for the fake's own tests.
pub fn raw_request(
    url: &str,
    method: &str,
    path: &str,
    content_type: &str,
    body: &str,
) -> (u16, Value) {
    use std::io::{Read, Write};
    let host = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let code: u16 = out[9..12].parse().unwrap();
    let body = out.split("\r\n\r\n").nth(1).unwrap_or_default();
    (code, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[cfg(test)]
mod http_tests {
    use super::*;

    #[test]
    fn serves_status_objects_and_forbidden_rules() {
        let api = FakeApi::start();
        api.namespace("porch-system");
        let (code, body) = raw_request(
            &api.url(),
            "GET",
            "/api/v1/namespaces/porch-system/secrets/nope",
            "",
            "",
        );
        assert_eq!(code, 404);
        assert_eq!(body["kind"], "Status");
        assert_eq!(body["reason"], "NotFound");
        assert_eq!(body["message"], "secrets \"nope\" not found");
        let secret =
            r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"a":"YQ=="}}"#;
        let (code, _) = raw_request(
            &api.url(),
            "POST",
            "/api/v1/namespaces/porch-system/secrets?dryRun=All",
            "application/json",
            secret,
        );
        assert_eq!(code, 201);
        assert!(api.get("secrets", "porch-system", "s").is_none());
        api.forbid("create", "secrets", Some("porch-system"));
        let (code, body) = raw_request(
            &api.url(),
            "POST",
            "/api/v1/namespaces/porch-system/secrets",
            "application/json",
            secret,
        );
        assert_eq!(code, 403);
        assert_eq!(body["reason"], "Forbidden");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("cannot create resource \"secrets\"")
        );
        let (code, body) = raw_request(
            &api.url(),
            "PATCH",
            "/api/v1/namespaces/porch-system/secrets/s",
            "application/apply-patch+yaml",
            secret,
        );
        assert_eq!(
            (code, body["reason"].as_str()),
            (400, Some("BadRequest")),
            "apply needs a fieldManager"
        );
        assert_eq!(
            api.writes().len(),
            2,
            "dry-run excluded: {:?}",
            api.writes()
        );
    }
}
