//! The driver: the loop that turns attempts into a solution.
//!
//! One step: the stepper proposes `y_new` with an error norm; a non-finite
//! candidate is rejected with a strong shrink; the controller accepts or
//! rejects; the monitors may veto an accepted candidate; an accepted step is
//! committed to the controller, saved (every step, or the output times it
//! covers, via dense output), shown to the monitors (which may project or
//! stop), and the stepper moves on. See `docs/architecture.md`.

use crate::checkpoint::{Checkpoint, DriverState, CHECKPOINT_VERSION};
use crate::controller::{Decision, PiController, StepController, Tuning};
use crate::detect::{BlowUpConfig, Builtin, Detection, StiffnessConfig};
use crate::event::{Event, Tracker};
use crate::monitor::{AcceptedStep, AfterStep, Candidate, Monitor, Verdict};
use crate::norm::{ErrorNorm, Tolerance};
use crate::options::Overlay;
use crate::solution::{DenseOutput, Segment};
use crate::stepper::AttemptIssue;
use crate::stepping::{ObserverRef, Solver, StepInfo};
use crate::{
    Budget, Options, Real, SaveMode, Solution, SolveError, SolveFailure, State, Status, Stepper, System,
};

/// An integrator: a stepper, a controller, options and monitors.
///
/// ```
/// use odestride::{ExplicitRk, Integrator};
/// // harmonic oscillator y1' = y2, y2' = -y1 over one period
/// let sol = Integrator::new(ExplicitRk::dopri5())
///     .tol(1e-10)
///     .solve(|_t, y: &[f64; 2], dy: &mut [f64; 2]| *dy = [y[1], -y[0]], 0.0, 2.0 * std::f64::consts::PI, [1.0, 0.0])
///     .unwrap();
/// assert!((sol.last_state()[0] - 1.0).abs() < 1e-8);
/// println!("{} steps, {} evaluations", sol.stats.naccept, sol.stats.nfev);
/// ```
///
/// # The order of builder calls does not matter
///
/// Settings made with the integrator's own setters ([`tol`](Integrator::tol),
/// [`rtol`](Integrator::rtol), [`atol`](Integrator::atol),
/// [`dense`](Integrator::dense), [`save`](Integrator::save),
/// [`save_at`](Integrator::save_at), [`max_steps`](Integrator::max_steps),
/// [`h_max`](Integrator::h_max)) are kept apart and always applied on top of
/// the [`Options`] given with [`options`](Integrator::options), before or
/// after it: `.tol(1e-10).options(Options::default().dense(true))` solves at
/// 1e-10 with dense output, exactly as
/// `.options(Options::default().dense(true)).tol(1e-10)` does. A controller
/// set with [`controller`](Integrator::controller) keeps what was set on it
/// and takes every setting it leaves open (the limits of
/// `PiController::new(beta)`, `IController::new()`, the PID filters) from the
/// method's tuning when the solve starts
/// ([`StepController::adopt_tuning`]): `PiController::new(0.0)` with DOP853
/// runs with Hairer's DOP853 limits `[0.333, 6]`.
pub struct Integrator<'m, T: Real, S: State<T>, St, C = PiController<T>> {
    stepper: St,
    controller: C,
    /// The options in force: the last `options(..)` with the overlay applied.
    options: Options<T>,
    overlay: Overlay<T>,
    monitors: Vec<Box<dyn Monitor<T, S> + Send + 'm>>,
    events: Vec<Event<'m, T, S>>,
    detection: Detection,
    observer: Option<Observer<'m, T>>,
}

/// A callback on every accepted step ([`Integrator::on_step`]).
pub(crate) type Observer<'m, T> = Box<dyn FnMut(&StepInfo<T>) + Send + 'm>;

impl<'m, T: Real, S: State<T>, St: Stepper<T, S>> Integrator<'m, T, S, St, PiController<T>> {
    /// An integrator with default options and the PI controller tuned for
    /// the stepper (Hairer's `beta` and step-ratio limits; Gustafsson's
    /// predictive step for the implicit methods), taken from the method when
    /// a solve starts.
    pub fn new(stepper: St) -> Self {
        Integrator {
            stepper,
            controller: PiController::default(),
            options: Options::default(),
            overlay: Overlay::default(),
            monitors: Vec::new(),
            events: Vec::new(),
            detection: Detection::default(),
            observer: None,
        }
    }
}

