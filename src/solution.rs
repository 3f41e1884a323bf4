//! The result of a solve: saved states, statistics, status, dense output.

use crate::detect::Diagnostics;
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Counters of one solve.
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Stats {
    /// Right-hand-side evaluations (every call: stages, initial step,
    /// dense-output stages, recomputations after a projection).
    pub nfev: usize,
    /// Attempted steps (accepted + rejected + vetoed).
    pub nsteps: usize,
    /// Accepted steps.
    pub naccept: usize,
    /// Steps rejected by the error test.
    pub nreject_error: usize,
    /// Steps rejected because the candidate or its error estimate was NaN or
    /// infinite.
    pub nreject_nonfinite: usize,
    /// Steps vetoed by monitors (all monitors together).
    pub nveto: usize,
    /// Vetoes per monitor and reason, keyed `"monitor: reason"`.
    pub vetoes: BTreeMap<String, usize>,
    /// Evaluations of event functions (step ends, interior samples, root
    /// finding).
    #[cfg_attr(feature = "serde", serde(default))]
    pub ngev: usize,
    /// Jacobian evaluations of an implicit method (analytic or by finite
    /// differences).
    #[cfg_attr(feature = "serde", serde(default))]
    pub njev: usize,
    /// The part of [`nfev`](Stats::nfev) spent on finite differences
    /// (Jacobian columns and `df/dt`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub nfev_jac: usize,
    /// LU factorisations of the iteration matrix (one per attempted step of
    /// a Rosenbrock method).
    #[cfg_attr(feature = "serde", serde(default))]
    pub nlu: usize,
    /// Linear solves with those factors (one per stage).
    #[cfg_attr(feature = "serde", serde(default))]
    pub nsolve: usize,
    /// Steps rejected because the iteration matrix of an implicit method was
    /// singular.
    #[cfg_attr(feature = "serde", serde(default))]
    pub nreject_singular: usize,
    /// The first step size tried.
    pub h_initial: f64,
    /// Smallest accepted step magnitude.
    #[cfg_attr(feature = "serde", serde(with = "crate::error::nonfinite_f64"))]
    pub h_min_accepted: f64,
    /// Largest accepted step magnitude.
    pub h_max_accepted: f64,
}

impl Stats {
    /// All rejections (error test, non-finite, vetoes).
    pub fn nreject(&self) -> usize {
        self.nreject_error + self.nreject_nonfinite + self.nreject_singular + self.nveto
    }
}

