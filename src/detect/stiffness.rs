//! Stiffness detection.
//!
//! An explicit method is stable on the real axis only for `h lambda` in
//! `[-B, 0]`, `B` the method's stability boundary (`~3.3066` for
//! Dormand–Prince 5(4)). When the solution is smooth but the Jacobian has a
//! large negative eigenvalue, accuracy would allow a large step, yet every
//! attempt beyond `B / |lambda|` amplifies the stiff component until the error
//! test rejects it: the controller ends up holding the step at the boundary,
//! `h |lambda| ~ B`, however smooth the solution is.
//!
//! The [`StiffnessDetector`] reads the stepper's cheap estimate of
//! `|h lambda|` (for DP5 Hairer's test, `h |f(Y_7) - f(Y_6)| / |Y_7 - Y_6|`
//! from the last two stages, both evaluated at `t + h`) on every accepted
//! step and generalises DOPRI5's rule (*Solving ODEs I*, Sect. IV.2 and the
//! code dopri5.f): a step is *at the boundary* when the estimate exceeds
//! `threshold * B` (default `0.983 B`, i.e. Hairer's 3.25 for DP5); stiffness
//! is declared after [`min_steps`](StiffnessConfig::min_steps) such steps
//! (default 15) not interrupted by [`reset_after`](StiffnessConfig::reset_after)
//! (default 6) consecutive steps below it. A stiff *episode* lasts until the
//! next such run of non-stiff steps.
//!
//! The detector is method-agnostic: it sees only the estimate and the
//! boundary. Every explicit pair of the crate gives one: Hairer's test on two
//! stages at the same node (DP5, Tsit5, Vern6, DOP853, Vern7, Vern9), or, for
//! the pairs without such stages (BS3, RKF45, Cash–Karp), the quotient
//! of the embedded error combination (`ExplicitRk`'s
//! `generic_stiffness_weights`); both read `1.00 B` on average over a pinned
//! run (`tests/stiffness.rs`). A method without an estimate (step doubling)
//! produces a report with `estimated_steps == 0`: no verdict either way.

use crate::monitor::{AcceptedStep, AfterStep, Monitor};
use crate::{Real, State, Status};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Settings of the stiffness detector.
///
/// ```
/// use odestride::detect::StiffnessConfig;
/// let c = StiffnessConfig::default().stop(true);
/// assert_eq!(c.min_steps, 15);
/// assert!(c.stop);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StiffnessConfig {
    /// Whether the detector runs. Default `true` (it only reports, unless
    /// [`stop`](StiffnessConfig::stop) is set).
    pub enabled: bool,
    /// A step is at the boundary when `|h lambda| >= threshold * boundary`.
    /// Default `3.25 / 3.3066` (Hairer's DOPRI5 value, generalised).
    pub threshold: f64,
    /// Steps at the boundary before stiffness is declared. Default 15.
    pub min_steps: usize,
    /// Consecutive steps below the threshold that reset the count and end an
    /// episode. Default 6.
    pub reset_after: usize,
    /// End the solve with [`Status::Stiff`] when stiffness is declared, so
    /// the caller can switch to an implicit method. Default `false`.
    pub stop: bool,
}

impl Default for StiffnessConfig {
    fn default() -> Self {
        StiffnessConfig {
            enabled: true,
            threshold: 3.25 / 3.3066,
            min_steps: 15,
            reset_after: 6,
            stop: false,
        }
    }
}

impl StiffnessConfig {
    /// The detector switched off. The other setters never switch it on:
    /// `StiffnessConfig::off().stop(true)` stays off (start from
    /// `StiffnessConfig::default()` for a detector that stops).
    pub fn off() -> Self {
        StiffnessConfig {
            enabled: false,
            ..Self::default()
        }
    }
    /// Sets [`stop`](StiffnessConfig::stop).
    pub fn stop(mut self, stop: bool) -> Self {
        self.stop = stop;
        self
    }
    /// Sets [`threshold`](StiffnessConfig::threshold).
    pub fn threshold(mut self, fraction_of_boundary: f64) -> Self {
        self.threshold = fraction_of_boundary;
        self
    }
    /// Sets [`min_steps`](StiffnessConfig::min_steps) and
    /// [`reset_after`](StiffnessConfig::reset_after).
    pub fn counts(mut self, min_steps: usize, reset_after: usize) -> Self {
        self.min_steps = min_steps;
        self.reset_after = reset_after;
        self
    }
}

