//! Output decoders: model tensors → candidate boxes in model-input pixels. Pure functions.

use super::manifest::OutputLayout;
use crate::inference::OutputF32;

/// An axis-aligned box in pixels (`x1 ≤ x2`, `y1 ≤ y2`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxPx {
    /// Left.
    pub x1: f32,
    /// Top.
    pub y1: f32,
    /// Right.
    pub x2: f32,
    /// Bottom.
    pub y2: f32,
}

impl BoxPx {
    /// Box from centre and size.
    pub fn from_cxcywh(cx: f32, cy: f32, w: f32, h: f32) -> Self {
        Self {
            x1: cx - w / 2.0,
            y1: cy - h / 2.0,
            x2: cx + w / 2.0,
            y2: cy + h / 2.0,
        }
    }

    /// Width.
    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }

    /// Height.
    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }

    /// Area.
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }

    /// Area of the overlap with `other` (0 when disjoint).
    pub fn intersection_area(&self, other: &Self) -> f32 {
        let ix = (self.x2.min(other.x2) - self.x1.max(other.x1)).max(0.0);
        let iy = (self.y2.min(other.y2) - self.y1.max(other.y1)).max(0.0);
        ix * iy
    }

    /// Intersection over union.
    pub fn iou(&self, other: &Self) -> f32 {
        let inter = self.intersection_area(other);
        let union = self.area() + other.area() - inter;
        if union <= 0.0 {
            0.0
        } else {
            inter / union
        }
    }

    /// Centre (x, y).
    pub fn centre(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }

    /// Bottom-centre point (where a standing person touches the ground).
    pub fn foot_px(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, self.y2)
    }

    /// True when every coordinate is finite and the box is not inverted.
    pub fn is_valid(&self) -> bool {
        [self.x1, self.y1, self.x2, self.y2]
            .iter()
            .all(|v| v.is_finite())
            && self.x2 >= self.x1
            && self.y2 >= self.y1
    }
}

/// A decoded candidate before class mapping and NMS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawDetection {
    /// Box in model-input pixels.
    pub box_px: BoxPx,
    /// Confidence in 0..1.
    pub score: f32,
    /// Model class id.
    pub class_id: usize,
}

/// Why an output could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// The model produced tensors that do not fit the manifest's layout.
    #[error("output does not match layout {layout}: {message}")]
    Shape {
        layout: &'static str,
        message: String,
    },
}

fn shape_err(layout: &'static str, message: impl Into<String>) -> DecodeError {
    DecodeError::Shape {
        layout,
        message: message.into(),
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Decodes model outputs into candidates with score ≥ `min_score`.
///
/// `input_w`/`input_h` are the model input size in pixels; `num_classes` the manifest's class count.
pub fn decode(
    layout: &OutputLayout,
    outputs: &[OutputF32],
    input_w: u32,
    input_h: u32,
    num_classes: usize,
    min_score: f32,
) -> Result<Vec<RawDetection>, DecodeError> {
    let mut out = Vec::new();
    match layout {
        OutputLayout::Fastestdet => {
            fastestdet(outputs, input_w, input_h, num_classes, min_score, &mut out)?
        }
        OutputLayout::NanodetGfl { strides, reg_max } => nanodet_gfl(
            outputs,
            input_w,
            input_h,
            num_classes,
            strides,
            *reg_max as usize,
            min_score,
            &mut out,
        )?,
        OutputLayout::Yolov8 => yolov8(outputs, num_classes, min_score, &mut out)?,
        OutputLayout::Yolox { strides, decoded } => yolox(
            outputs,
            input_w,
            input_h,
            num_classes,
            strides,
            *decoded,
            min_score,
            &mut out,
        )?,
        OutputLayout::BoxesXyxyScoreClass => boxes_xyxy(outputs, num_classes, min_score, &mut out)?,
    }
    out.retain(|d| d.box_px.is_valid() && d.score.is_finite());
    Ok(out)
}

fn single<'a>(
    layout: &'static str,
    outputs: &'a [OutputF32],
) -> Result<&'a OutputF32, DecodeError> {
    match outputs {
        [one] => Ok(one),
        _ => Err(shape_err(
            layout,
            format!("expected one output tensor, got {}", outputs.len()),
        )),
    }
}