/// How a solve ended.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[non_exhaustive]
pub enum Status<T> {
    /// Reached `t_end`.
    Success,
    /// A terminal event fired; the solve stopped at its root.
    TerminalEvent {
        /// Index of the event (in the order events were added).
        index: usize,
        /// Time of the root.
        t: T,
    },
    /// A monitor asked to stop (its reason says why).
    Stopped {
        /// Name of the monitor.
        monitor: String,
        /// Why.
        reason: String,
    },
    /// A budget of the options ([`Options::step_budget`](crate::Options::step_budget),
    /// [`Options::wall_time`](crate::Options::wall_time)) was spent: the solve
    /// ended cleanly at the last accepted step, which the solution holds.
    OutOfBudget {
        /// Which budget.
        budget: crate::Budget,
    },
    /// The solve failed; see the [`SolveError`](crate::SolveError) that
    /// accompanies this partial solution.
    Failed,
    /// The solution runs into a finite-time singularity: the
    /// [blow-up detector](crate::detect::BlowUpDetector) stopped the solve at
    /// `t_last` (the solution's last state). More in
    /// [`Diagnostics::blowup`](crate::detect::Diagnostics::blowup).
    BlowUp {
        /// Estimated singular time `t_s`.
        t_singular: T,
        /// Estimated uncertainty of `t_s`.
        uncertainty: T,
        /// Growth exponent `a` in `|y| ~ (t_s - t)^(-a)` (0: logarithmic).
        exponent: T,
        /// Spread of the exponent estimate.
        exponent_uncertainty: T,
        /// Time of the last accepted step.
        t_last: T,
        /// Size of the last accepted step.
        h_last: T,
    },
    /// The numerical solution diverged after steps at the explicit method's
    /// stability boundary: a numerical instability, not (as far as the
    /// integration can tell) a singularity of the problem. The
    /// [blow-up detector](crate::detect::BlowUpDetector) reports this instead
    /// of [`BlowUp`](Status::BlowUp) when the accepted steps just before the
    /// divergence were at `|h lambda| >= 0.75 B` with a decaying mode (the
    /// stepper's stiffness estimate against its stability boundary `B`; see
    /// [`crate::detect::blowup`], "Blow-up or instability"): the problem is stiff
    /// there, the explicit method let a fast mode grow, and the trajectory left
    /// the true solution before it ran off to infinity (e.g. ROBER at loose
    /// tolerances with any explicit pair). Solve it with an implicit method
    /// (`Rosenbrock::rodas5p()`, `Method::Rodas5p`) or with `Method::Auto`,
    /// which switches to one when the step is held at the boundary. The fit of
    /// the divergence is in
    /// [`Diagnostics::blowup`](crate::detect::Diagnostics::blowup).
    Unstable {
        /// Where the diverging numerical solution would reach infinity.
        t_singular: T,
        /// The last accepted step at the boundary before the divergence.
        t_boundary: T,
        /// The largest `|h lambda|` estimate of the steps before the divergence.
        h_lambda: T,
        /// The method's stability boundary `B`.
        boundary: T,
        /// Time of the last accepted step (the solution's last state is there).
        t_last: T,
    },
    /// The [stiffness detector](crate::detect::StiffnessDetector) found
    /// sustained stiffness and was set to stop
    /// ([`StiffnessConfig::stop`](crate::detect::StiffnessConfig::stop)).
    Stiff {
        /// Start of the run of steps at the stability boundary.
        t_start: T,
        /// Where stiffness was declared (the solve stopped here).
        t: T,
        /// Mean `|h lambda|` estimate over the run.
        h_lambda: T,
        /// The method's stability boundary.
        boundary: T,
    },
}

/// One step's interpolant: `y(t0 + theta h) = sum_m coeffs[m] theta^m`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Segment<T, S> {
    /// Start of the step.
    pub t0: T,
    /// Step size (negative when integrating backward; 0 for the single
    /// constant segment of a solve that took no step, and for the point
    /// segment recording the state changed by an event action or
    /// `set_state`).
    pub h: T,
    /// Polynomial coefficients in powers of theta. A zero-length segment
    /// (`h = 0`) holds the state, then (after a state change) the
    /// derivative `f(t0, y)` there, which
    /// [`DenseOutput::derivative_at`] returns.
    pub coeffs: Vec<S>,
}

/// The piecewise-polynomial dense output of a whole solve.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct DenseOutput<T, S> {
    /// One segment per accepted step, in the order of integration.
    pub segments: Vec<Segment<T, S>>,
}

impl<T: Real, S: State<T>> DenseOutput<T, S> {
    /// The integrated span `(start, end)` in the direction of integration
    /// (`start > end` for a backward solve); `None` without segments.
    pub fn span(&self) -> Option<(T, T)> {
        let first = self.segments.first()?;
        let last = self.segments.last()?;
        Some((first.t0, last.t0 + last.h))
    }

    /// The segment holding `t` and `theta` there; `None` outside the span.
    /// At a time shared by two segments, the later one (at `theta = 0`).
    fn locate(&self, t: T) -> Option<(&Segment<T, S>, T)> {
        let (start, end) = self.span()?;
        let forward = end >= start;
        let (lo, hi) = if forward { (start, end) } else { (end, start) };
        if !(t >= lo && t <= hi) {
            return None;
        }
        // first segment whose end lies beyond t (in the direction of
        // integration); the last one for t at the very end
        let idx = self.segments.partition_point(|s| {
            let end = s.t0 + s.h;
            if forward {
                end <= t
            } else {
                end >= t
            }
        });
        let seg = &self.segments[idx.min(self.segments.len() - 1)];
        let theta = if seg.h == T::zero() {
            T::zero()
        } else {
            (t - seg.t0) / seg.h
        };
        Some((seg, theta))
    }