/// One stretch of sustained stiffness.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StiffEpisode<T> {
    /// Start of the first step of the run that led to the verdict.
    pub t_start: T,
    /// Time at which stiffness was declared (end of the `min_steps`-th step).
    pub t_detected: T,
    /// End of the last step at the boundary in this episode.
    pub t_end: T,
    /// Steps at the boundary in this episode.
    pub steps: usize,
    /// Mean `|h lambda|` estimate over those steps.
    pub mean_h_lambda: T,
    /// Mean `|lambda|` estimate (`|h lambda| / |h|`) over those steps.
    pub mean_lambda: T,
    /// Mean `|h|` over those steps.
    pub mean_h: T,
}

/// What the stiffness detector saw over a solve (in
/// [`Diagnostics::stiffness`](crate::detect::Diagnostics::stiffness)).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StiffnessReport<T> {
    /// The method's stability boundary `B` on the negative real axis.
    pub boundary: T,
    /// The `|h lambda|` above which a step counts as at the boundary.
    pub threshold: T,
    /// Accepted steps that carried an estimate (0: the method has none).
    pub estimated_steps: usize,
    /// Accepted steps at the boundary.
    pub stiff_steps: usize,
    /// Largest estimate seen.
    pub max_h_lambda: T,
    /// The stiff episodes, in order (the last may still be open at the end);
    /// at most [`MAX_EPISODES`] are recorded.
    pub episodes: Vec<StiffEpisode<T>>,
    /// Episodes after the first [`MAX_EPISODES`] (counted, not recorded).
    #[cfg_attr(feature = "serde", serde(default))]
    pub unrecorded: usize,
}

/// Episodes a [`StiffnessDetector`] records (the list is allocated once per
/// solve, so recording costs no allocation per step; later ones are counted
/// in [`StiffnessReport::unrecorded`]).
pub const MAX_EPISODES: usize = 64;

impl<T: Real> StiffnessReport<T> {
    /// Whether stiffness was declared at all.
    pub fn is_stiff(&self) -> bool {
        !self.episodes.is_empty()
    }
    /// The first episode, if any.
    pub fn first(&self) -> Option<&StiffEpisode<T>> {
        self.episodes.first()
    }
    /// Mean `|h lambda|` of the first episode divided by the boundary.
    pub fn boundary_ratio(&self) -> Option<T> {
        self.first().map(|e| e.mean_h_lambda / self.boundary)
    }
}

/// Running sums of a run of stiff steps.
#[derive(Debug, Clone, Copy, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
struct Run {
    t_start: f64,
    t_detected: f64,
    t_end: f64,
    n: usize,
    sum_hl: f64,
    sum_l: f64,
    sum_h: f64,
}

/// Flags sustained stiffness from the stepper's `|h lambda|` estimates. See
/// the [module docs](self).
///
/// ```
/// use odestride::detect::{StiffnessConfig, StiffnessDetector};
/// use odestride::{ExplicitRk, Integrator, Stepper};
/// // Prothero–Robinson, lambda = 1e4: y = cos t, stiff for DP5
/// let pr = |t: f64, y: &f64, dy: &mut f64| *dy = -1e4 * (y - t.cos()) - t.sin();
/// let dp5 = ExplicitRk::dopri5();
/// let b = Stepper::<f64, f64>::stability_boundary(&dp5);
/// let mut det = StiffnessDetector::new(StiffnessConfig::default(), b);
/// Integrator::new(dp5).tol(1e-4).monitor(&mut det).solve(pr, 0.0, 0.1, 1.0).unwrap();
/// let report = det.report().unwrap();
/// assert!(report.is_stiff());
/// assert!((report.boundary_ratio().unwrap() - 1.0).abs() < 0.2);
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StiffnessDetector<T> {
    cfg: StiffnessConfig,
    boundary: Option<T>,
    run: Run,
    nonstiff: usize,
    open: bool,
    estimated: usize,
    stiff_steps: usize,
    max_hl: f64,
    episodes: Vec<StiffEpisode<T>>,
    #[cfg_attr(feature = "serde", serde(default))]
    unrecorded: usize,
}