fn fastestdet(
    outputs: &[OutputF32],
    input_w: u32,
    input_h: u32,
    num_classes: usize,
    min_score: f32,
    out: &mut Vec<RawDetection>,
) -> Result<(), DecodeError> {
    const L: &str = "fastestdet";
    let t = single(L, outputs)?;
    let [1, ch, h, w] = t.shape[..] else {
        return Err(shape_err(
            L,
            format!("expected [1, 5+C, H, W], got {:?}", t.shape),
        ));
    };
    let (ch, h, w) = (ch as usize, h as usize, w as usize);
    if ch != 5 + num_classes || t.data.len() != ch * h * w || h == 0 || w == 0 {
        return Err(shape_err(
            L,
            format!("shape {:?} does not fit {num_classes} classes", t.shape),
        ));
    }
    let plane = h * w;
    let at = |c: usize, i: usize| t.data[c * plane + i];
    for row in 0..h {
        for col in 0..w {
            let i = row * w + col;
            let obj = at(0, i);
            let (mut best, mut best_c) = (0.0f32, 0usize);
            for c in 0..num_classes {
                let s = at(5 + c, i);
                if s > best {
                    best = s;
                    best_c = c;
                }
            }
            let score = obj.max(0.0).powf(0.6) * best.max(0.0).powf(0.4);
            if score < min_score {
                continue;
            }
            let cx = (col as f32 + at(1, i).tanh()) / w as f32;
            let cy = (row as f32 + at(2, i).tanh()) / h as f32;
            let bw = sigmoid(at(3, i));
            let bh = sigmoid(at(4, i));
            out.push(RawDetection {
                box_px: BoxPx::from_cxcywh(
                    cx * input_w as f32,
                    cy * input_h as f32,
                    bw * input_w as f32,
                    bh * input_h as f32,
                ),
                score,
                class_id: best_c,
            });
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn nanodet_gfl(
    outputs: &[OutputF32],
    input_w: u32,
    input_h: u32,
    num_classes: usize,
    strides: &[u32],
    reg_max: usize,
    min_score: f32,
    out: &mut Vec<RawDetection>,
) -> Result<(), DecodeError> {
    const L: &str = "nanodet-gfl";
    let bins = reg_max + 1;
    for &stride in strides {
        let fw = input_w.div_ceil(stride) as usize;
        let fh = input_h.div_ceil(stride) as usize;
        let n = fw * fh;
        // Bind by shape: [1, n, C] is the class map, [1, n, 4·bins] the box map.
        let find = |last: usize| {
            outputs.iter().find(|o| {
                o.shape.len() == 3
                    && o.shape[0] == 1
                    && o.shape[1] as usize == n
                    && o.shape[2] as usize == last
                    && o.data.len() == n * last
            })
        };
        let cls = find(num_classes).ok_or_else(|| {
            shape_err(
                L,
                format!("no class map [1, {n}, {num_classes}] for stride {stride}"),
            )
        })?;
        let reg = find(4 * bins).ok_or_else(|| {
            shape_err(
                L,
                format!("no box map [1, {n}, {}] for stride {stride}", 4 * bins),
            )
        })?;
        let s = stride as f32;
        for i in 0..n {
            let scores = &cls.data[i * num_classes..(i + 1) * num_classes];
            let (mut best, mut best_c) = (f32::MIN, 0usize);
            for (c, &v) in scores.iter().enumerate() {
                if v > best {
                    best = v;
                    best_c = c;
                }
            }
            if best < min_score {
                continue;
            }
            let (row, col) = (i / fw, i % fw);
            let cx = col as f32 * s + 0.5 * (s - 1.0);
            let cy = row as f32 * s + 0.5 * (s - 1.0);
            let dist = &reg.data[i * 4 * bins..(i + 1) * 4 * bins];
            let mut side = [0.0f32; 4];
            for (k, d) in side.iter_mut().enumerate() {
                let logits = &dist[k * bins..(k + 1) * bins];
                let max = logits.iter().copied().fold(f32::MIN, f32::max);
                let mut sum = 0.0;
                let mut expect = 0.0;
                for (b, &l) in logits.iter().enumerate() {
                    let e = (l - max).exp();
                    sum += e;
                    expect += e * b as f32;
                }
                *d = if sum > 0.0 { expect / sum * s } else { 0.0 };
            }
            out.push(RawDetection {
                box_px: BoxPx {
                    x1: (cx - side[0]).max(0.0),
                    y1: (cy - side[1]).max(0.0),
                    x2: (cx + side[2]).min(input_w as f32),
                    y2: (cy + side[3]).min(input_h as f32),
                },
                score: best,
                class_id: best_c,
            });
        }
    }
    Ok(())
}

fn yolov8(
    outputs: &[OutputF32],
    num_classes: usize,
    min_score: f32,
    out: &mut Vec<RawDetection>,
) -> Result<(), DecodeError> {
    const L: &str = "yolov8";
    let t = single(L, outputs)?;
    let [1, a, b] = t.shape[..] else {
        return Err(shape_err(
            L,
            format!("expected [1, 4+C, N], got {:?}", t.shape),
        ));
    };
    let (a, b) = (a as usize, b as usize);
    let ch = 4 + num_classes;
    // [1, 4+C, N] (channels first, the default export) or [1, N, 4+C] (transposed).
    let (n, get): (usize, Box<dyn Fn(usize, usize) -> f32 + '_>) = if a == ch {
        (b, Box::new(move |i, c| t.data[c * b + i]))
    } else if b == ch {
        (a, Box::new(move |i, c| t.data[i * ch + c]))
    } else {
        return Err(shape_err(
            L,
            format!("shape {:?} does not fit {num_classes} classes", t.shape),
        ));
    };
    if t.data.len() != n * ch {
        return Err(shape_err(L, "data length does not match shape"));
    }
    for i in 0..n {
        let (mut best, mut best_c) = (f32::MIN, 0usize);
        for c in 0..num_classes {
            let s = get(i, 4 + c);
            if s > best {
                best = s;
                best_c = c;
            }
        }
        if best < min_score {
            continue;
        }
        out.push(RawDetection {
            box_px: BoxPx::from_cxcywh(get(i, 0), get(i, 1), get(i, 2), get(i, 3)),
            score: best,
            class_id: best_c,
        });
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn yolox(
    outputs: &[OutputF32],
    input_w: u32,
    input_h: u32,
    num_classes: usize,
    strides: &[u32],
    decoded: bool,
    min_score: f32,
    out: &mut Vec<RawDetection>,
) -> Result<(), DecodeError> {
    const L: &str = "yolox";
    let t = single(L, outputs)?;
    let ch = 5 + num_classes;
    let [1, n, c] = t.shape[..] else {
        return Err(shape_err(
            L,
            format!("expected [1, N, 5+C], got {:?}", t.shape),
        ));
    };
    let n = n as usize;
    if c as usize != ch || t.data.len() != n * ch {
        return Err(shape_err(
            L,
            format!("shape {:?} does not fit {num_classes} classes", t.shape),
        ));
    }
    // Grid cells in output order: stride by stride, row-major.
    let mut grid = Vec::with_capacity(n);
    if !decoded {
        for &s in strides {
            let (gw, gh) = (input_w / s, input_h / s);
            for row in 0..gh {
                for col in 0..gw {
                    grid.push((col as f32, row as f32, s as f32));
                }
            }
        }
        if grid.len() != n {
            return Err(shape_err(
                L,
                format!(
                    "{n} rows but the strides {strides:?} give {} cells",
                    grid.len()
                ),
            ));
        }
    }
    for (i, row) in t.data.chunks_exact(ch).enumerate() {
        let obj = row[4];
        let (mut best, mut best_c) = (f32::MIN, 0usize);
        for (k, &v) in row[5..].iter().enumerate() {
            if v > best {
                best = v;
                best_c = k;
            }
        }
        let score = obj * best;
        if score < min_score {
            continue;
        }
        let (cx, cy, w, h) = if decoded {
            (row[0], row[1], row[2], row[3])
        } else {
            let Some(&(gx, gy, s)) = grid.get(i) else {
                break;
            };
            (
                (row[0] + gx) * s,
                (row[1] + gy) * s,
                row[2].min(20.0).exp() * s,
                row[3].min(20.0).exp() * s,
            )
        };
        out.push(RawDetection {
            box_px: BoxPx::from_cxcywh(cx, cy, w, h),
            score,
            class_id: best_c,
        });
    }
    Ok(())
}

fn boxes_xyxy(
    outputs: &[OutputF32],
    num_classes: usize,
    min_score: f32,
    out: &mut Vec<RawDetection>,
) -> Result<(), DecodeError> {
    const L: &str = "boxes-xyxy-score-class";
    let t = single(L, outputs)?;
    let [1, k, 6] = t.shape[..] else {
        return Err(shape_err(
            L,
            format!("expected [1, K, 6], got {:?}", t.shape),
        ));
    };
    if t.data.len() != k as usize * 6 {
        return Err(shape_err(L, "data length does not match shape"));
    }
    for row in t.data.chunks_exact(6) {
        let (score, class) = (row[4], row[5]);
        if score <= 0.0 || score < min_score || !class.is_finite() || class < 0.0 {
            continue;
        }
        let class_id = class.round() as usize;
        if class_id >= num_classes {
            continue;
        }
        out.push(RawDetection {
            box_px: BoxPx {
                x1: row[0],
                y1: row[1],
                x2: row[2],
                y2: row[3],
            },
            score,
            class_id,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(shape: &[i64], data: Vec<f32>) -> OutputF32 {
        OutputF32 {
            name: "out".into(),
            shape: shape.to_vec(),
            data,
        }
    }

    #[test]
    fn yolov8_channels_first_and_transposed_agree() -> Result<(), DecodeError> {
        // Two anchors, two classes: anchor 1 is class 1 with 0.9.
        let cf = vec![
            10.0, 50.0, // cx
            10.0, 60.0, // cy
            4.0, 20.0, // w
            4.0, 40.0, // h
            0.1, 0.05, // class 0
            0.2, 0.9, // class 1
        ];
        let a = decode(
            &OutputLayout::Yolov8,
            &[tensor(&[1, 6, 2], cf.clone())],
            64,
            64,
            2,
            0.5,
        )?;
        let mut tr = vec![0.0; 12];
        for i in 0..2 {
            for c in 0..6 {
                tr[i * 6 + c] = cf[c * 2 + i];
            }
        }
        let b = decode(
            &OutputLayout::Yolov8,
            &[tensor(&[1, 2, 6], tr)],
            64,
            64,
            2,
            0.5,
        )?;
        assert_eq!(a, b);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].class_id, 1);
        assert_eq!(
            a[0].box_px,
            BoxPx {
                x1: 40.0,
                y1: 40.0,
                x2: 60.0,
                y2: 80.0
            }
        );
        Ok(())
    }

    #[test]
    fn yolox_decodes_grid_offsets() -> Result<(), DecodeError> {
        // Input 16x16, stride 8 → 2x2 grid = 4 rows; one class.
        let mut data = vec![0.0; 4 * 6];
        // Row 3 = cell (col 1, row 1): offsets 0.5, 0.5, log size 0 → 8x8 box centred at (12,12).
        data[3 * 6..4 * 6].copy_from_slice(&[0.5, 0.5, 0.0, 0.0, 0.9, 0.8]);
        let layout = OutputLayout::Yolox {
            strides: vec![8],
            decoded: false,
        };
        let d = decode(&layout, &[tensor(&[1, 4, 6], data)], 16, 16, 1, 0.5)?;
        assert_eq!(d.len(), 1);
        assert!((d[0].score - 0.72).abs() < 1e-6);
        assert_eq!(
            d[0].box_px,
            BoxPx {
                x1: 8.0,
                y1: 8.0,
                x2: 16.0,
                y2: 16.0
            }
        );
        Ok(())
    }

    #[test]
    fn fastestdet_cell_geometry() -> Result<(), DecodeError> {
        // 2x2 grid, 1 class; cell (row 0, col 1) fires with tx = ty = 0 → centre (1/2, 0/2).
        let (h, w) = (2, 2);
        let mut data = vec![0.0; 6 * h * w];
        let i = 1;
        data[i] = 1.0; // obj
        data[5 * 4 + i] = 1.0; // class 0
        let d = decode(
            &OutputLayout::Fastestdet,
            &[tensor(&[1, 6, 2, 2], data)],
            100,
            100,
            1,
            0.5,
        )?;
        assert_eq!(d.len(), 1);
        let b = d[0].box_px;
        // w = h = sigmoid(0) · 100 = 50, centre (50, 0).
        assert_eq!(b, BoxPx::from_cxcywh(50.0, 0.0, 50.0, 50.0));
        Ok(())
    }

    #[test]
    fn nanodet_binds_by_shape_and_takes_distribution_mean() -> Result<(), DecodeError> {
        // 16x16 input, one stride 8 → 4 cells; 1 class; reg_max 1 → 2 bins.
        let cls = tensor(&[1, 4, 1], vec![0.0, 0.0, 0.0, 0.8]);
        // All sides: logits equal → expectation 0.5 bins → 4 px at stride 8.
        let reg = tensor(&[1, 4, 8], vec![0.0; 32]);
        let layout = OutputLayout::NanodetGfl {
            strides: vec![8],
            reg_max: 1,
        };
        // Output order must not matter.
        let d = decode(&layout, &[reg, cls], 16, 16, 1, 0.5)?;
        assert_eq!(d.len(), 1);
        let c = 8.0 + 3.5;
        assert_eq!(
            d[0].box_px,
            BoxPx {
                x1: c - 4.0,
                y1: c - 4.0,
                x2: c + 4.0,
                y2: c + 4.0
            }
        );
        Ok(())
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        let junk = tensor(&[1, 7], vec![0.0; 7]);
        for layout in [
            OutputLayout::Fastestdet,
            OutputLayout::Yolov8,
            OutputLayout::Yolox {
                strides: vec![8],
                decoded: false,
            },
            OutputLayout::NanodetGfl {
                strides: vec![8],
                reg_max: 7,
            },
            OutputLayout::BoxesXyxyScoreClass,
        ] {
            assert!(decode(&layout, std::slice::from_ref(&junk), 64, 64, 2, 0.1).is_err());
        }
        // Length lies about shape.
        let liar = tensor(&[1, 6, 100], vec![0.0; 6]);
        assert!(decode(&OutputLayout::Yolov8, &[liar], 64, 64, 2, 0.1).is_err());
    }

    #[test]
    fn iou_basics() {
        let a = BoxPx {
            x1: 0.0,
            y1: 0.0,
            x2: 10.0,
            y2: 10.0,
        };
        let b = BoxPx {
            x1: 5.0,
            y1: 0.0,
            x2: 15.0,
            y2: 10.0,
        };
        assert!((a.iou(&b) - 50.0 / 150.0).abs() < 1e-6);
        assert_eq!(
            a.iou(&BoxPx {
                x1: 20.0,
                y1: 20.0,
                x2: 30.0,
                y2: 30.0
            }),
            0.0
        );
    }
}
