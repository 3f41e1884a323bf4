//! Finite-time blow-up detection.
//!
//! Near a finite-time singularity `t_s` the solution grows like a power of
//! the time left, `|y| ~ C (t_s - t)^(-a)`, and a controller with relative
//! error control shrinks the step in proportion to the time left,
//! `h ~ c (t_s - t)`: the step sequence shrinks geometrically towards a finite
//! time. The [`BlowUpDetector`] watches the accepted steps for exactly that
//! signature and, once it has held long enough to be unmistakable, ends the
//! solve with [`Status::BlowUp`] carrying the estimated singular time, its
//! uncertainty and the growth exponent — long before the step size would
//! reach the floor and the solve would fail with `StepSizeTooSmall`.
//!
//! # How the estimate is made
//!
//! The detector keeps *milestones*: the first accepted step whose size has
//! halved since the previous milestone (a step size that grows by more than a
//! factor 2 over the last milestone clears them — the solution is not running
//! into a singularity). Milestones are therefore spaced geometrically in
//! `t_s - t`, which is what a log-log fit wants. Whenever a milestone is added
//! the detector fits `ln|y| = b - a ln(t_s - t)` to the last six milestones
//! by variable projection (for each trial `t_s` the fit is linear least
//! squares in `(a, b)`; the trial `t_s` minimising the residual is found by a
//! scan over `ln(t_s - t)` and a golden-section refinement). Six points and
//! three parameters: for an exact power law the fit is exact, and the
//! asymptotic corrections of real problems (e.g. `tan` near `pi/2`, relative
//! correction `(t_s - t)^2 / 3`) vanish as the milestones close in. A
//! logarithmic law `|y| = b - k ln(t_s - t)` (e.g. `y' = exp(y)`) is fitted
//! too, and the better of the two is kept (exponent 0 then).
//!
//! # When it fires
//!
//! All of the following must hold:
//!
//! * the local fit is good (largest residual below [`BlowUpConfig::fit_tol`])
//!   and the same fit made two milestones earlier predicts the same `t_s`;
//! * the exponent lies in `[min_exponent, max_exponent]` (the solution grows);
//! * going back through the milestones, the *same* law (same `t_s`, `a`, `b`)
//!   explains `|y|` within `fit_tol` and the step sizes stay proportional to
//!   the time left (`h / (t_s - t)` within a factor
//!   [`step_spread`](BlowUpConfig::step_spread) of its latest value) over a
//!   dynamic range of `t_s - t` of at least
//!   [`min_range`](BlowUpConfig::min_range) (default `1e8`: eight decades
//!   of one power law). Near the step floor (`|h| < floor_margin * 16 ulp(t)`)
//!   the smaller [`last_chance_range`](BlowUpConfig::last_chance_range)
//!   suffices, since the alternative is a failure;
//! * the predicted `t_s` lies before `t_end` (a singularity beyond the end of
//!   the span does not stop a solve that can finish).
//!
//! These rules are what keep it quiet on regular fast growth (`y' = y`: the
//! step does not shrink), on stiff problems (the step is pinned, not
//! shrinking), under a tight `h_max` (no shrinking either), and on sharp but
//! finite transients and close encounters (Kepler's perihelion, a Lorentzian
//! peak of width `eps`): those follow a power law only over the range
//! `1 .. eps`, then the law breaks and the milestones are cleared. A transient
//! that mimics a singularity over more than `min_range` is, to any observer of
//! the step sequence, a singularity; raise `min_range` if your problem has
//! such features.
//!
//! # Blow-up or instability
//!
//! An explicit method on a stiff problem at loose tolerances can let a fast
//! mode grow (the error test does not see a component below its absolute
//! tolerance); the trajectory then leaves the true solution, and from the
//! state it reaches the ODE may well have a genuine singularity that the true
//! solution never meets. ROBER with `rtol = atol = 1e-2 ... 1e-4` does this
//! with every explicit pair: `y2` overshoots below zero and runs to `-inf`
//! with exponent 1 within `t < 0.25`. From the step sequence alone that is a
//! perfect blow-up. What tells it apart is what came *before* the divergence:
//! steps at the stability boundary. So when the law is established the
//! detector looks at the stiffness estimates (`|h lambda|`, with the sign of
//! `h Re lambda`, [`Stepper::stiffness_estimate_signed`](crate::Stepper::stiffness_estimate_signed))
//! of the accepted steps since the milestones began (and of the last
//! `HOT_MEMORY` = 10 steps before a step growth cleared them). A step counts as
//! *at the boundary* when `|h lambda| >= 0.75 B` and the dominant mode decays,
//! or when it grows right after a step whose mode decayed at `B / 4` or faster
//! (the step that destabilises a mode ends where the Jacobian has changed
//! sign). If there is one, the status is [`Status::Unstable`] (naming the
//! instability and the cure: an implicit method, or `Method::Auto`), not
//! [`Status::BlowUp`]; the fit is still in
//! [`Diagnostics::blowup`](crate::detect::Diagnostics::blowup) with
//! [`BlowUpEstimate::boundary_ratio`].
//!
//! A growing mode alone does not count: near a true singularity
//! `|h lambda| = c (1 + a)` (`c = h / (t_s - t)`, exponent `a`) exceeds `B` at
//! rtol 1e-2 for every pair, with a positive sign. Over the reference
//! blow-ups (`y' = y^2, y^3, 1 + y^2, exp y`) with every explicit pair at rtol
//! 1e-2 ... 1e-12 the largest ratio that counts is 0.53
//! (`tests/blowup.rs`, `true_blowups_are_never_called_instability`). The
//! price of the rule: a stiff problem that also has a genuine singularity,
//! reached while the step is still held at the boundary, is reported as
//! unstable; solve it with an implicit method to see the singularity (the
//! implicit methods give no estimate, so the check is off for them).
//!
//! # Uncertainty
//!
//! The reported uncertainty is the sum of (i) the spread of the estimate (the
//! difference between the fits on the last six milestones and on the six
//! before the last two) and (ii) the propagated integration error: each local
//! error of relative size `eps_n` moves the numerical singular time by about
//! `eps_n * |y/y'|`, and `|y/y'| = (t_s - t) / a` on the power law, so (ii)
//! is `rtol * sum_n err_n (t_s - t_n) / a` accumulated over all accepted
//! steps (`err_n` the scaled error norm of step `n`, at most 1), plus (iii)
//! 16 ulp of `t_s` for the rounding of the times themselves. Term (ii) is an
//! error *estimate*, not a bound (in the tests it exceeds the true error by a
//! factor 3 to 3000, because `err_n` measures the lower-order embedded
//! solution), and is only included when the relative tolerance is known (the
//! [`Integrator`](crate::Integrator) passes it).

