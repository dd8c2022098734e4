//! Referee recovery by shirt colour, learned from the detector's own confident output. Pure.
//!
//! A detector that names roles (touchline-det) calls a referee a player far more often than
//! the reverse (validation: ~8 % against ~0.1 %; on some looks a third of the referee's frames).
//! Within one match and camera the referee's shirt is one colour, chosen to differ from both
//! teams. [`RoleLearner`] keeps running colour centroids: one for confident `Referee`
//! detections, two (online 2-means) for confident `Player` detections. Once all three have
//! enough samples, a `Player` detection whose torso colour is much nearer the referee centroid
//! than either team's is relabelled `Referee`. Goalkeepers are left alone (the detector's
//! goalkeeper precision is ~0.99), and nothing is ever relabelled towards `Player`.

use super::kit::colour_feature;
use super::manifest::ObjectClass;

/// Settings of [`RoleLearner`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoleLearnerConfig {
    /// Detections at or above this score teach the centroids.
    pub learn_score: f32,
    /// Samples each centroid needs before any relabelling.
    pub min_samples: u32,
    /// A player is relabelled when its distance to the referee centroid is below this fraction
    /// of its distance to the nearest team centroid.
    pub ratio: f32,
    /// A second team centroid starts from the first player colour at least this far from the
    /// first (colour-feature units: chromaticity plus scaled brightness).
    pub min_team_separation: f32,
}

impl Default for RoleLearnerConfig {
    fn default() -> Self {
        RoleLearnerConfig {
            learn_score: 0.6,
            min_samples: 30,
            ratio: 0.5,
            min_team_separation: 0.08,
        }
    }
}

/// Running mean that becomes an exponential one after `1 / SMOOTHING` samples, so a centroid
/// follows slow lighting changes.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Centroid {
    mean: [f32; 4],
    samples: u32,
}

const SMOOTHING: f32 = 1.0 / 256.0;

impl Centroid {
    fn new(f: [f32; 4]) -> Self {
        Centroid {
            mean: f,
            samples: 1,
        }
    }

    fn add(&mut self, f: [f32; 4]) {
        self.samples = self.samples.saturating_add(1);
        let a = (1.0 / self.samples as f32).max(SMOOTHING);
        for (m, v) in self.mean.iter_mut().zip(f) {
            *m += a * (v - *m);
        }
    }

    fn distance(&self, f: [f32; 4]) -> f32 {
        self.mean
            .iter()
            .zip(f)
            .map(|(m, v)| (m - v) * (m - v))
            .sum::<f32>()
            .sqrt()
    }
}

/// Per-camera referee recovery state; see the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleLearner {
    config: RoleLearnerConfig,
    referee: Option<Centroid>,
    teams: [Option<Centroid>; 2],
    relabelled: u64,
}

impl RoleLearner {
    /// A learner with no samples.
    pub fn new(config: RoleLearnerConfig) -> Self {
        RoleLearner {
            config,
            referee: None,
            teams: [None, None],
            relabelled: 0,
        }
    }

    /// Detections relabelled `Referee` so far.
    pub fn relabelled(&self) -> u64 {
        self.relabelled
    }

    fn learn(&mut self, class: ObjectClass, f: [f32; 4]) {
        match class {
            ObjectClass::Referee => match &mut self.referee {
                Some(c) => c.add(f),
                None => self.referee = Some(Centroid::new(f)),
            },
            ObjectClass::Player => match &mut self.teams {
                [None, _] => self.teams[0] = Some(Centroid::new(f)),
                [Some(a), slot @ None] => {
                    if a.distance(f) >= self.config.min_team_separation {
                        *slot = Some(Centroid::new(f));
                    } else {
                        a.add(f);
                    }
                }
                [Some(a), Some(b)] => {
                    if a.distance(f) <= b.distance(f) {
                        a.add(f);
                    } else {
                        b.add(f);
                    }
                }
            },
            _ => {}
        }
    }

    /// Whether a player of colour feature `f` should be a referee, by the current centroids.
    fn looks_like_referee(&self, f: [f32; 4]) -> bool {
        let n = self.config.min_samples;
        let (Some(r), [Some(a), Some(b)]) = (&self.referee, &self.teams) else {
            return false;
        };
        if r.samples < n || a.samples < n || b.samples < n {
            return false;
        }
        r.distance(f) < self.config.ratio * a.distance(f).min(b.distance(f))
    }

    /// One frame: learns from the confident detections (`(class, score, torso colour)`), then
    /// returns, for each detection, the class to use.
    pub fn update(
        &mut self,
        detections: &[(ObjectClass, f32, Option<[f32; 3]>)],
    ) -> Vec<ObjectClass> {
        let features: Vec<Option<[f32; 4]>> = detections
            .iter()
            .map(|&(_, _, colour)| colour.map(colour_feature))
            .collect();
        for (&(class, score, _), f) in detections.iter().zip(&features) {
            if let (true, Some(f)) = (score >= self.config.learn_score, f) {
                self.learn(class, *f);
            }
        }
        detections
            .iter()
            .zip(&features)
            .map(|(&(class, _, _), f)| match (class, f) {
                (ObjectClass::Player, Some(f)) if self.looks_like_referee(*f) => {
                    self.relabelled += 1;
                    ObjectClass::Referee
                }
                _ => class,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: [f32; 3] = [40.0, 40.0, 200.0];
    const WHITE: [f32; 3] = [230.0, 230.0, 230.0];
    const YELLOW: [f32; 3] = [30.0, 220.0, 230.0];

    #[test]
    fn a_referee_called_player_is_recovered_once_the_colours_are_learned() {
        let mut l = RoleLearner::new(RoleLearnerConfig::default());
        let miscalled = (ObjectClass::Player, 0.7, Some([35.0, 210.0, 225.0]));
        // Before enough samples nothing changes.
        assert_eq!(l.update(&[miscalled]), vec![ObjectClass::Player]);
        for _ in 0..40 {
            l.update(&[
                (ObjectClass::Player, 0.9, Some(RED)),
                (ObjectClass::Player, 0.9, Some(WHITE)),
                (ObjectClass::Referee, 0.8, Some(YELLOW)),
            ]);
        }
        let out = l.update(&[
            miscalled,
            (ObjectClass::Player, 0.9, Some([45.0, 45.0, 190.0])),
            (ObjectClass::Player, 0.3, Some(WHITE)),
            (ObjectClass::Goalkeeper, 0.9, Some(YELLOW)),
            (ObjectClass::Player, 0.9, None),
        ]);
        assert_eq!(
            out,
            vec![
                ObjectClass::Referee,
                ObjectClass::Player,
                ObjectClass::Player,
                ObjectClass::Goalkeeper,
                ObjectClass::Player,
            ]
        );
        assert_eq!(l.relabelled(), 1);
    }

    #[test]
    fn without_a_distinct_referee_colour_nobody_is_relabelled() {
        // The referee centroid sits between the teams: no player is much nearer to it.
        let mut l = RoleLearner::new(RoleLearnerConfig::default());
        for _ in 0..40 {
            l.update(&[
                (ObjectClass::Player, 0.9, Some(RED)),
                (ObjectClass::Player, 0.9, Some(WHITE)),
                (ObjectClass::Referee, 0.8, Some([135.0, 135.0, 215.0])),
            ]);
        }
        let out = l.update(&[
            (ObjectClass::Player, 0.9, Some(RED)),
            (ObjectClass::Player, 0.9, Some(WHITE)),
        ]);
        assert_eq!(out, vec![ObjectClass::Player, ObjectClass::Player]);
        assert_eq!(l.relabelled(), 0);
    }
}
