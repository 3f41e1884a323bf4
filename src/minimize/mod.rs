//! One driver for everything that minimises.
//!
//! Every discrete optimiser of [`optim`](crate::optim) (through
//! [`Discrete`]), the quasi-Newton methods [`Lbfgs`] and [`Bfgs`], [`Fire`],
//! and the gradient flow integrated by any stepper of the crate, fixed or
//! adaptive step ([`Flow`]), implement [`Minimizer`]: one iteration from a
//! point `(x, f, g)` to the next. [`minimize`] runs the loop, applies the
//! same stopping rules ([`Criteria`]) to all of them, counts evaluations
//! through one wrapper and records the same [`Record`] per iteration;
//! [`compare`] runs several minimisers on one objective and returns a
//! [`Comparison`] (a table and the curves for plots). [`Switching`] runs one
//! minimiser, then another once a [`SwitchWhen`] criterion fires (Adam, then
//! L-BFGS).
//!
//! ```
//! use nalgebra::SVector;
//! use odestride::gradient_flow::objective;
//! use odestride::minimize::{minimize, Criteria, Lbfgs, Status};
//!
//! type V = SVector<f64, 2>;
//! // Rosenbrock's function
//! let mut f = objective(
//!     |x: &V| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2),
//!     |x: &V, g: &mut V| {
//!         g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
//!         g[1] = 200.0 * (x[1] - x[0] * x[0]);
//!     },
//! );
//! let run = minimize(&mut Lbfgs::new(), &mut f, V::new(-1.2, 1.0), &Criteria::default().gtol(1e-8)).unwrap();
//! assert_eq!(run.status, Status::GradientTolerance);
//! assert!((run.x[0] - 1.0).abs() < 1e-7 && (run.x[1] - 1.0).abs() < 1e-7);
//! assert!(run.history.len() == run.iterations + 1);
//! ```

mod bfgs;
mod discrete;
mod fire;
mod flow;
mod lbfgs;
pub mod line_search;
mod switch;
pub mod test_functions;

pub use bfgs::Bfgs;
pub use discrete::Discrete;
pub use fire::Fire;
pub use flow::Flow;
pub use lbfgs::Lbfgs;
pub use switch::{SwitchWhen, Switching};