use crate::monitor::{AcceptedStep, AfterStep, Monitor};
use crate::{Real, State, Status};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use std::marker::PhantomData;

/// Settings of the blow-up detector. The defaults are the ones the
/// [`Integrator`](crate::Integrator) installs.
///
/// ```
/// use odestride::detect::BlowUpConfig;
/// let strict = BlowUpConfig::default().min_range(1e10);
/// assert!(strict.enabled);
/// assert!(!BlowUpConfig::off().enabled);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct BlowUpConfig {
    /// Whether the detector runs. Default `true`.
    pub enabled: bool,
    /// Dynamic range of `t_s - t` over which one power law must explain the
    /// solution and the step sizes before the detector fires. Default `1e8`.
    pub min_range: f64,
    /// Largest residual of the law, in `ln|y|` (a relative deviation).
    /// Default `0.01`.
    pub fit_tol: f64,
    /// Largest factor by which `h / (t_s - t)` may differ from its latest
    /// value over the range. Default `4`.
    pub step_spread: f64,
    /// Smallest growth exponent accepted as a blow-up. Default `0.02`.
    pub min_exponent: f64,
    /// Largest growth exponent accepted. Default `100`.
    pub max_exponent: f64,
    /// Also recognise logarithmic growth `|y| ~ -k ln(t_s - t)`. Default `true`.
    pub log_law: bool,
    /// The range that suffices when the step size is close to the floor.
    /// Default `1e3`.
    pub last_chance_range: f64,
    /// "Close to the floor" means `|h| < floor_margin * 16 ulp(t)`.
    /// Default `1e3`.
    pub floor_margin: f64,
    /// The relative tolerance of the solve, for the propagated-error part of
    /// the uncertainty. The [`Integrator`](crate::Integrator) fills it in
    /// from the options when it is `None` (the largest component of rtol).
    pub rtol: Option<f64>,
}

