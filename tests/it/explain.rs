//! `explain` and `check --package` through the built binary, offline. Expected values follow
//! the runner model's upstream rules (go-containerregistry v0.20.6 pkg/name, Porch
//! podmanager.go, kpt runneroptions.ResolveToImageForCLIFunc), not the tool's output.

use serde_json::Value;

use crate::support::{bin, fixture};

fn explain_json(args: &[&str]) -> Value {
    let out = bin()
        .arg("explain")
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn by_image<'a>(v: &'a Value, image: &str) -> &'a Value {
    v["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["image"] == image)
        .unwrap_or_else(|| panic!("{image} not in {v:#}"))
}

#[test]
fn explain_on_the_catalog_manifests_with_a_secret() {
    let f = fixture("check/catalog-good.yaml");
    let v = explain_json(&[
        "-f",
        f.to_str().unwrap(),
        "registry.example.com:5000/fn/set-labels:v1",
        "set-namespace:v0.4.1",
        "localhost/fn:v1",
        "ghcr.io/x",
        "gcr.io/kpt-fn/set-labels:v0.2.0",
        "127.0.0.1:5000/fn/x:v1",
    ]);
    assert!(
        v["authFile"]["source"]
            .as_str()
            .unwrap()
            .contains("registry-auth-secret")
    );
    assert!(v["authFile"]["error"].is_null());
    // The entry of the Secret: user robot, Basic (transport/basic.go: both set).
    let i = by_image(&v, "registry.example.com:5000/fn/set-labels:v1");
    assert_eq!(i["registry"], "registry.example.com:5000");
    assert_eq!(i["keychain"], "auth-file");
    assert_eq!(i["entry"], "registry.example.com:5000");
    assert_eq!(i["credential"], "basic");
    assert_eq!(i["username"], "robot");
    assert_eq!(i["tls"], "ca-then-system");
    assert_eq!(i["plainHttp"], false);
    assert_eq!(i["reachesRunner"], true);
    assert_eq!(i["source"], "command line");
    // A short name: the default prefix first (porch-server resolves it on v1.5.x), then ghcr.io.
    let i = by_image(&v, "set-namespace:v0.4.1");
    assert_eq!(
        i["resolved"],
        "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1"
    );
    assert_eq!(i["registry"], "ghcr.io");
    assert!(i["entry"].is_null());
    assert_eq!(i["credential"], "none");
    // localhost/fn is Docker Hub for pkg/name (no '.' or ':' in the first part).
    assert_eq!(
        by_image(&v, "localhost/fn:v1")["registry"],
        "index.docker.io"
    );
    // One-character repository: the library's error, no pod.
    let i = by_image(&v, "ghcr.io/x");
    assert_eq!(i["error"], "could not parse reference: ghcr.io/x");
    assert!(i["registry"].is_null() && i["credential"].is_null());
    // gcr.io/kpt-fn/: the default keychain and the system roots.
    let i = by_image(&v, "gcr.io/kpt-fn/set-labels:v0.2.0");
    assert_eq!(
        (i["keychain"].as_str(), i["tls"].as_str()),
        (Some("default"), Some("system"))
    );
    // Registry.Scheme: 127.0.0.1 anywhere -> http tried too.
    assert_eq!(by_image(&v, "127.0.0.1:5000/fn/x:v1")["plainHttp"], true);
    // Never a password.
    assert!(!v.to_string().contains("fixture-pass-1"));
}

