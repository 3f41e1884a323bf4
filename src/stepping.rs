//! The stepping interface: a solve the caller advances, reads and changes
//! between accepted steps.
//!
//! [`Integrator::start`](crate::Integrator::start) returns a [`Solver`]
//! before the first step. It advances one accepted step at a time
//! ([`Solver::step`]), up to a time where it lands exactly
//! ([`Solver::advance_to`], [`Solver::add_stop_time`]), over an iterator of
//! accepted steps ([`Solver::steps`]), or to the end ([`Solver::run`]).
//! Between steps the caller reads the current `(t, y, h)`, evaluates the
//! last step's dense output ([`Solver::interpolate`]), changes the state
//! ([`Solver::set_state`]: the stepper's first-same-as-last stage, the
//! controller's history, the monitors and the events start afresh there),
//! or saves everything with serde ([`Solver::checkpoint`], resumed
//! bit-identically by [`Integrator::resume`](crate::Integrator::resume)).
//! [`Integrator::solve`](crate::Integrator::solve) is `start(..)?.run()`:
//! the same loop, so a stepped solve takes exactly the steps of a plain one.
//!
//! ```
//! use odestride::{ExplicitRk, Integrator};
//! // y' = -y: print every accepted step, stop early at t = 0.5.
//! let mut integ = Integrator::new(ExplicitRk::dopri5()).tol(1e-8);
//! let mut run = integ.start(|_t: f64, y: &f64, dy: &mut f64| *dy = -y, 0.0, 2.0, 1.0).unwrap();
//! for step in run.steps() {
//!     let step = step.unwrap();
//!     println!("t = {:.4}  y = {:.6}  h = {:.2e}", step.t, step.y, step.h);
//!     if step.t > 0.5 {
//!         break;
//!     }
//! }
//! let y_half = run.interpolate(0.5).unwrap(); // inside the last step
//! assert!((y_half - (-0.5f64).exp()).abs() < 1e-8);
//! ```

use crate::checkpoint::{Checkpoint, CHECKPOINT_VERSION};
use crate::controller::StepController;
use crate::integrate::{Parts, Run};
use crate::system::Counted;
use crate::{Real, Solution, SolveError, SolveFailure, State, Status, Stepper, System};

/// The step observer as a running solve borrows it.
pub(crate) type ObserverRef<'a, 'm, T> = &'a mut (dyn FnMut(&StepInfo<T>) + Send + 'm);

/// What one call to [`Solver::step`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress<T> {
    /// An accepted step; the solve goes on.
    Stepped,
    /// The solve is over (after an accepted step, or before any if it was
    /// over already), with this status.
    Finished(Status<T>),
}

impl<T> Progress<T> {
    /// Whether the solve is over.
    pub fn is_finished(&self) -> bool {
        matches!(self, Progress::Finished(_))
    }
}

/// What the observer of [`Integrator::on_step`](crate::Integrator::on_step)
/// sees after every accepted step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInfo<T> {
    /// Time reached.
    pub t: T,
    /// Size of the step that reached it (signed).
    pub h: T,
    /// Start of the span.
    pub t0: T,
    /// End of the span.
    pub t_end: T,
    /// Accepted steps so far.
    pub naccept: usize,
    /// Rejected attempts so far.
    pub nreject: usize,
}

impl<T: Real> StepInfo<T> {
    /// The fraction of the span covered, in `[0, 1]` (1 at the end).
    pub fn fraction(&self) -> f64 {
        let span = (self.t_end - self.t0).to_f64_lossy();
        if span == 0.0 {
            1.0
        } else {
            ((self.t - self.t0).to_f64_lossy() / span).clamp(0.0, 1.0)
        }
    }
}

/// One accepted step as [`Solver::steps`] yields it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord<T, S> {
    /// Time reached.
    pub t: T,
    /// State reached.
    pub y: S,
    /// Size of the step (signed).
    pub h: T,
}

/// A running solve (see the [module documentation](self)): created by
/// [`Integrator::start`](crate::Integrator::start) or
/// [`Integrator::resume`](crate::Integrator::resume), it borrows the
/// integrator until it is finished with [`run`](Solver::run) or
/// [`into_solution`](Solver::into_solution).
pub struct Solver<'a, 'm, T: Real, S: State<T>, St, C, F> {
    run: Run<'a, T, S>,
    parts: Parts<'a, 'm, T, S, St, C>,
    observer: Option<ObserverRef<'a, 'm, T>>,
    f: F,
    nfev: usize,
    /// A right-hand side that resized `dy` (run-time sized states): the
    /// counted wrapper replaced its output by NaN and recorded the sizes.
    length_error: Option<(usize, usize)>,
    /// Set when the solve is over.
    outcome: Option<Result<Status<T>, SolveError>>,
}