impl Default for BlowUpConfig {
    fn default() -> Self {
        BlowUpConfig {
            enabled: true,
            min_range: 1e8,
            fit_tol: 0.01,
            step_spread: 4.0,
            min_exponent: 0.02,
            max_exponent: 100.0,
            log_law: true,
            last_chance_range: 1e3,
            floor_margin: 1e3,
            rtol: None,
        }
    }
}

impl BlowUpConfig {
    /// The detector switched off. The other setters tune the detector and
    /// never switch it on: `BlowUpConfig::off().min_range(1e10)` stays off
    /// (start from `BlowUpConfig::default()` to tune a running detector).
    pub fn off() -> Self {
        BlowUpConfig {
            enabled: false,
            ..Self::default()
        }
    }
    /// Sets [`min_range`](BlowUpConfig::min_range).
    pub fn min_range(mut self, range: f64) -> Self {
        self.min_range = range;
        self
    }
    /// Sets [`fit_tol`](BlowUpConfig::fit_tol).
    pub fn fit_tol(mut self, tol: f64) -> Self {
        self.fit_tol = tol;
        self
    }
    /// Sets [`step_spread`](BlowUpConfig::step_spread).
    pub fn step_spread(mut self, spread: f64) -> Self {
        self.step_spread = spread;
        self
    }
    /// Sets the accepted exponent interval.
    pub fn exponents(mut self, min: f64, max: f64) -> Self {
        self.min_exponent = min;
        self.max_exponent = max;
        self
    }
    /// Sets [`log_law`](BlowUpConfig::log_law).
    pub fn log_law(mut self, on: bool) -> Self {
        self.log_law = on;
        self
    }
    /// Sets [`last_chance_range`](BlowUpConfig::last_chance_range) and
    /// [`floor_margin`](BlowUpConfig::floor_margin).
    pub fn last_chance(mut self, range: f64, floor_margin: f64) -> Self {
        self.last_chance_range = range;
        self.floor_margin = floor_margin;
        self
    }
    /// Sets [`rtol`](BlowUpConfig::rtol).
    pub fn rtol(mut self, rtol: f64) -> Self {
        self.rtol = Some(rtol);
        self
    }
}

/// Which growth law the detector recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum GrowthLaw {
    /// `|y| ~ C (t_s - t)^(-a)`, `a` = the exponent.
    Power,
    /// `|y| ~ b - k ln(t_s - t)` (exponent reported as 0).
    Logarithmic,
}

/// What the blow-up detector found (also in
/// [`Diagnostics::blowup`](crate::detect::Diagnostics::blowup)).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct BlowUpEstimate<T> {
    /// Estimated singular time `t_s`.
    pub t_singular: T,
    /// Estimated uncertainty of `t_s` (see the [module docs](self)).
    pub uncertainty: T,
    /// Growth exponent `a` in `|y| ~ (t_s - t)^(-a)` (0 for a logarithmic law).
    pub exponent: T,
    /// Spread of the exponent between the last two fits.
    pub exponent_uncertainty: T,
    /// The growth law recognised.
    pub law: GrowthLaw,
    /// Time of the last accepted step (the solution's last state is there).
    pub t_last: T,
    /// Size of the last accepted step.
    pub h_last: T,
    /// `|y|` (Euclidean norm) at `t_last`.
    pub norm_last: T,
    /// Dynamic range of `t_s - t` over which the law held.
    pub range: T,
    /// `h / (t_s - t)` at the last step (the controller's constant `c`).
    pub step_ratio: T,
    /// Accepted steps seen before the detector fired.
    pub steps: usize,
    /// The largest `|h lambda| / B` (stiffness estimate over the method's
    /// stability boundary) of the accepted steps from one milestone before
    /// the power law's range to the end; `None` when the method gives no
    /// estimate. At `0.75` or above the step was at the stability boundary
    /// before the divergence and the detector reported [`Status::Unstable`]
    /// rather than [`Status::BlowUp`] (see the [module docs](self), "Blow-up
    /// or instability").
    #[cfg_attr(feature = "serde", serde(default = "none"))]
    pub boundary_ratio: Option<T>,
    /// Time of the last of those steps at the boundary.
    #[cfg_attr(feature = "serde", serde(default = "none"))]
    pub t_boundary: Option<T>,
}

