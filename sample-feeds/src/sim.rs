//! The match simulation: a deterministic state machine stepped at [`SIM_HZ`], seeded with
//! ChaCha8. No I/O, no clocks, no floating-point non-determinism beyond IEEE basics.
//!
//! Home attacks +x, away attacks −x for the whole clip (no half-time in short feeds).

use calibration::pitch::{self, Boundary, End, Pitch, BALL_RADIUS};
use nalgebra::{Point3, Vector2, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Simulation steps per second. 300 = LCM of 25, 50 and 60: every video frame rate and the
/// 60 Hz wearables land exactly on a step.
pub const SIM_HZ: u64 = 300;
const DT: f64 = 1.0 / SIM_HZ as f64;
const G: f64 = 9.81;

/// Venue time (ns since the start of the simulation) of a step.
pub fn step_time_ns(step: u64) -> i64 {
    (i128::from(step) * 1_000_000_000 / i128::from(SIM_HZ)) as i64
}

/// A team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Team {
    /// Attacks +x.
    Home,
    /// Attacks −x.
    Away,
}

impl Team {
    /// +1 for home (attacks +x), −1 for away.
    pub fn attack_sign(self) -> f64 {
        match self {
            Team::Home => 1.0,
            Team::Away => -1.0,
        }
    }

    /// The other team.
    pub fn other(self) -> Team {
        match self {
            Team::Home => Team::Away,
            Team::Away => Team::Home,
        }
    }

    /// The end this team attacks.
    pub fn attacks(self) -> End {
        End::of_x(self.attack_sign())
    }

    /// `home` / `away`.
    pub fn as_str(self) -> &'static str {
        match self {
            Team::Home => "home",
            Team::Away => "away",
        }
    }

    /// One-letter prefix of object ids: `H` / `A`.
    pub fn letter(self) -> char {
        match self {
            Team::Home => 'H',
            Team::Away => 'A',
        }
    }
}

/// What a tracked object is (the detector's classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectClass {
    /// Outfield player.
    Player,
    /// Goalkeeper.
    Goalkeeper,
    /// Referee or assistant referee.
    Referee,
    /// The ball.
    Ball,
}

impl ObjectClass {
    /// Lower-case name as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectClass::Player => "player",
            ObjectClass::Goalkeeper => "goalkeeper",
            ObjectClass::Referee => "referee",
            ObjectClass::Ball => "ball",
        }
    }

    /// Parses [`ObjectClass::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "player" => ObjectClass::Player,
            "goalkeeper" => ObjectClass::Goalkeeper,
            "referee" => ObjectClass::Referee,
            "ball" => ObjectClass::Ball,
            _ => return None,
        })
    }

    /// Class index used in training labels (0 player, 1 goalkeeper, 2 referee, 3 ball).
    pub fn index(self) -> u8 {
        match self {
            ObjectClass::Player => 0,
            ObjectClass::Goalkeeper => 1,
            ObjectClass::Referee => 2,
            ObjectClass::Ball => 3,
        }
    }
}

/// How play restarts after the ball went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartKind {
    /// Ball over a touch line.
    ThrowIn,
    /// Ball over the goal line, last touched by the attackers.
    GoalKick,
    /// Ball over the goal line, last touched by the defenders.
    Corner,
    /// After a goal (or at the start).
    KickOff,
}

impl RestartKind {
    /// Name as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartKind::ThrowIn => "throw_in",
            RestartKind::GoalKick => "goal_kick",
            RestartKind::Corner => "corner",
            RestartKind::KickOff => "kick_off",
        }
    }
}

/// Something that happened, at a simulation step.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// Play started from the centre mark.
    KickOff {
        /// Team taking it.
        team: Team,
    },
    /// The ball wholly crossed the goal line between the posts and under the bar.
    Goal {
        /// Team credited with the goal.
        team: Team,
        /// Last player of that team to touch the ball (`None` for an own goal).
        scorer: Option<String>,
        /// The end whose goal it went into.
        end: End,
        /// Score after the goal (home, away).
        score: (u32, u32),
    },
    /// The ball wholly crossed a touch or goal line.
    OutOfPlay {
        /// Which line.
        boundary: Boundary,
        /// The restart awarded.
        restart: RestartKind,
        /// Team awarded the restart.
        team: Team,
    },
    /// A throw-in, goal kick or corner was taken.
    Restart {
        /// Which restart.
        kind: RestartKind,
        /// Team taking it.
        team: Team,
        /// Object id of the taker.
        taker: String,
    },
    /// A player took control of the ball.
    Possession {
        /// The player's team.
        team: Team,
        /// Object id.
        player: String,
    },
    /// A shot at goal.
    Shot {
        /// Shooter's team.
        team: Team,
        /// Object id.
        player: String,
        /// Whether it was aimed inside the goal frame.
        on_target: bool,
    },
    /// A goalkeeper caught a shot.
    Save {
        /// Keeper's team.
        team: Team,
        /// Object id.
        player: String,
    },
}

impl EventKind {
    /// Short name as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::KickOff { .. } => "kick_off",
            EventKind::Goal { .. } => "goal",
            EventKind::OutOfPlay { .. } => "out_of_play",
            EventKind::Restart { .. } => "restart",
            EventKind::Possession { .. } => "possession",
            EventKind::Shot { .. } => "shot",
            EventKind::Save { .. } => "save",
        }
    }
}

/// An event and the simulation step at which it happened (the first step whose state shows it).
#[derive(Debug, Clone, PartialEq)]
pub struct SimEvent {
    /// Step index.
    pub step: u64,
    /// What happened.
    pub kind: EventKind,
}

/// A person on the pitch (player, goalkeeper or referee).
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// Object id: `H7`, `A1`, `R1` …
    pub id: String,
    /// Class.
    pub class: ObjectClass,
    /// Team (`None` for referees).
    pub team: Option<Team>,
    /// Shirt number (referees: 1 = referee, 2–3 = assistants).
    pub number: u8,
    /// Ground position (m).
    pub pos: Vector2<f64>,
    /// Velocity (m/s).
    pub vel: Vector2<f64>,
    /// Facing direction (rad, 0 = +x).
    pub heading: f64,
    /// Running-cycle phase (rad), advances with distance.
    pub stride_phase: f64,
    /// Body height (m).
    pub height: f64,
    /// Top speed (m/s).
    pub top_speed: f64,
    slot: Vector2<f64>,
    target: Vector2<f64>,
    want_speed: f64,
    cooldown_until: u64,
}