use crate::gradient_flow::Objective;
use crate::optim::OptimError;
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What one iteration of a [`Minimizer`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress<T> {
    /// Moved to a new point; `step` is the learning rate, the accepted step
    /// size of the flow, or the line-search step length.
    Moved {
        /// Learning rate or step size of this iteration.
        step: T,
    },
    /// The method cannot make progress from here (a failed line search, too
    /// many rejected steps); `x`, `f`, `g` are still consistent.
    Stalled(String),
}

/// A minimisation method, one iteration at a time.
///
/// The driver evaluates `f(x0)` and `grad f(x0)` and calls
/// [`start`](Minimizer::start) once; then every
/// [`iterate`](Minimizer::iterate) must leave `x` at the new point and `f`,
/// `g` equal to the value and gradient there (it evaluates the objective
/// through `obj`, which counts). Methods allocate their workspace in
/// `start`, never per iteration for stack states.
pub trait Minimizer<T: Real, S: State<T>> {
    /// Name for tables and plots.
    fn name(&self) -> String;
    /// Prepares a run from `x0` (with `f0`, `g0` already evaluated): checks
    /// the parameters, sizes the workspace and forgets any earlier run.
    fn start(&mut self, x0: &S, f0: T, g0: &S) -> Result<(), MinimizeError>;
    /// One iteration.
    fn iterate(
        &mut self,
        obj: &mut dyn Objective<T, S>,
        x: &mut S,
        f: &mut T,
        g: &mut S,
    ) -> Result<Progress<T>, MinimizeError>;
    /// Called by the driver after every iteration with the new loss (the
    /// loss-aware schedules of [`Discrete`] listen). Default: nothing.
    fn observe(&mut self, _f: T) {}
}

impl<T: Real, S: State<T>, M: Minimizer<T, S> + ?Sized> Minimizer<T, S> for Box<M> {
    fn name(&self) -> String {
        (**self).name()
    }
    fn start(&mut self, x0: &S, f0: T, g0: &S) -> Result<(), MinimizeError> {
        (**self).start(x0, f0, g0)
    }
    fn iterate(
        &mut self,
        obj: &mut dyn Objective<T, S>,
        x: &mut S,
        f: &mut T,
        g: &mut S,
    ) -> Result<Progress<T>, MinimizeError> {
        (**self).iterate(obj, x, f, g)
    }
    fn observe(&mut self, f: T) {
        (**self).observe(f)
    }
}

impl<T: Real, S: State<T>, M: Minimizer<T, S> + ?Sized> Minimizer<T, S> for &mut M {
    fn name(&self) -> String {
        (**self).name()
    }
    fn start(&mut self, x0: &S, f0: T, g0: &S) -> Result<(), MinimizeError> {
        (**self).start(x0, f0, g0)
    }
    fn iterate(
        &mut self,
        obj: &mut dyn Objective<T, S>,
        x: &mut S,
        f: &mut T,
        g: &mut S,
    ) -> Result<Progress<T>, MinimizeError> {
        (**self).iterate(obj, x, f, g)
    }
    fn observe(&mut self, f: T) {
        (**self).observe(f)
    }
}

/// Bad input to [`minimize`] or to a minimiser.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MinimizeError {
    /// A stopping criterion is out of range.
    #[error("invalid criterion {name} = {value}: {hint}")]
    InvalidCriterion {
        /// The criterion.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The valid range.
        hint: &'static str,
    },
    /// A parameter of a minimiser is out of range.
    #[error("{method}: {name} = {value} is invalid: {hint}")]
    InvalidParameter {
        /// Which method.
        method: &'static str,
        /// The parameter.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The valid range.
        hint: &'static str,
    },
    /// The starting point is empty.
    #[error("the starting point has no components")]
    EmptyStart,
    /// `f(x0)` or `grad f(x0)` (or `x0` itself) is NaN or infinite.
    #[error("the start is not finite: {0}; start where the objective and its gradient are finite")]
    NonFiniteStart(&'static str),
    /// The objective wrote a gradient of another dimension, or a state
    /// saved from an earlier run has another dimension.
    #[error("dimension mismatch: {what} has {got} components, x has {expected}")]
    DimensionMismatch {
        /// What had the wrong size.
        what: &'static str,
        /// Dimension of `x`.
        expected: usize,
        /// Dimension found.
        got: usize,
    },
    /// A discrete optimiser rejected its input.
    #[error(transparent)]
    Optim(#[from] OptimError),
}

pub(crate) fn param<T: Real>(
    method: &'static str,
    name: &'static str,
    value: T,
    ok: bool,
    hint: &'static str,
) -> Result<(), MinimizeError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(MinimizeError::InvalidParameter {
            method,
            name,
            value: value.to_f64_lossy(),
            hint,
        })
    }
}

/// Stopping rules, the same for every [`Minimizer`]. Checked in this order
/// after every iteration (the gradient and target rules also at the start):
/// divergence, target loss, gradient norm, relative decrease, stall,
/// iterations, evaluations, wall time.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Criteria<T> {
    /// At most this many iterations. Default 10 000.
    pub max_iter: usize,
    /// At most this many objective calls ([`Counts::calls`]); checked after
    /// each iteration, so a line search may overshoot it by its own budget.
    /// Default unlimited.
    pub max_evals: Option<usize>,
    /// Stop when `||grad f||_2 <= gtol`. Default 1e-8.
    pub gtol: T,
    /// Stop when the decrease is small relative to `f`:
    /// `0 <= f_prev - f <= ftol_rel * max(|f_prev|, |f|, 1)` (scipy's
    /// `ftol`). Default off (`None`): first-order methods with a small
    /// learning rate decrease slowly without being converged.
    pub ftol_rel: Option<T>,
    /// Stop when `f <= target`. Default off.
    pub target: Option<T>,
    /// Divergence guard: stop when `f > f0 + diverge * max(|f0|, 1)`, or when
    /// `f`, `x` or the gradient is no longer finite. Default 1e8.
    pub diverge: T,
    /// Wall-time budget in seconds. Default unlimited.
    pub max_time: Option<f64>,
    /// Record every `record_every`-th iteration in the history (0: only the
    /// start and the end). Default 1.
    pub record_every: usize,
}

