//! A monitor for relativistic particles: no accepted state moves at or
//! faster than light, and every Lorentz factor is finite.

use super::{AcceptedStep, AfterStep, Candidate, Monitor, Verdict};
use crate::{Real, SolveError, State};
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind<T> {
    /// The components hold the relativistic momentum `p = m gamma v`.
    Momentum { mass: T },
    /// The components hold the velocity `v`.
    Velocity,
}

/// Vetoes any candidate whose particle speed reaches `c` or whose Lorentz
/// factor is not finite.
///
/// Tell it which components of the state hold the particle's momentum
/// ([`momentum`](RelativisticMonitor::momentum), with the mass and `c`) or
/// velocity ([`velocity`](RelativisticMonitor::velocity), with `c`):
///
/// - **momentum states**: with `u = |p| / (m c)`, `gamma = sqrt(1 + u^2)`
///   and `1 - |v|/c = 1 / (gamma (gamma + u))`, which is computed in this
///   form (no cancellation). In exact arithmetic it is positive for every
///   finite `p`; the monitor vetoes a candidate whose `gamma` is not finite
///   or whose margin is not positive (it underflowed), shrinking by 0.25.
/// - **velocity states**: `beta = |v| / c`; a candidate with `beta >= 1`
///   (or non-finite) is vetoed, with a shrink factor chosen so that the
///   retried step covers about half the distance to `c` that was left:
///   `0.5 (1 - beta_0) / (beta_1 - beta_0)`, clamped to `[0.05, 0.5]`.
///
/// The findings ([`max_gamma`](RelativisticMonitor::max_gamma),
/// [`max_beta`](RelativisticMonitor::max_beta) over the accepted states, and
/// the veto counts) can be read after the solve when the monitor is passed as
/// `&mut monitor`.
///
/// A momentum formulation keeps the error test on the momentum, which stays
/// smooth as `gamma` grows, whereas a velocity formulation tests `v`, which
/// crowds against `c`: see `docs/monitors.md`.
///
/// ```
/// use odestride::monitor::RelativisticMonitor;
/// use odestride::{ExplicitRk, Integrator};
/// // state (x, p) with m = c = qE = 1: x' = p / sqrt(1 + p^2), p' = 1
/// let f = |_t: f64, y: &[f64; 2], dy: &mut [f64; 2]| {
///     dy[0] = y[1] / (1.0 + y[1] * y[1]).sqrt();
///     dy[1] = 1.0;
/// };
/// let mut mon = RelativisticMonitor::momentum(vec![1], 1.0, 1.0).unwrap();
/// let sol = Integrator::new(ExplicitRk::dopri5()).tol(1e-10).monitor(&mut mon).solve(f, 0.0, 1e4, [0.0, 0.0]).unwrap();
/// assert!((sol.last_state()[1] - 1e4).abs() < 1e-6);
/// assert!(mon.max_beta() < 1.0 && (mon.max_gamma() - (1.0f64 + 1e8).sqrt()).abs() < 1e-4);
/// ```
#[derive(Debug, Clone)]
pub struct RelativisticMonitor<T> {
    kind: Kind<T>,
    idx: Vec<usize>,
    c: T,
    bad_index: bool,
    max_gamma: T,
    max_beta: T,
    min_margin: T,
    vetoes_speed: usize,
    vetoes_nonfinite: usize,
}

impl<T: Real> RelativisticMonitor<T> {
    /// The components `idx` of the state hold the momentum of a particle of
    /// mass `mass` (> 0); `c` (> 0) is the speed of light in the problem's
    /// units.
    pub fn momentum(idx: impl Into<Vec<usize>>, mass: T, c: T) -> Result<Self, SolveError> {
        if !(mass > T::zero() && mass.is_finite()) {
            return Err(SolveError::InvalidOption {
                name: "RelativisticMonitor mass".into(),
                value: mass.to_f64_lossy(),
                hint: "the mass must be finite and > 0".into(),
            });
        }
        Self::build(Kind::Momentum { mass }, idx.into(), c)
    }
    /// The components `idx` of the state hold the velocity of a particle;
    /// `c` (> 0) is the speed of light.
    pub fn velocity(idx: impl Into<Vec<usize>>, c: T) -> Result<Self, SolveError> {
        Self::build(Kind::Velocity, idx.into(), c)
    }
    fn build(kind: Kind<T>, idx: Vec<usize>, c: T) -> Result<Self, SolveError> {
        if !(c > T::zero() && c.is_finite()) {
            return Err(SolveError::InvalidOption {
                name: "RelativisticMonitor c".into(),
                value: c.to_f64_lossy(),
                hint: "the speed of light must be finite and > 0".into(),
            });
        }
        if idx.is_empty() {
            return Err(SolveError::InvalidOption {
                name: "RelativisticMonitor components".into(),
                value: 0.0,
                hint: "give the indices of the momentum (or velocity) components".into(),
            });
        }
        Ok(RelativisticMonitor {
            kind,
            idx,
            c,
            bad_index: false,
            max_gamma: T::one(),
            max_beta: T::zero(),
            min_margin: T::one(),
            vetoes_speed: 0,
            vetoes_nonfinite: 0,
        })
    }

