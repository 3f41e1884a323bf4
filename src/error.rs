//! Errors: what went wrong, where, and what to try.

use crate::{Real, Solution, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Why a solve failed. Every variant carries the place (`t`, `h`) where it
/// applies and its message says what to try. The classes, and which cause
/// each names: `docs/errors.md`.
///
/// Serialisable: `f64` fields holding NaN or an infinity are written as the
/// strings `"NaN"`, `"inf"`, `"-inf"` (JSON has no numbers for them) and read
/// back exactly.
///
/// ```
/// use odestride::SolveError;
/// let e = SolveError::NonFiniteInitialState { index: 1, value: f64::NAN };
/// let json = serde_json::to_string(&e).unwrap();
/// assert_eq!(json, r#"{"NonFiniteInitialState":{"index":1,"value":"NaN"}}"#);
/// let back: SolveError = serde_json::from_str(&json).unwrap();
/// assert_eq!(back.to_string(), e.to_string());
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[non_exhaustive]
pub enum SolveError {
    /// A component of the initial state is NaN or infinite.
    #[error("component {index} of the initial state is {value}: every component of y0 must be finite")]
    NonFiniteInitialState {
        /// Index of the offending component.
        index: usize,
        /// Its value.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        value: f64,
    },
    /// The start or end time is NaN or infinite.
    #[error("{which} = {value} is not a finite time: give a finite t0 and t_end")]
    NonFiniteTime {
        /// `"t0"` or `"t_end"`.
        which: String,
        /// The value given.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
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
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
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
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
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
    /// `f(t, y)` is NaN or infinite at the initial point, or at an accepted
    /// state (from which no step, however small, can start).
    #[error("the right-hand side returned a non-finite value (NaN, or an overflow) at the state at t = {t} (the initial point, or the last accepted state), where no step can start: check f near that state")]
    NonFiniteDerivative {
        /// Where.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
    },
    /// A fixed-step solve produced a NaN or infinite state (it cannot retry
    /// with a smaller step).
    #[error("the solution became non-finite at t = {t} with fixed step h = {h:e}: either the step is beyond the method's stability limit (reduce it or use adaptive stepping) or the right-hand side returns NaN/Inf beyond t (check its domain)")]
    NonFiniteSolution {
        /// Time of the last finite state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// The fixed step.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        h: f64,
    },
    /// An implicit method met a singular iteration matrix `I/(h gamma) - J`:
    /// in a fixed-step solve at once (it cannot retry with another step); in
    /// an adaptive solve when singular matrices dominated the run of
    /// rejections that reached `max_consecutive_rejects` or the step-size
    /// floor (each is a rejection with a shrink, counted in
    /// `Stats::nreject_singular`).
    #[error("the iteration matrix I/(h gamma) - J of the implicit method is singular at t = {t} with step h = {h:e} (it is singular when 1/(h gamma) is an eigenvalue of J): a fixed-step solve cannot retry with another step, an adaptive one kept meeting it while shrinking the step; check the Jacobian (odestride::jacobian::check_jacobian), or with a fixed step choose another one or adaptive stepping")]
    SingularMatrix {
        /// Time of the last accepted state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// The fixed step, or the last attempted adaptive step.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        h: f64,
    },
    /// The step size fell below the floor (16 ulp of t, or `h_min`), driven
    /// there by the error test (when non-finite candidates or monitor vetoes
    /// drove it, the error is [`SolveError::NonFiniteRejections`] or
    /// [`SolveError::Vetoed`] instead).
    #[error("step size {h:e} at t = {t} is below the minimum {h_min:e}: the solution may have a singularity here, the problem may be stiff (use an implicit method such as Rosenbrock::rodas5p(), see docs/stiff.md), or the tolerances may be too tight for floating point")]
    StepSizeTooSmall {
        /// Time of the last accepted state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// The step size that was too small.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        h: f64,
        /// The floor in force.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        h_min: f64,
    },
    /// More attempted steps than `max_steps`.
    #[error("reached max_steps = {max_steps} at t = {t}: raise Options::max_steps, loosen the tolerances, or check for stiffness")]
    TooManySteps {
        /// Time of the last accepted state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// The limit.
        max_steps: usize,
    },
    /// More consecutive rejections than `max_consecutive_rejects`, most of
    /// them by the error test (runs of non-finite candidates, of monitor
    /// vetoes or of singular iteration matrices are reported as
    /// [`SolveError::NonFiniteRejections`], [`SolveError::Vetoed`] and
    /// [`SolveError::SingularMatrix`]).
    #[error("{count} consecutive rejected steps at t = {t} (last h = {h:e}, last reason: {reason}): the error estimate stays above tolerance; the problem may be stiff or non-smooth here, the tolerances may be too tight for floating point, or max_consecutive_rejects is too low")]
    TooManyRejections {
        /// Time of the last accepted state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// Last attempted step size.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
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
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// `"analytic"` or `"finite-difference"`.
        source_kind: String,
    },
    /// The system's analytic Jacobian has the wrong shape (not `n x n`,
    /// even if it has `n * n` entries: a `1 x 4` matrix would be read as
    /// some `2 x 2` one).
    #[error("the Jacobian written by the system is {rows} x {cols} ({got} entries), expected n x n with n * n = {expected} for a state of dimension n: do not resize or reshape the matrix you are given")]
    JacobianShape {
        /// `n * n`.
        expected: usize,
        /// Entries written.
        got: usize,
        /// Rows written.
        rows: usize,
        /// Columns written.
        cols: usize,
    },
    /// The right-hand side (or its time derivative) left `dy` with a
    /// different number of components than the state: possible with
    /// run-time sized states (`Vec`, `DVector`, `ndarray::Array1`) when `f`
    /// assigns a new vector instead of writing into the one it is given.
    #[error("the right-hand side left dy with {got} components, but the state has {expected}: write into dy in place (dy[i] = ...) or assign a vector of the same length; for an ndarray state, keep dy contiguous")]
    StateLength {
        /// The state's number of components.
        expected: usize,
        /// The number of components written (0 for an array that is not
        /// contiguous).
        got: usize,
    },
    /// The initial state cannot be viewed as one slice of its components
    /// (an `ndarray::Array1` with a stride other than 1).
    #[error("the initial state is not contiguous in memory (an ndarray with a stride other than 1, e.g. from a stepped slice): pass a contiguous copy, a.as_standard_layout().into_owned()")]
    StateLayout,
    /// A member of an [`Ensemble`](crate::ensemble::Ensemble) panicked (in
    /// its right-hand side, say); the other members are unaffected.
    #[error("this ensemble member panicked: {message}")]
    MemberPanicked {
        /// The panic's message.
        message: String,
    },
    /// The recent consecutive attempts were rejected mostly because the
    /// candidate (or its error estimate) was NaN or infinite: the step size
    /// was driven to its floor or the rejection limit by non-finite values,
    /// not by the error test.
    #[error("{rejections} consecutive attempts from t = {t} (down to h = {h:e}) gave NaN or infinite values ({nonfinite} of them): the right-hand side is probably undefined (NaN) or overflows just beyond t = {t}; check its domain there")]
    NonFiniteRejections {
        /// Time of the last accepted state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// Last attempted step size.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        h: f64,
        /// Consecutive rejections since the last accepted step.
        rejections: usize,
        /// How many of them were non-finite.
        nonfinite: usize,
    },
    /// The recent consecutive attempts were rejected mostly by a monitor's
    /// veto: shrinking the step did not satisfy the monitor.
    #[error("monitor `{monitor}` vetoed {vetoes} of the last {rejections} consecutive attempts from t = {t} (down to h = {h:e}), last reason: {reason}; shrinking the step does not satisfy it: check the monitor's condition or budget")]
    Vetoed {
        /// Time of the last accepted state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// Last attempted step size.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        h: f64,
        /// Consecutive rejections since the last accepted step.
        rejections: usize,
        /// How many of them were vetoes.
        vetoes: usize,
        /// Name of the monitor of the last veto.
        monitor: String,
        /// Its reason.
        reason: String,
    },
    /// A monitor vetoed a step of a fixed-step solve, which cannot retry
    /// with a smaller step.
    #[error("monitor `{monitor}` vetoed the fixed step h = {h:e} at t = {t} ({reason}): a fixed-step solve cannot retry with a smaller step; use adaptive stepping or a smaller fixed_step")]
    FixedStepVetoed {
        /// Time of the last accepted state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// The fixed step.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        h: f64,
        /// Name of the monitor.
        monitor: String,
        /// Its reason.
        reason: String,
    },
    /// A monitor broke the contract of [`Monitor`](crate::Monitor) or kept
    /// the solve from progressing: it wrote a NaN or infinite value into the
    /// accepted state, returned an unusable step cap (NaN, 0, or below the
    /// resolution of t), capped the steps so that `max_steps` ran out, or
    /// stopped the solve with `Status::Failed`.
    #[error("monitor `{monitor}` at t = {t}: {problem}")]
    MonitorFault {
        /// Name of the monitor.
        monitor: String,
        /// Time of the step.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// What it did.
        problem: String,
    },
    /// An event's action left a NaN or infinite value in the state.
    #[error("the action of event {index} left {value} in component {component} of the state at t = {t}: an action may only move the state to finite values")]
    EventActionFault {
        /// Index of the event (in the order events were added).
        index: usize,
        /// Time of the root where the action ran.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// The first non-finite component.
        component: usize,
        /// Its value.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        value: f64,
    },
    /// A stop time or a state given to a running solve (the stepping
    /// interface) cannot be used.
    #[error("{what}: {problem}")]
    InvalidStepping {
        /// The call (`add_stop_time`, `advance_to`, `set_state`).
        what: String,
        /// Why it cannot be used.
        problem: String,
    },
    /// A checkpoint does not fit the integrator it is resumed with.
    #[error("cannot resume from this checkpoint: {problem}")]
    CheckpointMismatch {
        /// What does not fit.
        problem: String,
    },
    /// An event function returned NaN or an infinite value.
    #[error("event function {index} returned {value} at t = {t}: event functions must return finite values (check g near this state)")]
    NonFiniteEvent {
        /// Index of the event (in the order events were added).
        index: usize,
        /// Where.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// The value returned.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        value: f64,
    },
    /// The step-size controller proposed an unusable step: not finite, zero,
    /// of the wrong sign, or (after a rejection) not smaller than the
    /// rejected one.
    #[error("the step-size controller proposed h = {proposed:e} after a {outcome} step h = {h:e} (error {err:e}) at t = {t}: a controller must propose a finite, non-zero step in the direction of integration, smaller than a rejected one; check its parameters (Limits: 0 < min_factor < 1 <= max_factor, 0 < safety <= 1)")]
    BadStepProposal {
        /// Time of the last accepted state.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        t: f64,
        /// The attempted step.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        h: f64,
        /// Its scaled error.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        err: f64,
        /// `"accepted"` or `"rejected"`.
        outcome: String,
        /// The proposed step.
        #[cfg_attr(feature = "serde", serde(with = "nonfinite_f64"))]
        proposed: f64,
    },
}

/// Serde for `f64` fields that may hold NaN or an infinity: finite values are
/// numbers, the others the strings `"NaN"`, `"inf"` and `"-inf"` (JSON has no
/// number for them; `serde_json` would write `null` and fail to read it
/// back). Reading also accepts `null` as NaN.
#[cfg(feature = "serde")]
pub(crate) mod nonfinite_f64 {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = f64;
            fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str("a number or one of \"NaN\", \"inf\", \"-inf\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
                Ok(v)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
                Ok(v as f64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
                match v {
                    "NaN" | "nan" => Ok(f64::NAN),
                    "inf" | "+inf" | "Infinity" => Ok(f64::INFINITY),
                    "-inf" | "-Infinity" => Ok(f64::NEG_INFINITY),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
                Ok(f64::NAN)
            }
            fn visit_none<E: de::Error>(self) -> Result<f64, E> {
                Ok(f64::NAN)
            }
        }
        d.deserialize_any(V)
    }
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
