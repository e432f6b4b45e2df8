//! Watches, as the API serves them: `GET .../pods?watch=1|true&resourceVersion=RV
//! &timeoutSeconds=N&labelSelector=...` answers 200 with a chunked stream of JSON lines
//! `{"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", "object": ...}`: every change after RV
//! (none given, or "0": synthetic ADDED events for what exists now first), until
//! `timeoutSeconds` ends it. An RV older than the retained history gets one ERROR event with a
//! 410 Expired Status, as etcd compaction makes the real server answer. Changes are recorded
//! by the store ([`State::record`]); objects carry the resourceVersion of their change.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::{Bytes, Frame};
use serde_json::{Value, json};

use super::store::{Target, matches_fields, matches_labels};
use super::{Body, State};

/// One recorded change.
#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub resource: &'static str,
    pub namespace: String,
    /// ADDED, MODIFIED or DELETED.
    pub kind: &'static str,
    pub object: Value,
}

/// Test knobs for watches.
#[derive(Debug, Clone, Default)]
pub struct WatchKnobs {
    /// Changes at or below this resourceVersion are compacted away (410 for older RVs).
    pub compacted: u64,
    /// Break this many watches (the connection is cut after their first event).
    pub break_next: u32,
    /// Watch requests served (for tests).
    pub served: u32,
}

/// Serve one watch; the caller checked RBAC for the verb `watch`.
pub fn serve(state: Arc<Mutex<State>>, target: Target, query: &str) -> Response<Body> {
    let q = |k: &str| super::query_param(query, k);
    let rv: Option<u64> = q("resourceVersion")
        .filter(|v| !v.is_empty() && v != "0")
        .and_then(|v| v.parse().ok());
    let timeout = q("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(1800)
        .min(1800);
    let labels = q("labelSelector");
    let fields = q("fieldSelector");
    let bookmarks = q("allowWatchBookmarks").as_deref() == Some("true");
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(64);
    let line = |kind: &str, object: &Value| {
        let mut s = json!({"type": kind, "object": object}).to_string();
        s.push('\n');
        Ok(Frame::data(Bytes::from(s)))
    };
    // What to send first, and from where to follow.
    let (first, mut sent, cut) = {
        let mut st = state.lock().unwrap();
        st.watch.served += 1;
        let cut = if st.watch.break_next > 0 {
            st.watch.break_next -= 1;
            true
        } else {
            false
        };
        let now = st.resource_version;
        let first: Vec<Result<Frame<Bytes>, std::io::Error>> = match rv {
            Some(v) if v < st.watch.compacted => vec![line(
                "ERROR",
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": format!("too old resource version: {v} ({})", st.watch.compacted),
                    "reason": "Expired", "code": 410}),
            )],
            Some(_) => Vec::new(),
            None => st
                .objects
                .iter()
                .filter(|((r, ns, _), _)| {
                    *r == target.rt.resource
                        && (target.namespace.is_empty() || *ns == target.namespace)
                })
                .map(|(_, o)| o.clone())
                .filter(|o| {
                    matches_labels(o, labels.as_deref()) && matches_fields(o, fields.as_deref())
                })
                .map(|o| line("ADDED", &o))
                .collect(),
        };
        let expired = matches!(rv, Some(v) if v < st.watch.compacted);
        (
            first,
            if expired { u64::MAX } else { rv.unwrap_or(now) },
            cut,
        )
    };
    let kind = target.rt.kind;
    let api_version = target.rt.api_version();
    let wanted = move |c: &Change| {
        c.resource == target.rt.resource
            && (target.namespace.is_empty() || c.namespace == target.namespace)
            && matches_labels(&c.object, labels.as_deref())
            && matches_fields(&c.object, fields.as_deref())
    };
    tokio::spawn(async move {
        let end = tokio::time::Instant::now() + Duration::from_secs(timeout);
        let mut any = false;
        for f in first {
            if tx.send(f).await.is_err() {
                return;
            }
            any = true;
        }
        if sent == u64::MAX {
            return;
        }
        let mut last_bookmark = tokio::time::Instant::now();
        while tokio::time::Instant::now() < end {
            // One lock: every change up to `newest` is in the history.
            let (news, newest): (Vec<Change>, u64) = {
                let st = state.lock().unwrap();
                let news = st
                    .changes
                    .iter()
                    .filter(|c| c.rv > sent)
                    .filter(|c| wanted(c))
                    .cloned()
                    .collect();
                (news, st.resource_version)
            };
            for c in news {
                sent = sent.max(c.rv);
                if tx.send(line(c.kind, &c.object)).await.is_err() {
                    return;
                }
                any = true;
                if cut {
                    let _ = tx
                        .send(Err(std::io::Error::other("connection cut by the test")))
                        .await;
                    return;
                }
            }
            sent = sent.max(newest);
            if bookmarks && last_bookmark.elapsed() > Duration::from_secs(1) {
                last_bookmark = tokio::time::Instant::now();
                let b = json!({"kind": kind, "apiVersion": api_version,
                    "metadata": {"resourceVersion": sent.to_string()}});
                if tx.send(line("BOOKMARK", &b)).await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let _ = any;
    });
    let stream =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|f| (f, rx)) });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(StreamBody::new(stream).boxed())
        .expect("response")
}