    /// `(beta, margin = 1 - beta, gamma)` of a state.
    fn kinematics(&self, y: &[T]) -> (T, T, T) {
        let norm = self.idx.iter().fold(T::zero(), |s, &i| s.hypot(y[i]));
        match self.kind {
            Kind::Momentum { mass } => {
                let u = norm / (mass * self.c);
                let gamma = T::one().hypot(u);
                let margin = T::one() / (gamma * (gamma + u));
                (u / gamma, margin, gamma)
            }
            Kind::Velocity => {
                let beta = norm / self.c;
                let margin = T::one() - beta;
                let gamma = T::one() / (margin * (T::one() + beta)).sqrt();
                (beta, margin, gamma)
            }
        }
    }

    /// Largest Lorentz factor over the accepted states of the last solve.
    pub fn max_gamma(&self) -> T {
        self.max_gamma
    }
    /// Largest `|v| / c` over the accepted states (always < 1).
    pub fn max_beta(&self) -> T {
        self.max_beta
    }
    /// Smallest `1 - |v|/c` over the accepted states (computed without
    /// cancellation for momentum states).
    pub fn min_margin(&self) -> T {
        self.min_margin
    }
    /// Candidates vetoed because `|v| >= c`.
    pub fn vetoes_speed(&self) -> usize {
        self.vetoes_speed
    }
    /// Candidates vetoed because `gamma` (or the speed) was not finite.
    pub fn vetoes_nonfinite(&self) -> usize {
        self.vetoes_nonfinite
    }
}

impl<T: Real, S: State<T>> Monitor<T, S> for RelativisticMonitor<T> {
    fn name(&self) -> &str {
        "relativistic"
    }

    fn start(&mut self, _t0: T, y0: &S) {
        self.bad_index = self.idx.iter().any(|&i| i >= y0.dim());
        self.max_gamma = T::one();
        self.max_beta = T::zero();
        self.min_margin = T::one();
        self.vetoes_speed = 0;
        self.vetoes_nonfinite = 0;
        if !self.bad_index {
            let (b, m, g) = self.kinematics(y0.as_slice());
            self.max_beta = b;
            self.min_margin = m;
            self.max_gamma = g;
        }
    }

    fn check(&mut self, c: &Candidate<'_, T, S>) -> Verdict<T> {
        if self.bad_index {
            return Verdict::Veto {
                factor: T::lit(0.5),
                reason: Cow::Borrowed("a momentum/velocity component index is beyond the state's dimension"),
            };
        }
        let (b1, m1, g1) = self.kinematics(c.y_new.as_slice());
        if !(g1.is_finite() && b1.is_finite()) {
            self.vetoes_nonfinite += 1;
            return Verdict::Veto {
                factor: T::lit(0.25),
                reason: Cow::Borrowed("non-finite Lorentz factor"),
            };
        }
        if m1 <= T::zero() || m1.is_nan() {
            self.vetoes_speed += 1;
            let factor = match self.kind {
                Kind::Velocity => {
                    let (b0, m0, _) = self.kinematics(c.y.as_slice());
                    let f = T::lit(0.5) * m0 / (b1 - b0);
                    if f.is_finite() {
                        f.max(T::lit(0.05)).min(T::lit(0.5))
                    } else {
                        T::lit(0.25)
                    }
                }
                Kind::Momentum { .. } => T::lit(0.25),
            };
            return Verdict::Veto {
                factor,
                reason: Cow::Borrowed("speed >= c"),
            };
        }
        Verdict::Accept
    }

    fn accepted(&mut self, step: &mut AcceptedStep<'_, T, S>) -> AfterStep<T> {
        if !self.bad_index {
            let (b, m, g) = self.kinematics(step.y.as_slice());
            self.max_beta = self.max_beta.max(b);
            self.min_margin = self.min_margin.min(m);
            self.max_gamma = self.max_gamma.max(g);
        }
        AfterStep::Continue
    }
}
