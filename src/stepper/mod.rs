//! Steppers: one attempted step, its error estimate, and its dense output.
//!
//! A [`Stepper`] knows how to advance `(t, y)` by `h` and how large the local
//! error of that attempt is (as a scaled norm; 1 means "exactly at
//! tolerance"). It knows nothing about accepting, rejecting or choosing `h`:
//! that is the [controller](crate::controller)'s and the
//! [driver](crate::integrate)'s job.

mod auto;
mod explicit_rk;
mod rosenbrock;
mod step_doubling;

pub use auto::{AutoConfig, AutoSwitch, MethodWork, Switch, SwitchDirection, SwitchReport, SwitchTrigger};
pub use explicit_rk::ExplicitRk;
pub use rosenbrock::Rosenbrock;
pub use step_doubling::StepDoubling;

/// The linear-algebra work of an implicit stepper (all zero for explicit
/// ones); the driver copies it into [`Stats`](crate::Stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinearCounts {
    /// Jacobian evaluations (analytic or by differences).
    pub njev: usize,
    /// Evaluations of `f` spent on finite differences (Jacobian and `df/dt`).
    pub nfev_jac: usize,
    /// LU factorisations of the iteration matrix.
    pub nlu: usize,
    /// Linear solves with the factors (one per stage).
    pub nsolve: usize,
}

/// Why an attempt produced no usable candidate, when the stepper knows more
/// than "the result is not finite".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttemptIssue {
    /// The iteration matrix `I/(h gamma) - J` is singular or its
    /// factorisation is not finite: a rejection with a smaller step (the
    /// matrix tends to the identity as `h` shrinks).
    SingularMatrix,
    /// The Jacobian at the current point has a NaN or infinite entry
    /// `(row, col)`: no step size can help.
    NonFiniteJacobian {
        /// Row of the first non-finite entry.
        row: usize,
        /// Column of the first non-finite entry.
        col: usize,
        /// Whether the Jacobian was the system's analytic one (else differences).
        analytic: bool,
    },
    /// The system's Jacobian came back with the wrong shape (a `DMatrix`
    /// resized by the user's code).
    JacobianShape {
        /// `n * n` entries expected.
        expected: usize,
        /// Entries found.
        got: usize,
        /// Rows found.
        rows: usize,
        /// Columns found.
        cols: usize,
    },
}

use crate::checkpoint::Saved;
use crate::controller::Limits;
use crate::norm::Tolerance;
use crate::{ErrorNorm, Real, State, System};

