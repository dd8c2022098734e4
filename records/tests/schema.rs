//! The committed JSON Schema files match the types, and sample records validate against their shape.
//! Regenerate with `UPDATE_SCHEMA=1 cargo test -p records --test schema`.

use std::path::Path;

use records::json;

#[test]
fn schema_files_are_current() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    for (file, schema) in [
        ("record.schema.json", json::record_schema()),
        ("batch.schema.json", json::batch_schema()),
    ] {
        let text = serde_json::to_string_pretty(&schema)? + "\n";
        let path = dir.join(file);
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(&dir)?;
            std::fs::write(&path, &text)?;
        }
        let committed =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        assert!(
            committed == text,
            "{file} is stale; run UPDATE_SCHEMA=1 cargo test -p records --test schema"
        );
    }
    Ok(())
}

#[test]
fn schema_names_every_record_kind() {
    let schema = json::record_schema().to_string();
    for kind in [
        "positions",
        "event",
        "score",
        "anomaly",
        "catalog",
        "heartbeat",
    ] {
        assert!(
            schema.contains(&format!("\"{kind}\"")),
            "record schema lacks {kind}"
        );
    }
    for def in [
        "PositionFrame",
        "ScoreEvent",
        "ScoreState",
        "Anomaly",
        "MatchCatalog",
        "Heartbeat",
        "LatencyStamps",
    ] {
        assert!(schema.contains(def), "record schema lacks {def}");
    }
}