impl<T: Real> Default for Criteria<T> {
    fn default() -> Self {
        Criteria {
            max_iter: 10_000,
            max_evals: None,
            gtol: T::lit(1e-8),
            ftol_rel: None,
            target: None,
            diverge: T::lit(1e8),
            max_time: None,
            record_every: 1,
        }
    }
}

impl<T: Real> Criteria<T> {
    /// Sets [`max_iter`](Criteria::max_iter).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }
    /// Sets [`max_evals`](Criteria::max_evals).
    pub fn max_evals(mut self, n: usize) -> Self {
        self.max_evals = Some(n);
        self
    }
    /// Sets [`gtol`](Criteria::gtol).
    pub fn gtol(mut self, v: T) -> Self {
        self.gtol = v;
        self
    }
    /// Sets [`ftol_rel`](Criteria::ftol_rel).
    pub fn ftol_rel(mut self, v: T) -> Self {
        self.ftol_rel = Some(v);
        self
    }
    /// Sets [`target`](Criteria::target).
    pub fn target(mut self, v: T) -> Self {
        self.target = Some(v);
        self
    }
    /// Sets [`diverge`](Criteria::diverge).
    pub fn diverge(mut self, v: T) -> Self {
        self.diverge = v;
        self
    }
    /// Sets [`max_time`](Criteria::max_time) in seconds.
    pub fn max_time(mut self, seconds: f64) -> Self {
        self.max_time = Some(seconds);
        self
    }
    /// Sets [`record_every`](Criteria::record_every).
    pub fn record_every(mut self, k: usize) -> Self {
        self.record_every = k;
        self
    }
    fn validate(&self) -> Result<(), MinimizeError> {
        let bad = |name, value: f64, hint| MinimizeError::InvalidCriterion { name, value, hint };
        let gtol_ok = self.gtol >= T::zero() && self.gtol.is_finite();
        if !gtol_ok {
            return Err(bad("gtol", self.gtol.to_f64_lossy(), "must be finite and >= 0"));
        }
        if let Some(v) = self.ftol_rel {
            let ok = v >= T::zero() && v.is_finite();
            if !ok {
                return Err(bad("ftol_rel", v.to_f64_lossy(), "must be finite and >= 0"));
            }
        }
        if let Some(v) = self.target {
            if v.is_nan() {
                return Err(bad("target", f64::NAN, "must not be NaN"));
            }
        }
        let diverge_ok = self.diverge > T::zero();
        if !diverge_ok {
            return Err(bad("diverge", self.diverge.to_f64_lossy(), "must be > 0"));
        }
        if let Some(v) = self.max_time {
            let ok = v >= 0.0;
            if !ok {
                return Err(bad("max_time", v, "must be >= 0 seconds"));
            }
        }
        Ok(())
    }
}

/// Why a run ended.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Status {
    /// `||grad f|| <= gtol`.
    GradientTolerance,
    /// The relative decrease of `f` fell below `ftol_rel`.
    RelativeDecrease,
    /// `f <= target`.
    TargetReached,
    /// `max_iter` iterations.
    MaxIterations,
    /// `max_evals` objective calls.
    MaxEvaluations,
    /// `max_time` seconds.
    MaxTime,
    /// The divergence guard fired.
    Diverged {
        /// What was seen, e.g. `"f = inf"` or `"f rose above f0 + 1e8 max(|f0|, 1)"`.
        reason: String,
    },
    /// The method could not continue (see [`Progress::Stalled`]), or an
    /// iteration after the first failed with an error (a learning rate
    /// refused by the optimiser, ...); `x`, `f` and the gradient are those
    /// of the last completed iteration.
    Stalled {
        /// The method's reason, or the error's message.
        reason: String,
    },
}

