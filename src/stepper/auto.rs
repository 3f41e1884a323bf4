//! Automatic stiffness switching: [`AutoSwitch`].

use crate::checkpoint::Saved;
use crate::controller::Limits;
use crate::norm::Tolerance;
use crate::state::State;
use crate::stepper::{AttemptIssue, LinearCounts};
use crate::system::Counted;
use crate::tableau::{self, RosenbrockTableau, Tableau};
use crate::{ErrorNorm, ExplicitRk, Real, Rosenbrock, Stepper, System};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Settings of [`AutoSwitch`] (the rules are described there).
///
/// ```
/// use odestride::stepper::AutoConfig;
/// let c = AutoConfig::default();
/// assert_eq!((c.stiff_steps, c.nonstiff_steps), (5, 5));
/// assert!(c.nonstiff_fraction < 1.0); // hysteresis: back well inside the threshold
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AutoConfig {
    /// An accepted explicit step is at the boundary when `|h lambda| >=
    /// theta * B` and its mode does not grow, where `theta` lies between
    /// [`stiff_threshold_min`](AutoConfig::stiff_threshold_min) and this
    /// (default `0.98`) as the tolerance decides: `theta B = accuracy_factor *
    /// (rtol (q+1)!)^(1/(q+1))` clamped to the two (`q` the pair's error
    /// order). An *active* mode with `|h lambda| = a` makes a local error of
    /// about `a^(q+1)/(q+1)!`, so an accepted step at `|h lambda|` a factor
    /// `accuracy_factor` above `(rtol (q+1)!)^(1/(q+1))` means the mode is
    /// dormant and only its stability holds the step. At loose tolerances
    /// that is Hairer's `0.98 B`; at tight ones `0.5 B` (DOP853 on ROBER at
    /// rtol 1e-12 is held at `0.73 B`: its error estimator, not `|R(z)| = 1`,
    /// pins the step).
    pub stiff_threshold: f64,
    /// The lower clamp of the boundary threshold. Default `0.5`.
    pub stiff_threshold_min: f64,
    /// See [`stiff_threshold`](AutoConfig::stiff_threshold). Default `4`.
    pub accuracy_factor: f64,
    /// Accepted steps at the boundary before switching to the implicit
    /// method. Default 5.
    pub stiff_steps: usize,
    /// Consecutive accepted steps below the threshold that restart the count.
    /// Default 3.
    pub reset_after: usize,
    /// An explicit attempt that passes the error test at `|h lambda| >=
    /// unstable_threshold * B` (decaying mode) is redone by the implicit
    /// method at once. Default `1.2`.
    pub unstable_threshold: f64,
    /// While implicit, a step with `h rho(J) <= nonstiff_fraction * theta * B`
    /// would leave the explicit pair well inside the threshold `theta B` at
    /// which it counts steps as held by the boundary (see
    /// [`stiff_threshold`](AutoConfig::stiff_threshold)). Default `0.5`.
    pub nonstiff_fraction: f64,
    /// Such steps in a row before switching back. Default 5. The count
    /// doubles (up to [`max_nonstiff_steps`](AutoConfig::max_nonstiff_steps))
    /// each time an explicit phase ends in fewer than
    /// [`short_phase`](AutoConfig::short_phase) accepted steps, and is reset
    /// by an explicit phase that lasts longer: a problem whose stiffness
    /// returns at once is not handed back to the explicit pair every few
    /// steps.
    pub nonstiff_steps: usize,
    /// Upper limit of the doubled count. Default 320.
    pub max_nonstiff_steps: usize,
    /// An implicit phase whose largest accepted step stays below
    /// `gain * h` (`h` the explicit step when it began) gained nothing: the
    /// implicit method is accuracy-bound below the explicit pair's stability
    /// bound (DOP853 held at the boundary on Van der Pol at rtol 1e-8 still
    /// steps 5 times further than Rodas5P is allowed to). After such a phase
    /// the boundary count [`stiff_steps`](AutoConfig::stiff_steps) doubles
    /// (up to [`max_stiff_steps`](AutoConfig::max_stiff_steps)); a phase that
    /// gained resets it. Default `2`.
    pub gain: f64,
    /// Upper limit of the doubled boundary count. Default 640.
    pub max_stiff_steps: usize,
    /// An explicit phase shorter than this many accepted steps doubles the
    /// count. Default 20.
    pub short_phase: usize,
    /// Power iterations per accepted implicit step for `rho(J)` (warm-started
    /// from the previous step's vector). Default 3.
    pub power_iterations: usize,
    /// Switches recorded in the report (the rest are counted). Room for them
    /// is made in `init`, so recording never allocates. Default 64.
    pub max_recorded: usize,
}