impl<'m, T: Real, S: State<T>, St: Stepper<T, S>, C: StepController<T>> Integrator<'m, T, S, St, C> {
    /// Replaces the step-size controller. What the controller leaves unset
    /// (e.g. the limits of `PiController::new(beta)`) comes from the method's
    /// tuning when the solve starts; what it sets is kept.
    pub fn controller<C2: StepController<T>>(self, controller: C2) -> Integrator<'m, T, S, St, C2> {
        Integrator {
            stepper: self.stepper,
            controller,
            options: self.options,
            overlay: self.overlay,
            monitors: self.monitors,
            events: self.events,
            detection: self.detection,
            observer: self.observer,
        }
    }
    /// Replaces the options. Settings made with the integrator's own setters
    /// (`tol`, `rtol`, `atol`, `dense`, `save`, `save_at`, `max_steps`,
    /// `h_max`), before or after this call, stay in force on top of them.
    pub fn options(mut self, options: Options<T>) -> Self {
        self.options = options;
        self.overlay.apply(&mut self.options);
        self
    }
    /// The options in force (those given with
    /// [`options`](Integrator::options), with the integrator's own settings
    /// applied).
    pub fn get_options(&self) -> &Options<T> {
        &self.options
    }
    /// The options in force, for in-place changes between solves (a later
    /// [`options`](Integrator::options) call replaces them and applies the
    /// integrator's own settings again).
    pub fn options_mut(&mut self) -> &mut Options<T> {
        &mut self.options
    }
    fn set(mut self, change: impl FnOnce(&mut Overlay<T>)) -> Self {
        change(&mut self.overlay);
        self.overlay.apply(&mut self.options);
        self
    }
    /// Scalar relative tolerance (kept over any [`options`](Integrator::options)).
    pub fn rtol(self, rtol: T) -> Self {
        self.set(|o| o.rtol = Some(Tolerance::Scalar(rtol)))
    }
    /// Scalar absolute tolerance (kept over any [`options`](Integrator::options)).
    pub fn atol(self, atol: T) -> Self {
        self.set(|o| o.atol = Some(Tolerance::Scalar(atol)))
    }
    /// rtol = atol = `tol` (kept over any [`options`](Integrator::options)).
    pub fn tol(self, tol: T) -> Self {
        self.rtol(tol).atol(tol)
    }
    /// Keep the dense output, for [`Solution::at`], [`Solution::at_many`]
    /// and [`Solution::derivative_at`] (kept over any
    /// [`options`](Integrator::options)).
    pub fn dense(self, keep: bool) -> Self {
        self.set(|o| o.dense = Some(keep))
    }
    /// Which states to keep (see [`SaveMode`]; kept over any
    /// [`options`](Integrator::options)).
    pub fn save(self, save: SaveMode<T>) -> Self {
        self.set(|o| o.save = Some(save))
    }
    /// Save only at these times (`SaveMode::At`; kept over any
    /// [`options`](Integrator::options)).
    pub fn save_at(self, times: Vec<T>) -> Self {
        self.save(SaveMode::At(times))
    }
    /// Maximum number of attempted steps (kept over any
    /// [`options`](Integrator::options)).
    pub fn max_steps(self, n: usize) -> Self {
        self.set(|o| o.max_steps = Some(n))
    }
    /// Largest step magnitude (kept over any [`options`](Integrator::options)).
    pub fn h_max(self, h_max: T) -> Self {
        self.set(|o| o.h_max = Some(h_max))
    }
    /// Adds a monitor (consulted in the order added).
    pub fn monitor(mut self, monitor: impl Monitor<T, S> + Send + 'm) -> Self {
        self.monitors.push(Box::new(monitor));
        self
    }
    /// Adds an event function (see [`Event`]; records go to
    /// [`Solution::events`], indexed in the order events were added).
    pub fn event(mut self, event: Event<'m, T, S>) -> Self {
        self.events.push(event);
        self
    }
    /// Configures the built-in blow-up detector (on by default; switch it
    /// off with [`BlowUpConfig::off`]). See [`crate::detect`].
    pub fn detect_blowup(mut self, config: BlowUpConfig) -> Self {
        self.detection.blowup = config;
        self
    }
    /// Configures the built-in stiffness detector (on by default, report
    /// only; [`StiffnessConfig::stop`] makes it end the solve). See
    /// [`crate::detect`].
    pub fn detect_stiffness(mut self, config: StiffnessConfig) -> Self {
        self.detection.stiffness = config;
        self
    }
    /// Calls `observer` after every accepted step with the time, the step
    /// size, the fraction of the span covered and the counters: cheap (one
    /// call per step), for progress bars and logs. Replaces an earlier
    /// observer.
    ///
    /// ```
    /// use odestride::{ExplicitRk, Integrator};
    /// let mut last = 0.0;
    /// let sol = Integrator::new(ExplicitRk::dopri5())
    ///     .on_step(|s| last = s.fraction())
    ///     .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = -y, 0.0, 3.0, 1.0)
    ///     .unwrap();
    /// assert_eq!(last, 1.0);
    /// # let _ = sol;
    /// ```
    pub fn on_step(mut self, observer: impl FnMut(&StepInfo<T>) + Send + 'm) -> Self {
        self.observer = Some(Box::new(observer));
        self
    }
    /// The stepper (e.g. to read its name).
    pub fn stepper(&self) -> &St {
        &self.stepper
    }

    /// [`solve`](Integrator::solve) for a plain closure `f(t, y, dy)`. Its
    /// bound is the closure signature itself, so Rust infers the argument
    /// types from `t0` and `y0` and none need writing:
    ///
    /// ```
    /// use odestride::{ExplicitRk, Integrator};
    /// let sol = Integrator::new(ExplicitRk::dopri5())
    ///     .solve_fn(|_, y, dy| *dy = [y[1], -y[0]], 0.0, 1.0, [1.0, 0.0])
    ///     .unwrap();
    /// assert!((sol.last_state()[0] - 1f64.cos()).abs() < 1e-5);
    /// ```
    ///
    /// `solve` takes any [`System`] (a closure, or one with a Jacobian); for
    /// a closure there Rust needs the reference types written out,
    /// `|_t, y: &[f64; 2], dy: &mut [f64; 2]|`, because a trait bound other
    /// than `Fn*` does not tell it the closure's signature.
    pub fn solve_fn<F: FnMut(T, &S, &mut S)>(
        &mut self,
        f: F,
        t0: T,
        t_end: T,
        y0: S,
    ) -> Result<Solution<T, S>, SolveFailure<T, S>> {
        self.solve(f, t0, t_end, y0)
    }

    /// Integrates `y' = f(t, y)` from `(t0, y0)` to `t_end`.
    ///
    /// `t_end < t0` integrates backward. `t_end == t0` returns the initial
    /// state with zero steps. On failure, the error comes with the partial
    /// solution computed so far; invalid input is reported before any
    /// evaluation, with a partial solution holding just `(t0, y0)`. The
    /// error classes and what each means: `docs/errors.md`.
    pub fn solve<F: System<T, S>>(
        &mut self,
        f: F,
        t0: T,
        t_end: T,
        y0: S,
    ) -> Result<Solution<T, S>, SolveFailure<T, S>> {
        self.start(f, t0, t_end, y0)?.run()
    }

    /// Starts a solve of `y' = f(t, y)` from `(t0, y0)` to `t_end` and
    /// returns it before its first step: a [`Solver`] advances it one
    /// accepted step at a time ([`Solver::step`]), up to a time
    /// ([`Solver::advance_to`]), or to the end ([`Solver::run`]), and lets
    /// the caller read and change the state in between. `solve` is
    /// `start(..)?.run()`. Invalid input fails here, as in
    /// [`solve`](Integrator::solve).
    ///
    /// ```
    /// use odestride::{ExplicitRk, Integrator};
    /// let mut integ = Integrator::new(ExplicitRk::dopri5()).tol(1e-10);
    /// let mut run = integ.start(|_t: f64, y: &f64, dy: &mut f64| *dy = -y, 0.0, 2.0, 1.0).unwrap();
    /// run.advance_to(1.0).unwrap(); // lands on t = 1 exactly
    /// assert_eq!(run.t(), 1.0);
    /// assert!((run.y() - (-1f64).exp()).abs() < 1e-10);
    /// run.set_state(2.0 * run.y()).unwrap(); // double it, and go on
    /// let sol = run.run().unwrap();
    /// assert!((sol.last_state() - 2.0 * (-2f64).exp()).abs() < 1e-10);
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn start<F: System<T, S>>(
        &mut self,
        f: F,
        t0: T,
        t_end: T,
        y0: S,
    ) -> Result<Solver<'_, 'm, T, S, St, C, F>, SolveFailure<T, S>> {
        self.prepare(t0, t_end, &y0)?;
        let (run, parts, observer) = self.parts(t0, t_end, y0);
        let mut solver = Solver::new(run, parts, observer, f, 0);
        solver.begin();
        Ok(solver)
    }

    /// Continues a solve from a [`Checkpoint`] (taken by
    /// [`Solver::checkpoint`], possibly in another process and restored
    /// with serde). The integrator must be built like the one that wrote it:
    /// the same method (checked by name), and the same numbers of monitors
    /// and events (the same functions, which cannot be checked); the
    /// options are the checkpoint's (they replace this integrator's). The
    /// resumed run is bit-identical to the uninterrupted one for the
    /// built-in steppers, controllers and monitors; its [`Solution`] holds
    /// the outputs from the checkpoint's time on, and its statistics count
    /// from the start of the original solve.
    #[allow(clippy::type_complexity)]
    pub fn resume<F: System<T, S>>(
        &mut self,
        f: F,
        checkpoint: Checkpoint<T, S>,
    ) -> Result<Solver<'_, 'm, T, S, St, C, F>, SolveFailure<T, S>> {
        let cp = checkpoint;
        let mismatch = |problem: String| SolveError::CheckpointMismatch { problem };
        self.options = cp.options.clone();
        let fail = |error: SolveError, cp: &Checkpoint<T, S>, name: &str| {
            let mut partial = Solution::empty(name);
            partial.t.push(cp.t);
            partial.y.push(cp.y.clone());
            SolveFailure {
                error,
                partial: Box::new(partial),
            }
        };
        self.prepare(cp.t0, cp.t_end, &cp.y)?;
        let name = self.stepper.name().to_string();
        let check = if cp.version != CHECKPOINT_VERSION {
            Err(mismatch(format!(
                "format version {} (this library writes {CHECKPOINT_VERSION})",
                cp.version
            )))
        } else if cp.method != name {
            Err(mismatch(format!(
                "it was written by {}, this integrator runs {name}",
                cp.method
            )))
        } else if cp.monitors.len() != self.monitors.len() {
            Err(mismatch(format!(
                "it holds {} monitors, this integrator has {}",
                cp.monitors.len(),
                self.monitors.len()
            )))
        } else if cp.events.as_ref().map_or(0, |tr| tr.counts.len()) != self.events.len() {
            Err(mismatch(format!(
                "it holds {} events, this integrator has {}",
                cp.events.as_ref().map_or(0, |tr| tr.counts.len()),
                self.events.len()
            )))
        } else if !cp.y.is_finite() || !cp.h.is_finite() || !cp.t.is_finite() {
            Err(mismatch("its time, state or step size is not finite".into()))
        } else if let Some(problem) = checkpoint_position(&cp) {
            Err(mismatch(problem))
        } else {
            Ok(())
        };
        if let Err(e) = check {
            return Err(fail(e, &cp, &name));
        }
        let (mut run, mut parts, observer) = self.parts(cp.t0, cp.t_end, cp.y.clone());
        let restored = run.restore(&cp, &mut parts);
        let mut solver = Solver::new(run, parts, observer, f, cp.stats.nfev);
        if let Err(e) = restored.and_then(|()| solver.restore_stepper(&cp)) {
            return Err(fail(mismatch(e), &cp, &name));
        }
        Ok(solver)
    }

    /// Checks the input of a solve (before any evaluation) and lets the
    /// stepper see the tolerances.
    fn prepare(&mut self, t0: T, t_end: T, y0: &S) -> Result<(), SolveFailure<T, S>> {
        // A method that chooses its engine by tolerance does so first (its
        // name and boundary follow the choice).
        self.stepper
            .set_tolerances(&self.options.rtol, &self.options.atol);
        // What the controller leaves unset comes from the (chosen) method.
        self.controller.adopt_tuning(&Tuning::of(&self.stepper));
        let name = self.stepper.name().to_string();
        let checked = validate(&self.options, t0, t_end, y0)
            .and_then(|()| crate::event::validate(&self.events))
            .and_then(|()| {
                if self.options.fixed_step.is_none() && !self.stepper.has_error_estimate() {
                    Err(SolveError::NoErrorEstimate { method: name.clone() })
                } else {
                    Ok(())
                }
            });
        if let Err(error) = checked {
            let mut partial = Solution::empty(&name);
            partial.t.push(t0);
            partial.y.push(y0.clone());
            return Err(SolveFailure {
                error,
                partial: Box::new(partial),
            });
        }
        Ok(())
    }

    /// The driver state of a new solve and the parts it borrows.
    #[allow(clippy::type_complexity)]
    fn parts(
        &mut self,
        t0: T,
        t_end: T,
        y0: S,
    ) -> (
        Run<'_, T, S>,
        Parts<'_, 'm, T, S, St, C>,
        Option<ObserverRef<'_, 'm, T>>,
    ) {
        let name = self.stepper.name().to_string();
        // The built-in detectors run after the user's monitors (they see the
        // final, possibly projected, state).
        let boundary = self.stepper.stability_boundary();
        let builtin = Builtin::new(&self.detection, boundary, self.options.rtol.values(), t_end);
        // The stiffness estimate costs a pass over the state per step: only
        // computed when a detector or a user's monitor may read it.
        self.stepper
            .estimate_stiffness(builtin.active() || !self.monitors.is_empty());
        let Integrator {
            stepper,
            controller,
            options,
            monitors,
            events,
            observer,
            ..
        } = self;
        let run = Run::new(options, &name, t0, t_end, y0, builtin);
        let parts = Parts {
            stepper,
            ctrl: controller,
            monitors: monitors.as_mut_slice(),
            events: events.as_mut_slice(),
        };
        let observer = observer
            .as_mut()
            .map(|o| &mut **o as &mut (dyn FnMut(&StepInfo<T>) + Send + 'm));
        (run, parts, observer)
    }
}

/// Why a checkpoint's place in its span cannot be resumed from, if it
/// cannot: its time outside `[t0, t_end]`, a step size that is zero or points
/// away from `t_end` (which would step backwards or not at all, and then be
/// blamed on the controller or the step-size floor), or a stop time that
/// does not lie ahead. A checkpoint taken by [`Solver::checkpoint`] passes;
/// one edited or corrupted after that may not.
fn checkpoint_position<T: Real, S: State<T>>(cp: &Checkpoint<T, S>) -> Option<String> {
    let f = |x: T| x.to_f64_lossy();
    let dir = if cp.t_end >= cp.t0 { T::one() } else { -T::one() };
    let ahead = |s: T| (s - cp.t) * dir > T::zero() && (cp.t_end - s) * dir >= T::zero();
    if (cp.t - cp.t0) * dir < T::zero() || (cp.t_end - cp.t) * dir < T::zero() {
        Some(format!(
            "its time t = {} lies outside its span from t0 = {} to t_end = {}",
            f(cp.t),
            f(cp.t0),
            f(cp.t_end)
        ))
    } else if cp.t != cp.t_end && cp.h * dir <= T::zero() {
        Some(format!(
            "its step size h = {} is zero or points away from t_end = {} (t = {})",
            f(cp.h),
            f(cp.t_end),
            f(cp.t)
        ))
    } else {
        cp.driver.stops.iter().find(|s| !ahead(**s)).map(|s| {
            format!(
                "its stop time {} does not lie after t = {} and at or before t_end = {}",
                f(*s),
                f(cp.t),
                f(cp.t_end)
            )
        })
    }
}

fn validate<T: Real, S: State<T>>(o: &Options<T>, t0: T, t_end: T, y0: &S) -> Result<(), SolveError> {
    let f = |x: T| x.to_f64_lossy();
    for (which, t) in [("t0", t0), ("t_end", t_end)] {
        if !t.is_finite() {
            return Err(SolveError::NonFiniteTime {
                which: which.into(),
                value: f(t),
            });
        }
    }
    if !y0.is_contiguous() {
        return Err(SolveError::StateLayout);
    }
    if let Some((index, v)) = y0.as_slice().iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(SolveError::NonFiniteInitialState { index, value: f(*v) });
    }
    let n = y0.dim();
    for (which, tol, strict) in [("rtol", &o.rtol, true), ("atol", &o.atol, false)] {
        if let Tolerance::PerComponent(v) = tol {
            if v.len() != n {
                return Err(SolveError::ToleranceLength {
                    which: which.into(),
                    expected: n,
                    got: v.len(),
                });
            }
        }
        for (index, v) in tol.values().iter().enumerate() {
            let bad = !v.is_finite() || *v < T::zero() || (strict && *v <= T::zero());
            if bad {
                return Err(SolveError::InvalidTolerance {
                    which: which.into(),
                    index,
                    value: f(*v),
                });
            }
        }
    }
    let invalid = |name: String, value: T, hint: &str| {
        Err(SolveError::InvalidOption {
            name,
            value: f(value),
            hint: hint.into(),
        })
    };
    if let Some(w) = &o.error_weights {
        if w.len() != n {
            return Err(SolveError::ToleranceLength {
                which: "error_weights".into(),
                expected: n,
                got: w.len(),
            });
        }
        if let Some((i, v)) = w
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && **v >= T::zero()))
        {
            return invalid(
                format!("error_weights[{i}]"),
                *v,
                "every weight must be finite and >= 0 (0 leaves a component out of the error test)",
            );
        }
        if n > 0 && w.iter().all(|v| *v == T::zero()) {
            return invalid(
                "error_weights".into(),
                T::zero(),
                "every weight is 0, which would switch error control off: give at least one positive weight (for uncontrolled steps use fixed_step)",
            );
        }
    }
    let positive = |name: &str, v: Option<T>| match v {
        Some(x) if !(x.is_finite() && x > T::zero()) => invalid(
            name.into(),
            x,
            "must be finite and > 0 (a magnitude; the direction comes from the span)",
        ),
        _ => Ok(()),
    };
    positive("h0", o.h0)?;
    positive("h_max", o.h_max)?;
    positive("fixed_step", o.fixed_step)?;
    if let Some(x) = o.h_min {
        if !(x.is_finite() && x >= T::zero()) {
            return invalid("h_min".into(), x, "must be finite and >= 0");
        }
    }
    let s = o.nonfinite_shrink;
    if !(s > T::zero() && s < T::one()) {
        return invalid("nonfinite_shrink".into(), s, "must lie in (0, 1)");
    }
    // Step sizes against each other, the span and the resolution of t (a
    // step below 16 ulp of t cannot advance t reliably: the driver's floor).
    let span = (t_end - t0).abs();
    if !span.is_finite() {
        return invalid(
            "t_end".into(),
            t_end,
            &format!(
                "t_end - t0 overflows (t0 = {}): the span must be a finite number",
                f(t0)
            ),
        );
    }
    let resolution = T::lit(16.0) * T::epsilon() * t0.abs().max(t_end.abs());
    if span > T::zero() {
        if let (Some(lo), Some(hi)) = (o.h_min, o.h_max) {
            if lo > hi {
                return invalid(
                    "h_min".into(),
                    lo,
                    &format!("exceeds h_max = {}: the step-size range is empty", f(hi)),
                );
            }
        }
        if let Some(lo) = o.h_min {
            if lo > span {
                return invalid(
                    "h_min".into(),
                    lo,
                    &format!(
                        "exceeds the span |t_end - t0| = {}: no adaptive step could be taken",
                        f(span)
                    ),
                );
            }
        }
        if let (Some(h0), Some(lo)) = (o.h0, o.h_min) {
            if h0 < lo {
                return invalid("h0".into(), h0, &format!("is below h_min = {}", f(lo)));
            }
        }
        let t0_res = T::lit(16.0) * T::epsilon() * t0.abs();
        if let Some(h0) = o.h0 {
            if h0 < t0_res && h0 < span {
                return invalid(
                    "h0".into(),
                    h0,
                    &format!(
                        "is below 16 ulp of t0 ({}): t0 + h0 cannot be resolved",
                        f(t0_res)
                    ),
                );
            }
        }
        if let Some(hi) = o.h_max {
            if hi < resolution && hi < span {
                return invalid(
                    "h_max".into(),
                    hi,
                    &format!(
                        "is below 16 ulp of t in the span ({}): steps that small cannot advance t",
                        f(resolution)
                    ),
                );
            }
        }
        if let Some(hf) = o.fixed_step {
            if let Some(hi) = o.h_max {
                if hf > hi {
                    return invalid("fixed_step".into(), hf, &format!("exceeds h_max = {}", f(hi)));
                }
            }
            if hf < resolution && hf < span {
                return invalid(
                    "fixed_step".into(),
                    hf,
                    &format!(
                        "is below 16 ulp of t in the span ({}): steps that small cannot advance t",
                        f(resolution)
                    ),
                );
            }
        }
    }
    if let SaveMode::At(times) = &o.save {
        if times.is_empty() {
            return Err(SolveError::InvalidOption {
                name: "save_at".into(),
                value: 0.0,
                hint: "the list of output times is empty: give at least one time, or use SaveMode::FinalOnly to keep only the final state".into(),
            });
        }
        let dir = if t_end >= t0 { T::one() } else { -T::one() };
        let mut prev = t0;
        for (i, t) in times.iter().enumerate() {
            let inside = (*t - t0) * dir >= T::zero() && (t_end - *t) * dir >= T::zero();
            if !t.is_finite() || !inside || (*t - prev) * dir < T::zero() {
                return Err(SolveError::InvalidOption {
                    name: format!("save_at[{i}]"),
                    value: f(*t),
                    hint:
                        "output times must lie in [t0, t_end] and be ordered in the direction of integration"
                            .into(),
                });
            }
            prev = *t;
        }
    }
    Ok(())
}

