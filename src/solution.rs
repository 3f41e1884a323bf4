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
    /// Step size (negative when integrating backward; 0 only for the single
    /// constant segment of a solve that took no step).
    pub h: T,
    /// Polynomial coefficients in powers of theta.
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
    /// Evaluates the interpolant at `t`; `None` outside the integrated span.
    ///
    /// Every segment ends at the state the solve accepted (after any
    /// projection by a monitor). At a time shared by two segments the later
    /// one is evaluated at `theta = 0`, which returns its first coefficient,
    /// the accepted state, exactly.
    pub fn at(&self, t: T) -> Option<S> {
        let first = self.segments.first()?;
        let last = self.segments.last()?;
        let forward = first.h > T::zero();
        let (lo, hi) = if forward {
            (first.t0, last.t0 + last.h)
        } else {
            (last.t0 + last.h, first.t0)
        };
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
        let mut out = seg.coeffs.last()?.clone();
        for c in seg.coeffs.iter().rev().skip(1) {
            for (o, ci) in out.as_mut_slice().iter_mut().zip(c.as_slice()) {
                *o = *o * theta + *ci;
            }
        }
        Some(out)
    }
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
    /// Saved states, one per time.
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

    /// The dense output at `t`, when the solve kept it (`Options::dense`);
    /// `None` when it did not, or when `t` lies outside the integrated span.
    /// At the last saved time it returns the last saved state exactly (at
    /// other step ends, see [`DenseOutput::at`]).
    pub fn at(&self, t: T) -> Option<S> {
        let y = self.dense.as_ref()?.at(t)?;
        match (self.t.last(), self.y.last()) {
            (Some(tl), Some(yl)) if *tl == t => Some(yl.clone()),
            _ => Some(y),
        }
    }
}