impl Default for AutoConfig {
    fn default() -> Self {
        AutoConfig {
            stiff_threshold: 0.98,
            stiff_threshold_min: 0.5,
            accuracy_factor: 4.0,
            stiff_steps: 5,
            reset_after: 3,
            unstable_threshold: 1.2,
            nonstiff_fraction: 0.5,
            nonstiff_steps: 5,
            max_nonstiff_steps: 320,
            gain: 2.0,
            max_stiff_steps: 640,
            short_phase: 20,
            power_iterations: 3,
            max_recorded: 64,
        }
    }
}

/// Which way a switch went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum SwitchDirection {
    /// From the explicit pair to the Rosenbrock method (stiffness).
    ToImplicit,
    /// From the Rosenbrock method back to the explicit pair.
    ToExplicit,
}

/// What triggered a switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum SwitchTrigger {
    /// [`AutoConfig::stiff_steps`] accepted explicit steps at the boundary.
    Boundary,
    /// An explicit attempt passed the error test beyond the boundary
    /// ([`AutoConfig::unstable_threshold`]); it was redone implicitly.
    Unstable,
    /// [`AutoConfig::nonstiff_steps`] implicit steps with
    /// `h rho(J) <= nonstiff_fraction * B`.
    NonStiff,
}

/// One switch.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Switch<T> {
    /// Where the new method takes over (the start of its first step).
    pub t: T,
    /// Which way.
    pub direction: SwitchDirection,
    /// Why.
    pub trigger: SwitchTrigger,
    /// The estimate that triggered it: the explicit pair's `|h lambda|` of
    /// the last step (to implicit), or `h rho(J)` of the last implicit step
    /// (to explicit).
    pub h_lambda: T,
    /// The explicit pair's stability boundary `B` it was compared with.
    pub boundary: T,
    /// Accepted steps of the phase that ended.
    pub steps: usize,
}

/// The work of one engine of an [`AutoSwitch`] while it was active.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MethodWork {
    /// Name of the method.
    pub method: String,
    /// Accepted steps it made.
    pub steps: usize,
    /// Attempts it made (accepted, rejected, and explicit attempts redone
    /// implicitly).
    pub attempts: usize,
    /// Evaluations of `f` in its attempts, dense output and hand-overs
    /// (finite-difference Jacobians included; the driver's initial-step
    /// evaluation is not).
    pub nfev: usize,
}

/// What an [`AutoSwitch`] did in a solve (in
/// [`Diagnostics::switching`](crate::detect::Diagnostics::switching)).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SwitchReport<T> {
    /// The explicit pair's work.
    pub explicit: MethodWork,
    /// The Rosenbrock method's work.
    pub implicit: MethodWork,
    /// The switches, in order (up to [`AutoConfig::max_recorded`]).
    pub switches: Vec<Switch<T>>,
    /// Switches beyond [`AutoConfig::max_recorded`] (counted, not recorded).
    pub unrecorded: usize,
}