/// The consecutive rejections since the last accepted step, by cause: when
/// they drive the step to its floor or past `max_consecutive_rejects`, the
/// error names the cause that dominated them.
#[derive(Debug, Default)]
struct Rejections {
    nonfinite: usize,
    error: usize,
    veto: usize,
    /// Singular iteration matrices of an implicit method.
    singular: usize,
}

impl Rejections {
    fn total(&self) -> usize {
        self.nonfinite + self.error + self.veto + self.singular
    }
}

/// The borrowed parts of an [`Integrator`] a solve works with.
pub(crate) struct Parts<'a, 'm, T: Real, S: State<T>, St, C> {
    pub(crate) stepper: &'a mut St,
    pub(crate) ctrl: &'a mut C,
    pub(crate) monitors: &'a mut [Box<dyn Monitor<T, S> + Send + 'm>],
    pub(crate) events: &'a mut [Event<'m, T, S>],
}

/// The mutable state of one solve: everything the driver carries from one
/// accepted step to the next (what a [`Checkpoint`] saves).
pub(crate) struct Run<'o, T: Real, S: State<T>> {
    pub(crate) o: &'o Options<T>,
    pub(crate) sol: Solution<T, S>,
    pub(crate) t0: T,
    pub(crate) t_end: T,
    pub(crate) t: T,
    pub(crate) y: S,
    /// Between steps: the state before the last accepted step.
    pub(crate) y_new: S,
    tmp: S,
    /// The stepper's candidate before the monitors' `accepted` (which may
    /// project it); only written when there are user monitors.
    raw: S,
    /// Per step: the correction that makes the step's interpolant end at the
    /// final (possibly projected) state, `y_final - interpolant(1)`.
    corr: S,
    corr_ready: bool,
    pub(crate) next_out: usize,
    coeffs: Vec<S>,
    /// The `"monitor: reason"` key of the last veto, reused so that a veto
    /// costs no allocation once its key is in `Stats::vetoes`.
    veto_key: String,
    /// Length of the monitor's name at the start of `veto_key`.
    veto_name_len: usize,
    rejects: Rejections,
    /// The step size of the next attempt (signed).
    pub(crate) h: T,
    pub(crate) dir: T,
    h_max: T,
    h_min: T,
    fixed: Option<T>,
    /// The start of the fixed-step grid (t0, or the last event action).
    grid0: T,
    pub(crate) n_fixed: usize,
    /// The monitor whose `max_step` cap set the current h, if one did.
    pub(crate) capped_by: Option<usize>,
    pub(crate) rejected_last: bool,
    norm: ErrorNorm<T>,
    pub(crate) builtin: Builtin<T>,
    detect: bool,
    pub(crate) tracker: Option<Tracker<T>>,
    /// Stop times ahead, in the direction of integration (stepping interface).
    pub(crate) stops: Vec<T>,
    /// `Some(changed)`: the last accepted step still has to be handed to
    /// `Stepper::accept` (see `flush`).
    pub(crate) pending_accept: Option<bool>,
    /// `(t, h)` of the last accepted step while its dense output is available.
    pub(crate) last_step: Option<(T, T)>,
    pub(crate) started: Option<std::time::Instant>,
}

