//! The driver: the loop that turns attempts into a solution.
//!
//! One step: the stepper proposes `y_new` with an error norm; a non-finite
//! candidate is rejected with a strong shrink; the controller accepts or
//! rejects; the monitors may veto an accepted candidate; an accepted step is
//! committed to the controller, saved (every step, or the output times it
//! covers, via dense output), shown to the monitors (which may project or
//! stop), and the stepper moves on. See `docs/architecture.md`.

use crate::controller::{Decision, PiController, StepController};
use crate::detect::{BlowUpConfig, Builtin, Detection, StiffnessConfig};
use crate::event::{Event, Tracker};
use crate::monitor::{AcceptedStep, AfterStep, Candidate, Monitor, Verdict};
use crate::norm::{ErrorNorm, Tolerance};
use crate::solution::{DenseOutput, Segment};
use crate::stepper::AttemptIssue;
use crate::system::Counted;
use crate::{Options, Real, SaveMode, Solution, SolveError, SolveFailure, State, Status, Stepper, System};

/// An integrator: a stepper, a controller, options and monitors.
///
/// ```
/// use nalgebra::SVector;
/// use odestride::{ExplicitRk, Integrator};
/// // harmonic oscillator y1' = y2, y2' = -y1 over one period
/// let f = |_t: f64, y: &SVector<f64, 2>, dy: &mut SVector<f64, 2>| {
///     dy[0] = y[1];
///     dy[1] = -y[0];
/// };
/// let sol = Integrator::new(ExplicitRk::dopri5())
///     .tol(1e-10)
///     .solve(f, 0.0, 2.0 * std::f64::consts::PI, SVector::from([1.0, 0.0]))
///     .unwrap();
/// assert!((sol.last_state()[0] - 1.0).abs() < 1e-8);
/// println!("{} steps, {} evaluations", sol.stats.naccept, sol.stats.nfev);
/// ```
pub struct Integrator<'m, T: Real, S: State<T>, St, C = PiController<T>> {
    stepper: St,
    controller: C,
    options: Options<T>,
    monitors: Vec<Box<dyn Monitor<T, S> + 'm>>,
    events: Vec<Event<'m, T, S>>,
    detection: Detection,
}

impl<'m, T: Real, S: State<T>, St: Stepper<T, S>> Integrator<'m, T, S, St, PiController<T>> {
    /// An integrator with default options and the PI controller tuned for
    /// the stepper (Hairer's `beta` and step-ratio limits; Gustafsson's
    /// predictive step for the implicit methods).
    pub fn new(stepper: St) -> Self {
        let beta = stepper.default_pi_beta();
        let limits = stepper.default_limits();
        let predictive = stepper.default_predictive();
        Integrator {
            stepper,
            controller: PiController::new(beta)
                .with_limits(limits)
                .with_predictive(predictive),
            options: Options::default(),
            monitors: Vec::new(),
            events: Vec::new(),
            detection: Detection::default(),
        }
    }
}