impl Status {
    /// Whether the run met a convergence criterion (gradient, decrease or
    /// target) rather than a budget, a divergence or a stall.
    pub fn converged(&self) -> bool {
        matches!(
            self,
            Status::GradientTolerance | Status::RelativeDecrease | Status::TargetReached
        )
    }
}

/// Objective calls, counted by the driver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Counts {
    /// Evaluations of `f` (a combined value-and-gradient call counts here
    /// and in `ng`).
    pub nf: usize,
    /// Evaluations of the gradient.
    pub ng: usize,
    /// Calls to the objective (a combined value-and-gradient call counts
    /// once); the budget [`Criteria::max_evals`] applies to this.
    pub calls: usize,
    /// Hessian-vector products.
    pub nhv: usize,
}

/// One line of the history.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Record {
    /// Iteration (0 is the start).
    pub iter: usize,
    /// `f(x)`.
    pub f: f64,
    /// `||grad f(x)||_2`.
    pub gnorm: f64,
    /// Learning rate or step size of this iteration (0 at the start).
    pub step: f64,
    /// Objective calls so far.
    pub counts: Counts,
    /// Seconds since the start of the run.
    pub time: f64,
}

/// The outcome of [`minimize`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Minimum<T, S> {
    /// The minimiser's name.
    pub method: String,
    /// The last point.
    pub x: S,
    /// `f(x)`.
    pub f: T,
    /// `||grad f(x)||_2`.
    pub gnorm: T,
    /// Why the run ended.
    pub status: Status,
    /// Iterations done.
    pub iterations: usize,
    /// Objective calls.
    pub counts: Counts,
    /// Wall time in seconds.
    pub time: f64,
    /// Start, every `record_every`-th iteration, and the end.
    pub history: Vec<Record>,
}

/// Counts the calls going through it.
struct Counted<'a, T, S> {
    inner: &'a mut dyn Objective<T, S>,
    c: Counts,
}

impl<T: Real, S: State<T>> Objective<T, S> for Counted<'_, T, S> {
    fn value(&mut self, x: &S) -> T {
        self.c.nf += 1;
        self.c.calls += 1;
        self.inner.value(x)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        self.c.ng += 1;
        self.c.calls += 1;
        self.inner.gradient(x, g)
    }
    fn value_and_gradient(&mut self, x: &S, g: &mut S) -> T {
        self.c.nf += 1;
        self.c.ng += 1;
        self.c.calls += 1;
        self.inner.value_and_gradient(x, g)
    }
    fn hessian_vec(&mut self, x: &S, v: &S, hv: &mut S) {
        self.c.nhv += 1;
        self.c.calls += 1;
        self.inner.hessian_vec(x, v, hv)
    }
}

/// Euclidean norm, scaled against overflow.
pub(crate) fn norm2<T: Real>(v: &[T]) -> T {
    let m = v.iter().fold(T::zero(), |a, b| a.max(b.abs()));
    if m == T::zero() || !m.is_finite() {
        return if v.iter().any(|b| b.is_nan()) { T::nan() } else { m };
    }
    v.iter().fold(T::zero(), |a, b| a + (*b / m) * (*b / m)).sqrt() * m
}

pub(crate) fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).fold(T::zero(), |s, (x, y)| s + *x * *y)
}

