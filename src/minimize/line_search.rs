//! A strong-Wolfe line search: Moré and Thuente's safeguarded
//! cubic/quadratic interpolation (J. J. Moré, D. J. Thuente, "Line search
//! algorithms with guaranteed sufficient decrease", ACM TOMS 20 (1994)
//! 286–307), written from the paper's description.
//!
//! Along a descent direction, `phi(a) = f(x + a d)` with `phi'(0) < 0`, it
//! looks for a step `a` with
//!
//! ```text
//! phi(a) <= phi(0) + c1 a phi'(0)        (sufficient decrease)
//! |phi'(a)| <= c2 |phi'(0)|              (curvature, strong form)
//! ```
//!
//! Until an interval is known to contain such a point it works on the
//! auxiliary function `psi(a) = phi(a) - phi(0) - c1 a phi'(0)`, then on
//! `phi` itself; every trial comes from the safeguarded step of the paper's
//! Section 4 (cases 1–4), and the interval of uncertainty must shrink by at
//! least a factor 0.66 every two trials once bracketed.
//!
//! ```
//! use odestride::minimize::line_search::{MoreThuente, LineSearchStatus};
//! // phi(a) = (a - 2)^2 - 4: phi'(0) = -4, minimum at a = 2
//! let ls = MoreThuente::default();
//! let r = ls.search(|a: f64| ((a - 2.0).powi(2) - 4.0, 2.0 * (a - 2.0)), 0.0, -4.0, 1.0);
//! assert_eq!(r.status, LineSearchStatus::Converged);
//! assert!(r.f <= 0.0 + 1e-4 * r.step * -4.0);
//! assert!(r.dphi.abs() <= 0.9 * 4.0);
//! ```

use crate::Real;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Parameters of the Moré–Thuente search.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct MoreThuente<T> {
    /// Sufficient-decrease constant `c1` (default 1e-4).
    pub c1: T,
    /// Curvature constant `c2` (default 0.9, the quasi-Newton choice).
    pub c2: T,
    /// Relative width of the interval of uncertainty below which the
    /// search gives up (default 1e-14, well below where it matters).
    pub xtol: T,
    /// Largest step (default 1e20).
    pub step_max: T,
    /// Evaluations per search (default 20).
    pub max_evals: usize,
}

impl<T: Real> Default for MoreThuente<T> {
    fn default() -> Self {
        MoreThuente {
            c1: T::lit(1e-4),
            c2: T::lit(0.9),
            xtol: T::lit(1e-14),
            step_max: T::lit(1e20),
            max_evals: 20,
        }
    }
}

/// How a search ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum LineSearchStatus {
    /// Both strong-Wolfe conditions hold at the returned step.
    Converged,
    /// Rounding errors prevent progress (the interval cannot shrink); the
    /// returned step is the last trial.
    Rounding,
    /// The interval of uncertainty is narrower than `xtol`.
    IntervalTooSmall,
    /// The returned step is `step_max` with sufficient decrease and a
    /// negative slope.
    StepMax,
    /// The evaluation budget ran out.
    MaxEvals,
    /// `phi` or `phi'` was not finite at a trial and could not be recovered
    /// by shrinking the step.
    NonFinite,
}

/// The outcome of [`MoreThuente::search`]: the last step evaluated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineSearchResult<T> {
    /// The step `a` (the last one evaluated).
    pub step: T,
    /// `phi(a)`.
    pub f: T,
    /// `phi'(a)`.
    pub dphi: T,
    /// Evaluations of `phi` used.
    pub evals: usize,
    /// Why it ended.
    pub status: LineSearchStatus,
}

/// The bracketing state: the best point `x` so far, the other end `y`.
struct Bracket<T> {
    stx: T,
    fx: T,
    dx: T,
    sty: T,
    fy: T,
    dy: T,
    brackt: bool,
}