/// Serde default of the optional fields (no `T: Default` bound).
#[cfg(feature = "serde")]
fn none<T>() -> Option<T> {
    None
}

/// A milestone of the step sequence.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
struct Node {
    /// Distance from t0 in the direction of integration.
    s: f64,
    /// The largest `|h lambda| / B` of the accepted steps since the previous
    /// milestone, this one's included (0 without an estimate or boundary).
    hot: f64,
    /// Time of the last of those steps at [`HOT`] or above (NaN if none).
    #[cfg_attr(feature = "serde", serde(with = "crate::error::nonfinite_f64"))]
    t_hot: f64,
    /// |h| of the step that ended here.
    h: f64,
    /// Euclidean norm of y.
    u: f64,
    /// ln u.
    lnu: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Model {
    Power,
    Log,
}

/// A fitted law on a window of milestones: `target = b + m ln(d + delta)`
/// where `delta` is the distance back from the window's last milestone.
#[derive(Debug, Clone, Copy)]
struct Fit {
    model: Model,
    /// t_s - s_last.
    d: f64,
    m: f64,
    b: f64,
    /// Largest relative residual on the window.
    resid: f64,
}

impl Model {
    fn target(self, n: &Node) -> f64 {
        match self {
            Model::Power => n.lnu,
            Model::Log => n.u,
        }
    }
    fn scale(self, n: &Node) -> f64 {
        match self {
            Model::Power => 1.0,
            Model::Log => n.u.abs().max(f64::MIN_POSITIVE),
        }
    }
}

/// Linear least squares of `target` against `ln(d + delta_i)`: (ss, m, b).
fn linear_fit(win: &[Node], model: Model, d: f64) -> (f64, f64, f64) {
    let s_last = win[win.len() - 1].s;
    let n = win.len() as f64;
    let (mut mx, mut my) = (0.0, 0.0);
    for p in win {
        mx += (d + (s_last - p.s)).ln();
        my += model.target(p);
    }
    mx /= n;
    my /= n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for p in win {
        let x = (d + (s_last - p.s)).ln() - mx;
        let y = model.target(p) - my;
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
    }
    if sxx.is_nan() || sxx <= 0.0 {
        return (f64::INFINITY, 0.0, my);
    }
    let m = sxy / sxx;
    let ss = (syy - m * sxy).max(0.0);
    (ss, m, my - m * mx)
}

/// Variable-projection fit of one model on a window (at least 4 milestones).
fn fit_model(win: &[Node], model: Model) -> Option<Fit> {
    let last = win.last()?;
    let lo = (0.05 * last.h).ln();
    let hi = (1e7 * last.h).ln();
    const N: usize = 141;
    let step = (hi - lo) / (N - 1) as f64;
    let f = |x: f64| linear_fit(win, model, x.exp()).0;
    let mut best = (0usize, f64::INFINITY);
    for i in 0..N {
        let v = f(lo + step * i as f64);
        if v < best.1 {
            best = (i, v);
        }
    }
    if best.0 == 0 || best.0 == N - 1 || !best.1.is_finite() {
        return None;
    }
    // Golden-section refinement on the bracket around the best scan point.
    let (mut a, mut b) = (lo + step * (best.0 - 1) as f64, lo + step * (best.0 + 1) as f64);
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let mut x1 = b - g * (b - a);
    let mut x2 = a + g * (b - a);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..90 {
        if f1 <= f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = f(x2);
        }
        if b - a < 1e-13 {
            break;
        }
    }
    let d = (0.5 * (a + b)).exp();
    let (_, m, bb) = linear_fit(win, model, d);
    let s_last = last.s;
    let resid = win
        .iter()
        .map(|p| ((model.target(p) - (bb + m * (d + (s_last - p.s)).ln())) / model.scale(p)).abs())
        .fold(0.0, f64::max);
    Some(Fit {
        model,
        d,
        m,
        b: bb,
        resid,
    })
}

