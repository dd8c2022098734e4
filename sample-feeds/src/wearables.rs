//! 60 Hz player wearables: device clocks (offset + drift), UWB-like position noise, IMU, heart
//! rate, and injected, labelled anomalies (≈ one per player per minute). Pure: fed with the
//! simulation's people at each 60 Hz tick.

use std::fmt::Write as _;

use nalgebra::Vector2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::sim::{gauss, Person};

/// Wearable sample rate (Hz).
pub const WEARABLE_HZ: u64 = 60;

/// Kind of an injected anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnomalyKind {
    /// No samples are sent for a while (sequence numbers skip).
    Dropout,
    /// Position and acceleration jump to an outlier for a few samples.
    Spike,
    /// Every sensor value repeats the last good sample (timestamps still advance).
    Stuck,
    /// The device clock jumps by `detail` ms and stays shifted (start = end).
    ClockJump,
    /// Heart rate at a physiologically extreme value.
    PhysioExtreme,
}

impl AnomalyKind {
    /// Name as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::Dropout => "dropout",
            AnomalyKind::Spike => "spike",
            AnomalyKind::Stuck => "stuck",
            AnomalyKind::ClockJump => "clock_jump",
            AnomalyKind::PhysioExtreme => "physio_extreme",
        }
    }

    /// Parses [`AnomalyKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "dropout" => AnomalyKind::Dropout,
            "spike" => AnomalyKind::Spike,
            "stuck" => AnomalyKind::Stuck,
            "clock_jump" => AnomalyKind::ClockJump,
            "physio_extreme" => AnomalyKind::PhysioExtreme,
            _ => return None,
        })
    }
}

/// A labelled anomaly (ground truth).
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    /// Device id.
    pub device: String,
    /// Object id of the wearer.
    pub object: String,
    /// What kind.
    pub kind: AnomalyKind,
    /// Venue time of the first affected sample (ns).
    pub start_ns: i64,
    /// Venue time of the last affected sample (ns); equals `start_ns` for clock jumps.
    pub end_ns: i64,
    /// Kind-specific magnitude: spike metres, clock jump ms, heart rate bpm, 0 otherwise.
    pub detail: f64,
}

/// A device and its clock (ground truth of the clock model).
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Device id (`tw-xxxx`).
    pub id: String,
    /// Object id of the wearer.
    pub object: String,
    /// Device time at venue time 0 (ns).
    pub offset_ns: i64,
    /// Clock rate error (ppm): device time advances `1 + drift_ppm·1e-6` per venue second.
    pub drift_ppm: f64,
}

impl Device {
    /// Device time (µs) for a venue time, before any clock jump.
    pub fn device_us(&self, venue_ns: i64) -> i64 {
        let t = venue_ns as f64 * (1.0 + self.drift_ppm * 1e-6) + self.offset_ns as f64;
        (t / 1000.0).round() as i64
    }
}

/// One 60 Hz sample as sent by a device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Index of the device in [`Wearables::devices`].
    pub device: usize,
    /// Per-device sequence number (skips over dropouts).
    pub seq: u32,
    /// Device timestamp (µs, device clock).
    pub t_dev_us: i64,
    /// Position x, y (m, pitch frame).
    pub pos: [f64; 2],
    /// Acceleration in the body frame (x forward, y left, z up), m/s², gravity included.
    pub acc: [f64; 3],
    /// Angular rate (deg/s), body frame.
    pub gyro: [f64; 3],
    /// Heart rate (bpm).
    pub hr: u16,
}

impl Sample {
    /// The CSV line of this sample (without newline); see README for columns.
    pub fn write_csv(&self, devices: &[Device], out: &mut String) {
        let id = devices.get(self.device).map_or("?", |d| d.id.as_str());
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{},{},{},{:.2},{:.2},{:.1},{:.1},{:.1},{:.0},{:.0},{:.0},{}",
            id,
            self.seq,
            self.t_dev_us,
            self.pos[0],
            self.pos[1],
            self.acc[0],
            self.acc[1],
            self.acc[2],
            self.gyro[0],
            self.gyro[1],
            self.gyro[2],
            self.hr
        );
    }
}

#[derive(Debug, Clone)]
struct DeviceState {
    seq: u32,
    prev_vel: Vector2<f64>,
    prev_heading: f64,
    hr: f64,
    bias: Vector2<f64>,
    clock_shift_ns: i64,
    last: Option<Sample>,
    rest_hr: f64,
    max_hr: f64,
}

/// The wearable generator for one match.
#[derive(Debug, Clone)]
pub struct Wearables {
    rng: ChaCha8Rng,
    /// Devices, one per player (index = player index in the simulation).
    pub devices: Vec<Device>,
    /// Every anomaly that will be / was injected, sorted by start time.
    pub anomalies: Vec<Anomaly>,
    state: Vec<DeviceState>,
}