/// The ball's state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ball {
    /// Centre (m).
    pub pos: Point3<f64>,
    /// Velocity (m/s).
    pub vel: Vector3<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    KickOff {
        team: Team,
        ready_at: u64,
    },
    Open,
    Dead {
        kind: RestartKind,
        team: Team,
        spot: Vector2<f64>,
        since: u64,
    },
    Scored {
        conceding: Team,
        since: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct ShotState {
    keeper_may_save: bool,
}

/// Simulation settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimConfig {
    /// Seed for everything random in the match.
    pub seed: u64,
    /// Pitch dimensions.
    pub pitch: Pitch,
    /// Number of referees on the pitch, 1–3 (referee + assistants).
    pub referees: u8,
}

impl SimConfig {
    /// The default configuration for a seed (referee count varies with the seed).
    pub fn for_seed(seed: u64) -> Self {
        Self {
            seed,
            pitch: Pitch::STANDARD,
            referees: 1 + (seed % 3) as u8,
        }
    }
}

/// The whole match state.
#[derive(Debug, Clone)]
pub struct MatchSim {
    rng: ChaCha8Rng,
    pitch: Pitch,
    step: u64,
    /// Everyone on the pitch: 11 home (index 0 = goalkeeper), 11 away, then referees.
    pub people: Vec<Person>,
    /// The ball.
    pub ball: Ball,
    phase: Phase,
    controller: Option<usize>,
    last_touch: Option<usize>,
    decide_at: u64,
    receiver: Option<usize>,
    shot: Option<ShotState>,
    score: (u32, u32),
    events: Vec<SimEvent>,
}

/// Home 4-4-2 slots (home attacks +x); away mirrors x and y.
const FORMATION: [(f64, f64); 11] = [
    (-49.0, 0.0),
    (-30.0, -22.0),
    (-33.0, -8.0),
    (-33.0, 8.0),
    (-30.0, 22.0),
    (-11.0, -24.0),
    (-14.0, -8.0),
    (-14.0, 8.0),
    (-11.0, 24.0),
    (4.0, -7.0),
    (4.0, 7.0),
];
const SHIRT_NUMBERS: [u8; 11] = [1, 2, 4, 5, 3, 7, 6, 8, 11, 9, 10];

