//! Calibration on real data (SoccerTrack pixel↔pitch, ../shared/realdata/pixel-pitch): a homography
//! solved from the 65 annotated pitch keypoints maps the players' box foot points onto their
//! metre positions. Skips when ../shared/realdata is absent.

use std::collections::BTreeMap;

use calibration::homography::Homography;
use nalgebra::Point2;
use touchline_tests::realdata_dir;

/// Reads a SoccerTrack multi-header CSV: rows TeamID / PlayerID / Attributes, then "frame", then
/// data rows. Returns per frame: (team, player) → attribute values in column order.
/// One frame: (team id, player id) → attribute values.
type FrameObjects = BTreeMap<(String, String), Vec<f64>>;

fn read_multiheader(text: &str) -> anyhow::Result<Vec<FrameObjects>> {
    let mut lines = text.lines();
    let mut header = |label: &str| -> anyhow::Result<Vec<String>> {
        let line = lines
            .next()
            .ok_or_else(|| anyhow::anyhow!("missing {label} row"))?;
        let cells: Vec<String> = line.split(',').map(str::to_string).collect();
        anyhow::ensure!(
            cells.first().map(String::as_str) == Some(label),
            "expected {label} row"
        );
        Ok(cells)
    };
    let teams = header("TeamID")?;
    let players = header("PlayerID")?;
    let _attributes = header("Attributes")?;
    let _frame = lines.next();
    let mut frames = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let mut objects = FrameObjects::new();
        for (col, cell) in cells.iter().enumerate().skip(1) {
            let (Some(t), Some(p)) = (teams.get(col), players.get(col)) else {
                continue;
            };
            let v = cell.trim().parse::<f64>().unwrap_or(f64::NAN);
            objects.entry((t.clone(), p.clone())).or_default().push(v);
        }
        frames.push(objects);
    }
    Ok(frames)
}

#[test]
fn foot_points_land_on_metre_positions() -> anyhow::Result<()> {
    let Some(realdata) = realdata_dir() else {
        eprintln!("skipping: ../shared/realdata not found");
        return Ok(());
    };
    let dir = realdata.join("pixel-pitch");
    // Keypoints: {"(x_m, y_m)": [u_px, v_px]} with the origin at a pitch corner; shift to centre.
    let keypoints: BTreeMap<String, [f64; 2]> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("soccer_keypoints.json"))?)?;
    let (mut image_px, mut pitch_m) = (Vec::new(), Vec::new());
    for (key, px) in &keypoints {
        let inner = key.trim_matches(|c| c == '(' || c == ')');
        let mut it = inner.split(',').map(|s| s.trim().parse::<f64>());
        let (Some(Ok(x)), Some(Ok(y))) = (it.next(), it.next()) else {
            anyhow::bail!("bad keypoint key {key:?}");
        };
        image_px.push(Point2::new(px[0], px[1]));
        pitch_m.push(Point2::new(x - 52.5, y - 34.0));
    }
    assert!(image_px.len() >= 60, "{} keypoints", image_px.len());
    let (h, fit) = Homography::solve(&image_px, &pitch_m)?;
    eprintln!(
        "keypoint fit: rms {:.2} px, max {:.2} px",
        fit.rms_reprojection_px, fit.max_reprojection_px
    );

    let boxes = read_multiheader(&std::fs::read_to_string(dir.join("sample_bbdf.csv"))?)?;
    let metres = read_multiheader(&std::fs::read_to_string(dir.join("sample_codf.csv"))?)?;
    let mut errors = Vec::new();
    for (b_frame, m_frame) in boxes.iter().zip(&metres) {
        for (id, b) in b_frame {
            // Ball (team 3) boxes are not on the ground: skip; players only.
            if id.0 == "3" {
                continue;
            }
            let (Some(m), [left, top, width, height, ..]) = (m_frame.get(id), b.as_slice()) else {
                continue;
            };
            let (Some(&mx), Some(&my)) = (m.first(), m.get(1)) else {
                continue;
            };
            if ![*left, *top, *width, *height, mx, my]
                .iter()
                .all(|v| v.is_finite())
            {
                continue;
            }
            let foot = Point2::new(left + width / 2.0, top + height);
            let on_pitch = h.pitch_from_image(&foot)?;
            errors.push((on_pitch - Point2::new(mx - 52.5, my - 34.0)).norm());
        }
    }
    assert!(errors.len() > 10_000, "only {} foot points", errors.len());
    errors.sort_by(f64::total_cmp);
    let median = errors[errors.len() / 2];
    let p90 = errors[errors.len() * 9 / 10];
    eprintln!(
        "{} foot points: median {median:.6} m, p90 {p90:.6} m, max {:.6} m",
        errors.len(),
        errors[errors.len() - 1]
    );
    assert!(
        median <= 0.5,
        "median foot-point error {median:.3} m > 0.5 m"
    );
    Ok(())
}
