//! Architecture invariant: edge-core stays sans-IO. Its direct dependencies are an allow-list, and
//! nothing in their transitive closure (from the workspace `Cargo.lock`) is an I/O or native stack.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

const ALLOWED_DIRECT: [&str; 4] = ["nalgebra", "serde", "thiserror", "pathfinding"];
const BANNED: [&str; 12] = [
    "tokio",
    "mio",
    "socket2",
    "gstreamer",
    "gstreamer-app",
    "gstreamer-video",
    "ort",
    "ort-sys",
    "opencv",
    "quinn",
    "rustls",
    "rumqttc",
];

#[test]
fn dependencies_are_pure() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table = std::fs::read_to_string(dir.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let direct: BTreeSet<String> = manifest["dependencies"]
        .as_table()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    for name in &direct {
        assert!(
            ALLOWED_DIRECT.contains(&name.as_str()),
            "edge-core must not depend on `{name}`"
        );
    }

    let lock: toml::Table = std::fs::read_to_string(dir.join("../Cargo.lock"))
        .unwrap()
        .parse()
        .unwrap();
    // name -> dependency names (all versions merged: conservative).
    let mut graph: HashMap<String, BTreeSet<String>> = HashMap::new();
    for pkg in lock["package"].as_array().unwrap() {
        let name = pkg["name"].as_str().unwrap().to_string();
        let deps = pkg
            .get("dependencies")
            .and_then(|d| d.as_array())
            .cloned()
            .unwrap_or_default();
        let entry = graph.entry(name).or_default();
        for d in deps {
            let d = d.as_str().unwrap();
            entry.insert(d.split(' ').next().unwrap().to_string());
        }
    }
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = direct.into_iter().collect();
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            assert!(
                graph.contains_key(&name),
                "`{name}` missing from Cargo.lock"
            );
            stack.extend(graph[&name].iter().cloned());
        }
    }
    for banned in BANNED {
        assert!(
            !seen.contains(banned),
            "edge-core pulls in `{banned}`: {seen:?}"
        );
    }
    assert!(seen.contains("nalgebra") && seen.contains("pathfinding"));
}
