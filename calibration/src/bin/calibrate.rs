//! `calibrate`: solve a camera calibration from landmark correspondences and print the
//! reprojection error. With `--write`, saves `calibration/venues/<venue>/<camera>.toml`
//! (requires known intrinsics in the landmarks file).

use std::path::PathBuf;

use anyhow::{bail, Context};
use calibration::file::venue_file;
use calibration::landmarks::LandmarksFile;
use calibration::{CalibrationFile, Pitch};
use clap::Parser;
use nalgebra::Point2;

#[derive(Debug, Parser)]
#[command(about = "Solve a camera calibration from landmark correspondences")]
struct Args {
    /// Landmarks TOML file (see `calibration::landmarks` docs).
    landmarks: PathBuf,
    /// Write the solved calibration file under the venues root.
    #[arg(long)]
    write: bool,
    /// Root of the venue calibration tree.
    #[arg(long, default_value = "calibration/venues")]
    venues_root: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let file = LandmarksFile::load(&args.landmarks)?;
    let solution = file.solve(&args.landmarks)?;
    println!(
        "{} landmarks, {}x{} image, venue {:?} camera {:?}",
        file.landmarks.len(),
        file.image.width,
        file.image.height,
        file.venue,
        file.camera
    );
    println!();
    println!(
        "{:<28} {:>10} {:>10} {:>12}",
        "landmark", "x_px", "y_px", "homog_err_px"
    );
    for (i, l) in file.landmarks.iter().enumerate() {
        let back = solution
            .homography
            .image_from_pitch(&Point2::new(l.pitch_m[0], l.pitch_m[1]))?;
        let err = (back - Point2::new(l.image_px[0], l.image_px[1])).norm();
        let name = l.name.clone().unwrap_or_else(|| format!("#{i}"));
        println!(
            "{name:<28} {:>10.1} {:>10.1} {err:>12.3}",
            l.image_px[0], l.image_px[1]
        );
    }
    println!();
    println!(
        "homography: rms {:.3} px, max {:.3} px",
        solution.homography_fit.rms_reprojection_px, solution.homography_fit.max_reprojection_px
    );
    match &solution.camera {
        Some((camera, rms)) => {
            let c = camera.pose.position;
            println!(
                "camera pose (solvePnP): rms {rms:.3} px, centre at ({:.2}, {:.2}, {:.2}) m",
                c.x, c.y, c.z
            );
            if args.write {
                let out = venue_file(&args.venues_root, &file.venue, &file.camera);
                if let Some(dir) = out.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                CalibrationFile::new(&file.venue, &file.camera, camera, Pitch::default())
                    .save(&out)?;
                println!("wrote {}", out.display());
            }
        }
        None if args.write => {
            bail!(
                "--write needs [intrinsics] in {}: a calibration file holds a full camera",
                args.landmarks.display()
            )
        }
        None => println!("camera pose: not solved (no [intrinsics] given)"),
    }
    Ok(())
}