/// A whole response body, as the other endpoints answer.
pub fn full(bytes: Bytes) -> Body {
    http_body_util::Full::new(bytes)
        .map_err(|never: Infallible| match never {})
        .boxed()
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use serde_json::{Value, json};

    use crate::fake_api::FakeApi;

    /// GET a watch and read it to its end: the headers and the decoded chunked body.
    fn watch(api: &FakeApi, query: &str) -> (String, Vec<Value>) {
        let host = api.url().trim_start_matches("http://").to_string();
        let mut s = std::net::TcpStream::connect(&host).expect("connect");
        write!(
            s,
            "GET /api/v1/namespaces/fns/pods?{query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8(raw).unwrap();
        let (head, mut body) = text.split_once("\r\n\r\n").unwrap();
        let mut decoded = String::new();
        loop {
            let (size, rest) = body.split_once("\r\n").unwrap();
            let n = usize::from_str_radix(size, 16).unwrap();
            if n == 0 {
                break;
            }
            decoded.push_str(&rest[..n]);
            body = &rest[n + 2..];
        }
        let lines = decoded
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
            .collect();
        (head.to_string(), lines)
    }

    fn pod(api: &FakeApi, name: &str, run: &str) -> Value {
        api.insert(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "fns", "labels": {"run": run}},
            "spec": {"containers": [{"name": "c", "image": "x"}]}}))
    }

    #[test]
    fn watch_streams_changes_after_the_version_until_the_timeout() {
        let api = FakeApi::start();
        api.namespace("fns");
        let a = pod(&api, "a", "1");
        let rv = a["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .to_string();
        pod(&api, "b", "1");
        pod(&api, "other", "2");
        let started = std::time::Instant::now();
        let (head, events) = watch(
            &api,
            &format!("watch=1&resourceVersion={rv}&timeoutSeconds=1&labelSelector=run%3D1"),
        );
        assert!(started.elapsed() >= std::time::Duration::from_secs(1));
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("transfer-encoding: chunked"),
            "{head}"
        );
        // Only b: a is at rv itself, other does not match the selector.
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0]["type"], "ADDED");
        assert_eq!(events[0]["object"]["metadata"]["name"], "b");
        assert!(
            events[0]["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
                > rv.parse::<u64>().unwrap()
        );

        // No version: what exists now, as ADDED; then a delete is DELETED with a newer rv.
        let (_, all) = watch(&api, "watch=true&timeoutSeconds=1&labelSelector=run%3D1");
        let names: Vec<&str> = all
            .iter()
            .map(|e| e["object"]["metadata"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let now = api.state.lock().unwrap().resource_version;
        api.state
            .lock()
            .unwrap()
            .delete(
                &crate::fake_api::store::parse_path("/api/v1/namespaces/fns/pods/a").unwrap(),
                "a",
                false,
            )
            .unwrap();
        let (_, del) = watch(
            &api,
            &format!("watch=1&resourceVersion={now}&timeoutSeconds=1"),
        );
        assert_eq!(del.len(), 1, "{del:?}");
        assert_eq!(del[0]["type"], "DELETED");

        // A compacted version: one ERROR event with a 410 Expired Status.
        api.state.lock().unwrap().watch.compacted = now;
        let (_, gone) = watch(
            &api,
            &format!("watch=1&resourceVersion={rv}&timeoutSeconds=5"),
        );
        assert_eq!(gone.len(), 1, "{gone:?}");
        assert_eq!(gone[0]["type"], "ERROR");
        assert_eq!(gone[0]["object"]["code"], 410);
        assert_eq!(gone[0]["object"]["reason"], "Expired");
    }
}