impl<T: Real> MoreThuente<T> {
    /// Searches along `phi` (a closure returning `(phi(a), phi'(a))`)
    /// from `phi(0) = f0`, `phi'(0) = g0 < 0`, starting with the trial step
    /// `step0 > 0`.
    ///
    /// The caller's evaluation point after the call is the returned step
    /// (the last trial), so buffers filled by `phi` hold that point.
    /// A non-descent `g0 >= 0` or a non-positive `step0` returns at once
    /// with `evals = 0` and status [`LineSearchStatus::NonFinite`] if the
    /// input is not finite, else [`LineSearchStatus::Rounding`].
    pub fn search<P: FnMut(T) -> (T, T)>(&self, mut phi: P, f0: T, g0: T, step0: T) -> LineSearchResult<T> {
        let zero = T::zero();
        let bail = |status| LineSearchResult {
            step: zero,
            f: f0,
            dphi: g0,
            evals: 0,
            status,
        };
        if !(f0.is_finite() && g0.is_finite() && step0.is_finite()) {
            return bail(LineSearchStatus::NonFinite);
        }
        if g0 >= zero || step0 <= zero {
            return bail(LineSearchStatus::Rounding);
        }
        let (xtrapl, xtrapu) = (T::lit(1.1), T::lit(4.0));
        let p66 = T::lit(0.66);
        let half = T::lit(0.5);
        let gtest = self.c1 * g0;
        let mut width = self.step_max;
        let mut width1 = width + width;
        let mut b = Bracket {
            stx: zero,
            fx: f0,
            dx: g0,
            sty: zero,
            fy: f0,
            dy: g0,
            brackt: false,
        };
        let mut stage1 = true;
        let mut stp = step0.min(self.step_max);
        let mut stmin = zero;
        let mut stmax = stp + xtrapu * stp;
        let mut evals = 0usize;
        // Smallest step at which phi was not finite.
        let mut limit = T::infinity();
        loop {
            let (mut f, mut g) = phi(stp);
            evals += 1;
            // A trial outside the domain: back off towards the best point
            // (not part of the paper, which assumes a finite phi).
            while !(f.is_finite() && g.is_finite()) {
                if evals >= self.max_evals {
                    return LineSearchResult {
                        step: stp,
                        f,
                        dphi: g,
                        evals,
                        status: LineSearchStatus::NonFinite,
                    };
                }
                limit = stp;
                stp = b.stx + half * (stp - b.stx);
                if stp <= b.stx {
                    return LineSearchResult {
                        step: stp,
                        f,
                        dphi: g,
                        evals,
                        status: LineSearchStatus::NonFinite,
                    };
                }
                let r = phi(stp);
                f = r.0;
                g = r.1;
                evals += 1;
            }
            let ftest = f0 + stp * gtest;
            if stage1 && f <= ftest && g >= zero {
                stage1 = false;
            }
            let done = |status| LineSearchResult {
                step: stp,
                f,
                dphi: g,
                evals,
                status,
            };
            if b.brackt && (stp <= stmin || stp >= stmax) {
                return done(LineSearchStatus::Rounding);
            }
            if b.brackt && stmax - stmin <= self.xtol * stmax {
                return done(LineSearchStatus::IntervalTooSmall);
            }
            if stp == self.step_max && f <= ftest && g <= gtest {
                return done(LineSearchStatus::StepMax);
            }
            if f <= ftest && g.abs() <= self.c2 * (-g0) {
                return done(LineSearchStatus::Converged);
            }
            if evals >= self.max_evals {
                return done(LineSearchStatus::MaxEvals);
            }
            if stage1 && f <= b.fx && f > ftest {
                // Work on psi: shift function values and slopes by the
                // sufficient-decrease line.
                let mut m = Bracket {
                    stx: b.stx,
                    fx: b.fx - b.stx * gtest,
                    dx: b.dx - gtest,
                    sty: b.sty,
                    fy: b.fy - b.sty * gtest,
                    dy: b.dy - gtest,
                    brackt: b.brackt,
                };
                stp = step(&mut m, stp, f - stp * gtest, g - gtest, stmin, stmax);
                b = Bracket {
                    stx: m.stx,
                    fx: m.fx + m.stx * gtest,
                    dx: m.dx + gtest,
                    sty: m.sty,
                    fy: m.fy + m.sty * gtest,
                    dy: m.dy + gtest,
                    brackt: m.brackt,
                };
            } else {
                stp = step(&mut b, stp, f, g, stmin, stmax);
            }
            if b.brackt {
                if (b.sty - b.stx).abs() >= p66 * width1 {
                    stp = b.stx + half * (b.sty - b.stx);
                }
                width1 = width;
                width = (b.sty - b.stx).abs();
                stmin = b.stx.min(b.sty);
                stmax = b.stx.max(b.sty);
            } else {
                stmin = stp + xtrapl * (stp - b.stx);
                stmax = stp + xtrapu * (stp - b.stx);
            }
            stp = stp.max(zero).min(self.step_max);
            if stp >= limit {
                stp = b.stx + half * (limit - b.stx);
            }
            if b.brackt && (stp <= stmin || stp >= stmax || stmax - stmin <= self.xtol * stmax) {
                stp = b.stx;
            }
        }
    }
}

