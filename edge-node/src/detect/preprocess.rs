//! Frame → model input tensor with OpenCV (crop, resize/letterbox), and the inverse mapping of
//! boxes back to frame pixels.

use opencv::core::{Mat, Rect, Size};
use opencv::prelude::*;

use super::decode::BoxPx;
use super::manifest::{ColourOrder, InputSpec, Resize};

/// Why a frame could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PreprocessError {
    /// The pixel buffer does not match the stated size.
    #[error("frame buffer has {got} bytes, {width}x{height} BGR needs {want}")]
    BufferSize {
        width: u32,
        height: u32,
        want: usize,
        got: usize,
    },
    /// The crop lies outside the frame or is empty.
    #[error("crop {0:?} is empty or outside the frame")]
    BadCrop(CropPx),
    /// OpenCV failed.
    #[error("opencv: {0}")]
    OpenCv(#[from] opencv::Error),
}

/// A rectangle of the frame, in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CropPx {
    /// Left.
    pub x: u32,
    /// Top.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// A box this close (frame px) to a crop edge counts as touching it.
const CUT_MARGIN_PX: f32 = 2.0;

impl CropPx {
    /// Whether `b` (frame px) touches an edge of this crop that lies inside a
    /// `frame_w` × `frame_h` frame: an object cut by a tile border, whose box (and foot point)
    /// is only the part in the tile. Frame borders do not count (the whole frame has none inside).
    pub fn cuts(&self, b: &BoxPx, frame_w: u32, frame_h: u32) -> bool {
        let (x0, y0) = (self.x as f32, self.y as f32);
        let (x1, y1) = (x0 + self.width as f32, y0 + self.height as f32);
        (self.x > 0 && b.x1 <= x0 + CUT_MARGIN_PX)
            || (self.y > 0 && b.y1 <= y0 + CUT_MARGIN_PX)
            || (self.x + self.width < frame_w && b.x2 >= x1 - CUT_MARGIN_PX)
            || (self.y + self.height < frame_h && b.y2 >= y1 - CUT_MARGIN_PX)
    }
}

/// Maps model-input pixels back to frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputTransform {
    /// Model px per frame px, horizontally.
    pub scale_x: f32,
    /// Model px per frame px, vertically.
    pub scale_y: f32,
    /// Left padding in model px (letterbox).
    pub pad_x: f32,
    /// Top padding in model px (letterbox).
    pub pad_y: f32,
    /// Crop origin in frame px.
    pub origin_x: f32,
    /// Crop origin in frame px.
    pub origin_y: f32,
}

impl InputTransform {
    /// Model-input box → frame box.
    pub fn to_frame(&self, b: &BoxPx) -> BoxPx {
        BoxPx {
            x1: (b.x1 - self.pad_x) / self.scale_x + self.origin_x,
            y1: (b.y1 - self.pad_y) / self.scale_y + self.origin_y,
            x2: (b.x2 - self.pad_x) / self.scale_x + self.origin_x,
            y2: (b.y2 - self.pad_y) / self.scale_y + self.origin_y,
        }
    }
}

/// A tightly packed BGR frame borrowed from a decoder.
#[derive(Debug, Clone, Copy)]
pub struct BgrFrame<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes, row-major BGR.
    pub data: &'a [u8],
}

impl<'a> BgrFrame<'a> {
    /// Checks the buffer length.
    pub fn new(width: u32, height: u32, data: &'a [u8]) -> Result<Self, PreprocessError> {
        let want = width as usize * height as usize * 3;
        if data.len() != want || width == 0 || height == 0 {
            return Err(PreprocessError::BufferSize {
                width,
                height,
                want,
                got: data.len(),
            });
        }
        Ok(Self {
            width,
            height,
            data,
        })
    }

    /// The whole frame as a crop.
    pub fn full(&self) -> CropPx {
        CropPx {
            x: 0,
            y: 0,
            width: self.width,
            height: self.height,
        }
    }
}

