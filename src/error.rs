//! Errors: what went wrong, where, and what to try.

use crate::{Real, Solution, State};
use serde::{Deserialize, Serialize};

/// Why a solve failed. Every variant carries the place (`t`, `h`) where it
/// applies and its message says what to try.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum SolveError {
    /// A component of the initial state is NaN or infinite.
    #[error("component {index} of the initial state is {value}: every component of y0 must be finite")]
    NonFiniteInitialState {
        /// Index of the offending component.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// The start or end time is NaN or infinite.
    #[error("{which} = {value} is not a finite time: give a finite t0 and t_end")]
    NonFiniteTime {
        /// `"t0"` or `"t_end"`.
        which: String,
        /// The value given.
        value: f64,
    },
    /// A tolerance is out of range (rtol must be > 0, atol >= 0, both finite).
    #[error("{which}[{index}] = {value} is invalid: rtol must be > 0 and atol >= 0 (both finite)")]
    InvalidTolerance {
        /// `"rtol"` or `"atol"`.
        which: String,
        /// Component index (0 for a scalar tolerance).
        index: usize,
        /// The value given.
        value: f64,
    },
    /// A per-component tolerance (or weight vector) has the wrong length.
    #[error(
        "{which} has {got} components but the state has {expected}: give one value per component or a scalar"
    )]
    ToleranceLength {
        /// `"rtol"`, `"atol"` or `"error_weights"`.
        which: String,
        /// State dimension.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// An option has a value that cannot work.
    #[error("option {name} = {value} is invalid: {hint}")]
    InvalidOption {
        /// Option name.
        name: String,
        /// The value given.
        value: f64,
        /// What would be valid.
        hint: String,
    },
    /// The method cannot estimate its error, so it needs a fixed step.
    #[error("method {method} has no error estimate: set Options::fixed_step, or choose an embedded pair such as DP5")]
    NoErrorEstimate {
        /// Method name.
        method: String,
    },
    /// `f(t0, y0)` is NaN or infinite.
    #[error("the right-hand side returned a non-finite value at the initial point t = {t}: check f near y0")]
    NonFiniteDerivative {
        /// Where.
        t: f64,
    },
    /// A fixed-step solve produced a NaN or infinite state (it cannot retry
    /// with a smaller step).
    #[error("the solution became non-finite at t = {t} with fixed step h = {h:e}: the step is probably beyond the method's stability limit; reduce it or use adaptive stepping")]
    NonFiniteSolution {
        /// Time of the last finite state.
        t: f64,
        /// The fixed step.
        h: f64,
    },
    /// The step size fell below the floor (16 ulp of t, or `h_min`).
    #[error("step size {h:e} at t = {t} is below the minimum {h_min:e}: the solution may have a singularity here, the problem may be stiff (use an implicit method such as Rosenbrock::rodas5p(), see docs/stiff.md), or the tolerances may be too tight for floating point")]
    StepSizeTooSmall {
        /// Time of the last accepted state.
        t: f64,
        /// The step size that was too small.
        h: f64,
        /// The floor in force.
        h_min: f64,
    },
    /// More attempted steps than `max_steps`.
    #[error("reached max_steps = {max_steps} at t = {t}: raise Options::max_steps, loosen the tolerances, or check for stiffness")]
    TooManySteps {
        /// Time of the last accepted state.
        t: f64,
        /// The limit.
        max_steps: usize,
    },
    /// More consecutive rejections than `max_consecutive_rejects`.
    #[error("{count} consecutive rejected steps at t = {t} (last h = {h:e}, last reason: {reason}): check the right-hand side for NaN/Inf, or a monitor that always vetoes")]
    TooManyRejections {
        /// Time of the last accepted state.
        t: f64,
        /// Last attempted step size.
        h: f64,
        /// Number of consecutive rejections.
        count: usize,
        /// Why the last attempt was rejected.
        reason: String,
    },
    /// The Jacobian at the current point has a NaN or infinite entry, so an
    /// implicit method cannot step from here.
    #[error("the {source_kind} Jacobian has a non-finite entry ({row}, {col}) at t = {t}: check df_{row}/dy_{col} (odestride::jacobian::check_jacobian compares an analytic Jacobian with finite differences), or whether f is defined near this state")]
    NonFiniteJacobian {
        /// Time of the current (last accepted) state.
        t: f64,
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// `"analytic"` or `"finite-difference"`.
        source_kind: String,
    },
}

/// A failed solve: the error and everything computed before it.
///
/// The partial solution always ends with the last accepted state, whatever
/// the save mode.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{error}")]
pub struct SolveFailure<T: Real, S: State<T>> {
    /// What went wrong.
    #[source]
    pub error: SolveError,
    /// The solution up to the failure (its status is `Status::Failed`).
    pub partial: Box<Solution<T, S>>,
}