impl MatchSim {
    /// A new match at step 0, players in kick-off positions, home to kick off at t = 1 s.
    pub fn new(config: SimConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x005e_ed0f_f007_ba11);
        let mut people = Vec::with_capacity(25);
        for team in [Team::Home, Team::Away] {
            let s = team.attack_sign();
            for (i, (x, y)) in FORMATION.iter().enumerate() {
                let slot = Vector2::new(x * s, y * s);
                let class = if i == 0 {
                    ObjectClass::Goalkeeper
                } else {
                    ObjectClass::Player
                };
                people.push(Person {
                    id: format!("{}{}", team.letter(), SHIRT_NUMBERS[i]),
                    class,
                    team: Some(team),
                    number: SHIRT_NUMBERS[i],
                    pos: kickoff_slot(slot, team, i, team == Team::Home),
                    vel: Vector2::zeros(),
                    heading: if s > 0.0 { 0.0 } else { std::f64::consts::PI },
                    stride_phase: rng.random_range(0.0..std::f64::consts::TAU),
                    height: rng.random_range(1.72..1.93),
                    top_speed: rng.random_range(8.9..9.8),
                    slot,
                    target: slot,
                    want_speed: 0.0,
                    cooldown_until: 0,
                });
            }
        }
        let hw = config.pitch.half_width();
        for r in 0..config.referees.clamp(1, 3) {
            let pos = match r {
                0 => Vector2::new(-6.0, -8.0),
                1 => Vector2::new(15.0, -hw - 1.0),
                _ => Vector2::new(-15.0, hw + 1.0),
            };
            people.push(Person {
                id: format!("R{}", r + 1),
                class: ObjectClass::Referee,
                team: None,
                number: r + 1,
                pos,
                vel: Vector2::zeros(),
                heading: 0.5,
                stride_phase: 0.0,
                height: rng.random_range(1.74..1.88),
                top_speed: 8.5,
                slot: pos,
                target: pos,
                want_speed: 0.0,
                cooldown_until: 0,
            });
        }
        Self {
            rng,
            pitch: config.pitch,
            step: 0,
            people,
            ball: Ball {
                pos: Point3::new(0.0, 0.0, BALL_RADIUS),
                vel: Vector3::zeros(),
            },
            phase: Phase::KickOff {
                team: Team::Home,
                ready_at: SIM_HZ,
            },
            controller: None,
            last_touch: None,
            decide_at: 0,
            receiver: None,
            shot: None,
            score: (0, 0),
            events: Vec::new(),
        }
    }

    /// Current step index.
    pub fn step_index(&self) -> u64 {
        self.step
    }

    /// The pitch.
    pub fn pitch(&self) -> &Pitch {
        &self.pitch
    }

    /// Score (home, away).
    pub fn score(&self) -> (u32, u32) {
        self.score
    }

    /// Id of the player controlling the ball, if any.
    pub fn controller_id(&self) -> Option<&str> {
        self.controller.map(|i| self.people[i].id.as_str())
    }

    /// Takes the events produced since the last call.
    pub fn drain_events(&mut self) -> Vec<SimEvent> {
        std::mem::take(&mut self.events)
    }

    /// Advances the match by one step of `1 / SIM_HZ` seconds.
    pub fn step(&mut self) {
        self.step += 1;
        self.update_phase();
        self.assign_targets();
        self.move_people();
        self.move_ball();
        if self.phase == Phase::Open {
            self.check_ball_rules();
            if self.phase == Phase::Open {
                self.check_capture();
            }
        }
    }

    fn emit(&mut self, kind: EventKind) {
        self.events.push(SimEvent {
            step: self.step,
            kind,
        });
    }

    fn secs(&self, s: f64) -> u64 {
        self.step + (s * SIM_HZ as f64).round() as u64
    }

    fn team_range(team: Team) -> std::ops::Range<usize> {
        match team {
            Team::Home => 0..11,
            Team::Away => 11..22,
        }
    }

    fn goal_centre(&self, team_attacking: Team) -> Vector2<f64> {
        Vector2::new(team_attacking.attack_sign() * self.pitch.half_length(), 0.0)
    }

    // ---------------------------------------------------------------- phases and decisions

    fn update_phase(&mut self) {
        match self.phase {
            Phase::KickOff { team, ready_at } => {
                let settled = self
                    .people
                    .iter()
                    .take(22)
                    .all(|p| (p.pos - p.target).norm() < 2.0);
                if self.step >= ready_at && (settled || self.step > ready_at + 3 * SIM_HZ) {
                    let kicker = Self::team_range(team).start + 9;
                    let partner = Self::team_range(team).start + 6;
                    self.emit(EventKind::KickOff { team });
                    self.phase = Phase::Open;
                    self.last_touch = Some(kicker);
                    let target = self.people[partner].pos;
                    self.kick_ground(kicker, target, partner);
                }
            }
            Phase::Open => {
                if let Some(c) = self.controller {
                    self.contest(c);
                }
                if let Some(c) = self.controller {
                    if self.step >= self.decide_at {
                        self.decide(c);
                    }
                }
            }
            Phase::Dead {
                kind,
                team,
                spot,
                since,
            } => {
                let placed_at = since + SIM_HZ;
                if self.step == placed_at {
                    let z = if kind == RestartKind::ThrowIn {
                        2.0
                    } else {
                        BALL_RADIUS
                    };
                    self.ball.pos = Point3::new(spot.x, spot.y, z);
                    self.ball.vel = Vector3::zeros();
                }
                if self.step > placed_at + 2 * SIM_HZ {
                    let taker = self.restart_taker(kind, team);
                    if (self.people[taker].pos - spot).norm() < 1.0
                        || self.step > placed_at + 6 * SIM_HZ
                    {
                        self.take_restart(kind, team, taker);
                    }
                }
            }
            Phase::Scored { conceding, since } => {
                if self.step >= since + 5 * SIM_HZ / 2 {
                    self.ball.pos = Point3::new(0.0, 0.0, BALL_RADIUS);
                    self.ball.vel = Vector3::zeros();
                    self.phase = Phase::KickOff {
                        team: conceding,
                        ready_at: self.secs(2.0),
                    };
                }
            }
        }
    }

    fn contest(&mut self, c: usize) {
        let Some(team) = self.people[c].team else {
            return;
        };
        let pos = self.people[c].pos;
        let mut best: Option<(usize, f64)> = None;
        for o in Self::team_range(team.other()) {
            let d = (self.people[o].pos - pos).norm();
            if d < 1.1 && best.is_none_or(|(_, bd)| d < bd) {
                best = Some((o, d));
            }
        }
        if let Some((o, _)) = best {
            // Tackle success rate ≈ 0.45 per second of close contact.
            if self.rng.random::<f64>() < 0.45 * DT {
                self.people[c].cooldown_until = self.secs(0.8);
                if self.rng.random::<f64>() < 0.5 {
                    self.take_control(o);
                } else {
                    // Poked away: the ball runs loose (often toward the nearest line).
                    let a = self.rng.random_range(0.0..std::f64::consts::TAU);
                    let toward_line = Vector2::new(0.0, pos.y.signum());
                    let dir = (Vector2::new(a.cos(), a.sin()) + toward_line * 0.8).normalize();
                    let v = self.rng.random_range(5.0..11.0);
                    self.controller = None;
                    self.receiver = None;
                    self.last_touch = Some(o);
                    self.people[o].cooldown_until = self.secs(0.3);
                    self.ball.vel = Vector3::new(dir.x * v, dir.y * v, 0.0);
                }
            }
        }
    }

    fn take_control(&mut self, i: usize) {
        let changed = self.controller != Some(i);
        self.controller = Some(i);
        self.last_touch = Some(i);
        self.receiver = None;
        self.shot = None;
        let wait = self.rng.random_range(0.2..0.6);
        self.decide_at = self.secs(wait);
        if changed {
            if let Some(team) = self.people[i].team {
                let player = self.people[i].id.clone();
                self.emit(EventKind::Possession { team, player });
            }
        }
    }

    fn decide(&mut self, c: usize) {
        let Some(team) = self.people[c].team else {
            return;
        };
        let pos = self.people[c].pos;
        let goal = self.goal_centre(team);
        let d_goal = (goal - pos).norm();
        let angle_ok = (goal.x - pos.x).abs() > 4.0 || d_goal < 12.0;
        let is_keeper = self.people[c].class == ObjectClass::Goalkeeper;
        let r: f64 = self.rng.random();
        let own_goal_d = (self.goal_centre(team.other()) - pos).norm();
        let pressed =
            Self::team_range(team.other()).any(|o| (self.people[o].pos - pos).norm() < 4.0);
        if !is_keeper && own_goal_d < 35.0 && pressed && r < 0.6 {
            // Clearance: long and toward the wings, often over the touch line.
            let s = team.attack_sign();
            let side = if pos.y >= 0.0 { 1.0 } else { -1.0 };
            let target = Vector2::new(
                pos.x + s * self.rng.random_range(25.0..45.0),
                side * (self.pitch.half_width() + self.rng.random_range(-10.0..6.0)),
            );
            let receiver = self.nearest_of(team, target, Some(c));
            let flight = self.rng.random_range(1.8..2.6);
            self.kick_lofted(c, target, flight, receiver);
            return;
        }
        if !is_keeper && d_goal < 38.0 && angle_ok && (r < 0.9 || d_goal < 14.0) {
            self.shoot(c);
        } else if is_keeper || r < if d_goal < 45.0 { 0.3 } else { 0.55 } || d_goal > 70.0 {
            if !self.pass(c) {
                self.decide_at = self.secs(0.4);
            }
        } else {
            let wait = self.rng.random_range(0.4..1.0);
            self.decide_at = self.secs(wait);
        }
    }

    fn pass(&mut self, c: usize) -> bool {
        let Some(team) = self.people[c].team else {
            return false;
        };
        let s = team.attack_sign();
        let pos = self.people[c].pos;
        let mut options: Vec<(usize, f64)> = Vec::new();
        for j in Self::team_range(team) {
            if j == c || self.people[j].class == ObjectClass::Goalkeeper {
                continue;
            }
            let q = self.people[j].pos;
            let d = (q - pos).norm();
            if !(6.0..=50.0).contains(&d) {
                continue;
            }
            let forward = (q.x - pos.x) * s;
            let open = Self::team_range(team.other())
                .map(|o| (self.people[o].pos - q).norm())
                .fold(f64::INFINITY, f64::min)
                .min(8.0);
            let score = 0.22 * forward + 0.3 * open - 0.02 * (d - 22.0).abs();
            options.push((j, score));
        }
        if options.is_empty() {
            return false;
        }
        let max = options
            .iter()
            .map(|o| o.1)
            .fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = options.iter().map(|o| (o.1 - max).exp()).sum();
        let mut pick = self.rng.random::<f64>() * total;
        let mut chosen = options[0].0;
        for (j, sc) in &options {
            pick -= (sc - max).exp();
            if pick <= 0.0 {
                chosen = *j;
                break;
            }
        }
        let rp = &self.people[chosen];
        let lead = rp.pos + rp.vel * 0.6 + Vector2::new(s * 3.0, 0.0);
        let target = self.clamp_in_pitch(lead, 2.0);
        let d = (target - pos).norm();
        // Passes are not perfect: the error grows with distance.
        let err = 0.4 + 0.09 * d;
        let target = target + Vector2::new(gauss(&mut self.rng), gauss(&mut self.rng)) * err;
        let blocked = Self::team_range(team.other())
            .any(|o| dist_to_segment(self.people[o].pos, pos, target) < 1.5);
        if d > 28.0 || (blocked && self.rng.random::<f64>() < 0.6) {
            let flight = 0.9 + d / 30.0;
            self.kick_lofted(c, target, flight, chosen);
        } else {
            self.kick_ground(c, target, chosen);
        }
        true
    }

    fn shoot(&mut self, c: usize) {
        let Some(team) = self.people[c].team else {
            return;
        };
        let end_x = team.attack_sign() * (self.pitch.half_length() + 0.6);
        let from = self.ball.pos;
        let d = (Vector2::new(end_x, 0.0) - from.xy().coords).norm();
        let half = pitch::GOAL_WIDTH / 2.0;
        let y =
            self.rng.random_range(-(half - 0.5)..(half - 0.5)) + gauss(&mut self.rng) * 0.065 * d;
        let z = self.rng.random_range(0.15..2.0) + gauss(&mut self.rng).abs() * 0.025 * d;
        let on_target = y.abs() < half - BALL_RADIUS - 0.05 && z < pitch::GOAL_HEIGHT - 0.2;
        let speed = self.rng.random_range(19.0..27.0);
        let dx = Vector2::new(end_x - from.x, y - from.y);
        let t = dx.norm() / speed;
        let vz = (z - from.z + 0.5 * G * t * t) / t;
        let vxy = dx / t;
        self.ball.vel = Vector3::new(vxy.x, vxy.y, vz);
        let save_p = (0.15 + 0.005 * d).min(0.3);
        self.shot = Some(ShotState {
            keeper_may_save: on_target && self.rng.random::<f64>() < save_p,
        });
        self.release(c);
        let player = self.people[c].id.clone();
        self.emit(EventKind::Shot {
            team,
            player,
            on_target,
        });
    }

    fn release(&mut self, c: usize) {
        self.controller = None;
        self.last_touch = Some(c);
        self.people[c].cooldown_until = self.secs(0.35);
    }

    fn kick_ground(&mut self, c: usize, target: Vector2<f64>, receiver: usize) {
        let from = self.ball.pos.xy().coords;
        let d = (target - from).norm().max(0.1);
        let v_end = 8.0;
        let v0 = (v_end * v_end + 2.0 * ROLL_DECEL * d).sqrt().min(24.0);
        let dir = (target - from) / d;
        self.ball.pos.z = BALL_RADIUS;
        self.ball.vel = Vector3::new(dir.x * v0, dir.y * v0, 0.0);
        self.shot = None;
        self.release(c);
        self.receiver = Some(receiver);
    }

    fn kick_lofted(&mut self, c: usize, target: Vector2<f64>, flight_s: f64, receiver: usize) {
        let from = self.ball.pos;
        let dxy = target - from.xy().coords;
        let vxy = dxy / flight_s;
        let vz = (BALL_RADIUS - from.z + 0.5 * G * flight_s * flight_s) / flight_s;
        self.ball.vel = Vector3::new(vxy.x, vxy.y, vz);
        self.shot = None;
        self.release(c);
        self.receiver = Some(receiver);
    }

    fn restart_taker(&self, kind: RestartKind, team: Team) -> usize {
        let range = Self::team_range(team);
        if kind == RestartKind::GoalKick {
            return range.start;
        }
        let Phase::Dead { spot, .. } = self.phase else {
            return range.start + 9;
        };
        range
            .skip(1)
            .min_by(|&a, &b| {
                let da = (self.people[a].slot_target_dist(spot))
                    .total_cmp(&self.people[b].slot_target_dist(spot));
                da.then(a.cmp(&b))
            })
            .unwrap_or(Self::team_range(team).start + 9)
    }

    fn take_restart(&mut self, kind: RestartKind, team: Team, taker: usize) {
        let s = team.attack_sign();
        let taker_id = self.people[taker].id.clone();
        self.phase = Phase::Open;
        self.last_touch = Some(taker);
        self.emit(EventKind::Restart {
            kind,
            team,
            taker: taker_id,
        });
        match kind {
            RestartKind::Corner => {
                let x = s * (self.pitch.half_length() - self.rng.random_range(6.0..12.0));
                let y = self.rng.random_range(-7.0..7.0);
                let receiver = self.nearest_of(team, Vector2::new(x, y), Some(taker));
                self.kick_lofted(taker, Vector2::new(x, y), 1.5, receiver);
            }
            RestartKind::GoalKick => {
                let x = self.ball.pos.x + s * self.rng.random_range(30.0..45.0);
                let y = self.rng.random_range(-20.0..20.0);
                let target = self.clamp_in_pitch(Vector2::new(x, y), 3.0);
                let receiver = self.nearest_of(team, target, Some(taker));
                self.kick_lofted(taker, target, 2.4, receiver);
            }
            RestartKind::ThrowIn | RestartKind::KickOff => {
                let receiver = self.nearest_of(team, self.ball.pos.xy().coords, Some(taker));
                let target = self.people[receiver].pos;
                let target = self.clamp_in_pitch(target, 2.0);
                self.kick_lofted(taker, target, 0.9, receiver);
            }
        }
    }

    fn nearest_of(&self, team: Team, p: Vector2<f64>, except: Option<usize>) -> usize {
        let range = Self::team_range(team);
        let start = range.start;
        range
            .skip(1)
            .filter(|&i| Some(i) != except)
            .min_by(|&a, &b| {
                (self.people[a].pos - p)
                    .norm()
                    .total_cmp(&(self.people[b].pos - p).norm())
                    .then(a.cmp(&b))
            })
            .unwrap_or(start + 9)
    }

    fn clamp_in_pitch(&self, p: Vector2<f64>, margin: f64) -> Vector2<f64> {
        Vector2::new(
            p.x.clamp(
                -self.pitch.half_length() + margin,
                self.pitch.half_length() - margin,
            ),
            p.y.clamp(
                -self.pitch.half_width() + margin,
                self.pitch.half_width() - margin,
            ),
        )
    }

    // ---------------------------------------------------------------- movement targets

    fn assign_targets(&mut self) {
        let ball = self.ball.pos.xy().coords;
        let predicted = self.predicted_ball();
        let possession = self.controller.and_then(|c| self.people[c].team);
        let hl = self.pitch.half_length();
        let hw = self.pitch.half_width();
        let phase = self.phase;
        // Chasers of a loose ball / pressers of the ball carrier.
        let mut chasers = [None, None];
        if phase == Phase::Open {
            for (k, team) in [Team::Home, Team::Away].into_iter().enumerate() {
                if possession == Some(team) {
                    continue;
                }
                let aim = if self.controller.is_some() {
                    ball
                } else {
                    predicted
                };
                let best = Self::team_range(team)
                    .skip(1)
                    .filter(|&i| self.people[i].cooldown_until <= self.step)
                    .min_by(|&a, &b| {
                        (self.people[a].pos - aim)
                            .norm()
                            .total_cmp(&(self.people[b].pos - aim).norm())
                            .then(a.cmp(&b))
                    });
                chasers[k] = best;
            }
        }
        for i in 0..self.people.len() {
            let p = &self.people[i];
            let (target, speed) = match (p.team, phase) {
                (None, _) => self.referee_target(i, ball),
                (Some(team), Phase::KickOff { team: kt, .. }) => {
                    let home_side = team == kt;
                    let k = i - Self::team_range(team).start;
                    (kickoff_slot(p.slot, team, k, home_side), 7.0)
                }
                (Some(team), Phase::Scored { .. }) => {
                    let k = i - Self::team_range(team).start;
                    (kickoff_slot(p.slot, team, k, false), 4.0)
                }
                (Some(team), _) => {
                    let s = team.attack_sign();
                    if Some(i) == self.controller {
                        // Dribble toward goal, bending away from the nearest opponent.
                        let goal = self.goal_centre(team);
                        let mut dir = (goal - p.pos).normalize();
                        if let Some(o) = Self::team_range(team.other()).min_by(|&a, &b| {
                            (self.people[a].pos - p.pos)
                                .norm()
                                .total_cmp(&(self.people[b].pos - p.pos).norm())
                        }) {
                            let away = p.pos - self.people[o].pos;
                            let d = away.norm();
                            if d < 6.0 && d > 1e-6 {
                                dir += away / d * (6.0 - d) / 6.0;
                            }
                        }
                        let dir = dir.try_normalize(1e-9).unwrap_or(Vector2::new(s, 0.0));
                        (p.pos + dir * 5.0, 7.6)
                    } else if Some(i) == self.receiver && self.controller.is_none() {
                        (predicted, p.top_speed)
                    } else if chasers.contains(&Some(i)) {
                        (
                            if self.controller.is_some() {
                                ball
                            } else {
                                predicted
                            },
                            if self.controller.is_some() {
                                p.top_speed * 0.66
                            } else {
                                p.top_speed * 0.97
                            },
                        )
                    } else if p.class == ObjectClass::Goalkeeper {
                        let gx = -s * hl;
                        let to_ball = ball - Vector2::new(gx, 0.0);
                        let out = (to_ball.norm() * 0.12).clamp(0.5, 6.0);
                        let dir = to_ball.try_normalize(1e-9).unwrap_or(Vector2::new(s, 0.0));
                        let mut t = Vector2::new(gx, 0.0) + dir * out;
                        t.y = t.y.clamp(-3.2, 3.2);
                        if let (Some(_), true) = (self.shot, self.controller.is_none()) {
                            // Move across to the shot line.
                            t = Vector2::new(t.x, self.ball_y_at_x(t.x).clamp(-4.0, 4.0));
                        }
                        (t, 7.0)
                    } else {
                        let attacking = possession == Some(team);
                        let shift_x = ball.x * 0.55 + s * if attacking { 7.0 } else { -3.0 };
                        let mut t =
                            Vector2::new(p.slot.x * 0.8 + shift_x, p.slot.y * 0.85 + ball.y * 0.25);
                        let k = i - Self::team_range(team).start;
                        if attacking && k >= 9 {
                            // Strikers run onto the last defender's shoulder.
                            let line = self.offside_line(team.other());
                            t.x = if s > 0.0 {
                                t.x.max(line - 1.0)
                            } else {
                                t.x.min(line + 1.0)
                            };
                        }
                        if let Phase::Dead {
                            kind: RestartKind::Corner,
                            spot,
                            ..
                        } = phase
                        {
                            // Crowd the box for a corner.
                            let end = spot.x.signum();
                            if p.slot.x * s > -20.0 || (p.slot.x * s > -36.0 && end * s < 0.0) {
                                t = Vector2::new(
                                    end * (hl - 8.0 - (p.number as f64 % 4.0) * 2.0),
                                    p.slot.y * 0.35,
                                );
                            }
                        }
                        let t = Vector2::new(
                            t.x.clamp(-hl + 3.0, hl - 3.0),
                            t.y.clamp(-hw + 2.0, hw - 2.0),
                        );
                        let d = (t - p.pos).norm();
                        (t, (d * 0.9).clamp(0.0, if attacking { 7.5 } else { 6.5 }))
                    }
                }
            };
            // Opponents keep 9.15 m from a restart.
            let target = match (phase, p.team) {
                (Phase::Dead { team: rt, spot, .. }, Some(team))
                    if team != rt && (target - spot).norm() < 9.5 =>
                {
                    let away = (target - spot)
                        .try_normalize(1e-9)
                        .unwrap_or(Vector2::new(-spot.x.signum(), 0.0));
                    spot + away * 9.5
                }
                _ => target,
            };
            let p = &mut self.people[i];
            p.target = target;
            p.want_speed = speed;
        }
        // Restart takers walk to the ball.
        if let Phase::Dead {
            kind, team, spot, ..
        } = phase
        {
            let taker = self.restart_taker(kind, team);
            let off = Vector2::new(
                if spot.x.abs() >= hl - 0.1 {
                    spot.x.signum() * 0.6
                } else {
                    0.0
                },
                if spot.y.abs() >= hw - 0.1 {
                    spot.y.signum() * 0.5
                } else {
                    0.0
                },
            );
            self.people[taker].target = spot + off;
            self.people[taker].want_speed = 6.0;
        }
        if let Phase::KickOff { team, .. } = phase {
            let k = Self::team_range(team).start + 9;
            self.people[k].target = Vector2::new(-team.attack_sign() * 0.35, 0.0);
        }
    }

    fn referee_target(&self, i: usize, ball: Vector2<f64>) -> (Vector2<f64>, f64) {
        let hl = self.pitch.half_length();
        let hw = self.pitch.half_width();
        let p = &self.people[i];
        match p.number {
            1 => {
                let t = Vector2::new(ball.x - 9.0, ball.y - 11.0 * ball.y.signum().max(0.0) + 6.0);
                let t = Vector2::new(
                    t.x.clamp(-hl + 8.0, hl - 8.0),
                    t.y.clamp(-hw + 4.0, hw - 4.0),
                );
                let d = (t - p.pos).norm();
                (t, (d * 0.8).min(7.5))
            }
            2 => {
                // Level with the second-last away defender in the +x half.
                let line = self.offside_line(Team::Away).max(ball.x).clamp(0.0, hl);
                let t = Vector2::new(line, -hw - 1.2);
                (t, ((t - p.pos).norm() * 1.2).min(7.0))
            }
            _ => {
                let line = self.offside_line(Team::Home).min(ball.x).clamp(-hl, 0.0);
                let t = Vector2::new(line, hw + 1.2);
                (t, ((t - p.pos).norm() * 1.2).min(7.0))
            }
        }
    }

    fn offside_line(&self, defending: Team) -> f64 {
        let s = -defending.attack_sign(); // direction of the defending team's own goal
        let mut xs: Vec<f64> = Self::team_range(defending)
            .map(|i| self.people[i].pos.x * s)
            .collect();
        xs.sort_by(|a, b| b.total_cmp(a));
        xs.get(1).copied().unwrap_or(0.0) * s
    }

    fn predicted_ball(&self) -> Vector2<f64> {
        let b = &self.ball;
        let v = b.vel.xy();
        if b.pos.z > BALL_RADIUS + 0.05 || b.vel.z > 0.1 {
            // Landing point of the flight.
            let z0 = b.pos.z - BALL_RADIUS;
            let t = (b.vel.z + (b.vel.z * b.vel.z + 2.0 * G * z0).sqrt()) / G;
            b.pos.xy().coords + v * t
        } else {
            let speed = v.norm();
            let t = (speed / ROLL_DECEL).min(1.2);
            b.pos.xy().coords + v * t * 0.6
        }
    }

    fn ball_y_at_x(&self, x: f64) -> f64 {
        let b = &self.ball;
        if b.vel.x.abs() < 1e-6 {
            return b.pos.y;
        }
        let t = ((x - b.pos.x) / b.vel.x).max(0.0);
        b.pos.y + b.vel.y * t
    }

    // ---------------------------------------------------------------- integration

    fn move_people(&mut self) {
        let n = self.people.len();
        let positions: Vec<Vector2<f64>> = self.people.iter().map(|p| p.pos).collect();
        for i in 0..n {
            let p = &self.people[i];
            let to = p.target - p.pos;
            let d = to.norm();
            let mut desired = if d > 1e-6 {
                to / d * p.want_speed.min(d * 1.6)
            } else {
                Vector2::zeros()
            };
            // Keep a little personal space.
            for (j, q) in positions.iter().enumerate() {
                if j == i {
                    continue;
                }
                let away = p.pos - q;
                let dd = away.norm();
                if dd < 1.3 && dd > 1e-6 {
                    desired += away / dd * (1.3 - dd) * 2.5;
                }
            }
            let top = p.top_speed;
            let p = &mut self.people[i];
            let dv = desired - p.vel;
            let braking = desired.norm() < p.vel.norm();
            let a_max = if braking { 6.0 } else { 4.2 };
            let dv_max = a_max * DT;
            let dv = if dv.norm() > dv_max {
                dv * (dv_max / dv.norm())
            } else {
                dv
            };
            p.vel += dv;
            let speed = p.vel.norm();
            if speed > top {
                p.vel *= top / speed;
            }
            p.pos += p.vel * DT;
            let speed = p.vel.norm();
            if speed > 0.4 {
                let want = p.vel.y.atan2(p.vel.x);
                p.heading = turn_toward(p.heading, want, 8.0 * DT);
            } else if p.class != ObjectClass::Referee {
                let to_ball = self.ball.pos.xy().coords - p.pos;
                if to_ball.norm() > 0.5 {
                    p.heading = turn_toward(p.heading, to_ball.y.atan2(to_ball.x), 3.0 * DT);
                }
            }
            p.stride_phase =
                (p.stride_phase + speed * DT * std::f64::consts::PI / 1.05) % std::f64::consts::TAU;
        }
    }

    fn move_ball(&mut self) {
        if let Some(c) = self.controller {
            let p = &self.people[c];
            let dir = Vector2::new(p.heading.cos(), p.heading.sin());
            let want = p.pos + dir * (0.55 + 0.05 * p.vel.norm());
            let cur = self.ball.pos.xy().coords;
            let v = (want - cur) / 0.08;
            let v = if v.norm() > 14.0 {
                v * (14.0 / v.norm())
            } else {
                v
            };
            let next = cur + v * DT;
            self.ball.vel = Vector3::new(v.x, v.y, 0.0);
            self.ball.pos = Point3::new(next.x, next.y, BALL_RADIUS);
            return;
        }
        let b = &mut self.ball;
        let airborne = b.pos.z > BALL_RADIUS + 1e-6 || b.vel.z > 1e-6;
        if airborne {
            b.vel.z -= G * DT;
            let drag = 0.004 * b.vel.norm();
            b.vel *= 1.0 - drag * DT;
        } else {
            let v = b.vel.xy();
            let speed = v.norm();
            let dec = (ROLL_DECEL + 0.01 * speed * speed) * DT;
            if speed <= dec {
                b.vel = Vector3::zeros();
            } else {
                let k = (speed - dec) / speed;
                b.vel.x *= k;
                b.vel.y *= k;
            }
            b.vel.z = 0.0;
        }
        b.pos += b.vel * DT;
        if b.pos.z < BALL_RADIUS {
            b.pos.z = BALL_RADIUS;
            if b.vel.z < -1.2 {
                b.vel.z = -b.vel.z * 0.55;
                b.vel.x *= 0.8;
                b.vel.y *= 0.8;
            } else {
                b.vel.z = 0.0;
            }
        }
        // The net: once behind the goal line inside the frame, the ball stays in the goal.
        let hl = self.pitch.half_length();
        if b.pos.x.abs() > hl + BALL_RADIUS
            && b.pos.y.abs() < pitch::GOAL_WIDTH / 2.0 - BALL_RADIUS
            && b.pos.z < pitch::GOAL_HEIGHT - BALL_RADIUS
            && matches!(self.phase, Phase::Scored { .. })
        {
            let back = hl + pitch::GOAL_DEPTH - 0.3;
            if b.pos.x.abs() > back {
                b.pos.x = back * b.pos.x.signum();
                b.vel *= 0.15;
                b.vel.x = -b.vel.x;
            }
            let ylim = pitch::GOAL_WIDTH / 2.0 - BALL_RADIUS - 0.1;
            if b.pos.y.abs() > ylim {
                b.pos.y = ylim * b.pos.y.signum();
                b.vel.y = -b.vel.y * 0.2;
            }
            let zlim = pitch::GOAL_HEIGHT - BALL_RADIUS - 0.15;
            if b.pos.z > zlim {
                b.pos.z = zlim;
                b.vel.z = -b.vel.z.abs() * 0.2;
            }
            // Keep it wholly over the line.
            let front = hl + BALL_RADIUS + 0.05;
            if b.pos.x.abs() < front {
                b.pos.x = front * b.pos.x.signum();
                b.vel.x = 0.0;
            }
        }
    }

    // ---------------------------------------------------------------- rules

    fn check_ball_rules(&mut self) {
        let pos = self.ball.pos;
        if let Some(end) = self.pitch.ball_in_goal(&pos, BALL_RADIUS) {
            let team = match end {
                End::PosX => Team::Home,
                End::NegX => Team::Away,
            };
            match team {
                Team::Home => self.score.0 += 1,
                Team::Away => self.score.1 += 1,
            }
            let scorer = self
                .last_touch
                .filter(|&i| self.people[i].team == Some(team))
                .map(|i| self.people[i].id.clone());
            let score = self.score;
            self.emit(EventKind::Goal {
                team,
                scorer,
                end,
                score,
            });
            self.controller = None;
            self.receiver = None;
            self.shot = None;
            self.phase = Phase::Scored {
                conceding: team.other(),
                since: self.step,
            };
            return;
        }
        if let Some(boundary) = self.pitch.ball_out_of_play(&pos, BALL_RADIUS) {
            let last_team = self
                .last_touch
                .and_then(|i| self.people[i].team)
                .unwrap_or(Team::Home);
            let hl = self.pitch.half_length();
            let hw = self.pitch.half_width();
            let (kind, team, spot) = match boundary {
                Boundary::Touch => (
                    RestartKind::ThrowIn,
                    last_team.other(),
                    Vector2::new(pos.x.clamp(-hl + 1.0, hl - 1.0), pos.y.signum() * hw),
                ),
                Boundary::GoalLine(end) => {
                    let defending = match end {
                        End::PosX => Team::Away,
                        End::NegX => Team::Home,
                    };
                    if last_team == defending {
                        (
                            RestartKind::Corner,
                            defending.other(),
                            Vector2::new(end.sign() * hl, pos.y.signum() * hw),
                        )
                    } else {
                        (
                            RestartKind::GoalKick,
                            defending,
                            Vector2::new(
                                end.sign() * (hl - pitch::GOAL_AREA_DEPTH),
                                pos.y.signum() * 5.0,
                            ),
                        )
                    }
                }
            };
            self.emit(EventKind::OutOfPlay {
                boundary,
                restart: kind,
                team,
            });
            self.controller = None;
            self.receiver = None;
            self.shot = None;
            self.phase = Phase::Dead {
                kind,
                team,
                spot,
                since: self.step,
            };
        }
    }

    fn check_capture(&mut self) {
        if self.controller.is_some() {
            return;
        }
        let b = self.ball.pos;
        let speed = self.ball.vel.norm();
        let mut best: Option<(usize, f64)> = None;
        for (i, p) in self.people.iter().enumerate().take(22) {
            if p.cooldown_until > self.step {
                continue;
            }
            let d = (p.pos - b.xy().coords).norm();
            let keeper_in_box = p.class == ObjectClass::Goalkeeper
                && b.x.abs() > self.pitch.half_length() - pitch::PENALTY_AREA_DEPTH
                && b.x.signum() == -p.team.map_or(0.0, Team::attack_sign);
            let (reach, max_z) = if keeper_in_box {
                (1.7, 2.6)
            } else {
                (0.85, 1.9)
            };
            if d > reach || b.z > max_z {
                continue;
            }
            if let Some(shot) = self.shot {
                // Shots beat outfield players; the keeper holds only the ones he is given.
                if !(keeper_in_box && shot.keeper_may_save) {
                    continue;
                }
            } else if speed > 26.0 {
                continue;
            }
            if best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
        let Some((i, _)) = best else {
            return;
        };
        let was_shot = self.shot.is_some();
        if was_shot && self.rng.random::<f64>() < 0.45 {
            // Parried: the keeper pushes it wide, usually behind for a corner.
            let v = self.ball.vel;
            let side = if b.y >= 0.0 { 1.0 } else { -1.0 };
            self.ball.vel = Vector3::new(v.x * 0.35, side * self.rng.random_range(5.0..9.0), 2.5);
            self.shot = None;
            self.last_touch = Some(i);
            self.people[i].cooldown_until = self.secs(1.0);
            if let Some(team) = self.people[i].team {
                let player = self.people[i].id.clone();
                self.emit(EventKind::Save { team, player });
            }
            return;
        }
        self.take_control(i);
        let p = &self.people[i];
        if was_shot {
            if let Some(team) = p.team {
                let player = p.id.clone();
                self.emit(EventKind::Save { team, player });
            }
            self.decide_at = self.secs(1.5);
        } else if let Some(team) = p.team {
            // A cross met in the box is struck first time.
            let goal = self.goal_centre(team);
            if (goal - p.pos).norm() < 16.0 && b.z > 0.6 && p.class == ObjectClass::Player {
                self.decide_at = self.step;
            }
        }
    }
}