    /// Evaluates the interpolant at `t`; `None` outside the integrated span.
    ///
    /// Every segment ends at the state the solve accepted (after any
    /// projection by a monitor). At a time shared by two segments the later
    /// one is evaluated at `theta = 0`, which returns its first coefficient,
    /// the accepted state, exactly.
    pub fn at(&self, t: T) -> Option<S> {
        let (seg, theta) = self.locate(t)?;
        let mut out = seg.coeffs.last()?.clone();
        for c in seg.coeffs.iter().rev().skip(1) {
            for (o, ci) in out.as_mut_slice().iter_mut().zip(c.as_slice()) {
                *o = *o * theta + *ci;
            }
        }
        Some(out)
    }

    /// The time derivative of the interpolant at `t`,
    /// `(1/h) sum_m m c_m theta^(m-1)`; `None` outside the integrated span
    /// and for the single constant segment of a solve that took no step. At
    /// a time shared by two segments it is the later segment's (the
    /// interpolant is continuous there, its derivative in general only up to
    /// the method's dense-output error). At the end of a solve whose last
    /// change was an event action (or `set_state`) there, it is `f(t, y)` of
    /// the changed state, the state [`at`](DenseOutput::at) returns.
    pub fn derivative_at(&self, t: T) -> Option<S> {
        let (seg, theta) = self.locate(t)?;
        if seg.h == T::zero() {
            return seg.coeffs.get(1).cloned();
        }
        let mut out = seg.coeffs.first()?.zeros_like();
        for (m, c) in seg.coeffs.iter().enumerate().skip(1).rev() {
            let w = T::lit(m as f64);
            for (o, ci) in out.as_mut_slice().iter_mut().zip(c.as_slice()) {
                *o = *o * theta + w * *ci;
            }
        }
        let inv_h = T::one() / seg.h;
        for o in out.as_mut_slice() {
            *o = *o * inv_h;
        }
        Some(out)
    }
}

/// Why a [`Solution`] could not answer a query ([`Solution::at`],
/// [`Solution::at_many`], [`Solution::derivative_at`],
/// [`Solution::component`]).
///
/// ```
/// use odestride::{ExplicitRk, Integrator, QueryError};
/// let sol = Integrator::new(ExplicitRk::dopri5())
///     .solve(|_t, y: &f64, dy: &mut f64| *dy = -*y, 0.0, 1.0, 1.0)
///     .unwrap();
/// // solved without dense output: at() says so instead of returning nothing
/// assert_eq!(sol.at(0.5), Err(QueryError::NoDenseOutput));
/// assert!(sol.at(0.5).unwrap_err().to_string().contains("dense(true)"));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The solve kept no dense output.
    #[error(
        "this solution has no dense output: solve with Integrator::dense(true) (or Options::dense(true)) \
         to evaluate it between the saved times (the saved states are in sol.t and sol.y)"
    )]
    NoDenseOutput,
    /// The time lies outside the integrated span (or is NaN).
    #[error("t = {t} lies outside the integrated span from {start} to {end}")]
    OutsideSpan {
        /// The time asked for.
        t: f64,
        /// Start of the span (`t0`).
        start: f64,
        /// End of the span (the last integrated time).
        end: f64,
    },
    /// The solve took no step (`t_end == t0`): its dense output is a single
    /// point, which has no derivative.
    #[error("the solve took no step (t_end = t0 = {t0}): its dense output is a single point and has no derivative")]
    NoStep {
        /// The only time of the solution.
        t0: f64,
    },
    /// A component index beyond the state's dimension.
    #[error("component {index} does not exist: the state has {dim} components (indices 0..{dim})")]
    NoSuchComponent {
        /// The index asked for.
        index: usize,
        /// The state's dimension.
        dim: usize,
    },
}