/// Writes the crop of `frame`, fitted to the model input, into `tensor` (NCHW f32, resized to
/// `3 * H * W`). Returns the transform that maps model boxes back to frame pixels.
pub fn prepare(
    frame: &BgrFrame<'_>,
    crop: CropPx,
    spec: &InputSpec,
    tensor: &mut Vec<f32>,
) -> Result<InputTransform, PreprocessError> {
    if crop.width == 0
        || crop.height == 0
        || crop.x.saturating_add(crop.width) > frame.width
        || crop.y.saturating_add(crop.height) > frame.height
    {
        return Err(PreprocessError::BadCrop(crop));
    }
    let (in_w, in_h) = (spec.shape[3] as i32, spec.shape[2] as i32);
    let flat = Mat::from_slice(frame.data)?;
    let image = flat.reshape(3, frame.height as i32)?;
    let roi = Mat::roi(
        &image,
        Rect::new(
            crop.x as i32,
            crop.y as i32,
            crop.width as i32,
            crop.height as i32,
        ),
    )?;
    let (cw, ch) = (crop.width as f32, crop.height as f32);
    // The image is resized once with OpenCV and written straight into the tensor's planes at
    // (pad_x, pad_y); the letterbox bars are filled with the pad value's normalised form, so no
    // padded canvas is built or copied.
    let (transform, resized, (pad_x, pad_y)) = match spec.resize {
        Resize::Stretch => {
            let mut out = Mat::default();
            opencv::imgproc::resize(
                &roi,
                &mut out,
                Size::new(in_w, in_h),
                0.0,
                0.0,
                opencv::imgproc::INTER_LINEAR,
            )?;
            let t = InputTransform {
                scale_x: in_w as f32 / cw,
                scale_y: in_h as f32 / ch,
                pad_x: 0.0,
                pad_y: 0.0,
                origin_x: crop.x as f32,
                origin_y: crop.y as f32,
            };
            (t, out, (0, 0))
        }
        Resize::Letterbox => {
            let scale = (in_w as f32 / cw).min(in_h as f32 / ch);
            let nw = ((cw * scale).round() as i32).clamp(1, in_w);
            let nh = ((ch * scale).round() as i32).clamp(1, in_h);
            let mut resized = Mat::default();
            opencv::imgproc::resize(
                &roi,
                &mut resized,
                Size::new(nw, nh),
                0.0,
                0.0,
                opencv::imgproc::INTER_LINEAR,
            )?;
            let (px, py) = ((in_w - nw) / 2, (in_h - nh) / 2);
            let t = InputTransform {
                scale_x: scale,
                scale_y: scale,
                pad_x: px as f32,
                pad_y: py as f32,
                origin_x: crop.x as f32,
                origin_y: crop.y as f32,
            };
            (t, resized, (px as usize, py as usize))
        }
    };
    let resized = if resized.is_continuous() {
        resized
    } else {
        resized.try_clone()?
    };
    let bytes = resized.data_bytes()?;
    let (in_w, in_h) = (in_w as usize, in_h as usize);
    let (nw, nh) = (resized.cols() as usize, resized.rows() as usize);
    let plane = in_w * in_h;
    // Every element is written below (bars, then the image), so a reused tensor is not zeroed.
    tensor.resize(3 * plane, 0.0);
    // BGR source channel for each output channel.
    let order: [usize; 3] = match spec.colour {
        ColourOrder::Bgr => [0, 1, 2],
        ColourOrder::Rgb => [2, 1, 0],
    };
    // (value - mean) / std for every byte value, per output channel: the same f32 expression
    // per pixel as computing it in place, looked up instead.
    let lut: [[f32; 256]; 3] = std::array::from_fn(|c| {
        let (mean, inv_std) = (spec.mean[c], 1.0 / spec.std[c]);
        std::array::from_fn(|v| (v as f32 - mean) * inv_std)
    });
    let (p0, rest) = tensor.split_at_mut(plane);
    let (p1, p2) = rest.split_at_mut(plane);
    // Letterbox bars: the rows above and below the image, and each image row's left and right.
    let (top, bottom) = (pad_y * in_w, (pad_y + nh).min(in_h) * in_w);
    for (c, p) in [&mut *p0, &mut *p1, &mut *p2].into_iter().enumerate() {
        let pad = lut[c][usize::from(spec.pad_value)];
        p[..top].fill(pad);
        p[bottom..].fill(pad);
        for row in p[top..bottom].chunks_exact_mut(in_w) {
            row[..pad_x].fill(pad);
            row[(pad_x + nw).min(in_w)..].fill(pad);
        }
    }
    let [s0, s1, s2] = order;
    let [l0, l1, l2] = &lut;
    for (y, src) in bytes.chunks_exact(nw * 3).take(nh).enumerate() {
        let at = (pad_y + y) * in_w + pad_x;
        let rows = p0[at..at + nw]
            .iter_mut()
            .zip(&mut p1[at..at + nw])
            .zip(&mut p2[at..at + nw]);
        for (((d0, d1), d2), px) in rows.zip(src.chunks_exact(3)) {
            *d0 = l0[usize::from(px[s0])];
            *d1 = l1[usize::from(px[s1])];
            *d2 = l2[usize::from(px[s2])];
        }
    }
    Ok(transform)
}