impl<T: Real> SwitchReport<T> {
    /// Times of the switches in one direction.
    pub fn times(&self, direction: SwitchDirection) -> Vec<T> {
        self.switches
            .iter()
            .filter(|s| s.direction == direction)
            .map(|s| s.t)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Explicit,
    Implicit,
}

#[derive(Debug, Clone, Copy, Default)]
struct Work {
    steps: usize,
    attempts: usize,
    nfev: usize,
}

/// How [`AutoSwitch::auto`] picks its engines from the relative tolerance
/// (the loosest component): `(rtol at or above which, explicit, implicit)`,
/// first match wins. See `docs/stiff.md`, "Automatic switching", for the
/// measurements behind the choice.
const SELECTION: [(f64, &Tableau, &RosenbrockTableau, &str); 2] = [
    (
        1e-7,
        &tableau::DORMAND_PRINCE_54,
        &tableau::RODAS5P,
        "Auto(DP5+Rodas5P)",
    ),
    (
        0.0,
        &tableau::DORMAND_PRINCE_853,
        &tableau::RODAS5P,
        "Auto(DOP853+Rodas5P)",
    ),
];

/// Automatic stiffness switching: an explicit pair while the problem is not
/// stiff, a Rosenbrock method while it is.
///
/// [`AutoSwitch`] owns an [`ExplicitRk`] and a [`Rosenbrock`] and is itself a
/// [`Stepper`]: the driver, the step-size controller, dense output, `save_at`,
/// events and monitors see one method whose steps happen to come from two
/// engines. Each step's interpolant comes from the engine that made the step,
/// the controller's history carries over (the driver asks
/// [`error_order`](Stepper::error_order) on every attempt, so the exponent
/// follows the engine), and the statistics add up. See `docs/stiff.md`,
/// "Automatic switching".
///
/// **To the implicit method.** The explicit pair estimates `|h lambda|` on
/// every step ([`Stepper::stiffness_estimate`]: Hairer's test for DP5 and
/// DOP853) with the sign
/// of `h Re lambda` ([`Stepper::stiffness_estimate_signed`]). A step is *at
/// the boundary* when `|h lambda| >= theta B` (`B` the pair's real stability
/// boundary) and the mode is not a growing one; `theta` is `0.98` at loose
/// tolerances and falls to `0.5` at tight ones (see
/// [`stiff_threshold`](AutoConfig::stiff_threshold)). After
/// [`stiff_steps`](AutoConfig::stiff_steps) such accepted steps (default 5;
/// [`reset_after`](AutoConfig::reset_after) = 3 steps in a row below the
/// threshold start the count afresh) the step is bounded by stability, not
/// accuracy, and the Rosenbrock method takes over at the next step. One step
/// needs no count: an attempt that *passes* the error test at
/// `|h lambda| >= unstable_threshold * B` (default `1.2 B`) with a decaying
/// mode is beyond the boundary, so a stiff component below the tolerance is
/// being amplified (ROBER at loose tolerances sends `y2` negative this way,
/// and the ODE blows up from there). That attempt is thrown away and redone
/// by the Rosenbrock method from the same point with the same `h`.
///
/// **Back to the explicit pair.** While implicit, every accepted step
/// estimates the spectral radius `rho(J)` of the Rosenbrock method's Jacobian
/// (at the step's start) by [`power_iterations`](AutoConfig::power_iterations)
/// warm-started power iterations. When `h rho(J) <= nonstiff_fraction *
/// theta B` (default half the threshold) for
/// [`nonstiff_steps`](AutoConfig::nonstiff_steps) accepted steps in a row
/// (default 5), the explicit pair could take the same steps well inside its
/// threshold, and it takes over. The gap between the two thresholds and the
/// step counts are the hysteresis; on top of it the count of calm steps
/// doubles after an explicit phase that ends quickly, and the count of
/// boundary steps doubles after an implicit phase that gained nothing (see
/// [`gain`](AutoConfig::gain)), so the method does not flip-flop.
///
/// **Hand-over.** On a switch the new engine receives `f(t, y)` at the
/// current point from the old one (no extra evaluation); the Rosenbrock
/// method evaluates its Jacobian there on its first attempt. Both engines are
/// set up in [`init`](Stepper::init) (the only allocation); a solve with stack
/// states allocates nothing per step.
///
/// **Records.** Every switch (time, direction, the estimate that triggered
/// it) and the work of each engine (accepted steps, attempts, evaluations of
/// `f` while it was active) are reported by [`Stepper::switching`] and land
/// in [`Diagnostics::switching`](crate::detect::Diagnostics::switching).
///
/// ```
/// use odestride::stepper::{AutoSwitch, SwitchDirection};
/// use odestride::Integrator;
/// // Prothero–Robinson, lambda = -1e6: stiff from the start, y = cos t
/// let f = |t: f64, y: &f64, dy: &mut f64| *dy = -1e6 * (*y - t.cos()) - t.sin();
/// let sol = Integrator::new(AutoSwitch::auto()).tol(1e-8).solve(f, 0.0, 10.0, 1.0).unwrap();
/// assert!((sol.last_state() - 10f64.cos()).abs() < 1e-7);
/// let report = sol.diagnostics.switching.as_ref().unwrap();
/// let to_implicit = report.times(SwitchDirection::ToImplicit);
/// assert!(to_implicit[0] < 1e-4); // within the first few explicit steps
/// assert!(report.implicit.steps > 10 * report.explicit.steps);
/// ```
#[derive(Debug, Clone)]
pub struct AutoSwitch<T: Real, S: State<T>> {
    /// The explicit engine, built for `etab` on first use (so that
    /// [`AutoSwitch::auto`] costs only the engine the tolerance picks).
    explicit: Option<ExplicitRk<T, S>>,
    etab: &'static Tableau,
    implicit: Rosenbrock<T, S>,
    cfg: AutoConfig,
    /// Pick the engines from the tolerance ([`AutoSwitch::auto`]).
    select: bool,
    name: Cow<'static, str>,
    /// The engine of the next attempt, and of the last one.
    active: Phase,
    last: Phase,
    /// Explicit phase: steps at the boundary, and in a row below it.
    at_boundary: usize,
    below: usize,
    /// Implicit phase: steps in a row with `h rho(J)` below the fraction,
    /// and how many are needed now (doubled after short explicit phases).
    calm: usize,
    calm_needed: usize,
    /// Boundary steps needed now (doubled after fruitless implicit phases).
    stiff_needed: usize,
    /// The explicit step when the current implicit phase began, and the
    /// largest implicit step since.
    h_switch: T,
    h_implicit_max: T,
    /// The signed estimate of the last accepted explicit step (0 if none).
    prev_signed: T,
    /// The loosest relative tolerance of the solve (from `set_tolerances`).
    rtol: f64,
    /// The explicit pair's boundary `B` and the at-boundary fraction
    /// (fixed per solve, set in `init`).
    b: T,
    theta: f64,
    /// Power-iteration vector and scratch (allocated in `init`).
    power: Option<(S, S)>,
    last_h: T,
    last_t: T,
    work: [Work; 2],
    switches: Vec<Switch<T>>,
    unrecorded: usize,
    switches_total: usize,
    phase_steps: usize,
}

/// A real number of the switching record at restore: finite, or an error
/// naming it (a NaN would otherwise surface later as a misleading error).
fn finite<T: Real>(what: &str, v: T) -> Result<T, String> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!(
            "switching record: {what} = {} (a run only stores finite values)",
            v.to_f64_lossy()
        ))
    }
}