/// Minimises `obj` from `x0` with `method` under `criteria`.
///
/// Bad input (criteria, parameters, a non-finite start, a gradient of the
/// wrong size) is an error; everything that happens during the run
/// (convergence, budgets, divergence, a stalled method) is a [`Status`] in
/// the returned [`Minimum`]. An error from the method's first iteration is
/// returned as the error; one from a later iteration ends the run with
/// [`Status::Stalled`] carrying its message, keeping the iterations done.
pub fn minimize<T, S, M, O>(
    method: &mut M,
    mut obj: O,
    x0: S,
    criteria: &Criteria<T>,
) -> Result<Minimum<T, S>, MinimizeError>
where
    T: Real,
    S: State<T>,
    M: Minimizer<T, S> + ?Sized,
    O: Objective<T, S>,
{
    criteria.validate()?;
    let n = x0.dim();
    if n == 0 {
        return Err(MinimizeError::EmptyStart);
    }
    if !x0.is_finite() {
        return Err(MinimizeError::NonFiniteStart("x0"));
    }
    let clock = Instant::now();
    let mut obj = Counted {
        inner: &mut obj,
        c: Counts::default(),
    };
    let mut x = x0;
    let mut g = x.zeros_like();
    let mut f = obj.value_and_gradient(&x, &mut g);
    if g.dim() != n {
        return Err(MinimizeError::DimensionMismatch {
            what: "gradient",
            expected: n,
            got: g.dim(),
        });
    }
    if !f.is_finite() {
        return Err(MinimizeError::NonFiniteStart("f(x0)"));
    }
    if !g.is_finite() {
        return Err(MinimizeError::NonFiniteStart("grad f(x0)"));
    }
    method.start(&x, f, &g)?;
    let f0 = f;
    let limit = f0 + criteria.diverge * f0.abs().max(T::one());
    let mut gnorm = norm2(g.as_slice());
    let mut history = Vec::new();
    let rec = |iter: usize, f: T, gnorm: T, step: T, c: Counts| Record {
        iter,
        f: f.to_f64_lossy(),
        gnorm: gnorm.to_f64_lossy(),
        step: step.to_f64_lossy(),
        counts: c,
        time: clock.elapsed().as_secs_f64(),
    };
    history.push(rec(0, f, gnorm, T::zero(), obj.c));
    let mut iter = 0usize;
    let mut last_step = T::zero();
    let mut status = if criteria.target.is_some_and(|t| f <= t) {
        Some(Status::TargetReached)
    } else if gnorm <= criteria.gtol {
        Some(Status::GradientTolerance)
    } else {
        None
    };
    while status.is_none() {
        if iter >= criteria.max_iter {
            status = Some(Status::MaxIterations);
            break;
        }
        let f_prev = f;
        let progress = match method.iterate(&mut obj, &mut x, &mut f, &mut g) {
            Ok(p) => p,
            // After the first iteration, keep what was computed.
            Err(e) if iter > 0 => {
                status = Some(Status::Stalled {
                    reason: e.to_string(),
                });
                break;
            }
            Err(e) => return Err(e),
        };
        iter += 1;
        if g.dim() != n || x.dim() != n {
            return Err(MinimizeError::DimensionMismatch {
                what: "gradient",
                expected: n,
                got: g.dim(),
            });
        }
        gnorm = norm2(g.as_slice());
        method.observe(f);
        if let Progress::Moved { step } = progress {
            last_step = step;
        }
        if criteria.record_every > 0 && iter.is_multiple_of(criteria.record_every) {
            history.push(rec(iter, f, gnorm, last_step, obj.c));
        }
        status = if !f.is_finite() || !x.is_finite() || !g.is_finite() {
            let what = if !f.is_finite() {
                format!("f = {}", f)
            } else if !x.is_finite() {
                "x is not finite".to_string()
            } else {
                "the gradient is not finite".to_string()
            };
            Some(Status::Diverged { reason: what })
        } else if f > limit {
            Some(Status::Diverged {
                reason: format!(
                    "f = {:e} rose above f0 + {:e} max(|f0|, 1) = {:e}",
                    f.to_f64_lossy(),
                    criteria.diverge.to_f64_lossy(),
                    limit.to_f64_lossy()
                ),
            })
        } else if criteria.target.is_some_and(|t| f <= t) {
            Some(Status::TargetReached)
        } else if gnorm <= criteria.gtol {
            Some(Status::GradientTolerance)
        } else if criteria.ftol_rel.is_some_and(|tol| {
            let d = f_prev - f;
            d >= T::zero() && d <= tol * f_prev.abs().max(f.abs()).max(T::one())
        }) {
            Some(Status::RelativeDecrease)
        } else if let Progress::Stalled(reason) = progress {
            Some(Status::Stalled { reason })
        } else if criteria.max_evals.is_some_and(|m| obj.c.calls >= m) {
            Some(Status::MaxEvaluations)
        } else if criteria
            .max_time
            .is_some_and(|s| clock.elapsed().as_secs_f64() >= s)
        {
            Some(Status::MaxTime)
        } else if iter >= criteria.max_iter {
            Some(Status::MaxIterations)
        } else {
            None
        };
    }
    if history.last().map(|r| r.iter) != Some(iter) {
        history.push(rec(iter, f, gnorm, last_step, obj.c));
    }
    Ok(Minimum {
        method: method.name(),
        x,
        f,
        gnorm,
        status: status.unwrap_or(Status::MaxIterations),
        iterations: iter,
        counts: obj.c,
        time: clock.elapsed().as_secs_f64(),
        history,
    })
}