/// Tiles covering the frame: `cols × rows` crops with `overlap` (fraction of tile size).
pub fn tiles(frame_w: u32, frame_h: u32, cols: u32, rows: u32, overlap: f32) -> Vec<CropPx> {
    let cols = cols.max(1);
    let rows = rows.max(1);
    let overlap = overlap.clamp(0.0, 0.49);
    // tile * (n - (n-1) * overlap) = frame
    let tw = (frame_w as f32 / (cols as f32 - (cols as f32 - 1.0) * overlap)).ceil() as u32;
    let th = (frame_h as f32 / (rows as f32 - (rows as f32 - 1.0) * overlap)).ceil() as u32;
    let (tw, th) = (tw.min(frame_w).max(1), th.min(frame_h).max(1));
    let step = |n: u32, tile: u32, frame: u32, i: u32| -> u32 {
        if n <= 1 {
            0
        } else {
            ((frame - tile) as u64 * i as u64 / (n - 1) as u64) as u32
        }
    };
    let mut out = Vec::with_capacity((cols * rows) as usize);
    for r in 0..rows {
        for c in 0..cols {
            out.push(CropPx {
                x: step(cols, tw, frame_w, c),
                y: step(rows, th, frame_h, r),
                width: tw,
                height: th,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(resize: Resize, colour: ColourOrder) -> InputSpec {
        InputSpec {
            name: "x".into(),
            shape: [1, 3, 4, 8],
            dtype: "f32".into(),
            colour,
            resize,
            mean: [0.0; 3],
            std: [1.0; 3],
            pad_value: 0,
        }
    }

    #[test]
    fn letterbox_pads_and_maps_back() -> Result<(), PreprocessError> {
        // 4x4 frame, all pixels B=10 G=20 R=30 → 8x4 input: scale 1, 2 px pad left and right.
        let data = [10u8, 20, 30].repeat(16);
        let frame = BgrFrame::new(4, 4, &data)?;
        let mut t = Vec::new();
        let tr = prepare(
            &frame,
            frame.full(),
            &spec(Resize::Letterbox, ColourOrder::Rgb),
            &mut t,
        )?;
        assert_eq!(t.len(), 3 * 32);
        assert_eq!((tr.scale_x, tr.pad_x, tr.pad_y), (1.0, 2.0, 0.0));
        // RGB order: channel 0 is red (30) inside the image, pad (0) outside.
        assert_eq!(t[0], 0.0);
        assert_eq!(t[2], 30.0);
        assert_eq!(t[32 + 2], 20.0);
        assert_eq!(t[64 + 2], 10.0);
        let back = tr.to_frame(&BoxPx {
            x1: 2.0,
            y1: 0.0,
            x2: 6.0,
            y2: 4.0,
        });
        assert_eq!(
            back,
            BoxPx {
                x1: 0.0,
                y1: 0.0,
                x2: 4.0,
                y2: 4.0
            }
        );
        Ok(())
    }

    #[test]
    fn crop_offsets_are_applied() -> Result<(), PreprocessError> {
        let data = vec![0u8; 16 * 8 * 3];
        let frame = BgrFrame::new(16, 8, &data)?;
        let crop = CropPx {
            x: 8,
            y: 4,
            width: 8,
            height: 4,
        };
        let mut t = Vec::new();
        let tr = prepare(
            &frame,
            crop,
            &spec(Resize::Stretch, ColourOrder::Bgr),
            &mut t,
        )?;
        let back = tr.to_frame(&BoxPx {
            x1: 0.0,
            y1: 0.0,
            x2: 8.0,
            y2: 4.0,
        });
        assert_eq!(
            back,
            BoxPx {
                x1: 8.0,
                y1: 4.0,
                x2: 16.0,
                y2: 8.0
            }
        );
        let outside = CropPx {
            x: 12,
            y: 0,
            width: 8,
            height: 4,
        };
        assert!(matches!(
            prepare(
                &frame,
                outside,
                &spec(Resize::Stretch, ColourOrder::Bgr),
                &mut t
            ),
            Err(PreprocessError::BadCrop(_))
        ));
        Ok(())
    }

    /// The straightforward form `prepare` replaced: resize, copy onto a padded canvas, then
    /// `(value - mean) / std` per pixel and channel.
    fn reference(
        frame: &BgrFrame<'_>,
        crop: CropPx,
        spec: &InputSpec,
    ) -> Result<Vec<f32>, PreprocessError> {
        use opencv::core::{Scalar, CV_8UC3};
        let (in_w, in_h) = (spec.shape[3] as i32, spec.shape[2] as i32);
        let flat = Mat::from_slice(frame.data)?;
        let image = flat.reshape(3, frame.height as i32)?;
        let r = Rect::new(
            crop.x as i32,
            crop.y as i32,
            crop.width as i32,
            crop.height as i32,
        );
        let roi = Mat::roi(&image, r)?;
        let (cw, ch) = (crop.width as f32, crop.height as f32);
        let scale = (in_w as f32 / cw).min(in_h as f32 / ch);
        let (nw, nh, px, py) = match spec.resize {
            Resize::Stretch => (in_w, in_h, 0, 0),
            Resize::Letterbox => {
                let nw = ((cw * scale).round() as i32).clamp(1, in_w);
                let nh = ((ch * scale).round() as i32).clamp(1, in_h);
                (nw, nh, (in_w - nw) / 2, (in_h - nh) / 2)
            }
        };
        let mut resized = Mat::default();
        let size = Size::new(nw, nh);
        opencv::imgproc::resize(&roi, &mut resized, size, 0.0, 0.0, 1)?;
        let pad = f64::from(spec.pad_value);
        let mut canvas =
            Mat::new_rows_cols_with_default(in_h, in_w, CV_8UC3, Scalar::new(pad, pad, pad, 0.0))?;
        resized.copy_to(&mut Mat::roi_mut(&mut canvas, Rect::new(px, py, nw, nh))?)?;
        let bytes = canvas.data_bytes()?;
        let plane = (in_w * in_h) as usize;
        let order = match spec.colour {
            ColourOrder::Bgr => [0, 1, 2],
            ColourOrder::Rgb => [2, 1, 0],
        };
        let mut out = vec![0.0; 3 * plane];
        for (c, &src) in order.iter().enumerate() {
            let inv_std = 1.0 / spec.std[c];
            for i in 0..plane {
                out[c * plane + i] = (f32::from(bytes[i * 3 + src]) - spec.mean[c]) * inv_std;
            }
        }
        Ok(out)
    }

    #[test]
    fn tensor_matches_the_reference_form_bit_for_bit() -> Result<(), PreprocessError> {
        // Odd sizes (letterbox bars on either axis, rounding), crops, both colour orders and
        // resize modes, a non-trivial mean/std and pad value.
        let (w, h) = (37u32, 23u32);
        let data: Vec<u8> = (0..w * h * 3).map(|i| (i * 7919 % 251) as u8).collect();
        let frame = BgrFrame::new(w, h, &data)?;
        let crops = [
            frame.full(),
            CropPx {
                x: 5,
                y: 3,
                width: 20,
                height: 19,
            },
            CropPx {
                x: 30,
                y: 0,
                width: 7,
                height: 23,
            },
        ];
        let mut tensor = vec![f32::NAN; 4];
        for shape in [[1, 3, 16, 24], [1, 3, 24, 16], [1, 3, 23, 37]] {
            for resize in [Resize::Letterbox, Resize::Stretch] {
                for colour in [ColourOrder::Bgr, ColourOrder::Rgb] {
                    let mut s = spec(resize, colour);
                    s.shape = shape;
                    s.mean = [123.675, 116.28, 103.53];
                    s.std = [58.395, 57.12, 57.375];
                    s.pad_value = 114;
                    for crop in crops {
                        prepare(&frame, crop, &s, &mut tensor)?;
                        let want = reference(&frame, crop, &s)?;
                        assert_eq!(tensor.len(), want.len());
                        let same = tensor
                            .iter()
                            .zip(&want)
                            .all(|(a, b)| a.to_bits() == b.to_bits());
                        assert!(same, "{shape:?} {resize:?} {colour:?} {crop:?}");
                    }
                }
            }
        }
        Ok(())
    }

    #[test]
    fn wrong_buffer_size_is_an_error() {
        assert!(BgrFrame::new(4, 4, &[0u8; 10]).is_err());
    }

    #[test]
    fn tiles_cover_the_frame_with_overlap() {
        let t = tiles(3072, 1728, 3, 2, 0.2);
        assert_eq!(t.len(), 6);
        let last = t[5];
        assert_eq!(last.x + last.width, 3072);
        assert_eq!(last.y + last.height, 1728);
        assert_eq!((t[0].x, t[0].y), (0, 0));
        // Neighbours overlap.
        assert!(t[1].x < t[0].x + t[0].width);
    }

    #[test]
    fn only_inner_tile_edges_cut_a_box() {
        let b = |x1, y1, x2, y2| BoxPx { x1, y1, x2, y2 };
        // The top-left of four tiles over 1280x720: its right and bottom edges are inside.
        let t = tiles(1280, 720, 2, 2, 0.2)[0];
        assert_eq!((t.x, t.y, t.width, t.height), (0, 0, 712, 400));
        assert!(!t.cuts(&b(100.0, 100.0, 120.0, 140.0), 1280, 720));
        // On the frame's own left and top borders: whole as far as the frame goes.
        assert!(!t.cuts(&b(0.0, 0.0, 20.0, 40.0), 1280, 720));
        assert!(t.cuts(&b(690.0, 100.0, 711.0, 140.0), 1280, 720));
        assert!(t.cuts(&b(300.0, 370.0, 320.0, 399.5), 1280, 720));
        assert!(!t.cuts(&b(300.0, 350.0, 320.0, 390.0), 1280, 720));
        // The bottom-right tile: its left and top edges are inside.
        let t = tiles(1280, 720, 2, 2, 0.2)[3];
        assert!(t.cuts(&b(t.x as f32, 500.0, t.x as f32 + 20.0, 540.0), 1280, 720));
        assert!(t.cuts(&b(900.0, t.y as f32 + 1.0, 920.0, 400.0), 1280, 720));
        assert!(!t.cuts(&b(1260.0, 680.0, 1280.0, 720.0), 1280, 720));
        // The whole frame cuts nothing.
        let full = CropPx {
            x: 0,
            y: 0,
            width: 1280,
            height: 720,
        };
        assert!(!full.cuts(&b(0.0, 0.0, 1280.0, 720.0), 1280, 720));
    }
}
