//! The function images of the Kptfile pipelines of a package and its subpackages (mutators
//! and validators with an `image:`), read with the one package reader (`krm::tree`).

use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::runner::lint::ImageUse;

/// The `image:` of every `pipeline.mutators[i]` and `pipeline.validators[i]` of one parsed
/// Kptfile, with the field it came from, read by render's pipeline parser (the one Kptfile
/// pipeline reader); `exec:` entries never reach the runner.
pub fn kptfile_images(kptfile: &Value, file: &Path) -> Result<Vec<(String, String)>> {
    let pipeline = super::render::parse_pipeline(kptfile, file)?;
    let mut out = Vec::new();
    for (list, fns) in [
        ("mutators", &pipeline.mutators),
        ("validators", &pipeline.validators),
    ] {
        for (i, f) in fns.iter().enumerate() {
            if let super::render::FnRef::Image(image) = &f.fn_ref {
                out.push((image.clone(), format!("pipeline.{list}[{i}]")));
            }
        }
    }
    Ok(out)
}

/// The images named on the command line, then every function image of the Kptfiles of
/// `packages` (`explain`, `check --pull-test`).
pub fn command_line_and_package_images(
    images: &[String],
    packages: &[std::path::PathBuf],
) -> Result<Vec<ImageUse>> {
    let mut uses: Vec<ImageUse> = images
        .iter()
        .map(|i| ImageUse {
            image: i.clone(),
            source: "command line".into(),
        })
        .collect();
    for dir in packages {
        uses.extend(package_images(dir)?);
    }
    Ok(uses)
}

/// Every function image of the Kptfiles in `dir` and its subpackages, in package order.
pub fn package_images(dir: &Path) -> Result<Vec<ImageUse>> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() {
        return Err(Error::usage(format!(
            "--package {}: not a directory; give a kpt package directory (one with a Kptfile)",
            dir.display()
        )));
    }
    let tree = crate::krm::tree::read_tree(dir)?;
    tree.warn_skipped();
    let mut out = Vec::new();
    let mut kptfiles = 0;
    for node in &tree.packages {
        if !node.has_kptfile {
            continue;
        }
        let rel = if node.dir.is_empty() {
            "Kptfile".to_string()
        } else {
            format!("{}/Kptfile", node.dir)
        };
        let Some(file) = tree.files.iter().find(|f| f.rel == rel) else {
            continue;
        };
        kptfiles += 1;
        let shown = dir.join(&node.dir);
        let shown = shown.display().to_string();
        let shown = shown.trim_end_matches('/');
        let path = dir.join(&rel);
        let docs = crate::krm::package::parse_documents(&file.text, &path.display().to_string())?;
        for doc in docs
            .iter()
            .filter(|d| d.get("kind").and_then(Value::as_str) == Some("Kptfile"))
        {
            for (image, field) in kptfile_images(doc, &path)? {
                out.push(ImageUse {
                    image,
                    source: format!("Kptfile of {shown} ({field})"),
                });
            }
        }
    }
    if kptfiles == 0 {
        return Err(Error::not_found(format!(
            "--package {}: no Kptfile in this directory or below; give a kpt package directory",
            dir.display()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutators_and_validators_with_images() {
        let k = serde_json::json!({"kind":"Kptfile","pipeline":{
            "mutators":[{"image":"set-namespace:v0.4.1"},{"exec":"./fn"}],
            "validators":[{"image":"ghcr.io/o/v:v1"}]}});
        let p = Path::new("Kptfile");
        assert_eq!(
            kptfile_images(&k, p).unwrap(),
            [
                (
                    "set-namespace:v0.4.1".to_string(),
                    "pipeline.mutators[0]".to_string()
                ),
                (
                    "ghcr.io/o/v:v1".to_string(),
                    "pipeline.validators[0]".to_string()
                )
            ]
        );
        assert!(
            kptfile_images(&serde_json::json!({"kind":"Kptfile"}), p)
                .unwrap()
                .is_empty()
        );
    }
}