impl Person {
    fn slot_target_dist(&self, spot: Vector2<f64>) -> f64 {
        (self.pos - spot).norm()
    }
}

/// Rolling deceleration on grass (m/s²).
const ROLL_DECEL: f64 = 1.3;

fn kickoff_slot(slot: Vector2<f64>, team: Team, k: usize, kicking: bool) -> Vector2<f64> {
    let s = team.attack_sign();
    // In the home frame (attacking +x), keep everyone in the own half and outside the circle.
    let hx = slot.x * s;
    let hy = slot.y * s;
    let mut x = (hx * 0.95).min(-1.0);
    let y = hy;
    if k == 9 && kicking {
        return Vector2::new(-0.35 * s, 0.0);
    }
    if k == 6 && kicking {
        return Vector2::new(-10.0 * s, -4.0 * s);
    }
    if x > -9.5 && y.abs() < 9.5 {
        x = -10.0;
    }
    Vector2::new(x * s, y * s)
}

fn turn_toward(from: f64, to: f64, max: f64) -> f64 {
    let mut d = to - from;
    while d > std::f64::consts::PI {
        d -= std::f64::consts::TAU;
    }
    while d < -std::f64::consts::PI {
        d += std::f64::consts::TAU;
    }
    from + d.clamp(-max, max)
}