/// Finds finite-time blow-up from the accepted steps and stops the solve
/// with [`Status::BlowUp`]. See the [module docs](self) for the method.
///
/// The [`Integrator`](crate::Integrator) installs one by default (switch it
/// off with `.detect_blowup(BlowUpConfig::off())`). Used by hand, as a
/// monitor, give it the end of the span with [`until`](Self::until):
///
/// ```
/// use odestride::detect::{BlowUpConfig, BlowUpDetector};
/// use odestride::{ExplicitRk, Integrator, Status};
/// // y' = y^2, y(0) = 2: y = 2 / (1 - 2t), singular at t = 0.5
/// let mut det = BlowUpDetector::<f64>::new(BlowUpConfig::default().rtol(1e-8)).until(1.0);
/// let sol = Integrator::new(ExplicitRk::dopri5())
///     .detect_blowup(BlowUpConfig::off()) // only the hand-made one
///     .rtol(1e-8)
///     .atol(1e-12)
///     .monitor(&mut det)
///     .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = y * y, 0.0, 1.0, 2.0)
///     .unwrap();
/// let Status::BlowUp { t_singular, .. } = sol.status else { panic!("{:?}", sol.status) };
/// assert!((t_singular - 0.5).abs() < 1e-6);
/// assert!(det.estimate().is_some());
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct BlowUpDetector<T> {
    cfg: BlowUpConfig,
    t_end: Option<f64>,
    boundary: Option<f64>,
    t0: f64,
    dir: f64,
    nodes: Vec<Node>,
    steps: usize,
    /// sum err_n and sum err_n s_n (for the propagated-error estimate).
    err_sum: f64,
    err_s_sum: f64,
    /// Largest `|h lambda| / B` since the last milestone, and the time of the
    /// last step at [`HOT`] or above.
    #[cfg_attr(feature = "serde", serde(with = "crate::error::nonfinite_f64"))]
    hot: f64,
    #[cfg_attr(feature = "serde", serde(with = "crate::error::nonfinite_f64"))]
    t_hot: f64,
    /// The signed stiffness estimate of the previous accepted step over `B`
    /// (NaN before the first or without an estimate).
    #[cfg_attr(feature = "serde", serde(with = "crate::error::nonfinite_f64"))]
    signed_prev: f64,
    /// Accepted steps since the last one at the boundary.
    since_hot: usize,
    found: Option<BlowUpEstimate<T>>,
    _t: PhantomData<T>,
}

/// Milestones kept (each halves the step: 2^-200 is far below any floor).
const NODE_CAP: usize = 200;
/// A step with `|h lambda| >= HOT * B` (for a decaying mode) is at the
/// stability boundary (the step controller holds a pinned explicit method at
/// about `B`; a step that destabilises a mode is at `B` or beyond).
const HOT: f64 = 0.75;
/// Steps after the last one at the boundary during which a growing step
/// does not wipe the record (see `accepted`).
const HOT_MEMORY: usize = 10;
/// Milestones in one local fit.
const LOCAL: usize = 6;
/// Offset of the second (check) fit.
const BACK: usize = 2;

impl<T: Real> BlowUpDetector<T> {
    /// A detector with these settings.
    pub fn new(cfg: BlowUpConfig) -> Self {
        BlowUpDetector {
            cfg,
            t_end: None,
            boundary: None,
            t0: 0.0,
            dir: 1.0,
            nodes: Vec::with_capacity(NODE_CAP),
            steps: 0,
            err_sum: 0.0,
            err_s_sum: 0.0,
            hot: 0.0,
            t_hot: f64::NAN,
            signed_prev: f64::NAN,
            since_hot: usize::MAX,
            found: None,
            _t: PhantomData,
        }
    }
    /// The end of the span: a singularity predicted beyond it does not stop
    /// the solve (without it, the detector fires on any singularity ahead).
    pub fn until(mut self, t_end: T) -> Self {
        self.t_end = Some(t_end.to_f64_lossy());
        self
    }
    /// The method's stability boundary `B`. With it (and the stepper's
    /// `|h lambda|` estimate) a divergence that follows steps at the boundary
    /// is reported as [`Status::Unstable`], not as a blow-up: see the
    /// [module docs](self), "Blow-up or instability".
    pub fn stability_boundary(mut self, boundary: Option<T>) -> Self {
        self.boundary = boundary.map(|b| b.to_f64_lossy());
        self
    }
    /// The settings.
    pub fn config(&self) -> &BlowUpConfig {
        &self.cfg
    }
    /// What the detector found, if it fired.
    pub fn estimate(&self) -> Option<&BlowUpEstimate<T>> {
        self.found.as_ref()
    }
    /// Takes the estimate out of the detector.
    pub fn take_estimate(&mut self) -> Option<BlowUpEstimate<T>> {
        self.found.take()
    }