/// A located event.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct EventRecord<T, S> {
    /// Index of the event function (in the order they were added).
    pub index: usize,
    /// Time of the root.
    pub t: T,
    /// State at the root (from the dense output).
    pub y: S,
}

/// The result of a solve.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Solution<T, S> {
    /// Saved times (see [`SaveMode`](crate::SaveMode)).
    pub t: Vec<T>,
    /// Saved states, one per time: `y[k]` is the whole state at `t[k]`.
    ///
    /// **Not scipy's layout**: scipy's `sol.y[i]` is component `i` over
    /// time; here `sol.y[0]` is the *first state* (all components at `t0`).
    /// Component `i` over time is [`component(i)`](Solution::component);
    /// [`iter`](Solution::iter) walks the `(t, y)` pairs.
    pub y: Vec<S>,
    /// Counters.
    pub stats: Stats,
    /// How the solve ended.
    pub status: Status<T>,
    /// Located events, in the order they occurred.
    pub events: Vec<EventRecord<T, S>>,
    /// The dense interpolant, when [`Options::dense`](crate::Options::dense)
    /// was set.
    pub dense: Option<DenseOutput<T, S>>,
    /// Name of the method that produced this solution.
    pub method: String,
    /// Findings of the built-in detectors (stiffness report, blow-up estimate).
    #[cfg_attr(feature = "serde", serde(default))]
    pub diagnostics: Diagnostics<T>,
}

impl<T: Real, S: State<T>> Solution<T, S> {
    pub(crate) fn empty(method: &str) -> Self {
        Solution {
            t: Vec::new(),
            y: Vec::new(),
            stats: Stats::default(),
            status: Status::Failed,
            events: Vec::new(),
            dense: None,
            method: method.to_string(),
            diagnostics: Diagnostics::default(),
        }
    }

    /// The last saved state. Every solution a solve returns (`Ok`, or the
    /// partial solution of an error) holds at least one state, so this only
    /// panics on a hand-built or deserialised empty solution.
    ///
    /// # Panics
    ///
    /// If the solution holds no state.
    pub fn last_state(&self) -> &S {
        match self.y.last() {
            Some(y) => y,
            None => panic!("Solution::last_state on a solution with no saved states"),
        }
    }

    /// The last saved time (see [`Solution::last_state`]).
    pub fn last_time(&self) -> T {
        self.t.last().copied().unwrap_or_else(T::nan)
    }

    /// The dense output at `t`. At the last saved time it returns the last
    /// saved state exactly (at other step ends, see [`DenseOutput::at`]).
    ///
    /// # Errors
    ///
    /// [`QueryError::NoDenseOutput`] when the solve did not keep the dense
    /// output (solve with `Integrator::dense(true)` or
    /// `Options::dense(true)`), [`QueryError::OutsideSpan`] when `t` lies
    /// outside the integrated span (or is NaN).
    pub fn at(&self, t: T) -> Result<S, QueryError> {
        let y = self.dense()?.at(t).ok_or_else(|| self.outside(t))?;
        match (self.t.last(), self.y.last()) {
            (Some(tl), Some(yl)) if *tl == t => Ok(yl.clone()),
            _ => Ok(y),
        }
    }