impl<'m, T: Real, S: State<T>, St: Stepper<T, S>, C: StepController<T>> Integrator<'m, T, S, St, C> {
    /// Replaces the step-size controller.
    pub fn controller<C2: StepController<T>>(self, controller: C2) -> Integrator<'m, T, S, St, C2> {
        Integrator {
            stepper: self.stepper,
            controller,
            options: self.options,
            monitors: self.monitors,
            events: self.events,
            detection: self.detection,
        }
    }
    /// Replaces the options.
    pub fn options(mut self, options: Options<T>) -> Self {
        self.options = options;
        self
    }
    /// The options, for in-place changes between solves.
    pub fn options_mut(&mut self) -> &mut Options<T> {
        &mut self.options
    }
    /// Scalar relative tolerance.
    pub fn rtol(mut self, rtol: T) -> Self {
        self.options = self.options.rtol(rtol);
        self
    }
    /// Scalar absolute tolerance.
    pub fn atol(mut self, atol: T) -> Self {
        self.options = self.options.atol(atol);
        self
    }
    /// rtol = atol = `tol`.
    pub fn tol(mut self, tol: T) -> Self {
        self.options = self.options.tol(tol);
        self
    }
    /// Adds a monitor (consulted in the order added).
    pub fn monitor(mut self, monitor: impl Monitor<T, S> + 'm) -> Self {
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
    /// The stepper (e.g. to read its name).
    pub fn stepper(&self) -> &St {
        &self.stepper
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
        mut f: F,
        t0: T,
        t_end: T,
        y0: S,
    ) -> Result<Solution<T, S>, SolveFailure<T, S>> {
        // A method that chooses its engine by tolerance does so first (its
        // name and boundary follow the choice).
        self.stepper
            .set_tolerances(&self.options.rtol, &self.options.atol);
        let name = self.stepper.name().to_string();
        let checked = validate(&self.options, t0, t_end, &y0)
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
            partial.y.push(y0);
            return Err(SolveFailure {
                error,
                partial: Box::new(partial),
            });
        }
        let mut sys = Counted::new(&mut f);
        let mut run = Run::new(&self.options, &name, t0, t_end, y0);
        // The built-in detectors run after the user's monitors (they see the
        // final, possibly projected, state).
        let boundary = self.stepper.stability_boundary();
        let mut builtin = Builtin::new(&self.detection, boundary, self.options.rtol.values(), t_end);
        // The stiffness estimate costs a pass over the state per step: only
        // computed when a detector or a user's monitor may read it.
        self.stepper
            .estimate_stiffness(builtin.active() || !self.monitors.is_empty());
        let outcome = run.go(
            &mut sys,
            &mut self.stepper,
            &mut self.controller,
            &mut self.monitors,
            &mut builtin,
            &mut self.events,
        );
        run.sol.diagnostics = builtin.diagnostics();
        run.sol.diagnostics.switching = self.stepper.switching();
        let lin = self.stepper.linear_counts();
        let st = &mut run.sol.stats;
        (st.njev, st.nfev_jac, st.nlu, st.nsolve) = (lin.njev, lin.nfev_jac, lin.nlu, lin.nsolve);
        // A right-hand side that resized `dy` (run-time sized states) ends
        // the solve whatever happened after it (its output was NaN).
        let outcome = match sys.length_error() {
            Some((expected, got)) => Err(SolveError::StateLength { expected, got }),
            None => outcome,
        };
        let nfev = sys.count();
        run.finish(outcome, nfev)
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

/// Why the loop ended without error.
enum End<T> {
    Done(Status<T>),
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

/// The mutable state of one solve.
struct Run<'o, T: Real, S: State<T>> {
    o: &'o Options<T>,
    sol: Solution<T, S>,
    t0: T,
    t_end: T,
    t: T,
    y: S,
    y_new: S,
    tmp: S,
    /// The stepper's candidate before the monitors' `accepted` (which may
    /// project it); only written when there are user monitors.
    raw: S,
    /// Per step: the correction that makes the step's interpolant end at the
    /// final (possibly projected) state, `y_final - interpolant(1)`.
    corr: S,
    next_out: usize,
    coeffs: Vec<S>,
    /// The `"monitor: reason"` key of the last veto, reused so that a veto
    /// costs no allocation once its key is in `Stats::vetoes`.
    veto_key: String,
    /// Length of the monitor's name at the start of `veto_key`.
    veto_name_len: usize,
    rejects: Rejections,
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
    fn new(o: &'o Options<T>, name: &str, t0: T, t_end: T, y0: S) -> Self {
        let mut sol = Solution::empty(name);
        if o.dense {
            sol.dense = Some(DenseOutput { segments: Vec::new() });
        }
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
            y: y0,
            next_out: 0,
            coeffs: Vec::new(),
            veto_key: String::new(),
            veto_name_len: 0,
            rejects: Rejections::default(),
        }
    }

    fn save(&mut self, t: T, y: &S) {
        self.sol.t.push(t);
        self.sol.y.push(y.clone());
    }

    /// The error for a run of rejections that reached the step-size floor
    /// (`floor` given) or `max_consecutive_rejects`: named after the cause
    /// that dominated the run (non-finite candidates, a monitor's vetoes, or
    /// the error test).
    fn rejection_failure(&self, t: T, h: T, floor: Option<T>) -> SolveError {
        let fl = |x: T| x.to_f64_lossy();
        let r = &self.rejects;
        let rejections = r.total();
        if r.singular > 0 && r.singular >= r.error && r.singular >= r.veto && r.singular >= r.nonfinite {
            return SolveError::TooManyRejections {
                t: fl(t),
                h: fl(h),
                count: rejections,
                reason: format!(
                    "singular iteration matrix I/(h gamma) - J in {} of them (check the Jacobian with odestride::jacobian::check_jacobian)",
                    r.singular
                ),
            };
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

    fn go<F: System<T, S>, St: Stepper<T, S>, C: StepController<T>>(
        &mut self,
        sys: &mut F,
        stepper: &mut St,
        ctrl: &mut C,
        monitors: &mut [Box<dyn Monitor<T, S> + '_>],
        builtin: &mut Builtin<T>,
        events: &mut [Event<'_, T, S>],
    ) -> Result<End<T>, SolveError> {
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
        for m in monitors.iter_mut() {
            m.span(t0, t_end);
            m.start(t0, &self.y);
        }
        // The built-in detectors: called directly (not through the monitor
        // list), after the user's monitors, so they see the final state.
        let detect = builtin.active();
        if detect {
            Monitor::<T, S>::start(builtin, t0, &self.y);
        }
        let mut tracker = match events.is_empty() {
            true => None,
            false => Some(Tracker::start(events, t0, &self.y)?),
        };
        if t_end == t0 {
            if matches!(o.save, SaveMode::FinalOnly) {
                let y0 = self.y.clone();
                self.save(t0, &y0);
            }
            return Ok(End::Done(Status::Success));
        }
        let dir = if t_end > t0 { T::one() } else { -T::one() };
        let span = (t_end - t0).abs();
        let h_max = o.h_max.unwrap_or(span).min(span);

        ctrl.reset();
        stepper.init(sys, t0, &self.y);
        if !stepper.derivative().is_finite() {
            return Err(SolveError::NonFiniteDerivative { t: fl(t0) });
        }
        let norm = ErrorNorm::new(o.rtol.clone(), o.atol.clone(), o.error_weights.clone());
        let fixed = o.fixed_step;
        let mut h = match (fixed, o.h0) {
            (Some(hf), _) => hf,
            (None, Some(h0)) => h0.min(h_max),
            (None, None) => initial_step(sys, stepper, &norm, t0, &self.y, dir, h_max),
        } * dir;
        // `h_min` is a floor the step is raised to (SUNDIALS' hmin): a retry
        // that would go below it is made at h_min; the solve fails when a step
        // of h_min itself is rejected.
        let h_min = o.h_min.unwrap_or(T::zero());
        let at_least_h_min = |new: T, old: T| {
            if new.abs() < h_min && old.abs() > h_min {
                h_min * dir
            } else {
                new
            }
        };
        // The monitor whose `max_step` cap set the current h, if one did.
        let mut capped_by: Option<usize> = None;
        if fixed.is_none() {
            let mag;
            (mag, capped_by) = monitor_caps(monitors, h.abs().max(h_min), t0)?;
            h = mag * dir;
        }
        self.sol.stats.h_initial = fl(h);
        self.sol.stats.h_min_accepted = f64::INFINITY;

        let user_monitors = !monitors.is_empty();
        let mut rejected_last = false;
        let mut n_fixed: usize = 0;
        self.rejects = Rejections::default();
        loop {
            if self.sol.stats.nsteps >= o.max_steps {
                if let Some(i) = capped_by {
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
            // Land exactly on t_end: Hairer's look-ahead of 1.01 h for
            // adaptive steps; an exact (to rounding) test for fixed steps.
            let mut last = match fixed {
                None => (t + T::lit(1.01) * h - t_end) * dir >= T::zero(),
                Some(_) => (t + h - t_end) * dir >= -T::lit(1e-10) * h.abs(),
            };
            if fixed.is_none() && h.abs() < floor {
                if (t_end - t).abs() <= floor {
                    // What is left of the span is below the floor itself:
                    // one step lands on t_end.
                    last = true;
                } else if let (0, Some(i)) = (self.rejects.total(), capped_by) {
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
            self.sol.stats.nsteps += 1;
            let err = stepper.attempt(sys, t, &self.y, h, &mut self.y_new, &norm);

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
                if let Some(AttemptIssue::JacobianShape { expected, got }) = issue {
                    return Err(SolveError::JacobianShape { expected, got });
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
                        return Err(self.rejection_failure(t, h, None));
                    }
                } else {
                    if fixed.is_some() {
                        return Err(SolveError::NonFiniteSolution { t: fl(t), h: fl(h) });
                    }
                    self.sol.stats.nreject_nonfinite += 1;
                    self.rejects.nonfinite += 1;
                }
                if self.rejects.total() > o.max_consecutive_rejects {
                    return Err(self.rejection_failure(t, h, None));
                }
                h = at_least_h_min(h * o.nonfinite_shrink, h);
                rejected_last = true;
                capped_by = None;
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
                None => match ctrl.decide(h, err, stepper.error_order() + 1) {
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
                            return Err(self.rejection_failure(t, h, None));
                        }
                        h = at_least_h_min(h_retry, h);
                        rejected_last = true;
                        capped_by = None;
                        continue;
                    }
                },
            };
            let t_new = if last {
                t_end
            } else if fixed.is_some() {
                t0 + T::lit((n_fixed + 1) as f64) * h
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
                    return Err(self.rejection_failure(t, h, None));
                }
                let factor = if factor > T::zero() && factor < T::one() {
                    factor
                } else {
                    T::lit(0.5)
                };
                h = at_least_h_min(h * factor, h);
                rejected_last = true;
                capped_by = None;
                continue;
            }

            // Accepted.
            ctrl.commit(h, err);
            stepper.complete(sys, &self.y_new);
            self.rejects = Rejections::default();
            n_fixed += 1;
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
            let n_user = monitors.len();
            // The user's monitors, then the built-in detectors (a direct
            // reference, not a box in the monitor list).
            let detector: Option<&mut dyn Monitor<T, S>> = if detect { Some(&mut *builtin) } else { None };
            let all = monitors
                .iter_mut()
                .map(|m| &mut **m as &mut dyn Monitor<T, S>)
                .chain(detector);
            for (k, m) in all.enumerate() {
                let mut acc = AcceptedStep {
                    t_prev: t,
                    t: t_new,
                    h,
                    err,
                    stiffness,
                    stiffness_signed,
                    y: &mut self.y_new,
                };
                let after = m.accepted(&mut acc);
                if k < n_user {
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
            // the stepper moves on); a terminal one ends the solve at its root.
            if let Some(tr) = tracker.as_mut() {
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
                if let Some((index, root)) = hit {
                    self.stop_at_root(t, h, root);
                    return Ok(End::Done(Status::TerminalEvent { index, t: root }));
                }
            }
            stepper.accept(sys, t_new, &self.y_new, changed);
            core::mem::swap(&mut self.y, &mut self.y_new);
            self.t = t_new;
            if matches!(o.save, SaveMode::EveryStep) {
                let y = self.y.clone();
                self.save(t_new, &y);
            }
            if let Some(status) = stop {
                return Ok(End::Done(status));
            }
            if last {
                return Ok(End::Done(Status::Success));
            }
            if fixed.is_some() {
                // Fixed steps ignore h_max (validated not to be smaller) and
                // the monitors' caps: the grid is t0 + k h.
                h = h_next;
                continue;
            }
            // Next step size: h_max, monitors' caps, no growth after a rejection.
            let mut mag;
            (mag, capped_by) = monitor_caps(monitors, h_next.abs().min(h_max).max(h_min), t_new)?;
            if rejected_last {
                mag = mag.min(h.abs());
            }
            rejected_last = false;
            h_next = mag * dir;
            h = h_next;
        }
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

    fn finish(
        mut self,
        outcome: Result<End<T>, SolveError>,
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
            let success_at_end = matches!(outcome, Ok(End::Done(Status::Success)));
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
            Ok(End::Done(status)) => {
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
    monitors: &[Box<dyn Monitor<T, S> + '_>],
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