impl<T: Real, S: State<T>, St, C, F> core::fmt::Debug for Solver<'_, '_, T, S, St, C, F>
where
    T: core::fmt::Debug,
    S: core::fmt::Debug,
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Solver")
            .field("t", &self.run.t)
            .field("y", &self.run.y)
            .field("h", &self.run.h)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

impl<'a, 'm, T: Real, S: State<T>, St: Stepper<T, S>, C: StepController<T>, F: System<T, S>>
    Solver<'a, 'm, T, S, St, C, F>
{
    pub(crate) fn new(
        run: Run<'a, T, S>,
        parts: Parts<'a, 'm, T, S, St, C>,
        observer: Option<ObserverRef<'a, 'm, T>>,
        f: F,
        nfev: usize,
    ) -> Self {
        Solver {
            run,
            parts,
            observer,
            f,
            nfev,
            length_error: None,
            outcome: None,
        }
    }

    /// Runs `body` with the counted right-hand side.
    fn counted<R>(
        &mut self,
        body: impl FnOnce(&mut Counted<'_, F>, &mut Run<'a, T, S>, &mut Parts<'a, 'm, T, S, St, C>) -> R,
    ) -> R {
        let mut sys = Counted::new(&mut self.f);
        let out = body(&mut sys, &mut self.run, &mut self.parts);
        self.nfev += sys.count();
        if self.length_error.is_none() {
            self.length_error = sys.length_error();
        }
        out
    }

    /// A resized `dy` ends the solve whatever happened after it (its output
    /// was NaN).
    fn length_checked<R>(&mut self, r: Result<R, SolveError>) -> Result<R, SolveError> {
        match self.length_error {
            Some((expected, got)) => Err(SolveError::StateLength { expected, got }),
            None => r,
        }
    }

    /// Sets up a fresh solve (called once by `Integrator::start`).
    pub(crate) fn begin(&mut self) {
        let r = self.counted(|sys, run, parts| run.begin(sys, parts));
        let r = self.length_checked(r);
        match r {
            Ok(None) => {}
            Ok(Some(status)) => self.outcome = Some(Ok(status)),
            Err(e) => self.outcome = Some(Err(e)),
        }
    }

    /// Restores the stepper from a checkpoint (called by `Integrator::resume`).
    pub(crate) fn restore_stepper(&mut self, cp: &Checkpoint<T, S>) -> Result<(), String> {
        let (t, y) = (cp.t, cp.y.clone());
        self.counted(|sys, _run, parts| parts.stepper.restore_state(sys, t, &y, &cp.stepper))
            .map_err(|e| format!("stepper {}: {e}", cp.method))?;
        if cp.t == cp.t_end {
            self.outcome = Some(Ok(Status::Success));
        }
        Ok(())
    }

    /// Takes one accepted step (as many attempts as that needs), or reports
    /// that the solve is over. After an error the solve is over: the same
    /// error is returned again, and [`into_solution`](Solver::into_solution)
    /// gives it with the partial solution.
    pub fn step(&mut self) -> Result<Progress<T>, SolveError> {
        self.step_or_through(false)
    }

    /// [`step`](Solver::step), or with `through` (only without an observer,
    /// which sees every step) every step until the solve is over or an
    /// event's action restarts it.
    fn step_or_through(&mut self, through: bool) -> Result<Progress<T>, SolveError> {
        if let Some(outcome) = &self.outcome {
            return outcome.clone().map(Progress::Finished);
        }
        let r = self.counted(|sys, run, parts| run.step(sys, parts, through));
        let r = self.length_checked(r);
        if let Some(obs) = self.observer.as_mut() {
            if r.is_ok() {
                let st = &self.run.sol.stats;
                obs(&StepInfo {
                    t: self.run.t,
                    h: self.run.last_step.map_or(self.run.h, |(_, h)| h),
                    t0: self.run.t0,
                    t_end: self.run.t_end,
                    naccept: st.naccept,
                    nreject: st.nreject(),
                });
            }
        }
        match r {
            Ok(None) => Ok(Progress::Stepped),
            Ok(Some(status)) => {
                self.outcome = Some(Ok(status.clone()));
                Ok(Progress::Finished(status))
            }
            Err(e) => {
                self.outcome = Some(Err(e.clone()));
                Err(e)
            }
        }
    }

    /// Steps until the solve reaches `t` exactly (a stop time: the step that
    /// would pass it is shortened to land on it) or is over. `t` must lie
    /// ahead of the current time, at or before `t_end`.
    pub fn advance_to(&mut self, t: T) -> Result<Progress<T>, SolveError> {
        if self.outcome.is_none() && t != self.run.t {
            self.add_stop_time(t)?;
        }
        loop {
            if self.run.t == t {
                return Ok(match &self.outcome {
                    Some(Ok(status)) => Progress::Finished(status.clone()),
                    _ => Progress::Stepped,
                });
            }
            if let Progress::Finished(s) = self.step()? {
                return Ok(Progress::Finished(s));
            }
        }
    }

    /// Adds a time the solve must land on exactly (between the current time
    /// and `t_end`, in the direction of integration): the step that would
    /// pass it is shortened. Not available with a fixed step size, whose
    /// grid is `t0 + k h`.
    pub fn add_stop_time(&mut self, t: T) -> Result<(), SolveError> {
        let run = &mut self.run;
        let bad = |problem: String| SolveError::InvalidStepping {
            what: format!("add_stop_time({})", t.to_f64_lossy()),
            problem,
        };
        if run.is_fixed() {
            return Err(bad("a fixed-step solve stays on its grid t0 + k h".into()));
        }
        let dir = run.dir;
        if !t.is_finite() || (t - run.t) * dir <= T::zero() || (run.t_end - t) * dir < T::zero() {
            return Err(bad(format!(
                "the time must lie after the current time {} and at or before t_end = {}",
                run.t.to_f64_lossy(),
                run.t_end.to_f64_lossy()
            )));
        }
        if t == run.t_end {
            return Ok(());
        }
        let at = run.stops.partition_point(|s| (*s - t) * dir < T::zero());
        if run.stops.get(at) != Some(&t) {
            run.stops.insert(at, t);
        }
        Ok(())
    }

    /// Iterates over the accepted steps from here to the end of the solve
    /// (or to the first error, which is the last item).
    pub fn steps(&mut self) -> Steps<'_, 'a, 'm, T, S, St, C, F> {
        Steps { solver: self }
    }

    /// Current time.
    pub fn t(&self) -> T {
        self.run.t
    }
    /// Current state.
    pub fn y(&self) -> &S {
        &self.run.y
    }
    /// The step size the next attempt will use (signed).
    pub fn h(&self) -> T {
        self.run.h
    }
    /// The last accepted step as `(t_start, h)`, while its dense output is
    /// available (until the next step, [`set_state`](Solver::set_state) or
    /// [`checkpoint`](Solver::checkpoint)).
    pub fn last_step(&self) -> Option<(T, T)> {
        self.run.last_step.filter(|_| self.run.pending_accept.is_some())
    }
    /// The counters so far (`nfev` included).
    pub fn stats(&self) -> crate::Stats {
        let mut st = self.run.sol.stats.clone();
        st.nfev = self.nfev;
        st
    }
    /// The status, once the solve is over (`None` while it runs, and after
    /// an error: see [`step`](Solver::step)).
    pub fn status(&self) -> Option<&Status<T>> {
        match &self.outcome {
            Some(Ok(s)) => Some(s),
            _ => None,
        }
    }
    /// Whether the solve is over.
    pub fn is_finished(&self) -> bool {
        self.outcome.is_some()
    }
    /// The solution saved so far (its `status` is meaningful once finished).
    pub fn solution(&self) -> &Solution<T, S> {
        &self.run.sol
    }

    /// The dense output of the last accepted step at `t` (inside that
    /// step), at the order of the method's continuous extension; `None`
    /// outside it or when it is no longer available (see
    /// [`last_step`](Solver::last_step)).
    pub fn interpolate(&mut self, t: T) -> Option<S> {
        let mut out = self.run.y.zeros_like();
        let users = !self.parts.monitors.is_empty();
        self.counted(|sys, run, parts| run.interpolate_last(sys, parts.stepper, users, t, &mut out))
            .then_some(out)
    }

    /// Replaces the current state (same dimension, finite) and restarts the
    /// solve from it: the stepper's `f(t, y)` is evaluated afresh, the
    /// controller forgets its history, the monitors and detectors start
    /// again ([`Monitor::start`](crate::Monitor::start)) and the events take
    /// their reference signs from the new state. The next step keeps the
    /// planned size. With [`SaveMode::EveryStep`](crate::SaveMode::EveryStep)
    /// the solution records the new state at the same time.
    pub fn set_state(&mut self, y: S) -> Result<(), SolveError> {
        let bad = |problem: String| SolveError::InvalidStepping {
            what: "set_state".into(),
            problem,
        };
        if self.outcome.is_some() {
            return Err(bad("the solve is over".into()));
        }
        if y.dim() != self.run.y.dim() {
            return Err(bad(format!(
                "the new state has {} components, the solve {}",
                y.dim(),
                self.run.y.dim()
            )));
        }
        if let Some((i, v)) = y.as_slice().iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(bad(format!("component {i} is {}", v.to_f64_lossy())));
        }
        let r = self.counted(|sys, run, parts| run.replace_state(sys, parts, y));
        if let Err(e) = &r {
            self.outcome = Some(Err(e.clone()));
        }
        r
    }

    /// The whole state of the solve, to save with serde and continue later
    /// with [`Integrator::resume`](crate::Integrator::resume) (see
    /// [`crate::checkpoint`]). Ends the availability of the last step's
    /// dense output.
    pub fn checkpoint(&mut self) -> Checkpoint<T, S> {
        self.counted(|sys, run, parts| run.flush(sys, parts.stepper));
        let mut stats = self.run.sol.stats.clone();
        stats.nfev = self.nfev;
        let run = &self.run;
        let p = &self.parts;
        Checkpoint {
            version: CHECKPOINT_VERSION,
            method: p.stepper.name().to_string(),
            options: run.o.clone(),
            t0: run.t0,
            t_end: run.t_end,
            t: run.t,
            y: run.y.clone(),
            h: run.h,
            stats,
            stepper: p.stepper.save_state(),
            controller: p.ctrl.history(),
            monitors: p.monitors.iter().map(|m| m.save_state()).collect(),
            detectors: run.builtin.clone(),
            events: run.tracker.clone(),
            driver: run.driver_state(),
        }
    }

    /// Runs the solve to its end and returns the solution (with the error
    /// and the partial solution on failure).
    pub fn run(mut self) -> Result<Solution<T, S>, SolveFailure<T, S>> {
        let through = self.observer.is_none();
        while self.outcome.is_none() {
            let _ = self.step_or_through(through);
        }
        self.into_solution()
    }

    /// Ends the solve here and returns what it saved. A solve that is not
    /// over ends with [`Status::Stopped`] (monitor `"caller"`), with the
    /// current state as the last saved one.
    pub fn into_solution(mut self) -> Result<Solution<T, S>, SolveFailure<T, S>> {
        let outcome = self.outcome.take().unwrap_or_else(|| {
            Ok(Status::Stopped {
                monitor: "caller".into(),
                reason: format!("into_solution() at t = {}", self.run.t.to_f64_lossy()),
            })
        });
        // The stepper finishes the last step (its counters, as after every
        // other step).
        self.counted(|sys, run, parts| run.flush(sys, parts.stepper));
        let stepper = &*self.parts.stepper;
        let mut run = self.run;
        run.sol.diagnostics = run.builtin.diagnostics();
        run.sol.diagnostics.switching = stepper.switching();
        let lin = stepper.linear_counts();
        let st = &mut run.sol.stats;
        (st.njev, st.nfev_jac, st.nlu, st.nsolve) = (lin.njev, lin.nfev_jac, lin.nlu, lin.nsolve);
        run.finish(outcome, self.nfev)
    }
}