/// Several runs on one objective: see [`compare`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Comparison<T, S> {
    /// One run per method, in the order given.
    pub runs: Vec<Minimum<T, S>>,
}

impl<T: Real, S: State<T>> Comparison<T, S> {
    /// A plain-text table: method, status, iterations, f and g evaluations,
    /// final f and |g|, wall time.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<24} {:<22} {:>7} {:>7} {:>7} {:>13} {:>10} {:>10}\n",
            "method", "status", "iter", "nf", "ng", "f", "|g|", "time [ms]"
        );
        for r in &self.runs {
            let status = match &r.status {
                Status::Diverged { .. } => "Diverged".to_string(),
                Status::Stalled { .. } => "Stalled".to_string(),
                other => format!("{:?}", other),
            };
            s += &format!(
                "{:<24} {:<22} {:>7} {:>7} {:>7} {:>13.6e} {:>10.3e} {:>10.3}\n",
                r.method,
                status,
                r.iterations,
                r.counts.nf,
                r.counts.ng,
                r.f.to_f64_lossy(),
                r.gnorm.to_f64_lossy(),
                r.time * 1e3
            );
        }
        s
    }
    /// For plots: per method, the points `(gradient evaluations, f)` of the
    /// history.
    pub fn loss_vs_evals(&self) -> Vec<(String, Vec<(f64, f64)>)> {
        self.runs
            .iter()
            .map(|r| {
                (
                    r.method.clone(),
                    r.history.iter().map(|h| (h.counts.ng as f64, h.f)).collect(),
                )
            })
            .collect()
    }
}

/// Runs every method in `methods` on `obj` from `x0` under the same
/// `criteria` (each from a fresh [`start`](Minimizer::start)).
///
/// ```
/// use odestride::gradient_flow::objective;
/// use odestride::minimize::{compare, Criteria, Discrete, Lbfgs, Minimizer};
/// use odestride::optim::Adam;
/// let mut f = objective(|x: &[f64; 2]| x[0] * x[0] + 10.0 * x[1] * x[1], |x: &[f64; 2], g: &mut [f64; 2]| {
///     g[0] = 2.0 * x[0];
///     g[1] = 20.0 * x[1];
/// });
/// let mut methods: Vec<Box<dyn Minimizer<f64, [f64; 2]>>> =
///     vec![Box::new(Lbfgs::new()), Box::new(Discrete::new(Adam::new(0.05)))];
/// let cmp = compare(&mut methods, &mut f, [1.0, 1.0], &Criteria::default().gtol(1e-6)).unwrap();
/// assert!(cmp.runs.iter().all(|r| r.status.converged()));
/// assert!(cmp.runs[0].counts.ng < cmp.runs[1].counts.ng);
/// println!("{}", cmp.table());
/// ```
pub fn compare<T, S, M, O>(
    methods: &mut [M],
    mut obj: O,
    x0: S,
    criteria: &Criteria<T>,
) -> Result<Comparison<T, S>, MinimizeError>
where
    T: Real,
    S: State<T>,
    M: Minimizer<T, S>,
    O: Objective<T, S>,
{
    let mut runs = Vec::with_capacity(methods.len());
    for m in methods.iter_mut() {
        runs.push(minimize(m, &mut obj, x0.clone(), criteria)?);
    }
    Ok(Comparison { runs })
}