/// One-step method with an error estimate and a continuous extension.
///
/// The driver calls, per solve: [`init`](Stepper::init) once; then for every
/// attempt [`attempt`](Stepper::attempt); for an accepted attempt
/// [`complete`](Stepper::complete), possibly
/// [`interpolate`](Stepper::interpolate) /
/// [`dense_coefficients`](Stepper::dense_coefficients), then
/// [`accept`](Stepper::accept). A rejected attempt is simply followed by
/// another `attempt` from the same `(t, y)`.
pub trait Stepper<T: Real, S: State<T>> {
    /// Short name of the method.
    fn name(&self) -> &str;
    /// Order of the propagated solution.
    fn order(&self) -> u32;
    /// `q` such that the error estimate behaves like `h^(q+1)`; controllers
    /// use `k = q + 1` in their exponents.
    fn error_order(&self) -> u32;
    /// Whether [`attempt`](Stepper::attempt) returns a meaningful error
    /// estimate (fixed-step methods return 0 and can only be used with a
    /// fixed step size).
    fn has_error_estimate(&self) -> bool;
    /// Order of the continuous extension.
    fn dense_order(&self) -> u32;
    /// End of the real stability interval, `[-boundary, 0]`, if known.
    fn stability_boundary(&self) -> Option<T> {
        None
    }
    /// The PI-controller `beta` this method is tuned for.
    fn default_pi_beta(&self) -> T {
        T::zero()
    }
    /// The step-ratio limits the method's authors tuned it with (used by
    /// [`Integrator::new`](crate::Integrator::new) for its default PI
    /// controller): Hairer's DOP853 uses `[0.333, 6]`, everything else the
    /// DOPRI5 values `[0.2, 10]` of [`Limits::default`].
    fn default_limits(&self) -> Limits<T> {
        Limits::default()
    }
    /// Whether the default PI controller adds Gustafsson's predictive step
    /// ([`PiController::predictive`](crate::PiController::predictive)): the
    /// implicit methods do, as Hairer's RODAS does.
    fn default_predictive(&self) -> bool {
        false
    }
    /// The solve's tolerances, given by the driver once per solve before
    /// [`init`](Stepper::init) (and before it reads
    /// [`stability_boundary`](Stepper::stability_boundary)): a method that
    /// picks its engine by tolerance ([`AutoSwitch::auto`]) does it here. The
    /// default ignores them.
    fn set_tolerances(&mut self, _rtol: &Tolerance<T>, _atol: &Tolerance<T>) {}
    /// Prepares the workspace for a solve starting at `(t0, y0)` and
    /// evaluates `f(t0, y0)`. Called once per solve; the only place a stepper
    /// may allocate.
    fn init<F: System<T, S>>(&mut self, sys: &mut F, t0: T, y0: &S);
    /// `f(t, y)` at the current point (valid after `init` and `accept`).
    fn derivative(&self) -> &S;
    /// Attempts a step of size `h` from `(t, y)`; writes the candidate into
    /// `y_new` and returns the scaled error norm (0 for fixed-step methods;
    /// may be NaN or infinite if the right-hand side misbehaved).
    fn attempt<F: System<T, S>>(
        &mut self,
        sys: &mut F,
        t: T,
        y: &S,
        h: T,
        y_new: &mut S,
        norm: &ErrorNorm<T>,
    ) -> T;
    /// The controller accepted the last attempt (called before any
    /// interpolation, [`stiffness_estimate`](Stepper::stiffness_estimate) or
    /// [`accept`](Stepper::accept) of it). A method whose error estimate does
    /// not need its first-same-as-last stage evaluates that stage here rather
    /// than in `attempt`, so rejected attempts do not pay for it (as Hairer's
    /// DOP853 does). The default does nothing.
    fn complete<F: System<T, S>>(&mut self, _sys: &mut F, _y_new: &S) {}
    /// Dense output of the last attempt at `t + theta h` (`theta` in [0, 1]).
    fn interpolate<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, theta: T, out: &mut S);
    /// Coefficients `c_m` of the last attempt's interpolant in powers of
    /// theta, `y(t + theta h) = sum_m c_m theta^m`, written into `out`
    /// (cleared first).
    fn dense_coefficients<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, out: &mut Vec<S>);
    /// The last attempt was accepted and the solution moved to
    /// `(t_new, y_new)`; `y_changed` says whether a monitor modified `y_new`
    /// after the attempt (then a first-same-as-last stage must be recomputed).
    fn accept<F: System<T, S>>(&mut self, sys: &mut F, t_new: T, y_new: &S, y_changed: bool);
    /// Whether [`stiffness_estimate`](Stepper::stiffness_estimate) will be
    /// read in this solve (the driver says so before `init`; a stepper may
    /// skip the estimate's work when it is not). The default ignores it.
    fn estimate_stiffness(&mut self, _on: bool) {}
    /// An estimate of `|h lambda|` for the dominant eigenvalue from the last
    /// attempt's stages, if the method can provide one cheaply. It is read
    /// on accepted steps only, so a stepper may skip it (`None`) for an
    /// attempt that fails the error test (`err > 1`); the explicit pairs do.
    fn stiffness_estimate(&self) -> Option<T> {
        None
    }
    /// The signed companion of [`stiffness_estimate`](Stepper::stiffness_estimate):
    /// the Rayleigh quotient of the same stage differences, an estimate of
    /// `h Re(lambda)` (of `h lambda` for a real dominant eigenvalue).
    /// Negative when the dominant mode decays (stiffness: the step is held at
    /// the stability boundary `h lambda ~ -B`), positive when it grows (e.g.
    /// close to a finite-time singularity, where `|h lambda|` can exceed `B`
    /// at loose tolerances without any instability). The default is `None`.
    fn stiffness_estimate_signed(&self) -> Option<T> {
        None
    }
    /// Whether the method is implicit (solves with a Jacobian); the
    /// stiffness detector has nothing to say about such methods.
    fn is_implicit(&self) -> bool {
        false
    }
    /// Linear-algebra work so far in this solve (zero for explicit methods).
    fn linear_counts(&self) -> LinearCounts {
        LinearCounts::default()
    }
    /// What a switching method ([`AutoSwitch`]) did in this solve: its
    /// switches and the work of each engine. The driver copies it into
    /// [`Diagnostics::switching`](crate::detect::Diagnostics::switching) at
    /// the end of a solve. The default is `None`.
    fn switching(&self) -> Option<SwitchReport<T>> {
        None
    }
    /// Why the last attempt failed, if it failed for a reason the stepper
    /// knows (a non-finite or infinite error alone says nothing).
    fn attempt_issue(&self) -> Option<AttemptIssue> {
        None
    }
    /// The state jumped at `t` to `y` (an event's action, or
    /// [`Solver::set_state`](crate::Solver::set_state)) after an accepted
    /// step: evaluates `f(t, y)` afresh and forgets what belonged to the old
    /// state, keeping the solve's counters. Called in place of
    /// [`accept`](Stepper::accept) for that step. The default calls
    /// [`init`](Stepper::init), right for steppers that count nothing.
    fn restart<F: System<T, S>>(&mut self, sys: &mut F, t: T, y: &S) {
        self.init(sys, t, y);
    }
    /// What the stepper carries from one accepted step to the next, for a
    /// [`Checkpoint`](crate::checkpoint::Checkpoint) (called after
    /// [`accept`](Stepper::accept)). The default saves
    /// [`derivative`](Stepper::derivative), the first-same-as-last stage;
    /// a method with more state (counters, a switching method's phase)
    /// saves that too.
    fn save_state(&self) -> Saved<T> {
        Saved::new(self.derivative().as_slice().to_vec(), Vec::new())
    }
    /// Continues a solve at `(t, y)` from a record written by
    /// [`save_state`](Stepper::save_state), in place of
    /// [`init`](Stepper::init) (after
    /// [`set_tolerances`](Stepper::set_tolerances) and
    /// [`estimate_stiffness`](Stepper::estimate_stiffness)). The built-in
    /// methods restore exactly what they saved, so the resumed run is
    /// bit-identical; the default calls `init`, which evaluates `f(t, y)`
    /// once more (the same value for a deterministic `f`, one more in
    /// [`Stats::nfev`](crate::Stats::nfev)). An error says why the record
    /// does not fit.
    fn restore_state<F: System<T, S>>(
        &mut self,
        sys: &mut F,
        t: T,
        y: &S,
        saved: &Saved<T>,
    ) -> Result<(), String> {
        let _ = saved;
        self.init(sys, t, y);
        Ok(())
    }
}

/// Copies a saved derivative into `dst`, checking its length and that it
/// is finite (a NaN would otherwise be blamed on the right-hand side).
pub(crate) fn restore_vector<T: Real, S: State<T>>(dst: &mut S, src: &[T], what: &str) -> Result<(), String> {
    if src.len() != dst.dim() {
        return Err(format!(
            "{what}: the record has {} components, the state {}",
            src.len(),
            dst.dim()
        ));
    }
    if let Some((i, v)) = src.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(format!(
            "{what}: component {i} is {} (a run only stores finite derivatives)",
            v.to_f64_lossy()
        ));
    }
    dst.as_mut_slice().copy_from_slice(src);
    Ok(())
}
