//! Monitors: observers that may veto a candidate step, cap the next step,
//! modify an accepted state (projection) or stop the solve.
//!
//! The driver consults every monitor after the error test passed and before
//! the controller commits the step, so a veto is a rejection like any other:
//! the attempt is retried from the same `(t, y)` with `h * factor`, it counts
//! towards `max_consecutive_rejects`, and it is recorded in
//! [`Stats::vetoes`](crate::Stats::vetoes) under `"monitor: reason"`.

use crate::checkpoint::Saved;
use crate::{Real, State, Status};
use std::borrow::Cow;

mod invariant;
mod relativistic;

pub use invariant::{Invariant, InvariantMonitor, InvariantReport, ProjectionReport};
pub use relativistic::RelativisticMonitor;

/// A candidate step that passed the error test.
#[derive(Debug)]
pub struct Candidate<'a, T, S> {
    /// Start of the step.
    pub t: T,
    /// State at the start.
    pub y: &'a S,
    /// End of the step.
    pub t_new: T,
    /// Candidate state at the end.
    pub y_new: &'a S,
    /// Step size (negative when integrating backward).
    pub h: T,
    /// Scaled error norm of the step (<= 1).
    pub err: T,
    /// Order `p` of the method: a local error, and so the drift of an
    /// invariant over one step, scales like `h^(p+1)`. Monitors use it to
    /// choose a shrink factor.
    pub order: u32,
}

/// A monitor's answer on a candidate step.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict<T> {
    /// Fine by this monitor.
    Accept,
    /// Reject the step and retry with `h * factor` (`0 < factor < 1`).
    Veto {
        /// Step-size factor for the retry.
        factor: T,
        /// Why (recorded in the statistics).
        reason: Cow<'static, str>,
    },
}

/// An accepted step, as seen by [`Monitor::accepted`].
#[derive(Debug)]
pub struct AcceptedStep<'a, T, S> {
    /// Start of the step.
    pub t_prev: T,
    /// End of the step (the new current time).
    pub t: T,
    /// Size of the step.
    pub h: T,
    /// Scaled error norm of the step.
    pub err: T,
    /// The stepper's estimate of `|h lambda|` for the dominant eigenvalue, if
    /// it has one (see [`Stepper::stiffness_estimate`](crate::Stepper::stiffness_estimate)).
    pub stiffness: Option<T>,
    /// Its signed companion, an estimate of `h Re(lambda)`: negative for a
    /// decaying (stiff) mode, positive for growth (see
    /// [`Stepper::stiffness_estimate_signed`](crate::Stepper::stiffness_estimate_signed)).
    pub stiffness_signed: Option<T>,
    /// The accepted state; a monitor may modify it (a projection), then it
    /// must return [`AfterStep::Modified`].
    pub y: &'a mut S,
}

/// What a monitor wants after an accepted step.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterStep<T> {
    /// Carry on.
    Continue,
    /// The monitor changed the state (e.g. projected it onto an invariant).
    Modified,
    /// End the solve with this status (e.g. a detected blow-up).
    Stop(Status<T>),
}

/// An observer of the integration. Every method has a do-nothing default, so
/// a monitor implements only what it needs.
///
/// ```
/// use odestride::monitor::{Candidate, Monitor, Verdict};
/// /// Keeps a scalar solution non-negative by vetoing steps that cross zero.
/// struct NonNegative;
/// impl Monitor<f64, f64> for NonNegative {
///     fn name(&self) -> &str { "non-negative" }
///     fn check(&mut self, c: &Candidate<f64, f64>) -> Verdict<f64> {
///         if *c.y_new < 0.0 { Verdict::Veto { factor: 0.5, reason: "negative".into() } } else { Verdict::Accept }
///     }
/// }
/// ```
pub trait Monitor<T: Real, S: State<T>> {
    /// Name used in statistics and statuses.
    fn name(&self) -> &str;
    /// Called once at the start of a solve, before [`start`](Monitor::start),
    /// with the span of integration (`t_end < t0` for a backward solve).
    fn span(&mut self, _t0: T, _t_end: T) {}
    /// Called once at the start of a solve.
    fn start(&mut self, _t0: T, _y0: &S) {}
    /// Judges a candidate step that passed the error test.
    fn check(&mut self, _candidate: &Candidate<'_, T, S>) -> Verdict<T> {
        Verdict::Accept
    }
    /// Called after a step was accepted (in the order monitors were added).
    fn accepted(&mut self, _step: &mut AcceptedStep<'_, T, S>) -> AfterStep<T> {
        AfterStep::Continue
    }
    /// An upper bound on the magnitude of the next step, if this monitor
    /// wants one.
    fn max_step(&self) -> Option<T> {
        None
    }
    /// The monitor's state, for a [`Checkpoint`](crate::checkpoint::Checkpoint)
    /// (called after an accepted step). The default saves nothing.
    fn save_state(&self) -> Saved<T> {
        Saved::default()
    }
    /// Continues at `(t, y)` from a record written by
    /// [`save_state`](Monitor::save_state), in place of
    /// [`start`](Monitor::start) (after [`span`](Monitor::span)). The
    /// default calls `start(t, y)`: a monitor whose judgement depends on
    /// earlier steps (a reference value taken at `t0`, a budget) implements
    /// both methods to resume exactly.
    fn restore_state(&mut self, t: T, y: &S, saved: &Saved<T>) -> Result<(), String> {
        let _ = saved;
        self.start(t, y);
        Ok(())
    }
}

/// A monitor borrowed mutably is a monitor, so a caller can keep ownership
/// and read the monitor's findings after the solve:
/// `integrator.monitor(&mut my_monitor)`.
impl<T: Real, S: State<T>, M: Monitor<T, S> + ?Sized> Monitor<T, S> for &mut M {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn span(&mut self, t0: T, t_end: T) {
        (**self).span(t0, t_end)
    }
    fn start(&mut self, t0: T, y0: &S) {
        (**self).start(t0, y0)
    }
    fn check(&mut self, candidate: &Candidate<'_, T, S>) -> Verdict<T> {
        (**self).check(candidate)
    }
    fn accepted(&mut self, step: &mut AcceptedStep<'_, T, S>) -> AfterStep<T> {
        (**self).accepted(step)
    }
    fn max_step(&self) -> Option<T> {
        (**self).max_step()
    }
    fn save_state(&self) -> Saved<T> {
        (**self).save_state()
    }
    fn restore_state(&mut self, t: T, y: &S, saved: &Saved<T>) -> Result<(), String> {
        (**self).restore_state(t, y, saved)
    }
}