/// The dense output of one accepted step as the driver uses it (save_at
/// outputs, events): the stepper's interpolant plus `theta * corr`, so that
/// it ends exactly at the final state even when a monitor projected it or
/// the method's own interpolant misses its end point by round-off
/// (`theta = 1` returns the final state itself, `theta = 0` the start).
struct StepDense<'a, S> {
    y: &'a S,
    raw: &'a S,
    end: &'a S,
    corr: &'a mut S,
    ready: bool,
}

impl<S> StepDense<'_, S> {
    fn eval<T: Real, F: System<T, S>, St: Stepper<T, S>>(
        &mut self,
        stepper: &mut St,
        sys: &mut F,
        theta: T,
        out: &mut S,
    ) where
        S: State<T>,
    {
        if theta == T::one() {
            out.as_mut_slice().copy_from_slice(self.end.as_slice());
            return;
        }
        if theta == T::zero() {
            out.as_mut_slice().copy_from_slice(self.y.as_slice());
            return;
        }
        if !self.ready {
            stepper.interpolate(sys, self.y, self.raw, T::one(), self.corr);
            for (c, e) in self.corr.as_mut_slice().iter_mut().zip(self.end.as_slice()) {
                *c = *e - *c;
            }
            self.ready = true;
        }
        stepper.interpolate(sys, self.y, self.raw, theta, out);
        crate::state::axpy(out.as_mut_slice(), theta, self.corr.as_slice());
    }
}

/// Makes polynomial coefficients (in powers of theta) sum to `end`: the
/// difference to their value at theta = 1 (Horner, as `DenseOutput::at`
/// evaluates it) is added to the linear coefficient.
fn end_at<T: Real, S: State<T>>(coeffs: &mut Vec<S>, end: &S, scratch: &mut S) {
    let Some(last) = coeffs.last() else {
        coeffs.push(end.clone());
        return;
    };
    let acc = scratch.as_mut_slice();
    acc.copy_from_slice(last.as_slice());
    for c in coeffs.iter().rev().skip(1) {
        for (a, ci) in acc.iter_mut().zip(c.as_slice()) {
            *a = *a + *ci;
        }
    }
    if coeffs.len() < 2 {
        let mut c1 = end.clone();
        for (c, a) in c1.as_mut_slice().iter_mut().zip(scratch.as_slice()) {
            *c = *c - *a;
        }
        coeffs.push(c1);
        return;
    }
    for ((c, e), a) in coeffs[1]
        .as_mut_slice()
        .iter_mut()
        .zip(end.as_slice())
        .zip(scratch.as_slice())
    {
        *c = *c + (*e - *a);
    }
}

impl<'o, T: Real, S: State<T>> Run<'o, T, S> {
    pub(crate) fn new(o: &'o Options<T>, name: &str, t0: T, t_end: T, y0: S, builtin: Builtin<T>) -> Self {
        let mut sol = Solution::empty(name);
        if o.dense {
            sol.dense = Some(DenseOutput { segments: Vec::new() });
        }
        let span = (t_end - t0).abs();
        let detect = builtin.active();
        Run {
            o,
            sol,
            t0,
            t_end,
            t: t0,
            y_new: y0.clone(),
            tmp: y0.clone(),
            raw: y0.clone(),
            corr: y0.clone(),
            corr_ready: false,
            y: y0,
            next_out: 0,
            coeffs: Vec::new(),
            veto_key: String::new(),
            veto_name_len: 0,
            rejects: Rejections::default(),
            h: T::zero(),
            dir: if t_end >= t0 { T::one() } else { -T::one() },
            h_max: o.h_max.unwrap_or(span).min(span),
            h_min: o.h_min.unwrap_or(T::zero()),
            fixed: o.fixed_step,
            grid0: t0,
            n_fixed: 0,
            capped_by: None,
            rejected_last: false,
            norm: ErrorNorm::new(o.rtol.clone(), o.atol.clone(), o.error_weights.clone()),
            builtin,
            detect,
            tracker: None,
            stops: Vec::new(),
            pending_accept: None,
            last_step: None,
            started: o.wall_time.map(|_| std::time::Instant::now()),
        }
    }

    /// Continues from a checkpoint: the driver's state, the controller's
    /// history and the monitors' states (the stepper is restored by the
    /// [`Solver`], which owns the right-hand side).
    pub(crate) fn restore<St: Stepper<T, S>, C: StepController<T>>(
        &mut self,
        cp: &Checkpoint<T, S>,
        p: &mut Parts<'_, '_, T, S, St, C>,
    ) -> Result<(), String> {
        self.t = cp.t;
        self.h = cp.h;
        self.sol.stats = cp.stats.clone();
        let d = &cp.driver;
        self.rejected_last = d.rejected_last;
        self.capped_by = d.capped_by.filter(|i| *i < p.monitors.len());
        self.n_fixed = d.n_fixed;
        self.grid0 = d.grid0;
        self.next_out = d.next_out;
        self.stops = d.stops.clone();
        self.builtin = cp.detectors.clone();
        self.tracker = cp.events.clone();
        if let Some(tr) = self.tracker.as_mut() {
            tr.prepare();
        }
        if matches!(self.o.save, SaveMode::EveryStep) {
            let y = self.y.clone();
            self.save(cp.t, &y);
        }
        p.ctrl.set_history(&cp.controller)?;
        for (i, (m, saved)) in p.monitors.iter_mut().zip(&cp.monitors).enumerate() {
            m.span(cp.t0, cp.t_end);
            m.restore_state(cp.t, &self.y, saved)
                .map_err(|e| format!("monitor {i} ({}): {e}", m.name()))?;
        }
        Ok(())
    }

