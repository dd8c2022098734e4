//! A missing or wrong ONNX Runtime library gives an error naming `ORT_DYLIB_PATH`, not a panic.
//! (Own test binary: a process can load only one runtime, so no test here loads a good one.)

use edge_node::inference::{environment, InferenceError};

#[test]
fn missing_library_names_the_variable() {
    let err = environment(Some(std::path::Path::new("/nonexistent/libonnxruntime.so")));
    match err {
        Err(e @ InferenceError::DylibMissing { .. }) => {
            let text = e.to_string();
            assert!(text.contains("ORT_DYLIB_PATH"), "{text}");
            assert!(text.contains("/nonexistent/libonnxruntime.so"), "{text}");
        }
        other => panic!("expected DylibMissing, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn wrong_library_file_is_a_load_error() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let fake = dir.path().join("libonnxruntime.so");
    std::fs::write(&fake, b"not a shared object")?;
    match environment(Some(&fake)) {
        Err(e @ InferenceError::DylibLoad { .. }) => {
            assert!(e.to_string().contains("ORT_DYLIB_PATH"), "{e}");
        }
        other => panic!("expected DylibLoad, got {:?}", other.map(|_| ())),
    }
    Ok(())
}