impl<T: Real, S: State<T>> AutoSwitch<T, S> {
    /// The two given engines, used as they are.
    pub fn new(explicit: ExplicitRk<T, S>, implicit: Rosenbrock<T, S>) -> Self {
        let name = format!("Auto({}+{})", explicit.tableau().name, implicit.tableau().name);
        let etab = explicit.tableau();
        Self::with(Some(explicit), etab, implicit, Cow::Owned(name), false)
    }

    fn with(
        explicit: Option<ExplicitRk<T, S>>,
        etab: &'static Tableau,
        implicit: Rosenbrock<T, S>,
        name: Cow<'static, str>,
        select: bool,
    ) -> Self {
        AutoSwitch {
            etab,
            explicit,
            implicit,
            cfg: AutoConfig::default(),
            select,
            name,
            active: Phase::Explicit,
            last: Phase::Explicit,
            at_boundary: 0,
            below: 0,
            calm: 0,
            calm_needed: 5,
            stiff_needed: 5,
            h_switch: T::zero(),
            h_implicit_max: T::zero(),
            prev_signed: T::zero(),
            rtol: 1e-6,
            b: T::one(),
            theta: 0.98,
            power: None,
            last_h: T::zero(),
            last_t: T::zero(),
            work: [Work::default(); 2],
            switches: Vec::new(),
            unrecorded: 0,
            switches_total: 0,
            phase_steps: 0,
        }
    }

    /// The default method ([`Method::Auto`](crate::Method::Auto)): the
    /// engines are chosen from the relative tolerance when a solve starts
    /// (DP5 down to rtol 1e-7, DOP853 below; Rodas5P as the
    /// implicit method), and switched between on stiffness.
    pub fn auto() -> Self {
        Self::with(
            None,
            &tableau::DORMAND_PRINCE_54,
            Rosenbrock::new(&tableau::RODAS5P),
            Cow::Borrowed("Auto"),
            true,
        )
    }

    /// Replaces the settings.
    pub fn config(mut self, cfg: AutoConfig) -> Self {
        self.cfg = cfg;
        self
    }

    /// The settings.
    pub fn settings(&self) -> &AutoConfig {
        &self.cfg
    }

    /// The explicit engine (`None` for [`AutoSwitch::auto`] before a solve
    /// has chosen it).
    pub fn explicit(&self) -> Option<&ExplicitRk<T, S>> {
        self.explicit.as_ref()
    }

    /// `f(t, y)` at the current point from the explicit engine to the
    /// implicit one.
    fn hand_to_implicit(&mut self) {
        self.ex();
        if let Some(e) = self.explicit.as_ref() {
            self.implicit.set_derivative(e.derivative());
        }
    }

    /// `f(t, y)` at the current point from the implicit engine to the
    /// explicit one.
    fn hand_to_explicit(&mut self) {
        self.ex();
        if let Some(e) = self.explicit.as_mut() {
            e.set_derivative(self.implicit.derivative());
        }
    }

    /// The explicit engine, built for the chosen tableau if need be.
    #[inline]
    fn ex(&mut self) -> &mut ExplicitRk<T, S> {
        let tab = self.etab;
        self.explicit.get_or_insert_with(|| ExplicitRk::builtin(tab))
    }

    /// The implicit engine.
    pub fn implicit(&self) -> &Rosenbrock<T, S> {
        &self.implicit
    }

    /// Whether the next attempt is made by the implicit engine.
    pub fn is_stiff_phase(&self) -> bool {
        self.active == Phase::Implicit
    }

    /// The fraction `theta` of `B` at which an accepted explicit step is at
    /// the boundary (see [`AutoConfig::stiff_threshold`]).
    fn threshold(&self) -> f64 {
        let q = self.etab.error_order as i32;
        let fact: f64 = (1..=q + 1).map(f64::from).product();
        let a = (self.rtol.max(1e-300) * fact).powf(1.0 / f64::from(q + 1));
        let b = self.boundary().to_f64_lossy();
        let (lo, hi) = (self.cfg.stiff_threshold_min, self.cfg.stiff_threshold);
        (self.cfg.accuracy_factor * a / b).max(lo.min(hi)).min(hi)
    }

