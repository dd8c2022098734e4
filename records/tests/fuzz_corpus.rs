//! Replays every file under `fuzz/corpus/<target>/` (seeds plus anything the fuzzer found and was
//! committed) through the same harnesses the cargo-fuzz targets use, on stable Rust.

use std::path::Path;

use records::harness;

/// A harness: arbitrary bytes in, panics only on a broken invariant.
type Harness = fn(&[u8]);

#[test]
fn replay_fuzz_corpus() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    let targets: [(&str, Harness); 3] = [
        ("frame_decoder", harness::frame_decoder),
        ("position_decoder", harness::position_decoder),
        ("record_decoder", harness::record_decoder),
    ];
    for (name, run) in targets {
        let dir = root.join(name);
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let path = entry?.path();
            if path.is_file() {
                run(&std::fs::read(&path)?);
                n += 1;
            }
        }
        assert!(n > 0, "no corpus files for {name}");
    }
    Ok(())
}
