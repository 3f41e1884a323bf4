//! Solver options: a builder with sensible defaults, serialisable.

use crate::norm::Tolerance;
use crate::Real;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Which states the solution keeps.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum SaveMode<T> {
    /// The initial state and every accepted step (the default).
    EveryStep,
    /// Only these times, interpolated with the method's dense output. They
    /// must lie in the span and be ordered in the direction of integration,
    /// and there must be at least one (for the final state only, use
    /// `FinalOnly`); the solve still ends at `t_end`. Values at step ends are
    /// the accepted (possibly projected) states.
    At(Vec<T>),
    /// Only the final state (no allocation per step for stack states).
    FinalOnly,
}

/// Options of a solve. Build with the chained setters (each sets one field,
/// so their order only matters for two calls on the same field, where the
/// last wins):
///
/// ```
/// use odestride::{Options, SaveMode};
/// let opts = Options::<f64>::default().rtol(1e-8).atol(1e-10).max_steps(10_000).save(SaveMode::FinalOnly);
/// assert_eq!(opts.max_steps, 10_000);
/// ```
///
/// Given to [`Integrator::options`](crate::Integrator::options), they are
/// the base that the integrator's own setters (`tol`, `dense`, `save_at`,
/// ...) are applied on, before or after that call.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Options<T> {
    /// Relative tolerance (> 0). Default 1e-6.
    pub rtol: Tolerance<T>,
    /// Absolute tolerance (>= 0). Default 1e-6. `atol = 0` is pure relative
    /// control; a component that is exactly 0 is then handled as described
    /// in [`crate::norm`].
    pub atol: Tolerance<T>,
    /// Optional per-component weights of the error test (0 removes a
    /// component from the test). Each must be finite and >= 0, and not all
    /// may be 0 (that would switch error control off). Default: all ones.
    pub error_weights: Option<Vec<T>>,
    /// Initial step size (magnitude; at least `h_min`, and 16 ulp of `t0`).
    /// Default: chosen by Hairer's algorithm.
    pub h0: Option<T>,
    /// Smallest step magnitude allowed (at most `h_max` and the span). Steps
    /// are raised to it (the first one, proposals after accepted steps, and
    /// retries, as SUNDIALS' `hmin`); when a step of `h_min` itself is
    /// rejected the solve fails with `StepSizeTooSmall` (or the error naming
    /// what drove the rejections). The last step may be shorter, to land on
    /// `t_end`. Default: 16 ulp of `t` (always in force).
    pub h_min: Option<T>,
    /// Largest step magnitude (at least 16 ulp of `t` over the span). Default:
    /// the length of the span.
    pub h_max: Option<T>,
    /// Take every step with this size, without error control (the last step
    /// is shortened to land on `t_end`; at most `h_max`; monitors' step caps
    /// are ignored and a veto is an error). Default: off (adaptive).
    pub fixed_step: Option<T>,
    /// Maximum number of attempted steps. Default 100 000.
    pub max_steps: usize,
    /// Maximum number of consecutive rejected (or vetoed) attempts. Default 50.
    pub max_consecutive_rejects: usize,
    /// Step-size factor after an attempt that produced NaN or infinity.
    /// Default 0.25.
    pub nonfinite_shrink: T,
    /// Which states to keep. Default: every step.
    pub save: SaveMode<T>,
    /// Keep the dense interpolant of every step, for `Solution::at`.
    /// Default: off.
    pub dense: bool,
    /// End the solve cleanly after this many accepted steps
    /// ([`Status::OutOfBudget`](crate::Status::OutOfBudget), with the
    /// solution so far). Default: none. Unlike [`max_steps`](Options::max_steps),
    /// which is a failure, this is a planned stop.
    #[cfg_attr(feature = "serde", serde(default))]
    pub step_budget: Option<usize>,
    /// End the solve cleanly once this much wall-clock time has passed
    /// (checked after every accepted step; the clock starts when the solve
    /// starts, or resumes). Default: none.
    #[cfg_attr(feature = "serde", serde(default))]
    pub wall_time: Option<std::time::Duration>,
}

/// A budget that ended a solve ([`Status::OutOfBudget`](crate::Status::OutOfBudget)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Budget {
    /// [`Options::step_budget`] accepted steps were taken.
    Steps(usize),
    /// [`Options::wall_time`] seconds passed.
    WallTime(f64),
}

impl<T: Real> Default for Options<T> {
    fn default() -> Self {
        Options {
            rtol: Tolerance::Scalar(T::lit(1e-6)),
            atol: Tolerance::Scalar(T::lit(1e-6)),
            error_weights: None,
            h0: None,
            h_min: None,
            h_max: None,
            fixed_step: None,
            max_steps: 100_000,
            max_consecutive_rejects: 50,
            nonfinite_shrink: T::lit(0.25),
            save: SaveMode::EveryStep,
            dense: false,
            step_budget: None,
            wall_time: None,
        }
    }
}