    fn boundary(&self) -> T {
        self.b
    }

    fn record(&mut self, t: T, direction: SwitchDirection, trigger: SwitchTrigger, h_lambda: T) {
        if direction == SwitchDirection::ToImplicit && self.switches_total > 0 {
            // An explicit phase (after a switch back) that ended quickly:
            // wait longer before the next hand-back.
            self.calm_needed = if self.phase_steps < self.cfg.short_phase {
                (self.calm_needed * 2).min(self.cfg.max_nonstiff_steps.max(1))
            } else {
                self.cfg.nonstiff_steps
            };
        }
        match direction {
            SwitchDirection::ToImplicit => {
                self.h_switch = self.last_h.abs();
                self.h_implicit_max = T::zero();
            }
            SwitchDirection::ToExplicit => {
                let gained = self.h_implicit_max >= T::lit(self.cfg.gain) * self.h_switch;
                self.stiff_needed = if gained {
                    self.cfg.stiff_steps
                } else {
                    (self.stiff_needed * 2).min(self.cfg.max_stiff_steps.max(1))
                };
            }
        }
        self.switches_total += 1;
        let sw = Switch {
            t,
            direction,
            trigger,
            h_lambda,
            boundary: self.boundary(),
            steps: self.phase_steps,
        };
        if self.switches.len() < self.switches.capacity() {
            self.switches.push(sw);
        } else {
            self.unrecorded += 1;
        }
        self.phase_steps = 0;
        self.at_boundary = 0;
        self.below = 0;
        self.calm = 0;
        self.prev_signed = T::zero();
    }

    /// Whether the explicit estimate of the last attempt is at `factor * B`
    /// or beyond with a mode that does not grow, or that grows right after an
    /// accepted step whose mode decayed at `B / 4` or faster (the step that
    /// destabilises a stiff mode ends where the Jacobian has changed sign, so
    /// its own estimate reads growth).
    fn beyond(&self, factor: f64) -> Option<T> {
        let ex = self.explicit.as_ref()?;
        let est = ex.stiffness_estimate()?;
        let growing = ex
            .stiffness_estimate_signed()
            .is_some_and(|s| s > T::lit(0.5) * est);
        let flipped = self.prev_signed <= T::lit(-0.25) * self.boundary();
        ((!growing || flipped) && est >= T::lit(factor) * self.boundary()).then_some(est)
    }

    /// `rho(J)` of the implicit engine's last Jacobian by power iteration.
    fn spectral_radius(&mut self) -> Option<T> {
        let jac = self.implicit.last_jacobian()?;
        let (v, w) = self.power.as_mut()?;
        let a = crate::linalg::SquareMatrix::col_major(jac);
        let n = v.dim();
        if a.len() != n * n {
            return None;
        }
        let norm = |x: &[T]| x.iter().fold(T::zero(), |s, v| s + *v * *v).sqrt();
        let mut rho = T::zero();
        for _ in 0..self.cfg.power_iterations.max(1) {
            let (vs, ws) = (v.as_slice(), w.as_mut_slice());
            ws.iter_mut().for_each(|x| *x = T::zero());
            for (j, vj) in vs.iter().enumerate() {
                if *vj != T::zero() {
                    for (wi, aij) in ws.iter_mut().zip(&a[j * n..(j + 1) * n]) {
                        *wi = *wi + *aij * *vj;
                    }
                }
            }
            let (nv, nw) = (norm(v.as_slice()), norm(w.as_slice()));
            if nv.is_nan() || nv <= T::zero() || !nw.is_finite() {
                return None;
            }
            rho = nw / nv;
            if nw <= T::zero() {
                // J v = 0: restart from the ones vector next time.
                v.as_mut_slice().iter_mut().for_each(|x| *x = T::one());
                return Some(T::zero());
            }
            let inv = T::one() / nw;
            for (vi, wi) in v.as_mut_slice().iter_mut().zip(w.as_slice()) {
                *vi = *wi * inv;
            }
        }
        Some(rho)
    }
}

impl<T: Real, S: State<T>> Default for AutoSwitch<T, S> {
    fn default() -> Self {
        Self::auto()
    }
}

macro_rules! counted {
    ($self:ident, $phase:expr, $sys:ident => $e:expr) => {{
        let mut c = Counted::new($sys);
        let out = {
            let $sys = &mut c;
            $e
        };
        $self.work[$phase as usize].nfev += c.count();
        out
    }};
}