impl Wearables {
    /// Devices for `players` (the simulation's first 22 people) and an anomaly plan for a
    /// match of `duration_ns`.
    pub fn new(seed: u64, players: &[Person], duration_ns: i64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x0077_ea4a_b1e5);
        let mut devices = Vec::new();
        let mut state = Vec::new();
        let mut anomalies = Vec::new();
        for p in players {
            let id = format!("tw-{:04x}", rng.random::<u16>());
            let device = Device {
                id: id.clone(),
                object: p.id.clone(),
                offset_ns: rng.random_range(-5_000_000_000i64..5_000_000_000),
                drift_ppm: (rng.random_range(-40.0f64..40.0) * 100.0).round() / 100.0,
            };
            devices.push(device);
            state.push(DeviceState {
                seq: 0,
                prev_vel: p.vel,
                prev_heading: p.heading,
                hr: rng.random_range(105.0..125.0),
                bias: Vector2::zeros(),
                clock_shift_ns: 0,
                last: None,
                rest_hr: rng.random_range(52.0..66.0),
                max_hr: rng.random_range(182.0..198.0),
            });
            // Anomalies: a Poisson process with a mean gap of 60 s, starting after 2 s.
            let mut t = 2e9 + exp_sample(&mut rng, 60e9);
            while (t as i64) < duration_ns {
                let kind = match rng.random_range(0..5) {
                    0 => AnomalyKind::Dropout,
                    1 => AnomalyKind::Spike,
                    2 => AnomalyKind::Stuck,
                    3 => AnomalyKind::ClockJump,
                    _ => AnomalyKind::PhysioExtreme,
                };
                let start = quantize(t as i64);
                let (len_s, detail) = match kind {
                    AnomalyKind::Dropout => (rng.random_range(0.5..3.0), 0.0),
                    AnomalyKind::Spike => (
                        rng.random_range(1.0f64..4.0).floor() / WEARABLE_HZ as f64,
                        rng.random_range(8.0f64..30.0).round(),
                    ),
                    AnomalyKind::Stuck => (rng.random_range(1.0..4.0), 0.0),
                    AnomalyKind::ClockJump => {
                        let ms: f64 = rng.random_range(300.0..3000.0);
                        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                        (0.0, (sign * ms).round())
                    }
                    AnomalyKind::PhysioExtreme => {
                        let high = rng.random::<f64>() < 0.7;
                        let bpm = if high {
                            rng.random_range(225.0f64..245.0)
                        } else {
                            rng.random_range(22.0f64..32.0)
                        };
                        (rng.random_range(5.0..15.0), bpm.round())
                    }
                };
                let end = quantize(start + (len_s * 1e9) as i64)
                    .max(start)
                    .min(quantize(duration_ns - 1));
                if end >= start {
                    anomalies.push(Anomaly {
                        device: id.clone(),
                        object: p.id.clone(),
                        kind,
                        start_ns: start,
                        end_ns: end,
                        detail,
                    });
                }
                t += len_s * 1e9 + exp_sample(&mut rng, 60e9).max(5e9);
            }
        }
        anomalies.sort_by(|a, b| a.start_ns.cmp(&b.start_ns).then(a.device.cmp(&b.device)));
        Self {
            rng,
            devices,
            anomalies,
            state,
        }
    }

    /// Produces the samples for venue time `t_ns` (a multiple of 1/60 s) from the players'
    /// true state. Devices in a dropout produce nothing.
    pub fn sample(&mut self, t_ns: i64, players: &[Person]) -> Vec<Sample> {
        let dt = 1.0 / WEARABLE_HZ as f64;
        let mut out = Vec::with_capacity(players.len());
        for (i, p) in players.iter().enumerate().take(self.devices.len()) {
            let active: Vec<(AnomalyKind, f64, i64)> = self
                .anomalies
                .iter()
                .filter(|a| {
                    a.device == self.devices[i].id && a.start_ns <= t_ns && t_ns <= a.end_ns
                })
                .map(|a| (a.kind, a.detail, a.start_ns))
                .collect();
            let rng = &mut self.rng;
            let st = &mut self.state[i];
            // Clock jumps take effect at their start and persist.
            for (kind, detail, start) in &active {
                if *kind == AnomalyKind::ClockJump && *start == t_ns {
                    st.clock_shift_ns += (*detail * 1e6) as i64;
                }
            }
            // Physiology: heart rate follows effort with a ~15 s lag.
            let speed = p.vel.norm();
            let effort = (speed / p.top_speed).clamp(0.0, 1.0);
            let target = st.rest_hr + 45.0 + (st.max_hr - st.rest_hr - 45.0) * effort.powf(0.7);
            st.hr += (target - st.hr) * dt / 15.0;
            // Body-frame acceleration (x forward, y left, z up) + step impacts + noise.
            let acc_w = (p.vel - st.prev_vel) / dt;
            let (c, s) = (p.heading.cos(), p.heading.sin());
            let fwd = acc_w.x * c + acc_w.y * s;
            let left = -acc_w.x * s + acc_w.y * c;
            let bounce = (speed / 3.0).min(2.5) * 3.0 * (2.0 * p.stride_phase).sin();
            let mut dh = p.heading - st.prev_heading;
            if dh > std::f64::consts::PI {
                dh -= std::f64::consts::TAU;
            } else if dh < -std::f64::consts::PI {
                dh += std::f64::consts::TAU;
            }
            st.prev_vel = p.vel;
            st.prev_heading = p.heading;
            // UWB-like position: slowly wandering bias + white noise.
            st.bias += Vector2::new(gauss(rng), gauss(rng)) * 0.01;
            st.bias *= 0.995;
            let pos = p.pos + st.bias + Vector2::new(gauss(rng), gauss(rng)) * 0.07;
            let mut sample = Sample {
                device: i,
                seq: st.seq,
                t_dev_us: 0,
                pos: [pos.x, pos.y],
                acc: [
                    fwd + gauss(rng) * 0.3,
                    left + gauss(rng) * 0.3,
                    9.81 + bounce + gauss(rng) * 0.3,
                ],
                gyro: [
                    gauss(rng) * 4.0 + bounce * 3.0,
                    gauss(rng) * 4.0,
                    dh.to_degrees() / dt + gauss(rng) * 2.0,
                ],
                hr: (st.hr + gauss(rng) * 1.5).round().clamp(30.0, 220.0) as u16,
            };
            st.seq = st.seq.wrapping_add(1);
            let jitter_ns = (gauss(rng) * 150_000.0) as i64;
            sample.t_dev_us =
                self.devices[i].device_us(t_ns + jitter_ns) + st.clock_shift_ns / 1000;
            let mut dropped = false;
            for (kind, detail, _) in &active {
                match kind {
                    AnomalyKind::Dropout => dropped = true,
                    AnomalyKind::Spike => {
                        let a = rng.random_range(0.0..std::f64::consts::TAU);
                        sample.pos[0] += detail * a.cos();
                        sample.pos[1] += detail * a.sin();
                        sample.acc[0] += rng.random_range(-80.0..80.0);
                    }
                    AnomalyKind::Stuck => {
                        if let Some(last) = st.last {
                            sample.pos = last.pos;
                            sample.acc = last.acc;
                            sample.gyro = last.gyro;
                            sample.hr = last.hr;
                        }
                    }
                    AnomalyKind::PhysioExtreme => {
                        sample.hr = (*detail + gauss(rng) * 2.0).round().max(0.0) as u16;
                    }
                    AnomalyKind::ClockJump => {}
                }
            }
            if !active.iter().any(|a| a.0 == AnomalyKind::Stuck) {
                st.last = Some(sample);
            }
            if !dropped {
                out.push(sample);
            }
        }
        out
    }
}