    fn push(&mut self, node: Node) {
        if self.nodes.len() == NODE_CAP {
            self.nodes.remove(0);
        }
        self.nodes.push(node);
    }

    /// The better of the power and logarithmic fits on a window.
    fn best_fit(&self, win: &[Node]) -> Option<Fit> {
        let p = fit_model(win, Model::Power);
        let l = if self.cfg.log_law {
            fit_model(win, Model::Log).filter(|f| f.m < 0.0)
        } else {
            None
        };
        match (p, l) {
            (Some(p), Some(l)) => Some(if l.resid < p.resid { l } else { p }),
            (p, l) => p.or(l),
        }
    }

    /// Runs the analysis on the milestones; `Some` when a blow-up is certain.
    fn analyse(&self, t_last: f64, h_signed: f64) -> Option<BlowUpEstimate<T>> {
        let n = self.nodes.len();
        if n < LOCAL + BACK {
            return None;
        }
        let cfg = &self.cfg;
        let cur = self.nodes[n - 1];
        // A cheap necessary condition first (the fits below cost thousands of
        // logarithms): every milestone p that the range walk accepts has
        // h_p / tau_p >= c_cur / step_spread, so tau_p / d <= step_spread *
        // h_p / h_cur, and the range can never exceed max(1, step_spread *
        // max h_p / h_cur). Periodic orbits with close encounters (Arenstorf, Kepler)
        // shrink their steps by 2^7 or more near every pericentre and would
        // otherwise pay for a fit at every halving.
        let floor = 16.0 * T::epsilon().to_f64_lossy() * t_last.abs().max(f64::MIN_POSITIVE);
        let near_floor = cur.h < cfg.floor_margin * floor;
        let needed = if near_floor {
            cfg.min_range.min(cfg.last_chance_range)
        } else {
            cfg.min_range
        };
        let h_max = self.nodes.iter().fold(0.0f64, |m, p| m.max(p.h));
        let reachable = needed <= 1.0 || cfg.step_spread * h_max >= needed * cur.h;
        if !reachable {
            return None;
        }
        let fa = self.best_fit(&self.nodes[n - LOCAL..])?;
        let fb = self.best_fit(&self.nodes[n - LOCAL - BACK..n - BACK])?;
        if fa.resid > cfg.fit_tol || fb.model != fa.model {
            return None;
        }
        let exponent = match fa.model {
            Model::Power => -fa.m,
            Model::Log => 0.0,
        };
        if fa.model == Model::Power && !(exponent >= cfg.min_exponent && exponent <= cfg.max_exponent) {
            return None;
        }
        let ts_a = cur.s + fa.d;
        let ts_b = self.nodes[n - 1 - BACK].s + fb.d;
        let spread = (ts_a - ts_b).abs();
        if spread.is_nan() || spread > 0.5 * fa.d {
            return None;
        }
        // Back through the milestones: same law, steps proportional to the time left.
        let c_cur = cur.h / fa.d;
        let mut oldest = fa.d;
        for p in self.nodes.iter().rev() {
            let tau = ts_a - p.s;
            let pred = fa.b + fa.m * (fa.d + (cur.s - p.s)).ln();
            let r = ((fa.model.target(p) - pred) / fa.model.scale(p)).abs();
            let c = p.h / tau;
            if !(r <= cfg.fit_tol && c <= c_cur * cfg.step_spread && c >= c_cur / cfg.step_spread) {
                break;
            }
            oldest = tau;
        }
        let range = oldest / fa.d;
        if !(range >= cfg.min_range || (near_floor && range >= cfg.last_chance_range)) {
            return None;
        }
        if let Some(te) = self.t_end {
            if ts_a >= (te - self.t0) * self.dir {
                return None;
            }
        }
        // Was the step at the stability boundary before the divergence? The
        // steps since the milestones began: the divergence of a small
        // component (ROBER's y2) starts long before |y| follows the law.
        let window = &self.nodes[..];
        let (boundary_ratio, t_boundary) = if self.boundary.is_some() {
            let hot = window.iter().fold(0.0f64, |m, p| m.max(p.hot));
            let t_hot = window.iter().rev().map(|p| p.t_hot).find(|t| t.is_finite());
            (Some(T::lit(hot)), t_hot.map(T::lit))
        } else {
            (None, None)
        };
        // Propagated integration error: rtol * sum err_n (t_s - s_n) / a.
        let a_eff = if exponent > 0.0 { exponent } else { 1.0 };
        let propagated = match cfg.rtol {
            Some(r) if r.is_finite() && r > 0.0 => {
                r * (ts_a * self.err_sum - self.err_s_sum).max(0.0) / a_eff
            }
            _ => 0.0,
        };
        // Rounding of the times themselves: a few ulp of t_s.
        let t_s = self.t0 + self.dir * ts_a;
        let rounding = 16.0 * T::epsilon().to_f64_lossy() * t_s.abs();
        let uncertainty = spread + propagated + rounding;
        let exponent_unc = match fa.model {
            Model::Power => (fa.m - fb.m).abs(),
            Model::Log => 0.0,
        };
        Some(BlowUpEstimate {
            t_singular: T::lit(t_s),
            uncertainty: T::lit(uncertainty),
            exponent: T::lit(exponent),
            exponent_uncertainty: T::lit(exponent_unc),
            law: match fa.model {
                Model::Power => GrowthLaw::Power,
                Model::Log => GrowthLaw::Logarithmic,
            },
            t_last: T::lit(t_last),
            h_last: T::lit(h_signed),
            norm_last: T::lit(cur.u),
            range: T::lit(range),
            step_ratio: T::lit(c_cur),
            steps: self.steps,
            boundary_ratio,
            t_boundary,
        })
    }
}