    /// The driver's part of a checkpoint (call after `flush`).
    pub(crate) fn driver_state(&self) -> DriverState<T> {
        DriverState {
            rejected_last: self.rejected_last,
            capped_by: self.capped_by,
            n_fixed: self.n_fixed,
            grid0: self.grid0,
            next_out: self.next_out,
            stops: self.stops.clone(),
        }
    }

    pub(crate) fn is_fixed(&self) -> bool {
        self.fixed.is_some()
    }

    /// The dense output of the last accepted step at `t` (inside it), if it
    /// is still available (until the next step, a state change or a
    /// checkpoint).
    pub(crate) fn interpolate_last<F: System<T, S>, St: Stepper<T, S>>(
        &mut self,
        sys: &mut F,
        stepper: &mut St,
        user_monitors: bool,
        t: T,
        out: &mut S,
    ) -> bool {
        let (Some((t_prev, h)), Some(_)) = (self.last_step, self.pending_accept) else {
            return false;
        };
        let inside = (t - t_prev) * self.dir >= T::zero() && (self.t - t) * self.dir >= T::zero();
        if !inside {
            return false;
        }
        // Between steps `y_new` holds the state at the step's start and `y`
        // the final one; the raw candidate is `raw` with user monitors.
        let raw = if user_monitors { &self.raw } else { &self.y };
        let mut dense = StepDense {
            y: &self.y_new,
            raw,
            end: &self.y,
            corr: &mut self.corr,
            ready: self.corr_ready,
        };
        let theta = if t == self.t { T::one() } else { (t - t_prev) / h };
        dense.eval(stepper, sys, theta, out);
        self.corr_ready = dense.ready;
        true
    }

    fn save(&mut self, t: T, y: &S) {
        self.sol.t.push(t);
        self.sol.y.push(y.clone());
    }

    /// The error for a run of rejections that reached the step-size floor
    /// (`floor` given) or `max_consecutive_rejects`: named after the cause
    /// that dominated the run (singular iteration matrices, non-finite
    /// candidates, a monitor's vetoes, or the error test).
    fn rejection_failure(&self, t: T, h: T, floor: Option<T>) -> SolveError {
        let fl = |x: T| x.to_f64_lossy();
        let r = &self.rejects;
        let rejections = r.total();
        if r.singular > 0 && r.singular >= r.error && r.singular >= r.veto && r.singular >= r.nonfinite {
            return SolveError::SingularMatrix { t: fl(t), h: fl(h) };
        }
        if r.nonfinite > 0 && r.nonfinite >= r.error && r.nonfinite >= r.veto {
            SolveError::NonFiniteRejections {
                t: fl(t),
                h: fl(h),
                rejections,
                nonfinite: r.nonfinite,
            }
        } else if r.veto > 0 && r.veto >= r.error {
            let (who, why) = self.veto_key.split_at(self.veto_name_len);
            SolveError::Vetoed {
                t: fl(t),
                h: fl(h),
                rejections,
                vetoes: r.veto,
                monitor: who.to_string(),
                reason: why.trim_start_matches(": ").to_string(),
            }
        } else if let Some(floor) = floor {
            SolveError::StepSizeTooSmall {
                t: fl(t),
                h: fl(h),
                h_min: fl(floor),
            }
        } else {
            SolveError::TooManyRejections {
                t: fl(t),
                h: fl(h),
                count: rejections,
                reason: "error test".into(),
            }
        }
    }

    /// Sets up a fresh solve: initial output, monitors, detectors, events,
    /// the stepper's `f(t0, y0)` and the first step size. `Some(status)` if
    /// the solve is already over (`t_end == t0`).
    pub(crate) fn begin<F: System<T, S>, St: Stepper<T, S>, C: StepController<T>>(
        &mut self,
        sys: &mut F,
        p: &mut Parts<'_, '_, T, S, St, C>,
    ) -> Result<Option<Status<T>>, SolveError> {
        let o = self.o;
        let (t0, t_end) = (self.t0, self.t_end);
        let fl = |x: T| x.to_f64_lossy();

        // Initial output.
        match &o.save {
            SaveMode::EveryStep => {
                let y0 = self.y.clone();
                self.save(t0, &y0);
            }
            SaveMode::At(times) => {
                while self.next_out < times.len() && times[self.next_out] == t0 {
                    let y0 = self.y.clone();
                    self.save(t0, &y0);
                    self.next_out += 1;
                }
            }
            SaveMode::FinalOnly => {}
        }
        for m in p.monitors.iter_mut() {
            m.span(t0, t_end);
            m.start(t0, &self.y);
        }
        // The built-in detectors: called directly (not through the monitor
        // list), after the user's monitors, so they see the final state.
        if self.detect {
            Monitor::<T, S>::start(&mut self.builtin, t0, &self.y);
        }
        self.tracker = match p.events.is_empty() {
            true => None,
            false => Some(Tracker::start(p.events, t0, &self.y)?),
        };
        if t_end == t0 {
            if matches!(o.save, SaveMode::FinalOnly) {
                let y0 = self.y.clone();
                self.save(t0, &y0);
            }
            return Ok(Some(Status::Success));
        }
        p.ctrl.reset();
        p.stepper.init(sys, t0, &self.y);
        if !p.stepper.derivative().is_finite() {
            return Err(SolveError::NonFiniteDerivative { t: fl(t0) });
        }
        let dir = self.dir;
        let mut h = match (self.fixed, o.h0) {
            (Some(hf), _) => hf,
            (None, Some(h0)) => h0.min(self.h_max),
            (None, None) => initial_step(sys, &*p.stepper, &self.norm, t0, &self.y, dir, self.h_max),
        } * dir;
        if self.fixed.is_none() {
            let mag;
            (mag, self.capped_by) = monitor_caps(p.monitors, h.abs().max(self.h_min), t0)?;
            h = mag * dir;
        }
        self.h = h;
        self.sol.stats.h_initial = fl(h);
        self.sol.stats.h_min_accepted = f64::INFINITY;
        Ok(None)
    }

    /// Finishes the last accepted step for the stepper (its
    /// first-same-as-last swap, or a re-evaluation of `f` if the state was
    /// changed since). Deferred to just before the next attempt so that the
    /// step's dense output stays available in between.
    pub(crate) fn flush<F: System<T, S>, St: Stepper<T, S>>(&mut self, sys: &mut F, stepper: &mut St) {
        if let Some(changed) = self.pending_accept.take() {
            stepper.accept(sys, self.t, &self.y, changed);
        }
    }