    /// The dense output at every time of `ts` (any order), as
    /// [`at`](Solution::at) gives it; `ts` may be a slice, a `Vec` or an
    /// iterator of times.
    ///
    /// ```
    /// use odestride::{ExplicitRk, Integrator};
    /// let sol = Integrator::new(ExplicitRk::dopri5())
    ///     .tol(1e-10)
    ///     .dense(true)
    ///     .solve(|_t, y: &f64, dy: &mut f64| *dy = -*y, 0.0, 1.0, 1.0)
    ///     .unwrap();
    /// let ts: Vec<f64> = (0..=10).map(|i| 0.1 * i as f64).collect();
    /// let ys = sol.at_many(&ts).unwrap();
    /// for (t, y) in ts.iter().zip(&ys) {
    ///     assert!((y - (-t).exp()).abs() < 1e-9);
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`at`](Solution::at), for the first time that fails.
    pub fn at_many<I>(&self, ts: I) -> Result<Vec<S>, QueryError>
    where
        I: IntoIterator,
        I::Item: core::borrow::Borrow<T>,
    {
        self.dense()?;
        ts.into_iter()
            .map(|t| self.at(*core::borrow::Borrow::borrow(&t)))
            .collect()
    }

    /// The time derivative of the dense output at `t` (the derivative of the
    /// interpolating polynomial: one order less accurate than
    /// [`at`](Solution::at); at a step end, the later step's; at the end of
    /// a solve whose last change was an event action there, `f(t, y)` of the
    /// changed state, see [`DenseOutput::derivative_at`]).
    ///
    /// # Errors
    ///
    /// As [`at`](Solution::at); [`QueryError::NoStep`] for a solve that took
    /// no step.
    pub fn derivative_at(&self, t: T) -> Result<S, QueryError> {
        let dense = self.dense()?;
        dense.derivative_at(t).ok_or_else(|| match dense.span() {
            Some((start, end)) if start == end && t == start => QueryError::NoStep {
                t0: start.to_f64_lossy(),
            },
            _ => self.outside(t),
        })
    }

    /// Component `i` of every saved state, in time order: what scipy calls
    /// `sol.y[i]` (here [`y`](Solution::y) holds whole states, so `sol.y[i]`
    /// is the `i`-th *state*).
    ///
    /// ```
    /// use odestride::{ExplicitRk, Integrator};
    /// let sol = Integrator::new(ExplicitRk::dopri5())
    ///     .solve(|_t, y: &[f64; 2], dy: &mut [f64; 2]| *dy = [y[1], -y[0]], 0.0, 1.0, [1.0, 0.0])
    ///     .unwrap();
    /// let velocity = sol.component(1).unwrap(); // y[1] at every saved time
    /// assert_eq!(velocity.len(), sol.t.len());
    /// assert_eq!(velocity[0], 0.0);
    /// assert_eq!(sol.y[0], [1.0, 0.0]); // the first state, not component 0
    /// ```
    ///
    /// # Errors
    ///
    /// [`QueryError::NoSuchComponent`] when `i` is not below the state's
    /// dimension.
    pub fn component(&self, i: usize) -> Result<Vec<T>, QueryError> {
        let dim = self.y.first().map_or(0, |y| y.dim());
        if i >= dim {
            return Err(QueryError::NoSuchComponent { index: i, dim });
        }
        Ok(self.y.iter().map(|y| y.as_slice()[i]).collect())
    }

    /// The saved `(t, y)` pairs in time order (also `for (t, y) in &sol`).
    pub fn iter(&self) -> SolutionIter<'_, T, S> {
        self.t.iter().copied().zip(self.y.iter())
    }

    fn dense(&self) -> Result<&DenseOutput<T, S>, QueryError> {
        match &self.dense {
            Some(d) if !d.segments.is_empty() => Ok(d),
            _ => Err(QueryError::NoDenseOutput),
        }
    }

    fn outside(&self, t: T) -> QueryError {
        let (start, end) = self
            .dense
            .as_ref()
            .and_then(|d| d.span())
            .unwrap_or((T::nan(), T::nan()));
        QueryError::OutsideSpan {
            t: t.to_f64_lossy(),
            start: start.to_f64_lossy(),
            end: end.to_f64_lossy(),
        }
    }
}

/// The iterator of [`Solution::iter`]: `(t, &y)` pairs.
pub type SolutionIter<'a, T, S> =
    core::iter::Zip<core::iter::Copied<core::slice::Iter<'a, T>>, core::slice::Iter<'a, S>>;

impl<'a, T: Real, S: State<T>> IntoIterator for &'a Solution<T, S> {
    type Item = (T, &'a S);
    type IntoIter = SolutionIter<'a, T, S>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