/// `|h lambda| / B` of a step as evidence of the stability boundary, or 0
/// when the signed estimate says the dominant mode grows
/// (`h Re lambda > |h lambda| / 2`) and the previous step's did not decay
/// at `B / 4` or faster.
///
/// Near a true singularity at loose tolerances `|h lambda| = c (1 + a)` (step
/// ratio `c`, exponent `a`) exceeds `B` for a growing mode; that is not the
/// stability boundary. But the step that destabilises a stiff mode (ROBER's
/// y2 overshooting below zero) ends where the Jacobian has already changed
/// sign, so its own estimate reads growth: a growing mode right after a
/// decaying one of at least `B / 4` (`prev`, the previous step's signed
/// estimate over `B`) still counts.
fn stiff_ratio<T: Real>(est: T, signed: Option<T>, prev: f64, b: f64) -> f64 {
    let e = est.to_f64_lossy();
    match signed.map(|s| s.to_f64_lossy()) {
        Some(s) if s > 0.5 * e && (prev > -0.25 || prev.is_nan()) => 0.0,
        _ => e / b,
    }
}

/// Euclidean norm, scaled against overflow.
fn norm<T: Real>(y: &[T]) -> f64 {
    let m = y.iter().fold(0.0f64, |m, v| m.max(v.to_f64_lossy().abs()));
    if !m.is_finite() || m <= 0.0 {
        return m;
    }
    let s: f64 = y
        .iter()
        .map(|v| {
            let q = v.to_f64_lossy() / m;
            q * q
        })
        .sum();
    m * s.sqrt()
}

