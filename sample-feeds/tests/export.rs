//! The detector-training export: determinism, the motion-blur share, bad options.

use std::path::Path;

use sample_feeds::export::{export_frames, ExportOptions};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn export(dir: &Path, seed: u64, count: u64, motion_blur_fraction: f64) -> TestResult {
    let options = ExportOptions {
        motion_blur_fraction,
        ..ExportOptions::default()
    };
    let labels = export_frames(seed, count, dir, options, &mut |_, _| {})?;
    assert!(labels > 0, "no labels exported");
    Ok(())
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, std::io::Error> {
    std::fs::read(dir.join(name))
}

#[test]
fn export_is_deterministic_and_motion_blur_changes_the_frames() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let (a, b, blurred) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("blurred"),
    );
    export(&a, 5, 3, 0.0)?;
    export(&b, 5, 3, 0.0)?;
    export(&blurred, 5, 3, 1.0)?;
    assert_eq!(read(&a, "labels.csv")?, read(&b, "labels.csv")?);
    for i in 0..3 {
        let img = format!("images/{i:06}.jpg");
        assert_eq!(
            read(&a, &img)?,
            read(&b, &img)?,
            "{img} differs between runs"
        );
        // Every frame of a 100 % blurred export is a blend with an earlier video frame, and
        // the play has moved on by one video period: neither pixels nor boxes stay the same.
        assert_ne!(read(&a, &img)?, read(&blurred, &img)?, "{img} not blurred");
    }
    assert_ne!(read(&a, "labels.csv")?, read(&blurred, "labels.csv")?);
    Ok(())
}

#[test]
fn a_motion_blur_fraction_outside_0_to_1_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    for bad in [-0.1, 1.5, f64::NAN] {
        let options = ExportOptions {
            motion_blur_fraction: bad,
            ..ExportOptions::default()
        };
        let err = export_frames(1, 1, tmp.path(), options, &mut |_, _| {})
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("motion blur fraction"), "{bad}: {err:?}");
    }
    Ok(())
}