    /// One accepted step (as many attempts as it takes); with `through`,
    /// every step until the solve is over or an event's action restarts it
    /// (a solve run to its end without a step observer: the loop then stays
    /// here instead of returning to the caller after every step). `Some(status)`
    /// when the solve is over.
    pub(crate) fn step<F: System<T, S>, St: Stepper<T, S>, C: StepController<T>>(
        &mut self,
        sys: &mut F,
        p: &mut Parts<'_, '_, T, S, St, C>,
        through: bool,
    ) -> Result<Option<Status<T>>, SolveError> {
        self.flush(sys, p.stepper);
        let o = self.o;
        let t_end = self.t_end;
        let fl = |x: T| x.to_f64_lossy();
        let dir = self.dir;
        let (h_max, h_min, fixed) = (self.h_max, self.h_min, self.fixed);
        let at_least_h_min = |new: T, old: T| {
            if new.abs() < h_min && old.abs() > h_min {
                h_min * dir
            } else {
                new
            }
        };
        let stepper = &mut *p.stepper;
        let ctrl = &mut *p.ctrl;
        let monitors = &mut *p.monitors;
        let events = &mut *p.events;
        let user_monitors = !monitors.is_empty();
        let mut h = self.h;
        loop {
            if self.sol.stats.nsteps >= o.max_steps {
                if let Some(i) = self.capped_by {
                    return Err(SolveError::MonitorFault {
                        monitor: monitors[i].name().to_string(),
                        t: fl(self.t),
                        problem: format!(
                            "its max_step() cap ({:e}) set the step size when max_steps = {} was reached: the cap is too small to cover the span (relax it or raise max_steps)",
                            fl(h.abs()),
                            o.max_steps
                        ),
                    });
                }
                return Err(SolveError::TooManySteps {
                    t: fl(self.t),
                    max_steps: o.max_steps,
                });
            }
            let t = self.t;
            // Floor: 16 ulp of t, or the user's h_min.
            let floor = (T::lit(16.0) * T::epsilon() * t.abs())
                .max(o.h_min.unwrap_or(T::zero()))
                .max(T::min_positive_value());
            // What is left of the span is below the floor: every attempt is
            // the one step to t_end, which cannot be shortened, so a run of
            // rejections of it is a step size at its floor (not an error
            // estimate that "stays above tolerance" while h shrinks).
            let pinned = (fixed.is_none() && (t_end - t).abs() <= floor).then_some(floor);
            // Land exactly on t_end: Hairer's look-ahead of 1.01 h for
            // adaptive steps; an exact (to rounding) test for fixed steps.
            let mut last = match fixed {
                None => (t + T::lit(1.01) * h - t_end) * dir >= T::zero(),
                Some(_) => (t + h - t_end) * dir >= -T::lit(1e-10) * h.abs(),
            };
            if fixed.is_none() && h.abs() < floor {
                if pinned.is_some() {
                    // What is left of the span is below the floor itself:
                    // one step lands on t_end.
                    last = true;
                } else if let (0, Some(i)) = (self.rejects.total(), self.capped_by) {
                    return Err(SolveError::MonitorFault {
                        monitor: monitors[i].name().to_string(),
                        t: fl(t),
                        problem: format!(
                            "max_step() capped the step at {:e}, below the smallest step the solve can take here ({:e})",
                            fl(h.abs()),
                            fl(floor)
                        ),
                    });
                } else {
                    return Err(self.rejection_failure(t, h, Some(floor)));
                }
            }
            if last && (fixed.is_none() || (t + h - t_end) * dir > T::lit(1e-10) * h.abs()) {
                h = t_end - t;
            }
            // A stop time ahead (stepping interface): land on it exactly, with
            // the same look-ahead as for t_end.
            let mut stop_time = None;
            if let (false, Some(&ts)) = (last, self.stops.first()) {
                if (t + T::lit(1.01) * h - ts) * dir >= T::zero() {
                    h = ts - t;
                    stop_time = Some(ts);
                }
            }
            self.sol.stats.nsteps += 1;
            let err = stepper.attempt(sys, t, &self.y, h, &mut self.y_new, &self.norm);

            // Non-finite candidate: a rejection with a strong shrink.
            if !err.is_finite() || !self.y_new.is_finite() {
                let issue = stepper.attempt_issue();
                if let Some(AttemptIssue::NonFiniteJacobian { row, col, analytic }) = issue {
                    return Err(SolveError::NonFiniteJacobian {
                        t: fl(t),
                        row,
                        col,
                        source_kind: if analytic { "analytic" } else { "finite-difference" }.into(),
                    });
                }
                if let Some(AttemptIssue::JacobianShape {
                    expected,
                    got,
                    rows,
                    cols,
                }) = issue
                {
                    return Err(SolveError::JacobianShape {
                        expected,
                        got,
                        rows,
                        cols,
                    });
                }
                // A singular iteration matrix (implicit methods): a rejection
                // with a shrink, as the matrix tends to the identity as h -> 0.
                let singular = matches!(issue, Some(AttemptIssue::SingularMatrix));
                if !singular && fixed.is_none() && !stepper.derivative().is_finite() {
                    // f(t, y) itself: no smaller step can help. (A fixed-step
                    // solve reports NonFiniteSolution, which also names the
                    // stability limit: there an overflowing state is typical.)
                    return Err(SolveError::NonFiniteDerivative { t: fl(t) });
                }
                if singular {
                    self.sol.stats.nreject_singular += 1;
                    self.rejects.singular += 1;
                    if fixed.is_some() {
                        return Err(SolveError::SingularMatrix { t: fl(t), h: fl(h) });
                    }
                } else {
                    if fixed.is_some() {
                        return Err(SolveError::NonFiniteSolution { t: fl(t), h: fl(h) });
                    }
                    self.sol.stats.nreject_nonfinite += 1;
                    self.rejects.nonfinite += 1;
                }
                if self.rejects.total() > o.max_consecutive_rejects {
                    return Err(self.rejection_failure(t, h, pinned));
                }
                h = at_least_h_min(h * o.nonfinite_shrink, h);
                self.rejected_last = true;
                self.capped_by = None;
                continue;
            }

            let bad_proposal = |outcome: &str, proposed: T| SolveError::BadStepProposal {
                t: fl(t),
                h: fl(h),
                err: fl(err),
                outcome: outcome.into(),
                proposed: fl(proposed),
            };
            let mut h_next = match fixed {
                Some(hf) => hf * dir,
                None => match ctrl.decide_attempt(h, err, stepper.error_order() + 1) {
                    Decision::Accept { h_next } => {
                        if !(h_next.is_finite() && h_next * dir > T::zero()) {
                            return Err(bad_proposal("accepted", h_next));
                        }
                        h_next
                    }
                    Decision::Reject { h_retry } => {
                        if !(h_retry.is_finite() && h_retry * dir > T::zero() && h_retry.abs() < h.abs()) {
                            return Err(bad_proposal("rejected", h_retry));
                        }
                        self.sol.stats.nreject_error += 1;
                        self.rejects.error += 1;
                        if self.rejects.total() > o.max_consecutive_rejects {
                            return Err(self.rejection_failure(t, h, pinned));
                        }
                        h = at_least_h_min(h_retry, h);
                        self.rejected_last = true;
                        self.capped_by = None;
                        continue;
                    }
                },
            };
            let t_new = if last {
                t_end
            } else if let Some(ts) = stop_time {
                ts
            } else if fixed.is_some() {
                self.grid0 + T::lit((self.n_fixed + 1) as f64) * h
            } else {
                t + h
            };

            // Monitors may veto.
            let mut veto = None;
            for m in monitors.iter_mut() {
                let cand = Candidate {
                    t,
                    y: &self.y,
                    t_new,
                    y_new: &self.y_new,
                    h,
                    err,
                    order: stepper.order(),
                };
                if let Verdict::Veto { factor, reason } = m.check(&cand) {
                    let (who, key) = (m.name(), &mut self.veto_key);
                    key.clear();
                    key.reserve(who.len() + 2 + reason.len());
                    key.push_str(who);
                    key.push_str(": ");
                    key.push_str(&reason);
                    self.veto_name_len = who.len();
                    veto = Some(factor);
                    break;
                }
            }
            if let Some(factor) = veto {
                let st = &mut self.sol.stats;
                st.nveto += 1;
                // No `entry(key.clone())`: a known key is counted without allocating.
                match st.vetoes.get_mut(self.veto_key.as_str()) {
                    Some(n) => *n += 1,
                    None => {
                        st.vetoes.insert(self.veto_key.clone(), 1);
                    }
                }
                if fixed.is_some() {
                    let (who, why) = self.veto_key.split_at(self.veto_name_len);
                    return Err(SolveError::FixedStepVetoed {
                        t: fl(t),
                        h: fl(h),
                        monitor: who.to_string(),
                        reason: why.trim_start_matches(": ").to_string(),
                    });
                }
                self.rejects.veto += 1;
                if self.rejects.total() > o.max_consecutive_rejects {
                    return Err(self.rejection_failure(t, h, pinned));
                }
                let factor = if factor > T::zero() && factor < T::one() {
                    factor
                } else {
                    T::lit(0.5)
                };
                h = at_least_h_min(h * factor, h);
                self.rejected_last = true;
                self.capped_by = None;
                continue;
            }

            // Accepted.
            ctrl.commit(h, err);
            stepper.complete(sys, &self.y_new);
            self.rejects = Rejections::default();
            self.n_fixed += 1;
            {
                let st = &mut self.sol.stats;
                st.naccept += 1;
                st.h_min_accepted = st.h_min_accepted.min(fl(h.abs()));
                st.h_max_accepted = st.h_max_accepted.max(fl(h.abs()));
            }
            // Monitors see the accepted step; they may project or stop. The
            // stepper's own candidate is kept for its interpolant.
            if user_monitors {
                self.raw.as_mut_slice().copy_from_slice(self.y_new.as_slice());
            }
            let stiffness = stepper.stiffness_estimate();
            let stiffness_signed = stepper.stiffness_estimate_signed();
            let mut changed = false;
            let mut stop = None;
            // The view of the step each monitor gets (a fresh mutable borrow
            // of the state each time).
            macro_rules! accepted_step {
                () => {
                    AcceptedStep {
                        t_prev: t,
                        t: t_new,
                        h,
                        err,
                        stiffness,
                        stiffness_signed,
                        y: &mut self.y_new,
                    }
                };
            }
            // The user's monitors, then the built-in detectors (called
            // directly below: their type is known here).
            for m in monitors.iter_mut() {
                let mut acc = accepted_step!();
                let after = m.accepted(&mut acc);
                if let Some((i, v)) = self
                    .y_new
                    .as_slice()
                    .iter()
                    .enumerate()
                    .find(|(_, v)| !v.is_finite())
                {
                    return Err(SolveError::MonitorFault {
                        monitor: m.name().to_string(),
                        t: fl(t_new),
                        problem: format!(
                            "accepted() left {} in component {i} of the state: a monitor may only move the state to finite values",
                            fl(*v)
                        ),
                    });
                }
                match after {
                    AfterStep::Continue => {}
                    AfterStep::Modified => changed = true,
                    AfterStep::Stop(status) => {
                        stop = Some(match status {
                            Status::Failed => {
                                return Err(SolveError::MonitorFault {
                                    monitor: m.name().to_string(),
                                    t: fl(t_new),
                                    problem: "accepted() stopped the solve with Status::Failed, which only accompanies an error: stop with Status::Stopped and a reason".into(),
                                })
                            }
                            Status::Success if !last => Status::Stopped {
                                monitor: m.name().to_string(),
                                reason: "stopped with Status::Success before t_end".into(),
                            },
                            s => s,
                        });
                        break;
                    }
                }
            }
            if stop.is_none() && self.detect {
                let mut acc = accepted_step!();
                // The detectors only read the step, and stop with BlowUp,
                // Unstable or Stiff.
                if let AfterStep::Stop(status) = self.builtin.accepted(&mut acc) {
                    stop = Some(status);
                }
            }
            // Output through the dense output of this step, which ends at
            // the final (possibly projected) state.
            let raw = if user_monitors { &self.raw } else { &self.y_new };
            let mut dense = StepDense {
                y: &self.y,
                raw,
                end: &self.y_new,
                corr: &mut self.corr,
                ready: false,
            };
            if let SaveMode::At(times) = &o.save {
                while self.next_out < times.len() && (t_new - times[self.next_out]) * dir >= T::zero() {
                    let to = times[self.next_out];
                    let theta = if to == t_new { T::one() } else { (to - t) / h };
                    dense.eval(stepper, sys, theta, &mut self.tmp);
                    self.sol.t.push(to);
                    self.sol.y.push(self.tmp.clone());
                    self.next_out += 1;
                }
            }
            if let Some(d) = self.sol.dense.as_mut() {
                let mut coeffs = core::mem::take(&mut self.coeffs);
                stepper.dense_coefficients(sys, &self.y, raw, &mut coeffs);
                end_at(&mut coeffs, &self.y_new, &mut self.tmp);
                // `t_new - t`, not `h`: the segment ends at the saved time
                // (fixed steps sit on the grid t0 + k h; the last step on
                // t_end), which may differ from t + h by rounding.
                d.segments.push(Segment {
                    t0: t,
                    h: t_new - t,
                    coeffs,
                });
            }
            // Events, on this step's dense output (after projections, before
            // the stepper moves on); a terminal one ends the solve at its
            // root, one with an action changes the state there and the solve
            // goes on from the root.
            if let Some(tr) = self.tracker.as_mut() {
                let mut interp = |theta: T, out: &mut S| dense.eval(stepper, sys, theta, out);
                let hit = tr.step(
                    events,
                    t,
                    h,
                    t_new,
                    &self.y,
                    &self.y_new,
                    &mut interp,
                    &mut self.tmp,
                    &mut self.sol.events,
                );
                self.sol.stats.ngev = tr.ngev;
                let hit = match hit {
                    Ok(hit) => hit,
                    Err(e) => {
                        // The step is not taken: drop its outputs.
                        self.stop_at_root(t, h, t);
                        return Err(e);
                    }
                };
                if let Some(hit) = hit {
                    self.stop_at_root(t, h, hit.t);
                    if hit.terminal {
                        return Ok(Some(Status::TerminalEvent {
                            index: hit.index,
                            t: hit.t,
                        }));
                    }
                    self.event_action(sys, stepper, ctrl, monitors, events, hit.index, h_next)?;
                    // A root at t_end itself: the action has run and nothing
                    // is left to integrate (another step would have h = 0).
                    if self.t == t_end {
                        return Ok(Some(stop.unwrap_or(Status::Success)));
                    }
                    return Ok(None);
                }
            }
            self.pending_accept = Some(changed);
            self.last_step = Some((t, h));
            self.corr_ready = dense.ready;
            core::mem::swap(&mut self.y, &mut self.y_new);
            self.t = t_new;
            if stop_time.is_some() {
                self.stops.remove(0);
            }
            if matches!(o.save, SaveMode::EveryStep) {
                let y = self.y.clone();
                self.save(t_new, &y);
            }
            if let Some(status) = stop {
                return Ok(Some(status));
            }
            if last {
                return Ok(Some(Status::Success));
            }
            if let Some(status) = self.over_budget() {
                return Ok(Some(status));
            }
            if fixed.is_some() {
                // Fixed steps ignore h_max (validated not to be smaller) and
                // the monitors' caps: the grid is t0 + k h.
                self.h = h_next;
                if !through {
                    return Ok(None);
                }
                self.flush(sys, stepper);
                h = h_next;
                continue;
            }
            // Next step size: h_max, monitors' caps, no growth after a rejection.
            let mut mag;
            let mag0 = h_next.abs().min(h_max).max(h_min);
            (mag, self.capped_by) = if user_monitors {
                monitor_caps(monitors, mag0, t_new)?
            } else {
                (mag0, None)
            };
            if self.rejected_last {
                mag = mag.min(h.abs());
            }
            self.rejected_last = false;
            h_next = mag * dir;
            self.h = h_next;
            if !through {
                return Ok(None);
            }
            self.flush(sys, stepper);
            h = h_next;
        }
    }