#[test]
fn explain_a_kpt_package_table_and_json() {
    let pkg = fixture("explain-pkg");
    let f = fixture("check/catalog-good.yaml");
    let v = explain_json(&[
        "--package",
        pkg.to_str().unwrap(),
        "-f",
        f.to_str().unwrap(),
    ]);
    let images: Vec<&str> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["image"].as_str().unwrap())
        .collect();
    assert_eq!(
        images,
        [
            "set-namespace:v0.4.1",
            "registry.example.com:5000/fn/set-labels:v1",
            "ghcr.io/x",
            "private.example.com/fn/check:v1"
        ]
    );
    let src = by_image(&v, "set-namespace:v0.4.1")["source"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        src.starts_with("Kptfile of ") && src.ends_with("explain-pkg (pipeline.mutators[0])"),
        "{src}"
    );
    let src = by_image(&v, "private.example.com/fn/check:v1")["source"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        src.ends_with("explain-pkg/sub (pipeline.validators[0])"),
        "{src}"
    );

    let out = bin()
        .args(["explain", "--package"])
        .arg(&pkg)
        .arg("-f")
        .arg(&f)
        .output()
        .unwrap();
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "REGISTRY KEY",
        "ghcr.io/kptdev/krm-functions-catalog/set-namespace:v0.4.1",
        "basic (user robot)",
        "could not parse reference: ghcr.io/x",
        "ca-then-system",
    ] {
        assert!(table.contains(needle), "{needle}: {table}");
    }
    assert!(!table.contains("fixture-pass-1"));
}

#[test]
fn explain_with_a_bare_auth_file_and_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let auth = dir.path().join("auth.json");
    // Go accepts all of this: folded names, unpadded auth, a number in email, credHelpers
    // as an array (authn.AuthConfig / encoding/json); "r.io" has a username only.
    std::fs::write(
        &auth,
        r#"{"Auths":{"fns.example.com":{"auth":"cm9ib3Q6cHc","email":5},"r.io":{"username":"u"}},"credHelpers":[]}"#,
    )
    .unwrap();
    let v = explain_json(&[
        "--auth-file",
        auth.to_str().unwrap(),
        "--default-image-prefix",
        "fns.example.com/catalog/",
        "set-namespace:v0.4.1",
        "r.io/fn/x:v1",
        "set-namespace:v0.4.5",
    ]);
    assert!(v["authFile"]["error"].is_null(), "{v:#}");
    let i = by_image(&v, "set-namespace:v0.4.1");
    assert_eq!(
        i["resolved"],
        "fns.example.com/catalog/set-namespace:v0.4.1"
    );
    assert_eq!(
        (i["credential"].as_str(), i["username"].as_str()),
        (Some("basic"), Some("robot"))
    );
    assert_eq!(i["tls"], "system");
    // username without password: no header (transport/basic.go)
    assert_eq!(by_image(&v, "r.io/fn/x:v1")["credential"], "none");
    // a builtin of porch main's stock FunctionConfigs: in-process
    assert_eq!(by_image(&v, "set-namespace:v0.4.5")["reachesRunner"], false);
    // an auth file Go refuses (one malformed auth): the error, no credential
    std::fs::write(&auth, r#"{"auths":{"a.io":{"auth":"!!"}}}"#).unwrap();
    let v = explain_json(&["--auth-file", auth.to_str().unwrap(), "a.io/fn/x:v1"]);
    assert!(
        v["authFile"]["error"]
            .as_str()
            .unwrap()
            .contains("unable to decode auth field")
    );
    assert!(by_image(&v, "a.io/fn/x:v1")["credential"].is_null());
}

#[test]
fn explain_without_images_is_a_usage_error() {
    let a = bin()
        .args(["explain", "--auth-file", "/dev/null"])
        .assert()
        .failure()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("give IMAGE... or --package DIR"), "{err}");
}

#[test]
fn check_package_finds_an_anonymous_private_image() {
    let out = bin()
        .args(["check", "-o", "json", "-f"])
        .arg(fixture("check/catalog-good.yaml"))
        .arg("--package")
        .arg(fixture("explain-pkg"))
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    let with = |rule: &str| -> Vec<&Value> { f.iter().filter(|x| x["rule"] == rule).collect() };
    let anon = with("image-no-credentials");
    // ghcr.io (via the prefix) and private.example.com have no entry; set-labels has one.
    assert_eq!(anon.len(), 2, "{f:#?}");
    assert!(anon.iter().any(|x| {
        x["message"]
            .as_str()
            .unwrap()
            .contains("private.example.com")
            && x["object"]
                .as_str()
                .unwrap()
                .ends_with("explain-pkg/sub (pipeline.validators[0])")
    }));
    assert_eq!(anon[0]["severity"], "warning");
    let bad = with("image-unparsable");
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0]["severity"], "error");
    // the unparsable image is an error finding: exit 3
    assert_eq!(out.status.code(), Some(3));
}
