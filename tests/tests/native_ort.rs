//! ONNX Runtime through `ort` (load-dynamic): the committed fixture model computes what we expect,
//! and bad models or inputs give typed errors.

use edge_node::inference::{InferenceError, OnnxModel};
use touchline_tests::repo_root;

#[test]
fn fixture_model_computes_affine_relu() -> anyhow::Result<()> {
    let path = repo_root().join("models/fixtures/affine_relu.onnx");
    let mut model = OnnxModel::open(&path, 1)?;
    assert_eq!(model.input_names(), vec!["x".to_string()]);
    assert_eq!(model.output_names(), vec!["y".to_string()]);
    let outputs = model.run_f32("x", &[1, 4], &[1.0, 2.0, 3.0, 4.0])?;
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].shape, vec![1, 3]);
    // relu([1,2,3,4] · W + b) computed by hand (W, b in models/tools/make_fixture_model.py).
    let expected = [7.25f32, 0.0, 4.0];
    for (got, want) in outputs[0].data.iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "got {got}, want {want}");
    }
    // A second run on the same session (outputs of the first are dropped) works too.
    let outputs = model.run_f32("x", &[1, 4], &[-1.0, 0.0, 0.0, 0.0])?;
    assert_eq!(outputs[0].data, vec![0.0, 0.0, 1.0]);
    Ok(())
}

#[test]
fn wrong_input_size_is_a_typed_error() -> anyhow::Result<()> {
    let path = repo_root().join("models/fixtures/affine_relu.onnx");
    let mut model = OnnxModel::open(&path, 1)?;
    let err = model.run_f32("x", &[1, 4], &[1.0; 3]);
    assert!(matches!(
        err,
        Err(InferenceError::InputSize {
            want: 4,
            got: 3,
            ..
        })
    ));
    Ok(())
}

#[test]
fn corrupt_model_file_names_the_file() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("garbage.onnx");
    std::fs::write(&path, b"this is not an onnx protobuf")?;
    match OnnxModel::open(&path, 1) {
        Err(err @ InferenceError::Model { .. }) => {
            assert!(err.to_string().contains("garbage.onnx"), "{err}");
        }
        other => panic!("expected a model error, got {other:?}"),
    }
    Ok(())
}
