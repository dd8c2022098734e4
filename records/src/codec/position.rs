//! Positional codec: keyframes plus velocity-predicted delta frames, exp-Golomb coded with a per-frame
//! optimal order for each group of residuals.
//!
//! The encoder and decoder are a pure stateful pair. A keyframe carries everything (time, frame interval,
//! objects, metadata, positions and velocities) so a decoder can start at any keyframe; a delta frame
//! carries, per object present in the previous frame, the residual between its quantised position and a
//! prediction, plus object churn and metadata changes. For the x/y residuals of players and of the ball the
//! encoder picks, per frame, the predictor that codes smallest (2 bits): constant velocity
//! `p[t-1] + v1`, no motion `p[t-1]`, mean velocity `p[t-1] + (v1 + v2) / 2`, or the velocity before last
//! `p[t-1] + v2` (which is exact for sources that repeat every other frame), where
//! `v1 = p[t-1] - p[t-2]` and `v2 = p[t-2] - p[t-3]`. Heights always use constant velocity.
//! The byte layout is documented in `records/README.md`.

use crate::codec::bits::{exp_golomb_len, zigzag, BitReader, BitWriter, MAX_EG_K};
use crate::error::CodecError;
use crate::ids::{LatencyStamps, PlayerId, TrackId, VenueTime};
use crate::record::{ObjectClass, ObjectPosition, PositionFrame, SourceFlags};

/// Version of the positional bitstream, written in every keyframe.
pub const CODEC_VERSION: u64 = 1;

/// Default cap on objects per frame accepted by the decoder.
pub const DEFAULT_MAX_OBJECTS: usize = 4096;

/// Largest gap to the previous frame across which a keyframe still carries velocities (1 s).
pub const MAX_VELOCITY_GAP_NS: i64 = 1_000_000_000;

const KEYFRAME_BIT: u8 = 0x80;
const SEQ_MASK: u8 = 0x7f;

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodecConfig {
    /// Position precision in cm (≥ 1); decoded positions are within `quantum_cm / 2` of the input.
    pub quantum_cm: u16,
    /// A keyframe is written when this much match time has passed since the last one (0: every frame).
    pub keyframe_interval_ns: i64,
}

impl CodecConfig {
    /// 1 cm precision, a keyframe each second.
    pub const DEFAULT: CodecConfig = CodecConfig {
        quantum_cm: 1,
        keyframe_interval_ns: 1_000_000_000,
    };
}

impl Default for CodecConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta {
    class: ObjectClass,
    player: Option<PlayerId>,
    confidence: u8,
    flags: SourceFlags,
}

impl Meta {
    fn of(o: &ObjectPosition) -> Meta {
        Meta {
            class: o.class,
            player: o.player,
            confidence: o.confidence,
            flags: o.flags,
        }
    }
}

/// Per-object state shared (identically) by encoder and decoder, in quantised units.
#[derive(Debug, Clone, Copy)]
struct Track {
    id: u32,
    meta: Meta,
    q: [i64; 3],
    /// Last displacement, `p[t-1] - p[t-2]`.
    v: [i64; 3],
    /// Displacement before, `p[t-2] - p[t-3]` (equal to `v` right after a keyframe).
    w: [i64; 3],
}

/// Number of predictors selectable per group.
const PREDICTORS: usize = 4;