impl<T: Real, S: State<T>> Stepper<T, S> for AutoSwitch<T, S> {
    fn name(&self) -> &str {
        &self.name
    }
    fn order(&self) -> u32 {
        match self.active {
            Phase::Explicit => self.etab.order,
            Phase::Implicit => self.implicit.order(),
        }
    }
    fn error_order(&self) -> u32 {
        match self.active {
            Phase::Explicit => self.etab.error_order,
            Phase::Implicit => self.implicit.error_order(),
        }
    }
    fn has_error_estimate(&self) -> bool {
        true
    }
    fn dense_order(&self) -> u32 {
        match self.active {
            Phase::Explicit => match &self.explicit {
                Some(e) => e.dense_order(),
                None => self.etab.dense.map_or(3, |d| d.order),
            },
            Phase::Implicit => self.implicit.dense_order(),
        }
    }
    fn stability_boundary(&self) -> Option<T> {
        Some(T::lit(self.etab.stability_boundary))
    }
    fn default_pi_beta(&self) -> T {
        T::zero()
    }
    fn default_limits(&self) -> Limits<T> {
        Limits {
            max_factor: T::lit(6.0),
            ..Limits::default()
        }
    }
    fn default_predictive(&self) -> bool {
        true
    }
    fn set_tolerances(&mut self, rtol: &Tolerance<T>, _atol: &Tolerance<T>) {
        let r = rtol.values().iter().map(|v| v.to_f64_lossy()).fold(0.0, f64::max);
        self.rtol = r;
        if !self.select {
            return;
        }
        let (_, etab, itab, name) = SELECTION
            .iter()
            .find(|(lo, ..)| r >= *lo)
            .copied()
            .unwrap_or(SELECTION[SELECTION.len() - 1]);
        if *self.etab != *etab {
            // Built for another tableau: rebuilt on first use.
            self.explicit = None;
        }
        self.etab = etab;
        if *self.implicit.tableau() != *itab {
            self.implicit = Rosenbrock::new(itab);
        }
        self.name = Cow::Borrowed(name);
    }
    fn init<F: System<T, S>>(&mut self, sys: &mut F, t0: T, y0: &S) {
        self.work = [Work::default(); 2];
        self.b = T::lit(self.etab.stability_boundary);
        self.theta = self.threshold();
        self.ex();
        if let Some(ex) = self.explicit.as_mut() {
            counted!(self, Phase::Explicit, sys => ex.init(sys, t0, y0));
            ex.estimate_stiffness(true);
            self.implicit.init_with_derivative(y0, ex.derivative());
        }
        let mut ones = y0.zeros_like();
        ones.as_mut_slice().iter_mut().for_each(|x| *x = T::one());
        self.power = Some((ones, y0.zeros_like()));
        self.active = Phase::Explicit;
        self.last = Phase::Explicit;
        self.at_boundary = 0;
        self.below = 0;
        self.calm = 0;
        self.prev_signed = T::zero();
        self.phase_steps = 0;
        self.unrecorded = 0;
        self.switches_total = 0;
        self.calm_needed = self.cfg.nonstiff_steps;
        self.stiff_needed = self.cfg.stiff_steps;
        self.switches = Vec::with_capacity(self.cfg.max_recorded);
        self.last_t = t0;
    }
    fn derivative(&self) -> &S {
        match self.active {
            Phase::Explicit => match &self.explicit {
                Some(e) => e.derivative(),
                None => self.implicit.derivative(),
            },
            Phase::Implicit => self.implicit.derivative(),
        }
    }
    fn attempt<F: System<T, S>>(
        &mut self,
        sys: &mut F,
        t: T,
        y: &S,
        h: T,
        y_new: &mut S,
        norm: &ErrorNorm<T>,
    ) -> T {
        self.last_h = h;
        self.last_t = t;
        if self.active == Phase::Explicit {
            self.work[0].attempts += 1;
            self.last = Phase::Explicit;
            // Not through `counted!`: the unrolled DP5/DOP853 kernels lose
            // their inlining behind a second counting wrapper.
            let ex = self.ex();
            let err = ex.attempt(sys, t, y, h, y_new, norm);
            let evals = ex.attempt_evals();
            self.work[0].nfev += evals;
            // Passed the error test beyond the boundary: a stiff component
            // under the tolerance is being amplified. Redo it implicitly.
            let unstable = if err <= T::one() && y_new.is_finite() {
                // A pair whose error estimate does not need the FSAL stage
                // (DOP853) evaluates it, and its stiffness estimate, only in
                // `complete`: do that now (the step passes the error test,
                // so the evaluation is not wasted unless a monitor vetoes).
                counted!(self, Phase::Explicit, sys => self.ex().complete(sys, y_new));
                self.beyond(self.cfg.unstable_threshold)
            } else {
                None
            };
            let Some(est) = unstable else {
                return err;
            };
            self.hand_to_implicit();
            self.active = Phase::Implicit;
            self.record(t, SwitchDirection::ToImplicit, SwitchTrigger::Unstable, est);
        }
        self.work[1].attempts += 1;
        self.last = Phase::Implicit;
        counted!(self, Phase::Implicit, sys => self.implicit.attempt(sys, t, y, h, y_new, norm))
    }
    fn complete<F: System<T, S>>(&mut self, sys: &mut F, y_new: &S) {
        if self.last == Phase::Explicit {
            counted!(self, Phase::Explicit, sys => self.ex().complete(sys, y_new));
        }
    }
    fn interpolate<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, theta: T, out: &mut S) {
        match self.last {
            Phase::Explicit => {
                counted!(self, Phase::Explicit, sys => self.ex().interpolate(sys, y, y_new, theta, out))
            }
            Phase::Implicit => {
                counted!(self, Phase::Implicit, sys => self.implicit.interpolate(sys, y, y_new, theta, out))
            }
        }
    }
    fn dense_coefficients<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, out: &mut Vec<S>) {
        match self.last {
            Phase::Explicit => {
                counted!(self, Phase::Explicit, sys => self.ex().dense_coefficients(sys, y, y_new, out))
            }
            Phase::Implicit => {
                counted!(self, Phase::Implicit, sys => self.implicit.dense_coefficients(sys, y, y_new, out))
            }
        }
    }
    fn accept<F: System<T, S>>(&mut self, sys: &mut F, t_new: T, y_new: &S, y_changed: bool) {
        self.phase_steps += 1;
        match self.last {
            Phase::Explicit => {
                self.work[0].steps += 1;
                counted!(self, Phase::Explicit, sys => self.ex().accept(sys, t_new, y_new, y_changed));
                match self.beyond(self.theta) {
                    Some(_) => {
                        self.at_boundary += 1;
                        self.below = 0;
                    }
                    None => {
                        self.below += 1;
                        if self.below >= self.cfg.reset_after.max(1) {
                            self.at_boundary = 0;
                        }
                    }
                }
                self.prev_signed = self.ex().stiffness_estimate_signed().unwrap_or(T::zero());
                if self.at_boundary >= self.stiff_needed.max(1) {
                    let est = self.ex().stiffness_estimate().unwrap_or(T::zero());
                    self.hand_to_implicit();
                    self.active = Phase::Implicit;
                    self.record(t_new, SwitchDirection::ToImplicit, SwitchTrigger::Boundary, est);
                }
            }
            Phase::Implicit => {
                self.work[1].steps += 1;
                self.h_implicit_max = self.h_implicit_max.max(self.last_h.abs());
                // rho(J) at the start of this step, before the engine moves on.
                let rho = self.spectral_radius();
                counted!(self, Phase::Implicit, sys => self.implicit.accept(sys, t_new, y_new, y_changed));
                let bound = T::lit(self.cfg.nonstiff_fraction * self.theta) * self.boundary();
                match rho.map(|r| r * self.last_h.abs()) {
                    Some(x) if x <= bound => self.calm += 1,
                    _ => self.calm = 0,
                }
                if self.calm >= self.calm_needed.max(1) {
                    let x = rho.unwrap_or(T::zero()) * self.last_h.abs();
                    self.hand_to_explicit();
                    self.active = Phase::Explicit;
                    self.record(t_new, SwitchDirection::ToExplicit, SwitchTrigger::NonStiff, x);
                }
            }
        }
    }
    fn estimate_stiffness(&mut self, _on: bool) {
        // The switching rule reads the estimate whatever the detectors want.
        if let Some(e) = self.explicit.as_mut() {
            e.estimate_stiffness(true);
        }
    }
    fn stiffness_estimate(&self) -> Option<T> {
        match self.last {
            Phase::Explicit => self.explicit.as_ref().and_then(|e| e.stiffness_estimate()),
            Phase::Implicit => None,
        }
    }
    fn stiffness_estimate_signed(&self) -> Option<T> {
        match self.last {
            Phase::Explicit => self.explicit.as_ref().and_then(|e| e.stiffness_estimate_signed()),
            Phase::Implicit => None,
        }
    }
    fn is_implicit(&self) -> bool {
        self.active == Phase::Implicit
    }
    fn linear_counts(&self) -> LinearCounts {
        self.implicit.linear_counts()
    }
    fn attempt_issue(&self) -> Option<AttemptIssue> {
        match self.last {
            Phase::Explicit => None,
            Phase::Implicit => self.implicit.attempt_issue(),
        }
    }
    fn restart<F: System<T, S>>(&mut self, sys: &mut F, t: T, y: &S) {
        // f(t, y) by the active engine, handed to the other one; the phase,
        // its counters and the records stay.
        match self.active {
            Phase::Explicit => {
                counted!(self, Phase::Explicit, sys => self.ex().restart(sys, t, y));
                self.hand_to_implicit();
            }
            Phase::Implicit => {
                counted!(self, Phase::Implicit, sys => self.implicit.restart(sys, t, y));
                self.hand_to_explicit();
            }
        }
        self.last_t = t;
    }

    fn save_state(&self) -> Saved<T> {
        let phase = |p: Phase| p as u64;
        let mut counts = vec![
            phase(self.active),
            phase(self.last),
            self.at_boundary as u64,
            self.below as u64,
            self.calm as u64,
            self.calm_needed as u64,
            self.stiff_needed as u64,
            self.unrecorded as u64,
            self.switches_total as u64,
            self.phase_steps as u64,
        ];
        for w in &self.work {
            counts.extend([w.steps, w.attempts, w.nfev].map(|n| n as u64));
        }
        let mut reals = vec![
            self.h_switch,
            self.h_implicit_max,
            self.prev_signed,
            self.last_h,
            self.last_t,
        ];
        if let Some((v, _)) = &self.power {
            reals.extend_from_slice(v.as_slice());
        }
        counts.push(self.switches.len() as u64);
        for sw in &self.switches {
            reals.extend([sw.t, sw.h_lambda, sw.boundary]);
            let dir = sw.direction as u64;
            let trig = sw.trigger as u64;
            counts.extend([dir, trig, sw.steps as u64]);
        }
        let explicit = self.explicit.as_ref().map(|e| e.save_state()).unwrap_or_default();
        Saved {
            reals,
            counts,
            parts: vec![explicit, self.implicit.save_state()],
        }
    }

    fn restore_state<F: System<T, S>>(
        &mut self,
        sys: &mut F,
        t: T,
        y: &S,
        saved: &Saved<T>,
    ) -> Result<(), String> {
        let [ex_saved, im_saved] = saved.parts.as_slice() else {
            return Err("an automatic-switching record has two engine parts".into());
        };
        self.b = T::lit(self.etab.stability_boundary);
        self.theta = self.threshold();
        self.ex().restore_state(sys, t, y, ex_saved)?;
        self.ex().estimate_stiffness(true);
        self.implicit.restore_state(sys, t, y, im_saved)?;
        let mut r = saved.reader();
        let phase = |c: u64| {
            if c == Phase::Implicit as u64 {
                Phase::Implicit
            } else {
                Phase::Explicit
            }
        };
        self.active = phase(r.count()?);
        self.last = phase(r.count()?);
        self.at_boundary = r.usize()?;
        self.below = r.usize()?;
        self.calm = r.usize()?;
        self.calm_needed = r.usize()?;
        self.stiff_needed = r.usize()?;
        self.unrecorded = r.usize()?;
        self.switches_total = r.usize()?;
        self.phase_steps = r.usize()?;
        for k in 0..2 {
            self.work[k] = Work {
                steps: r.usize()?,
                attempts: r.usize()?,
                nfev: r.usize()?,
            };
        }
        self.h_switch = finite("h_switch", r.real()?)?;
        self.h_implicit_max = finite("h_implicit_max", r.real()?)?;
        self.prev_signed = finite("prev_signed", r.real()?)?;
        self.last_h = finite("last_h", r.real()?)?;
        self.last_t = finite("last_t", r.real()?)?;
        let mut v = y.zeros_like();
        let stored = r.reals(y.dim())?;
        if let Some((i, x)) = stored.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(format!(
                "switching record: power-iteration vector component {i} = {} (a run only stores finite values)",
                x.to_f64_lossy()
            ));
        }
        v.as_mut_slice().copy_from_slice(stored);
        self.power = Some((v, y.zeros_like()));
        let n = r.usize()?;
        self.switches = Vec::with_capacity(self.cfg.max_recorded.max(n));
        for _ in 0..n {
            let t = finite("switch t", r.real()?)?;
            let h_lambda = finite("switch h_lambda", r.real()?)?;
            let boundary = finite("switch boundary", r.real()?)?;
            let direction = match r.count()? {
                0 => SwitchDirection::ToImplicit,
                _ => SwitchDirection::ToExplicit,
            };
            let trigger = match r.count()? {
                0 => SwitchTrigger::Boundary,
                1 => SwitchTrigger::Unstable,
                _ => SwitchTrigger::NonStiff,
            };
            self.switches.push(Switch {
                t,
                direction,
                trigger,
                h_lambda,
                boundary,
                steps: r.usize()?,
            });
        }
        Ok(())
    }

    fn switching(&self) -> Option<SwitchReport<T>> {
        let mk = |name: &str, w: &Work| MethodWork {
            method: name.to_string(),
            steps: w.steps,
            attempts: w.attempts,
            nfev: w.nfev,
        };
        Some(SwitchReport {
            explicit: mk(self.etab.name, &self.work[0]),
            implicit: mk(self.implicit.tableau().name, &self.work[1]),
            switches: self.switches.clone(),
            unrecorded: self.unrecorded,
        })
    }
}