/// The safeguarded trial step of Moré–Thuente Section 4 from the bracket
/// `b` and the new trial `(stp, fp, dp)`; updates the bracket and returns
/// the next trial, kept within `[lo, hi]` when not yet bracketed.
fn step<T: Real>(b: &mut Bracket<T>, stp: T, fp: T, dp: T, lo: T, hi: T) -> T {
    let three = T::lit(3.0);
    let half = T::lit(0.5);
    let p66 = T::lit(0.66);
    let (stx, fx, dx) = (b.stx, b.fx, b.dx);
    let sgnd = dp * dx.signum();
    // The minimiser of the cubic through (stx, fx, dx) and (stp, fp, dp):
    // returns (theta, gamma-scale s) pieces as in the paper.
    let cubic_gamma = |theta: T, da: T, db: T, clamp: bool| {
        let s = theta.abs().max(da.abs()).max(db.abs());
        let r = (theta / s) * (theta / s) - (da / s) * (db / s);
        let r = if clamp { r.max(T::zero()) } else { r };
        s * r.sqrt()
    };
    let stpf;
    if fp > fx {
        // Case 1: a higher value; the minimum is bracketed. Take the cubic
        // step if it is closer to stx than the quadratic one, else their
        // mean.
        let theta = three * (fx - fp) / (stp - stx) + dx + dp;
        let mut gamma = cubic_gamma(theta, dx, dp, false);
        if stp < stx {
            gamma = -gamma;
        }
        let p = (gamma - dx) + theta;
        let q = ((gamma - dx) + gamma) + dp;
        let stpc = stx + (p / q) * (stp - stx);
        let stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) * half) * (stp - stx);
        stpf = if (stpc - stx).abs() < (stpq - stx).abs() {
            stpc
        } else {
            stpc + (stpq - stpc) * half
        };
        b.brackt = true;
    } else if sgnd < T::zero() {
        // Case 2: lower value, slopes of opposite sign; bracketed. Take the
        // step farther from stp (cubic or secant).
        let theta = three * (fx - fp) / (stp - stx) + dx + dp;
        let mut gamma = cubic_gamma(theta, dx, dp, false);
        if stp > stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = ((gamma - dp) + gamma) + dx;
        let stpc = stp + (p / q) * (stx - stp);
        let stpq = stp + (dp / (dp - dx)) * (stx - stp);
        stpf = if (stpc - stp).abs() > (stpq - stp).abs() {
            stpc
        } else {
            stpq
        };
        b.brackt = true;
    } else if dp.abs() < dx.abs() {
        // Case 3: lower value, same slope sign, slope decreasing in
        // magnitude. The cubic step is used only if it goes the right way
        // (or the cubic tends to infinity in that direction).
        let theta = three * (fx - fp) / (stp - stx) + dx + dp;
        let mut gamma = cubic_gamma(theta, dx, dp, true);
        if stp > stx {
            gamma = -gamma;
        }
        let p = (gamma - dp) + theta;
        let q = (gamma + (dx - dp)) + gamma;
        let r = p / q;
        let stpc = if r < T::zero() && gamma != T::zero() {
            stp + r * (stx - stp)
        } else if stp > stx {
            hi
        } else {
            lo
        };
        let stpq = stp + (dp / (dp - dx)) * (stx - stp);
        if b.brackt {
            let s = if (stpc - stp).abs() < (stpq - stp).abs() {
                stpc
            } else {
                stpq
            };
            let bound = stp + p66 * (b.sty - stp);
            stpf = if stp > stx { s.min(bound) } else { s.max(bound) };
        } else {
            let s = if (stpc - stp).abs() > (stpq - stp).abs() {
                stpc
            } else {
                stpq
            };
            stpf = s.min(hi).max(lo);
        }
    } else {
        // Case 4: lower value, same slope sign, slope not decreasing. With
        // a bracket, the cubic through stp and sty; else the interval end.
        stpf = if b.brackt {
            let (sty, fy, dy) = (b.sty, b.fy, b.dy);
            let theta = three * (fp - fy) / (sty - stp) + dy + dp;
            let mut gamma = cubic_gamma(theta, dy, dp, false);
            if stp > sty {
                gamma = -gamma;
            }
            let p = (gamma - dp) + theta;
            let q = ((gamma - dp) + gamma) + dy;
            stp + (p / q) * (sty - stp)
        } else if stp > stx {
            hi
        } else {
            lo
        };
    }
    // Update the bracket.
    if fp > fx {
        b.sty = stp;
        b.fy = fp;
        b.dy = dp;
    } else {
        if sgnd < T::zero() {
            b.sty = stx;
            b.fy = fx;
            b.dy = dx;
        }
        b.stx = stp;
        b.fx = fp;
        b.dx = dp;
    }
    stpf
}