impl Track {
    #[inline]
    fn predict(&self, axis: usize, mode: u8) -> i64 {
        let (q, v, w) = (self.q[axis], self.v[axis], self.w[axis]);
        match mode {
            0 => q + v,
            1 => q,
            2 => q + ((v + w) >> 1),
            _ => q + w,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct State {
    tracks: Vec<Track>,
    last_time: i64,
    last_dt: i64,
    seq: u8,
    quantum: i64,
}

fn quantise(v: i32, quantum: i64) -> i64 {
    let v = i64::from(v);
    if quantum == 1 {
        return v;
    }
    let half = quantum / 2;
    if v >= 0 {
        (v + half) / quantum
    } else {
        -((-v + half) / quantum)
    }
}

fn dequantise(q: i64, quantum: i64) -> i32 {
    (q * quantum).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// The exp-Golomb order (≤ [`MAX_EG_K`]) that codes `vals` in the fewest bits.
fn best_k(vals: &[u64]) -> u32 {
    let n = vals.len() as u64;
    let mean = vals.iter().sum::<u64>() / n.max(1);
    let est = 64 - mean.leading_zeros();
    let lo = est.saturating_sub(2);
    let hi = (est + 1).min(MAX_EG_K);
    let mut best = (u64::MAX, 0);
    for k in lo..=hi {
        let bits: u64 = vals.iter().map(|&u| u64::from(exp_golomb_len(u, k))).sum();
        if bits < best.0 {
            best = (bits, k);
        }
    }
    best.1
}

/// Writes a group of unsigned values: 1 bit "any non-zero", then a 4-bit order and the codes.
fn write_group(w: &mut BitWriter<'_>, vals: &[u64]) {
    if vals.is_empty() {
        return;
    }
    if vals.iter().all(|&v| v == 0) {
        w.bit(false);
        return;
    }
    w.bit(true);
    let k = best_k(vals);
    w.write(u64::from(k), 4);
    for &v in vals {
        w.exp_golomb(v, k);
    }
}

/// Reads a group written by [`write_group`] into `out` (whose length is the group size).
fn read_group(r: &mut BitReader<'_>, out: &mut [i64]) -> Result<(), CodecError> {
    if out.is_empty() {
        return Ok(());
    }
    if !r.bit()? {
        out.fill(0);
        return Ok(());
    }
    let k = r.read(4)? as u32;
    for v in out.iter_mut() {
        *v = crate::codec::bits::unzigzag(r.exp_golomb(k)?);
    }
    Ok(())
}

fn write_stamps(w: &mut BitWriter<'_>, stamps: &LatencyStamps, time: i64) {
    for s in stamps.as_array() {
        w.bit(s.is_some());
        if let Some(s) = s {
            w.wide(s.0.wrapping_sub(time), 16);
        }
    }
}

fn read_stamps(r: &mut BitReader<'_>, time: i64) -> Result<LatencyStamps, CodecError> {
    let mut a = [None; 5];
    for s in a.iter_mut() {
        if r.bit()? {
            *s = Some(VenueTime(time.wrapping_add(r.wide(16)?)));
        }
    }
    Ok(LatencyStamps::from_array(a))
}

/// Metadata code: class (2 bits), player (presence bit + exp-Golomb 8), then flags/confidence either as
/// "same as the previous object's" (1 bit) or 16 raw bits.
fn write_meta(w: &mut BitWriter<'_>, m: &Meta, last: &mut Option<(u8, u8)>) {
    w.write(u64::from(m.class.code()), 2);
    w.bit(m.player.is_some());
    if let Some(p) = m.player {
        w.exp_golomb(u64::from(p.0), 8);
    }
    let fc = (m.flags.0, m.confidence);
    if *last == Some(fc) {
        w.bit(true);
    } else {
        w.bit(false);
        w.write(u64::from(fc.0), 8);
        w.write(u64::from(fc.1), 8);
        *last = Some(fc);
    }
}

fn read_meta(r: &mut BitReader<'_>, last: &mut Option<(u8, u8)>) -> Result<Meta, CodecError> {
    let class = ObjectClass::from_code(r.read(2)? as u8);
    let player = if r.bit()? {
        let p = r.exp_golomb(8)?;
        Some(PlayerId(u32::try_from(p).map_err(|_| {
            CodecError::Malformed("player id out of range")
        })?))
    } else {
        None
    };
    let fc = if r.bit()? {
        last.ok_or(CodecError::Malformed(
            "metadata refers to a previous object that does not exist",
        ))?
    } else {
        let fc = (r.read(8)? as u8, r.read(8)? as u8);
        *last = Some(fc);
        fc
    };
    Ok(Meta {
        class,
        player,
        flags: SourceFlags(fc.0),
        confidence: fc.1,
    })
}

fn checked_q(q: i64) -> Result<i64, CodecError> {
    if q > i64::from(i32::MAX) || q < i64::from(i32::MIN) {
        Err(CodecError::Malformed("coordinate out of range"))
    } else {
        Ok(q)
    }
}

fn checked_v(v: i64) -> Result<i64, CodecError> {
    // A velocity is a difference of two in-range coordinates.
    if v.unsigned_abs() > (1u64 << 32) {
        Err(CodecError::Malformed("velocity out of range"))
    } else {
        Ok(v)
    }
}

fn read_id(r: &mut BitReader<'_>, prev: Option<u32>) -> Result<u32, CodecError> {
    let v = match prev {
        None => r.exp_golomb(8)?,
        Some(p) => u64::from(p) + 1 + r.exp_golomb(0)?,
    };
    u32::try_from(v).map_err(|_| CodecError::Malformed("track id out of range"))
}

fn write_ids(w: &mut BitWriter<'_>, ids: impl Iterator<Item = u32>) {
    let mut prev: Option<u32> = None;
    for id in ids {
        match prev {
            None => w.exp_golomb(u64::from(id), 8),
            Some(p) => w.exp_golomb(u64::from(id - p - 1), 0),
        }
        prev = Some(id);
    }
}

/// Encodes position frames. Stateful: each call is relative to the previous frame.
#[derive(Debug, Clone)]
pub struct PositionEncoder {
    config: CodecConfig,
    state: Option<State>,
    last_key_time: i64,
    force_key: bool,
    next: Vec<Track>,
    // Scratch, reused across frames.
    prev_index: Vec<Option<usize>>,
    groups: [Vec<u64>; 4],
}

impl PositionEncoder {
    /// A fresh encoder; its first frame is a keyframe.
    pub fn new(config: CodecConfig) -> Self {
        PositionEncoder {
            config,
            state: None,
            last_key_time: 0,
            force_key: false,
            next: Vec::new(),
            prev_index: Vec::new(),
            groups: Default::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> CodecConfig {
        self.config
    }

    /// Makes the next frame a keyframe (e.g. at the start of a batch or after a subscriber joins).
    pub fn force_keyframe(&mut self) {
        self.force_key = true;
    }

    /// Encodes one frame into a new vector.
    pub fn encode(&mut self, frame: &PositionFrame) -> Result<Vec<u8>, CodecError> {
        let mut out = Vec::with_capacity(64);
        self.encode_into(frame, &mut out)?;
        Ok(out)
    }

    /// Encodes one frame, appending to `out`. Objects must be sorted by strictly increasing id.
    /// Returns whether a keyframe was written.
    pub fn encode_into(
        &mut self,
        frame: &PositionFrame,
        out: &mut Vec<u8>,
    ) -> Result<bool, CodecError> {
        if self.config.quantum_cm == 0 {
            return Err(CodecError::ZeroQuantum);
        }
        if frame.objects.windows(2).any(|w| w[0].id >= w[1].id) {
            return Err(CodecError::UnsortedObjects);
        }
        let quantum = i64::from(self.config.quantum_cm);
        let time = frame.time.0;
        let keyframe = match &self.state {
            None => true,
            Some(s) => {
                self.force_key
                    || s.quantum != quantum
                    || time.wrapping_sub(self.last_key_time) >= self.config.keyframe_interval_ns
                    || time.wrapping_sub(self.last_key_time) < 0
            }
        };
        self.force_key = false;

        // Build the next state, matching objects to the previous frame by id (both sorted).
        let empty = State::default();
        let prev = self.state.as_ref().unwrap_or(&empty);
        self.next.clear();
        self.prev_index.clear();
        let dt = if self.state.is_some() {
            time.wrapping_sub(prev.last_time)
        } else {
            0
        };
        // A keyframe carries velocities only across a short, forward gap; after a discontinuity (a
        // cut in the source, a reconnect) they would cost bits and predict nothing.
        let carry_velocity =
            !keyframe || (self.state.is_some() && dt > 0 && dt <= MAX_VELOCITY_GAP_NS);
        let mut j = 0;
        for o in &frame.objects {
            while j < prev.tracks.len() && prev.tracks[j].id < o.id.0 {
                j += 1;
            }
            let found = (j < prev.tracks.len() && prev.tracks[j].id == o.id.0).then_some(j);
            self.prev_index.push(found);
            let q = [
                quantise(o.x_cm, quantum),
                quantise(o.y_cm, quantum),
                quantise(o.z_cm, quantum),
            ];
            let (v, w) = match found.filter(|_| carry_velocity) {
                Some(j) => {
                    let p = &prev.tracks[j];
                    ([q[0] - p.q[0], q[1] - p.q[1], q[2] - p.q[2]], p.v)
                }
                None => ([0; 3], [0; 3]),
            };
            // After a keyframe both sides only know the last displacement.
            let w = if keyframe { v } else { w };
            self.next.push(Track {
                id: o.id.0,
                meta: Meta::of(o),
                q,
                v,
                w,
            });
        }
        let seq = if self.state.is_some() {
            prev.seq.wrapping_add(1) & SEQ_MASK
        } else {
            0
        };

        if keyframe {
            out.push(KEYFRAME_BIT | seq);
            let mut w = BitWriter::new(out);
            w.write(CODEC_VERSION, 4);
            w.exp_golomb(quantum as u64 - 1, 0);
            w.raw64(time as u64);
            w.wide(dt, 20);
            write_stamps(&mut w, &frame.stamps, time);
            w.exp_golomb(self.next.len() as u64, 4);
            write_ids(&mut w, self.next.iter().map(|t| t.id));
            let mut last_fc = None;
            for t in &self.next {
                write_meta(&mut w, &t.meta, &mut last_fc);
            }
            w.bit(carry_velocity);
            let [xy, z, vxy, vz] = &mut self.groups;
            xy.clear();
            z.clear();
            vxy.clear();
            vz.clear();
            for t in &self.next {
                xy.push(zigzag(t.q[0]));
                xy.push(zigzag(t.q[1]));
                z.push(zigzag(t.q[2]));
                vxy.push(zigzag(t.v[0]));
                vxy.push(zigzag(t.v[1]));
                vz.push(zigzag(t.v[2]));
            }
            let groups = if carry_velocity {
                &self.groups[..]
            } else {
                &self.groups[..2]
            };
            for g in groups {
                write_group(&mut w, g);
            }
            w.finish();
            self.last_key_time = time;
        } else {
            out.push(seq);
            let mut w = BitWriter::new(out);
            w.wide(
                time.wrapping_sub(prev.last_time.wrapping_add(prev.last_dt)),
                4,
            );
            write_stamps(&mut w, &frame.stamps, time);

            // Churn: which previous objects are kept, which are new.
            let kept = self.prev_index.iter().filter(|i| i.is_some()).count();
            let churn = kept != prev.tracks.len() || kept != self.next.len();
            w.bit(churn);
            if churn {
                let mut it = self.prev_index.iter().flatten().peekable();
                for pj in 0..prev.tracks.len() {
                    let is_kept = it.peek() == Some(&&pj);
                    if is_kept {
                        it.next();
                    }
                    w.bit(is_kept);
                }
                let added = self.next.len() - kept;
                w.exp_golomb(added as u64, 0);
                let new_ids = self
                    .next
                    .iter()
                    .zip(&self.prev_index)
                    .filter(|(_, p)| p.is_none())
                    .map(|(t, _)| t.id);
                write_ids(&mut w, new_ids);
                let mut last_fc = None;
                for (t, _) in self
                    .next
                    .iter()
                    .zip(&self.prev_index)
                    .filter(|(_, p)| p.is_none())
                {
                    write_meta(&mut w, &t.meta, &mut last_fc);
                    w.signed(t.q[0], 12);
                    w.signed(t.q[1], 12);
                    w.signed(t.q[2], 4);
                }
            }

            // Metadata changes of kept objects.
            let meta_changed = self
                .next
                .iter()
                .zip(&self.prev_index)
                .any(|(t, p)| p.is_some_and(|pj| prev.tracks[pj].meta != t.meta));
            w.bit(meta_changed);
            if meta_changed {
                let mut last_fc = None;
                for (t, p) in self.next.iter().zip(&self.prev_index) {
                    if let Some(pj) = *p {
                        let changed = prev.tracks[pj].meta != t.meta;
                        w.bit(changed);
                        if changed {
                            write_meta(&mut w, &t.meta, &mut last_fc);
                        }
                    }
                }
            }

            // Choose the x/y predictor of players (group 0) and ball (group 1) by the sum of |residual|.
            let mut cost = [[0u64; PREDICTORS]; 2];
            for (t, p) in self.next.iter().zip(&self.prev_index) {
                if let Some(pj) = *p {
                    let pt = &prev.tracks[pj];
                    let c = &mut cost[usize::from(t.meta.class == ObjectClass::Ball)];
                    for (mode, c) in c.iter_mut().enumerate() {
                        *c += (t.q[0] - pt.predict(0, mode as u8)).unsigned_abs()
                            + (t.q[1] - pt.predict(1, mode as u8)).unsigned_abs();
                    }
                }
            }
            let pick = |c: &[u64; PREDICTORS]| {
                (0..PREDICTORS).min_by_key(|&m| (c[m], m)).unwrap_or(0) as u8
            };
            let modes = [pick(&cost[0]), pick(&cost[1])];
            for g in &mut self.groups {
                g.clear();
            }
            for (t, p) in self.next.iter().zip(&self.prev_index) {
                if let Some(pj) = *p {
                    let pt = &prev.tracks[pj];
                    let ball = usize::from(t.meta.class == ObjectClass::Ball);
                    let mode = modes[ball];
                    self.groups[ball].push(zigzag(t.q[0] - pt.predict(0, mode)));
                    self.groups[ball].push(zigzag(t.q[1] - pt.predict(1, mode)));
                    self.groups[2 + ball].push(zigzag(t.q[2] - pt.predict(2, 0)));
                }
            }
            for (i, g) in self.groups.iter().enumerate() {
                if i < 2 && !g.is_empty() {
                    w.write(u64::from(modes[i]), 2);
                }
                write_group(&mut w, g);
            }
            w.finish();
        }

        let mut state = self.state.take().unwrap_or_default();
        std::mem::swap(&mut state.tracks, &mut self.next);
        state.last_time = time;
        state.last_dt = dt;
        state.seq = seq;
        state.quantum = quantum;
        self.state = Some(state);
        Ok(keyframe)
    }
}

/// Decodes frames written by [`PositionEncoder`]. Stateful; after any error it waits for a keyframe.
#[derive(Debug, Clone)]
pub struct PositionDecoder {
    max_objects: usize,
    state: Option<State>,
    next: Vec<Track>,
    src: Vec<Option<usize>>,
    kept: Vec<usize>,
    added: Vec<Track>,
    res: [Vec<i64>; 4],
}

impl Default for PositionDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl PositionDecoder {
    /// A decoder accepting up to [`DEFAULT_MAX_OBJECTS`] objects per frame.
    pub fn new() -> Self {
        Self::with_max_objects(DEFAULT_MAX_OBJECTS)
    }

    /// A decoder accepting up to `max_objects` objects per frame.
    pub fn with_max_objects(max_objects: usize) -> Self {
        PositionDecoder {
            max_objects,
            state: None,
            next: Vec::new(),
            src: Vec::new(),
            kept: Vec::new(),
            added: Vec::new(),
            res: Default::default(),
        }
    }

    /// Whether the decoder holds state (has seen a keyframe and no error since).
    pub fn is_synced(&self) -> bool {
        self.state.is_some()
    }

    /// Decodes one frame (the exact bytes of one encoder output).
    pub fn decode(&mut self, bytes: &[u8]) -> Result<PositionFrame, CodecError> {
        let mut frame = PositionFrame::default();
        self.decode_into(bytes, &mut frame)?;
        Ok(frame)
    }

    /// Decodes one frame into `frame`, reusing its allocation.
    pub fn decode_into(
        &mut self,
        bytes: &[u8],
        frame: &mut PositionFrame,
    ) -> Result<(), CodecError> {
        let r = self.decode_inner(bytes, frame);
        if r.is_err() {
            self.state = None;
        }
        r
    }

    fn check_count(&self, count: u64, r: &BitReader<'_>) -> Result<usize, CodecError> {
        // Every object costs at least one bit, so a count beyond the bits left is malformed.
        if count > self.max_objects as u64 {
            return Err(CodecError::TooManyObjects {
                count,
                max: self.max_objects,
            });
        }
        if count > r.bits_left() as u64 {
            return Err(CodecError::Truncated);
        }
        Ok(count as usize)
    }

    fn decode_inner(&mut self, bytes: &[u8], frame: &mut PositionFrame) -> Result<(), CodecError> {
        let (&head, body) = bytes.split_first().ok_or(CodecError::Truncated)?;
        let seq = head & SEQ_MASK;
        let mut r = BitReader::new(body);
        self.next.clear();
        let time;
        let quantum;
        let dt;
        if head & KEYFRAME_BIT != 0 {
            if r.read(4)? != CODEC_VERSION {
                return Err(CodecError::Malformed("unknown positional codec version"));
            }
            let qm1 = r.exp_golomb(0)?;
            if qm1 >= u64::from(u16::MAX) {
                return Err(CodecError::Malformed("quantum out of range"));
            }
            quantum = qm1 as i64 + 1;
            time = r.raw64()? as i64;
            dt = r.wide(20)?;
            frame.stamps = read_stamps(&mut r, time)?;
            let count = r.exp_golomb(4)?;
            let count = self.check_count(count, &r)?;
            let mut prev_id = None;
            for _ in 0..count {
                let id = read_id(&mut r, prev_id)?;
                prev_id = Some(id);
                let meta = Meta {
                    class: ObjectClass::Player,
                    player: None,
                    confidence: 0,
                    flags: SourceFlags(0),
                };
                self.next.push(Track {
                    id,
                    meta,
                    q: [0; 3],
                    v: [0; 3],
                    w: [0; 3],
                });
            }
            let mut last_fc = None;
            for t in self.next.iter_mut() {
                t.meta = read_meta(&mut r, &mut last_fc)?;
            }
            let carry_velocity = r.bit()?;
            let [xy, z, vxy, vz] = &mut self.res;
            xy.resize(count * 2, 0);
            z.resize(count, 0);
            vxy.resize(count * 2, 0);
            vz.resize(count, 0);
            for (i, g) in self.res.iter_mut().enumerate() {
                if i < 2 || carry_velocity {
                    read_group(&mut r, g)?;
                } else {
                    g.fill(0);
                }
            }
            let [xy, z, vxy, vz] = &self.res;
            for (i, t) in self.next.iter_mut().enumerate() {
                t.q = [
                    checked_q(xy[2 * i])?,
                    checked_q(xy[2 * i + 1])?,
                    checked_q(z[i])?,
                ];
                t.v = [vxy[2 * i], vxy[2 * i + 1], vz[i]];
                for v in t.v {
                    checked_v(v)?;
                }
                t.w = t.v;
            }
        } else {
            let prev = self.state.as_ref().ok_or(CodecError::NeedKeyframe)?;
            let expected = prev.seq.wrapping_add(1) & SEQ_MASK;
            if seq != expected {
                return Err(CodecError::SequenceGap { expected, got: seq });
            }
            quantum = prev.quantum;
            time = prev
                .last_time
                .wrapping_add(prev.last_dt)
                .wrapping_add(r.wide(4)?);
            dt = time.wrapping_sub(prev.last_time);
            frame.stamps = read_stamps(&mut r, time)?;

            // Churn. `src[i]` is the previous-frame index of next object i, or None for an added object.
            self.src.clear();
            if r.bit()? {
                let mut kept = 0usize;
                self.kept.clear();
                for pj in 0..prev.tracks.len() {
                    if r.bit()? {
                        self.kept.push(pj);
                        kept += 1;
                    }
                }
                let added = r.exp_golomb(0)?;
                // Kept objects cost no further bits here; only the added ones are bounded by the input.
                let added = self.check_count(added, &r)?;
                if kept + added > self.max_objects {
                    return Err(CodecError::TooManyObjects {
                        count: (kept + added) as u64,
                        max: self.max_objects,
                    });
                }
                self.added.clear();
                let mut prev_id = None;
                for _ in 0..added {
                    let id = read_id(&mut r, prev_id)?;
                    prev_id = Some(id);
                    let meta = Meta {
                        class: ObjectClass::Player,
                        player: None,
                        confidence: 0,
                        flags: SourceFlags(0),
                    };
                    self.added.push(Track {
                        id,
                        meta,
                        q: [0; 3],
                        v: [0; 3],
                        w: [0; 3],
                    });
                }
                let mut last_fc = None;
                for t in self.added.iter_mut() {
                    t.meta = read_meta(&mut r, &mut last_fc)?;
                    t.q = [
                        checked_q(r.signed(12)?)?,
                        checked_q(r.signed(12)?)?,
                        checked_q(r.signed(4)?)?,
                    ];
                }
                // Merge kept (sorted) with added (sorted) by id.
                let mut a = self.added.iter().peekable();
                for &pj in &self.kept {
                    let pt = prev.tracks[pj];
                    while let Some(t) = a.next_if(|t| t.id < pt.id) {
                        self.next.push(*t);
                        self.src.push(None);
                    }
                    if a.peek().is_some_and(|t| t.id == pt.id) {
                        return Err(CodecError::Malformed("added object already present"));
                    }
                    self.next.push(pt);
                    self.src.push(Some(pj));
                }
                for t in a {
                    self.next.push(*t);
                    self.src.push(None);
                }
            } else {
                self.next.extend_from_slice(&prev.tracks);
                self.src.extend((0..prev.tracks.len()).map(Some));
            }

            // Metadata changes.
            if r.bit()? {
                let mut last_fc = None;
                for (t, _) in self
                    .next
                    .iter_mut()
                    .zip(&self.src)
                    .filter(|(_, s)| s.is_some())
                {
                    if r.bit()? {
                        t.meta = read_meta(&mut r, &mut last_fc)?;
                    }
                }
            }

            // Residuals.
            let (mut n_other, mut n_ball) = (0, 0);
            for (t, _) in self.next.iter().zip(&self.src).filter(|(_, s)| s.is_some()) {
                if t.meta.class == ObjectClass::Ball {
                    n_ball += 1;
                } else {
                    n_other += 1;
                }
            }
            let [xy, xy_ball, z, z_ball] = &mut self.res;
            xy.resize(n_other * 2, 0);
            xy_ball.resize(n_ball * 2, 0);
            z.resize(n_other, 0);
            z_ball.resize(n_ball, 0);
            let mut modes = [0u8; 2];
            for (i, g) in self.res.iter_mut().enumerate() {
                if i < 2 && !g.is_empty() {
                    modes[i] = r.read(2)? as u8;
                }
                read_group(&mut r, g)?;
            }
            let [xy, xy_ball, z, z_ball] = &self.res;
            let (mut io, mut ib) = (0, 0);
            for (t, s) in self.next.iter_mut().zip(&self.src) {
                let Some(pj) = *s else { continue };
                let pt = &prev.tracks[pj];
                let mode = modes[usize::from(t.meta.class == ObjectClass::Ball)];
                let (rx, ry, rz) = if t.meta.class == ObjectClass::Ball {
                    ib += 1;
                    (xy_ball[2 * ib - 2], xy_ball[2 * ib - 1], z_ball[ib - 1])
                } else {
                    io += 1;
                    (xy[2 * io - 2], xy[2 * io - 1], z[io - 1])
                };
                let q = [
                    checked_q(pt.predict(0, mode) + rx)?,
                    checked_q(pt.predict(1, mode) + ry)?,
                    checked_q(pt.predict(2, 0) + rz)?,
                ];
                t.w = pt.v;
                t.v = [q[0] - pt.q[0], q[1] - pt.q[1], q[2] - pt.q[2]];
                t.q = q;
            }
        }
        if r.unread_whole_bytes() > 0 {
            return Err(CodecError::TrailingBytes(r.unread_whole_bytes()));
        }

        frame.time = VenueTime(time);
        frame.objects.clear();
        frame
            .objects
            .extend(self.next.iter().map(|t| ObjectPosition {
                id: TrackId(t.id),
                class: t.meta.class,
                player: t.meta.player,
                x_cm: dequantise(t.q[0], quantum),
                y_cm: dequantise(t.q[1], quantum),
                z_cm: dequantise(t.q[2], quantum),
                confidence: t.meta.confidence,
                flags: t.meta.flags,
            }));
        let mut state = self.state.take().unwrap_or_default();
        std::mem::swap(&mut state.tracks, &mut self.next);
        state.last_time = time;
        state.last_dt = dt;
        state.seq = seq;
        state.quantum = quantum;
        self.state = Some(state);
        Ok(())
    }
}