    /// An event with an action fired at `self.t` (the step was cut there by
    /// `stop_at_root`, the state at the root is `self.y`): runs the action
    /// and restarts the solve from the changed state.
    #[allow(clippy::too_many_arguments)]
    fn event_action<F: System<T, S>, St: Stepper<T, S>, C: StepController<T>>(
        &mut self,
        sys: &mut F,
        stepper: &mut St,
        ctrl: &mut C,
        monitors: &mut [Box<dyn Monitor<T, S> + Send + '_>],
        events: &mut [Event<'_, T, S>],
        index: usize,
        h_next: T,
    ) -> Result<(), SolveError> {
        let root = self.t;
        events[index].act(root, &mut self.y);
        if let Some((i, v)) = self.y.as_slice().iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(SolveError::EventActionFault {
                index,
                t: root.to_f64_lossy(),
                component: i,
                value: v.to_f64_lossy(),
            });
        }
        // The step that led here is a good size for the next one.
        let mag = h_next.abs().min(self.h.abs());
        self.h = mag * self.dir;
        self.restart_here(sys, stepper, ctrl, monitors, events, Some(index))
    }

    /// The stepping interface's `set_state`.
    pub(crate) fn replace_state<F: System<T, S>, St: Stepper<T, S>, C: StepController<T>>(
        &mut self,
        sys: &mut F,
        p: &mut Parts<'_, '_, T, S, St, C>,
        y: S,
    ) -> Result<(), SolveError> {
        self.flush(sys, p.stepper);
        self.y = y;
        self.restart_here(sys, p.stepper, p.ctrl, p.monitors, p.events, None)
    }

    /// The state changed at `self.t` (to `self.y`): records it, and starts
    /// the stepper (fresh `f`), the controller, the monitors and detectors
    /// and the event signs afresh there. `fired`: the event whose action
    /// made the change.
    fn restart_here<F: System<T, S>, St: Stepper<T, S>, C: StepController<T>>(
        &mut self,
        sys: &mut F,
        stepper: &mut St,
        ctrl: &mut C,
        monitors: &mut [Box<dyn Monitor<T, S> + Send + '_>],
        events: &mut [Event<'_, T, S>],
        fired: Option<usize>,
    ) -> Result<(), SolveError> {
        let t = self.t;
        // The state after the change, next to the one before it.
        if matches!(self.o.save, SaveMode::EveryStep) {
            let y = self.y.clone();
            self.save(t, &y);
        }
        if let Some(d) = self.sol.dense.as_mut() {
            // A zero-length segment holding the new state: `at(t)` gives the
            // state after the change.
            d.segments.push(Segment {
                t0: t,
                h: T::zero(),
                coeffs: vec![self.y.clone()],
            });
        }
        self.pending_accept = None;
        self.last_step = None;
        stepper.restart(sys, t, &self.y);
        if !stepper.derivative().is_finite() {
            return Err(SolveError::NonFiniteDerivative { t: t.to_f64_lossy() });
        }
        if let Some(seg) = self.sol.dense.as_mut().and_then(|d| d.segments.last_mut()) {
            // ... and f(t, y) there: `derivative_at(t)` when no step follows
            // (an action at t_end).
            seg.coeffs.push(stepper.derivative().clone());
        }
        ctrl.reset();
        for m in monitors.iter_mut() {
            m.start(t, &self.y);
        }
        if self.detect {
            Monitor::<T, S>::start(&mut self.builtin, t, &self.y);
        }
        if self.fixed.is_none() {
            let mag = self.h.abs().min(self.h_max).max(self.h_min);
            self.h = mag * self.dir;
        }
        if let Some(tr) = self.tracker.as_mut() {
            self.tmp
                .as_mut_slice()
                .copy_from_slice(stepper.derivative().as_slice());
            tr.restart(events, t, &self.y, fired, self.h, &mut self.tmp)?;
        }
        self.rejected_last = false;
        // A fixed-step grid restarts here.
        self.n_fixed = 0;
        self.grid0 = t;
        Ok(())
    }

    /// The status that ends the solve when a budget of [`Options`] is spent.
    fn over_budget(&self) -> Option<Status<T>> {
        if let Some(n) = self.o.step_budget {
            if self.sol.stats.naccept >= n {
                return Some(Status::OutOfBudget {
                    budget: Budget::Steps(n),
                });
            }
        }
        if let (Some(limit), Some(start)) = (self.o.wall_time, self.started) {
            if start.elapsed() >= limit {
                return Some(Status::OutOfBudget {
                    budget: Budget::WallTime(limit.as_secs_f64()),
                });
            }
        }
        None
    }

    /// Ends the solve at an event root inside the step `[t, t + h]`: the
    /// state at the root is in `self.tmp`; outputs past the root are dropped
    /// and the step's dense segment is cut at the root. A root at `t` itself
    /// (a zero at the previous step's end that this step confirmed as a
    /// crossing, or a step abandoned on an error) undoes the step's outputs.
    fn stop_at_root(&mut self, t: T, h: T, root: T) {
        let dir = if h > T::zero() { T::one() } else { -T::one() };
        if let SaveMode::At(_) = &self.o.save {
            while self
                .sol
                .t
                .last()
                .is_some_and(|tl| (*tl - root) * dir > T::zero() && (*tl - t) * dir > T::zero())
            {
                self.sol.t.pop();
                self.sol.y.pop();
                // Those output times come again after an event's action.
                self.next_out -= 1;
            }
        }
        if let Some(d) = self.sol.dense.as_mut() {
            if root == t {
                d.segments.pop();
            } else if let Some(seg) = d.segments.last_mut() {
                // y(t + theta h) with theta = theta' h'/h: c'_m = c_m (h'/h)^m.
                let r = (root - t) / seg.h;
                let mut rm = T::one();
                for c in seg.coeffs.iter_mut() {
                    c.as_mut_slice().iter_mut().for_each(|v| *v = *v * rm);
                    rm = rm * r;
                }
                seg.h = root - t;
            }
        }
        // (at `root == t` the state is `self.y` already)
        if root != t {
            core::mem::swap(&mut self.y, &mut self.tmp);
        }
        self.t = root;
        if matches!(self.o.save, SaveMode::EveryStep) && self.sol.t.last() != Some(&root) {
            let y = self.y.clone();
            self.save(root, &y);
        }
    }

    pub(crate) fn finish(
        mut self,
        outcome: Result<Status<T>, SolveError>,
        nfev: usize,
    ) -> Result<Solution<T, S>, SolveFailure<T, S>> {
        self.sol.stats.nfev = nfev;
        if self.sol.stats.naccept == 0 {
            self.sol.stats.h_min_accepted = 0.0;
        }
        // The last accepted state always ends the saved data.
        let needs_last = !matches!(self.o.save, SaveMode::EveryStep) || self.sol.t.is_empty();
        if needs_last && self.sol.t.last() != Some(&self.t) {
            let y = self.y.clone();
            let t = self.t;
            let is_at = matches!(self.o.save, SaveMode::At(_));
            // For `At`, the final state is only appended on failure (or a stop
            // before the end); a successful solve returns exactly the requested times.
            let success_at_end = matches!(outcome, Ok(Status::Success));
            if !(is_at && success_at_end) {
                self.save(t, &y);
            }
        }
        // Without an accepted step the dense output is the single point
        // (t0, y0): one constant segment of length 0.
        if let Some(d) = self.sol.dense.as_mut() {
            if d.segments.is_empty() {
                d.segments.push(Segment {
                    t0: self.t,
                    h: T::zero(),
                    coeffs: vec![self.y.clone()],
                });
            }
        }
        match outcome {
            Ok(status) => {
                self.sol.status = status;
                Ok(self.sol)
            }
            Err(error) => {
                self.sol.status = Status::Failed;
                Err(SolveFailure {
                    error,
                    partial: Box::new(self.sol),
                })
            }
        }
    }
}

/// The step magnitude `mag` capped by the monitors' `max_step`, and the
/// monitor whose cap was binding. A cap that is NaN or 0 is an error naming
/// the monitor.
#[allow(clippy::type_complexity)]
fn monitor_caps<T: Real, S: State<T>>(
    monitors: &[Box<dyn Monitor<T, S> + Send + '_>],
    mut mag: T,
    t: T,
) -> Result<(T, Option<usize>), SolveError> {
    let mut by = None;
    for (i, m) in monitors.iter().enumerate() {
        if let Some(cap) = m.max_step() {
            // NaN, 0 (and -0) are not caps.
            if cap.is_nan() || cap == T::zero() {
                return Err(SolveError::MonitorFault {
                    monitor: m.name().to_string(),
                    t: t.to_f64_lossy(),
                    problem: format!(
                        "max_step() returned {}: a cap must be a positive step magnitude (None for no cap)",
                        cap.to_f64_lossy()
                    ),
                });
            }
            if cap.abs() < mag {
                mag = cap.abs();
                by = Some(i);
            }
        }
    }
    Ok((mag, by))
}

/// Hairer's initial step-size algorithm (*Solving ODEs I*, Sect. II.4,
/// "Starting Step Size"; as in dopri5.f's HINIT), with RMS norms:
///
/// 1. `d0 = ||y0||`, `d1 = ||f(t0, y0)||` (scaled by `atol + rtol |y0|`);
///    `h0 = 0.01 d0/d1` (or 1e-6 if either is below 1e-5).
/// 2. One explicit Euler step `y1 = y0 + h0 f0`; `d2 = ||f(t0 + h0, y1) - f0|| / h0`.
/// 3. `h1 = (0.01 / max(d1, d2))^(1/k)` (or `max(1e-6, 1e-3 h0)` if
///    `max(d1, d2) <= 1e-15`), `k = error_order + 1`.
/// 4. `h = min(100 h0, h1, h_max)`.
///
/// Components with a zero scale (pure relative control, `atol_i = 0`, on a
/// component that is exactly 0) are left out of the norms
/// ([`ErrorNorm::rms_scaled_by_y0`]); if the result is not a positive
/// finite number (e.g. `f(t0 + h0, y1)` overflowed), `min(1e-6, h_max)`.
fn initial_step<T: Real, S: State<T>, F: System<T, S>, St: Stepper<T, S>>(
    sys: &mut F,
    stepper: &St,
    norm: &ErrorNorm<T>,
    t0: T,
    y0: &S,
    dir: T,
    h_max: T,
) -> T {
    let f0 = stepper.derivative();
    let y0s = y0.as_slice();
    let d0 = norm.rms_scaled_by_y0(y0s, y0s);
    let d1 = norm.rms_scaled_by_y0(y0s, f0.as_slice());
    let small = T::lit(1e-5);
    let mut h0 = if d0 < small || d1 < small {
        T::lit(1e-6)
    } else {
        T::lit(0.01) * d0 / d1
    };
    h0 = h0.min(h_max);
    let mut y1 = y0.clone();
    for ((a, b), c) in y1.as_mut_slice().iter_mut().zip(y0s).zip(f0.as_slice()) {
        *a = *b + h0 * dir * *c;
    }
    let mut f1 = y0.zeros_like();
    sys.rhs(t0 + h0 * dir, &y1, &mut f1);
    for (a, b) in f1.as_mut_slice().iter_mut().zip(f0.as_slice()) {
        *a = *a - *b;
    }
    let d2 = norm.rms_scaled_by_y0(y0s, f1.as_slice()) / h0;
    let k = T::lit((stepper.error_order() + 1) as f64);
    let d12 = d1.max(d2);
    let h1 = if d12.is_nan() || d12 <= T::lit(1e-15) {
        T::lit(1e-6).max(h0 * T::lit(1e-3))
    } else {
        (T::lit(0.01) / d12).powf(T::one() / k)
    };
    let h = (T::lit(100.0) * h0).min(h1).min(h_max);
    if h.is_finite() && h > T::zero() {
        h
    } else {
        T::lit(1e-6).min(h_max)
    }
}