impl<T: Real> Options<T> {
    /// Ends the solve cleanly after `n` accepted steps (see
    /// [`Options::step_budget`](Options#structfield.step_budget)).
    pub fn step_budget(mut self, n: usize) -> Self {
        self.step_budget = Some(n);
        self
    }
    /// Ends the solve cleanly after `limit` of wall-clock time (see
    /// [`Options::wall_time`](Options#structfield.wall_time)).
    pub fn wall_time(mut self, limit: std::time::Duration) -> Self {
        self.wall_time = Some(limit);
        self
    }
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }
    /// Scalar relative tolerance.
    pub fn rtol(mut self, rtol: T) -> Self {
        self.rtol = Tolerance::Scalar(rtol);
        self
    }
    /// Scalar absolute tolerance.
    pub fn atol(mut self, atol: T) -> Self {
        self.atol = Tolerance::Scalar(atol);
        self
    }
    /// Sets rtol = atol = `tol`.
    pub fn tol(self, tol: T) -> Self {
        self.rtol(tol).atol(tol)
    }
    /// Per-component relative tolerances.
    pub fn rtol_per_component(mut self, rtol: Vec<T>) -> Self {
        self.rtol = Tolerance::PerComponent(rtol);
        self
    }
    /// Per-component absolute tolerances.
    pub fn atol_per_component(mut self, atol: Vec<T>) -> Self {
        self.atol = Tolerance::PerComponent(atol);
        self
    }
    /// Per-component weights of the error test.
    pub fn error_weights(mut self, w: Vec<T>) -> Self {
        self.error_weights = Some(w);
        self
    }
    /// Initial step size.
    pub fn h0(mut self, h0: T) -> Self {
        self.h0 = Some(h0);
        self
    }
    /// Minimum step size.
    pub fn h_min(mut self, h_min: T) -> Self {
        self.h_min = Some(h_min);
        self
    }
    /// Maximum step size.
    pub fn h_max(mut self, h_max: T) -> Self {
        self.h_max = Some(h_max);
        self
    }
    /// Fixed step size (no error control).
    pub fn fixed_step(mut self, h: T) -> Self {
        self.fixed_step = Some(h);
        self
    }
    /// Maximum number of attempted steps.
    pub fn max_steps(mut self, n: usize) -> Self {
        self.max_steps = n;
        self
    }
    /// Maximum number of consecutive rejections.
    pub fn max_consecutive_rejects(mut self, n: usize) -> Self {
        self.max_consecutive_rejects = n;
        self
    }
    /// What to save.
    pub fn save(mut self, save: SaveMode<T>) -> Self {
        self.save = save;
        self
    }
    /// Save only at these times (dense output).
    pub fn save_at(self, times: Vec<T>) -> Self {
        self.save(SaveMode::At(times))
    }
    /// Keep the dense interpolant for evaluation after the solve.
    pub fn dense(mut self, keep: bool) -> Self {
        self.dense = keep;
        self
    }
}

/// The settings made through the [`Integrator`](crate::Integrator)'s own
/// setters (`tol`, `rtol`, `atol`, `dense`, `save`, `save_at`, `max_steps`,
/// `h_max`). They are kept apart and applied on top of any [`Options`] given
/// with `Integrator::options`, so the order of the builder calls does not
/// matter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Overlay<T> {
    pub(crate) rtol: Option<Tolerance<T>>,
    pub(crate) atol: Option<Tolerance<T>>,
    pub(crate) dense: Option<bool>,
    pub(crate) save: Option<SaveMode<T>>,
    pub(crate) max_steps: Option<usize>,
    pub(crate) h_max: Option<T>,
}

impl<T> Default for Overlay<T> {
    fn default() -> Self {
        Overlay {
            rtol: None,
            atol: None,
            dense: None,
            save: None,
            max_steps: None,
            h_max: None,
        }
    }
}

impl<T: Real> Overlay<T> {
    /// Writes every setting made into `o`, leaving the others alone.
    pub(crate) fn apply(&self, o: &mut Options<T>) {
        fn put<V: Clone>(field: &mut V, value: &Option<V>) {
            if let Some(v) = value {
                *field = v.clone();
            }
        }
        put(&mut o.rtol, &self.rtol);
        put(&mut o.atol, &self.atol);
        put(&mut o.dense, &self.dense);
        put(&mut o.save, &self.save);
        put(&mut o.max_steps, &self.max_steps);
        if self.h_max.is_some() {
            o.h_max = self.h_max;
        }
    }
}