impl<T: Real, S: State<T>> Monitor<T, S> for BlowUpDetector<T> {
    fn name(&self) -> &str {
        "blow-up detector"
    }
    fn start(&mut self, t0: T, _y0: &S) {
        self.t0 = t0.to_f64_lossy();
        self.dir = match self.t_end {
            Some(te) if te < self.t0 => -1.0,
            _ => 1.0,
        };
        self.nodes.clear();
        self.steps = 0;
        self.err_sum = 0.0;
        self.err_s_sum = 0.0;
        self.hot = 0.0;
        self.t_hot = f64::NAN;
        self.signed_prev = f64::NAN;
        self.since_hot = usize::MAX;
        self.found = None;
    }
    fn accepted(&mut self, step: &mut AcceptedStep<'_, T, S>) -> AfterStep<T> {
        if !self.cfg.enabled {
            return AfterStep::Continue;
        }
        self.steps += 1;
        if self.steps == 1 && self.t_end.is_none() && step.h < T::zero() {
            self.dir = -1.0;
        }
        let t = step.t.to_f64_lossy();
        let s = (t - self.t0) * self.dir;
        let h = step.h.to_f64_lossy().abs();
        let e = step.err.to_f64_lossy();
        if e.is_finite() {
            let e = e.clamp(0.0, 1.0);
            self.err_sum += e;
            self.err_s_sum += e * s;
        }
        self.since_hot = self.since_hot.saturating_add(1);
        let prev = self.signed_prev;
        self.signed_prev = match (self.boundary, step.stiffness_signed) {
            (Some(b), Some(s)) => s.to_f64_lossy() / b,
            _ => f64::NAN,
        };
        if let (Some(b), Some(e)) = (self.boundary, step.stiffness) {
            let r = stiff_ratio(e, step.stiffness_signed, prev, b);
            if r.is_finite() {
                self.hot = self.hot.max(r);
                if r >= HOT {
                    self.t_hot = t;
                    self.since_hot = 0;
                }
            }
        }
        // Only a milestone needs |y|: decide on h first (cheap per step).
        let (push, clear) = match self.nodes.last() {
            None => (true, false),
            Some(l) if h <= 0.5 * l.h => (true, false),
            Some(l) if h > 2.0 * l.h => (true, true),
            Some(_) => (false, false),
        };
        if !push {
            return AfterStep::Continue;
        }
        let u = norm(step.y.as_slice());
        if !(u.is_finite() && u > 0.0) {
            self.nodes.clear();
            return AfterStep::Continue;
        }
        if clear {
            // The step grew. A stiff phase that ended more than
            // HOT_MEMORY steps ago is not part of what follows; a recent one
            // is (ROBER at loose tolerances: the step repeatedly grows past
            // the boundary, y2 oscillates, and the step that finally sends
            // it negative is itself a growth step).
            if self.since_hot <= HOT_MEMORY {
                for p in &self.nodes {
                    self.hot = self.hot.max(p.hot);
                    if p.t_hot.is_finite() && !(self.t_hot.is_finite()) {
                        self.t_hot = p.t_hot;
                    }
                }
            }
            self.nodes.clear();
            if self.since_hot > HOT_MEMORY {
                let r = match (self.boundary, step.stiffness) {
                    (Some(b), Some(e)) => stiff_ratio(e, step.stiffness_signed, prev, b),
                    _ => 0.0,
                };
                self.hot = if r.is_finite() { r } else { 0.0 };
                self.t_hot = if self.hot >= HOT { t } else { f64::NAN };
            }
        }
        let (hot, t_hot) = (self.hot, self.t_hot);
        self.hot = 0.0;
        self.t_hot = f64::NAN;
        self.push(Node {
            s,
            hot,
            t_hot,
            h,
            u,
            lnu: u.ln(),
        });
        if self.nodes.len() == 1 {
            return AfterStep::Continue;
        }
        match self.analyse(t, step.h.to_f64_lossy()) {
            Some(est) => {
                let unstable = est.boundary_ratio.is_some_and(|r| r >= T::lit(HOT));
                let status = if unstable {
                    Status::Unstable {
                        t_singular: est.t_singular,
                        t_boundary: est.t_boundary.unwrap_or(est.t_last),
                        h_lambda: est.boundary_ratio.unwrap_or(T::zero())
                            * T::lit(self.boundary.unwrap_or(0.0)),
                        boundary: T::lit(self.boundary.unwrap_or(0.0)),
                        t_last: est.t_last,
                    }
                } else {
                    Status::BlowUp {
                        t_singular: est.t_singular,
                        uncertainty: est.uncertainty,
                        exponent: est.exponent,
                        exponent_uncertainty: est.exponent_uncertainty,
                        t_last: est.t_last,
                        h_last: est.h_last,
                    }
                };
                self.found = Some(est);
                AfterStep::Stop(status)
            }
            None => AfterStep::Continue,
        }
    }
}