fn dist_to_segment(p: Vector2<f64>, a: Vector2<f64>, b: Vector2<f64>) -> f64 {
    let ab = b - a;
    let l2 = ab.norm_squared();
    if l2 < 1e-12 {
        return (p - a).norm();
    }
    let t = ((p - a).dot(&ab) / l2).clamp(0.0, 1.0);
    (p - (a + ab * t)).norm()
}

/// A standard normal sample (Box–Muller), deterministic for a given RNG state.
pub fn gauss<R: Rng>(rng: &mut R) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seed: u64, seconds: u64) -> (MatchSim, Vec<SimEvent>) {
        let mut sim = MatchSim::new(SimConfig::for_seed(seed));
        let mut events = Vec::new();
        for _ in 0..seconds * SIM_HZ {
            sim.step();
            events.extend(sim.drain_events());
        }
        (sim, events)
    }

    #[test]
    fn same_seed_same_match() {
        let (a, ea) = run(3, 20);
        let (b, eb) = run(3, 20);
        assert_eq!(ea, eb);
        assert_eq!(a.people, b.people);
        assert_eq!(a.ball, b.ball);
        let (c, _) = run(4, 20);
        assert_ne!(a.ball, c.ball);
    }

    #[test]
    fn kinematics_stay_human() {
        let mut sim = MatchSim::new(SimConfig::for_seed(11));
        let mut prev: Vec<Vector2<f64>> = sim.people.iter().map(|p| p.vel).collect();
        let mut top = 0.0f64;
        for _ in 0..40 * SIM_HZ {
            sim.step();
            for (p, v0) in sim.people.iter().zip(&prev) {
                let speed = p.vel.norm();
                top = top.max(speed);
                assert!(speed <= 9.8 + 1e-9, "{} at {speed} m/s", p.id);
                let acc = (p.vel - v0).norm() / DT;
                assert!(acc <= 6.0 + 1e-6, "{} accelerates {acc} m/s²", p.id);
            }
            prev = sim.people.iter().map(|p| p.vel).collect();
        }
        assert!(top > 7.5, "nobody sprints: top speed {top}");
    }

    #[test]
    fn matches_have_goals_kickoffs_and_restarts() {
        let mut goals = 0;
        let mut outs = 0;
        let mut kickoffs = 0;
        for seed in 1..=4 {
            let (_, events) = run(seed, 90);
            for e in &events {
                match e.kind {
                    EventKind::Goal { .. } => goals += 1,
                    EventKind::OutOfPlay { .. } => outs += 1,
                    EventKind::KickOff { .. } => kickoffs += 1,
                    _ => {}
                }
            }
        }
        // 360 s of play: attacking football (≥ 1 goal per 45 s on average), balls going out,
        // and a kick-off after every goal (the first kick-off covers a goal at the very end).
        assert!(goals >= 8, "only {goals} goals in 360 s");
        assert!(outs >= 3, "only {outs} outs in 360 s");
        assert!(kickoffs >= goals, "{kickoffs} kick-offs for {goals} goals");
    }
}
