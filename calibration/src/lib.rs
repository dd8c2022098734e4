//! Calibration: camera model, homography, pitch model.