impl<T: Real> StiffnessDetector<T> {
    /// A detector for a method with this stability boundary (from
    /// [`Stepper::stability_boundary`](crate::Stepper::stability_boundary));
    /// with `None` it never judges.
    pub fn new(cfg: StiffnessConfig, boundary: Option<T>) -> Self {
        StiffnessDetector {
            cfg,
            boundary: boundary.filter(|b| b.is_finite() && *b > T::zero()),
            run: Run::default(),
            nonstiff: 0,
            open: false,
            estimated: 0,
            stiff_steps: 0,
            max_hl: 0.0,
            episodes: Vec::new(),
            unrecorded: 0,
        }
    }
    /// The settings.
    pub fn config(&self) -> &StiffnessConfig {
        &self.cfg
    }
    /// The report so far (`None` when the detector is off or the boundary is
    /// unknown). An episode still open is included with the data so far.
    pub fn report(&self) -> Option<StiffnessReport<T>> {
        let b = self.boundary?;
        if !self.cfg.enabled {
            return None;
        }
        // One allocation whatever the number of episodes (the report of a
        // long solve costs what a short one's does).
        let mut episodes = Vec::with_capacity(self.episodes.len() + 1);
        episodes.extend_from_slice(&self.episodes);
        if self.open {
            episodes.push(self.episode());
        }
        Some(StiffnessReport {
            boundary: b,
            threshold: T::lit(self.cfg.threshold) * b,
            estimated_steps: self.estimated,
            stiff_steps: self.stiff_steps,
            max_h_lambda: T::lit(self.max_hl),
            episodes,
            unrecorded: self.unrecorded,
        })
    }
    fn episode(&self) -> StiffEpisode<T> {
        let r = &self.run;
        let n = r.n.max(1) as f64;
        StiffEpisode {
            t_start: T::lit(r.t_start),
            t_detected: T::lit(r.t_detected),
            t_end: T::lit(r.t_end),
            steps: r.n,
            mean_h_lambda: T::lit(r.sum_hl / n),
            mean_lambda: T::lit(r.sum_l / n),
            mean_h: T::lit(r.sum_h / n),
        }
    }
}

impl<T: Real, S: State<T>> Monitor<T, S> for StiffnessDetector<T> {
    fn name(&self) -> &str {
        "stiffness detector"
    }
    fn start(&mut self, _t0: T, _y0: &S) {
        self.run = Run::default();
        self.nonstiff = 0;
        self.open = false;
        self.estimated = 0;
        self.stiff_steps = 0;
        self.max_hl = 0.0;
        self.episodes.clear();
        self.episodes.reserve(MAX_EPISODES);
        self.unrecorded = 0;
    }
    fn accepted(&mut self, step: &mut AcceptedStep<'_, T, S>) -> AfterStep<T> {
        if !self.cfg.enabled {
            return AfterStep::Continue;
        }
        let (Some(b), Some(est)) = (self.boundary, step.stiffness) else {
            return AfterStep::Continue;
        };
        let hl = est.to_f64_lossy();
        if !hl.is_finite() {
            return AfterStep::Continue;
        }
        self.estimated += 1;
        self.max_hl = self.max_hl.max(hl);
        let h = step.h.to_f64_lossy().abs();
        if hl >= self.cfg.threshold * b.to_f64_lossy() {
            self.stiff_steps += 1;
            self.nonstiff = 0;
            let r = &mut self.run;
            if r.n == 0 {
                r.t_start = step.t_prev.to_f64_lossy();
            }
            r.n += 1;
            r.sum_hl += hl;
            r.sum_h += h;
            r.sum_l += if h > 0.0 { hl / h } else { 0.0 };
            r.t_end = step.t.to_f64_lossy();
            if !self.open && r.n >= self.cfg.min_steps.max(1) {
                self.open = true;
                r.t_detected = r.t_end;
                if self.cfg.stop {
                    let ep = self.episode();
                    return AfterStep::Stop(Status::Stiff {
                        t_start: ep.t_start,
                        t: ep.t_detected,
                        h_lambda: ep.mean_h_lambda,
                        boundary: b,
                    });
                }
            }
        } else {
            self.nonstiff += 1;
            if self.nonstiff >= self.cfg.reset_after.max(1) && self.run.n > 0 {
                if self.open {
                    if self.episodes.len() < MAX_EPISODES {
                        let ep = self.episode();
                        self.episodes.push(ep);
                    } else {
                        self.unrecorded += 1;
                    }
                    self.open = false;
                }
                self.run = Run::default();
            }
        }
        AfterStep::Continue
    }
}
