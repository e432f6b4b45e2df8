//! Pods of the pull test at the API edge: create, delete, list and watch pods by label
//! selector, and read one pod's events. Async, for a flow that runs them under one deadline
//! and a signal handler (`Kube::block`); errors become our errors naming the step.

use futures::{Stream, StreamExt};
use kube::api::{DeleteParams, ListParams, PostParams, WatchEvent, WatchParams};
use serde_json::Value;

use super::client::{Kind, Kube, Op, api_code, to_value};
use crate::error::{Error, Result};

/// One change a watch reported.
#[derive(Debug, Clone)]
pub enum Change {
    /// Added or modified: the object now.
    Put(Value),
    Deleted(Value),
    /// The stream is still current at this resourceVersion.
    Bookmark(String),
    /// The resourceVersion is too old (410 Gone): list again.
    Expired,
}

fn op<'a>(verb: &'a str, kind: Kind, namespace: &'a str, name: Option<&'a str>) -> Op<'a> {
    Op {
        verb,
        kind,
        namespace,
        name,
    }
}

impl Kube {
    /// POST a pod.
    pub async fn create_pod(&self, namespace: &str, pod: &Value) -> Result<Value> {
        let name = pod["metadata"]["name"].as_str().unwrap_or_default();
        let data: kube::api::DynamicObject = serde_json::from_value(pod.clone())
            .map_err(|e| Error::other(format!("building pod {name}: {e}")))?;
        self.api(Kind::Pod, namespace)
            .create(&PostParams::default(), &data)
            .await
            .map(to_value)
            .map_err(|e| self.error(&op("create", Kind::Pod, namespace, Some(name)), e))
    }

    /// DELETE a pod at once (grace period 0); `false` when it was already gone.
    pub async fn delete_pod(&self, namespace: &str, name: &str) -> Result<bool> {
        let dp = DeleteParams {
            grace_period_seconds: Some(0),
            ..DeleteParams::default()
        };
        match self.api(Kind::Pod, namespace).delete(name, &dp).await {
            Ok(_) => Ok(true),
            Err(e) if api_code(&e) == Some(404) => Ok(false),
            Err(e) => Err(self.error(&op("delete", Kind::Pod, namespace, Some(name)), e)),
        }
    }

    /// LIST pods matching `selector`: the items and the list's resourceVersion.
    pub async fn list_pods(&self, namespace: &str, selector: &str) -> Result<(Vec<Value>, String)> {
        let lp = ListParams::default().labels(selector);
        let list = self
            .api(Kind::Pod, namespace)
            .list(&lp)
            .await
            .map_err(|e| self.error(&op("list", Kind::Pod, namespace, None), e))?;
        let rv = list.metadata.resource_version.clone().unwrap_or_default();
        Ok((list.items.into_iter().map(to_value).collect(), rv))
    }

    /// WATCH pods matching `selector` from `resource_version`, for at most `timeout_seconds`
    /// (the server ends the stream then).
    pub async fn watch_pods(
        &self,
        namespace: &str,
        selector: &str,
        resource_version: &str,
        timeout_seconds: u32,
    ) -> Result<impl Stream<Item = Result<Change>> + use<>> {
        let wp = WatchParams::default()
            .labels(selector)
            .timeout(timeout_seconds.clamp(1, 290));
        let ns = namespace.to_string();
        let server = self.server.clone();
        let stream = self
            .api(Kind::Pod, namespace)
            .watch(&wp, resource_version)
            .await
            .map_err(|e| self.error(&op("watch", Kind::Pod, namespace, None), e))?;
        Ok(stream.map(move |ev| match ev {
            Ok(WatchEvent::Added(o)) | Ok(WatchEvent::Modified(o)) => Ok(Change::Put(to_value(o))),
            Ok(WatchEvent::Deleted(o)) => Ok(Change::Deleted(to_value(o))),
            Ok(WatchEvent::Bookmark(b)) => Ok(Change::Bookmark(b.metadata.resource_version)),
            Ok(WatchEvent::Error(s)) if s.code == 410 => Ok(Change::Expired),
            Ok(WatchEvent::Error(s)) => Err(Error::Cluster(format!(
                "the watch of pods in namespace \"{ns}\" on {server} failed: {} ({}, HTTP {})",
                s.message, s.reason, s.code
            ))),
            Err(e) => Err(Error::Cluster(format!(
                "the watch of pods in namespace \"{ns}\" on {server} broke: {e}"
            ))),
        }))
    }

    /// The events about one pod (oldest first, as the API lists them).
    pub async fn pod_events(&self, namespace: &str, pod: &str) -> Result<Vec<Value>> {
        let lp = ListParams::default().fields(&format!(
            "involvedObject.kind=Pod,involvedObject.name={pod}"
        ));
        self.api(Kind::Event, namespace)
            .list(&lp)
            .await
            .map(|l| l.items.into_iter().map(to_value).collect())
            .map_err(|e| self.error(&op("list", Kind::Event, namespace, None), e))
    }
}