fn exp_sample<R: Rng>(rng: &mut R, mean: f64) -> f64 {
    -mean * rng.random::<f64>().max(1e-12).ln()
}

/// Rounds a venue time down to the 60 Hz sample grid.
fn quantize(t_ns: i64) -> i64 {
    // 1/60 s is not a whole number of ns: the grid is k·1e9/60, rounded down.
    let hz = i128::from(WEARABLE_HZ as i64);
    let k = i128::from(t_ns) * hz / 1_000_000_000;
    (k * 1_000_000_000 / hz) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{step_time_ns, MatchSim, SimConfig, SIM_HZ};

    #[test]
    fn anomalies_are_labelled_and_visible_in_the_samples() {
        let mut sim = MatchSim::new(SimConfig::for_seed(5));
        let secs = 120;
        let mut w = Wearables::new(5, &sim.people[..22], secs as i64 * 1_000_000_000);
        // ≈ one per player per minute (22 players, 2 min → ~ 40, allow wide Poisson spread).
        assert!(
            w.anomalies.len() >= 20 && w.anomalies.len() <= 70,
            "{}",
            w.anomalies.len()
        );
        let mut samples = Vec::new();
        for step in 1..=secs * SIM_HZ {
            sim.step();
            if step % (SIM_HZ / WEARABLE_HZ) == 0 {
                let t = step_time_ns(step);
                for s in w.sample(t, &sim.people[..22]) {
                    samples.push((t, s));
                }
            }
        }
        for a in &w.anomalies {
            let dev = w.devices.iter().position(|d| d.id == a.device);
            assert!(dev.is_some());
            let Some(dev) = dev else { continue };
            let inside: Vec<&Sample> = samples
                .iter()
                .filter(|(t, s)| s.device == dev && *t >= a.start_ns && *t <= a.end_ns)
                .map(|(_, s)| s)
                .collect();
            match a.kind {
                AnomalyKind::Dropout => assert!(inside.is_empty(), "{a:?}"),
                AnomalyKind::PhysioExtreme => {
                    assert!(inside.iter().all(|s| s.hr > 215 || s.hr < 40), "{a:?}")
                }
                _ => {}
            }
        }
        // Outside anomalies the heart rate is physiological.
        assert!(samples.iter().any(|(_, s)| s.hr > 100 && s.hr < 200));
    }
}