/// The accepted steps of a [`Solver`] ([`Solver::steps`]).
pub struct Steps<'s, 'a, 'm, T: Real, S: State<T>, St, C, F> {
    solver: &'s mut Solver<'a, 'm, T, S, St, C, F>,
}

impl<T: Real, S: State<T>, St, C, F> core::fmt::Debug for Steps<'_, '_, '_, T, S, St, C, F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Steps").finish_non_exhaustive()
    }
}

impl<T: Real, S: State<T>, St: Stepper<T, S>, C: StepController<T>, F: System<T, S>> Iterator
    for Steps<'_, '_, '_, T, S, St, C, F>
{
    type Item = Result<StepRecord<T, S>, SolveError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.solver.outcome.is_some() {
            return None;
        }
        let naccept = self.solver.run.sol.stats.naccept;
        match self.solver.step() {
            Err(e) => Some(Err(e)),
            // Over without a step (t_end == t0, or a budget/stop right away).
            Ok(Progress::Finished(_)) if self.solver.run.sol.stats.naccept == naccept => None,
            Ok(_) => Some(Ok(StepRecord {
                t: self.solver.run.t,
                y: self.solver.run.y.clone(),
                h: self.solver.run.last_step.map_or(self.solver.run.h, |(_, h)| h),
            })),
        }
    }
}
