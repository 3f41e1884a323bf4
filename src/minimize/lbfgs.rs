//! Limited-memory BFGS with the Moré–Thuente strong-Wolfe line search.

use super::line_search::{LineSearchStatus, MoreThuente};
use super::{dot, norm2, param, MinimizeError, Minimizer, Progress};
use crate::gradient_flow::Objective;
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// L-BFGS (Nocedal 1980; Liu & Nocedal 1989): the two-loop recursion over
/// the last `m` pairs `s = x_{k+1} - x_k`, `y = g_{k+1} - g_k`, initial
/// inverse Hessian `gamma I` with `gamma = s'y / y'y` of the newest pair
/// (Nocedal & Wright, eq. 7.20), and a [`MoreThuente`] line search with
/// `c1 = 1e-4`, `c2 = 0.9`.
///
/// The first trial step is 1, except on the first iteration (and after a
/// reset of the memory) where it is `min(1, 1 / ||g||_2)`, so the first move has length at most 1
/// (scipy's L-BFGS-B makes the same choice). A pair is stored only if `s'y > eps y'y` (the
/// curvature condition, which the strong-Wolfe search guarantees up to
/// rounding). If a search fails, the memory is dropped and the next
/// iteration starts again from steepest descent; a failure with an empty
/// memory is a stall.
///
/// The memory (`2 m` states) is allocated in `start`; iterations allocate
/// nothing. The whole state serialises (serde), so a run can be saved and
/// resumed.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Lbfgs<T, S> {
    m: usize,
    line_search: MoreThuente<T>,
    s: Vec<S>,
    y: Vec<S>,
    rho: Vec<T>,
    alpha: Vec<T>,
    /// Index of the newest pair.
    head: usize,
    len: usize,
    d: Option<S>,
    xt: Option<S>,
    gt: Option<S>,
}

impl<T: Real, S: State<T>> Default for Lbfgs<T, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real, S: State<T>> Lbfgs<T, S> {
    /// L-BFGS with memory 10 and the default line search.
    pub fn new() -> Self {
        Lbfgs {
            m: 10,
            line_search: MoreThuente::default(),
            s: Vec::new(),
            y: Vec::new(),
            rho: Vec::new(),
            alpha: Vec::new(),
            head: 0,
            len: 0,
            d: None,
            xt: None,
            gt: None,
        }
    }
    /// Number of stored pairs (>= 1).
    pub fn memory(mut self, m: usize) -> Self {
        self.m = m;
        self
    }
    /// Replaces the line search's parameters.
    pub fn line_search(mut self, ls: MoreThuente<T>) -> Self {
        self.line_search = ls;
        self
    }
    /// Pairs currently stored.
    pub fn stored_pairs(&self) -> usize {
        self.len
    }
}

/// `d = -H g` by the two-loop recursion.
#[allow(clippy::too_many_arguments)]
fn two_loop<T: Real, S: State<T>>(
    g: &S,
    d: &mut S,
    s: &[S],
    y: &[S],
    rho: &[T],
    alpha: &mut [T],
    head: usize,
    len: usize,
) {
    let m = s.len();
    d.as_mut_slice().copy_from_slice(g.as_slice());
    for j in 0..len {
        let i = (head + m - j) % m;
        let a = rho[i] * dot(s[i].as_slice(), d.as_slice());
        alpha[i] = a;
        for (q, yi) in d.as_mut_slice().iter_mut().zip(y[i].as_slice()) {
            *q = *q - a * *yi;
        }
    }
    if len > 0 {
        let yy = dot(y[head].as_slice(), y[head].as_slice());
        let gamma = T::one() / (rho[head] * yy);
        d.as_mut_slice().iter_mut().for_each(|v| *v = *v * gamma);
    }
    for j in (0..len).rev() {
        let i = (head + m - j) % m;
        let b = rho[i] * dot(y[i].as_slice(), d.as_slice());
        let c = alpha[i] - b;
        for (r, si) in d.as_mut_slice().iter_mut().zip(s[i].as_slice()) {
            *r = *r + c * *si;
        }
    }
    d.as_mut_slice().iter_mut().for_each(|v| *v = -*v);
}

/// Checks the line-search parameters shared by L-BFGS and BFGS.
pub(crate) fn check_line_search<T: Real>(
    method: &'static str,
    ls: &MoreThuente<T>,
) -> Result<(), MinimizeError> {
    param(
        method,
        "c1",
        ls.c1,
        ls.c1 > T::zero() && ls.c1 < T::lit(0.5),
        "must lie in (0, 0.5)",
    )?;
    param(
        method,
        "c2",
        ls.c2,
        ls.c2 > ls.c1 && ls.c2 < T::one(),
        "must lie in (c1, 1)",
    )?;
    param(
        method,
        "xtol",
        ls.xtol,
        ls.xtol >= T::zero(),
        "must be finite and >= 0",
    )?;
    param(
        method,
        "step_max",
        ls.step_max,
        ls.step_max > T::zero(),
        "must be finite and > 0",
    )?;
    if ls.max_evals == 0 {
        return Err(MinimizeError::InvalidParameter {
            method,
            name: "max_evals",
            value: 0.0,
            hint: "the line search needs at least one evaluation",
        });
    }
    Ok(())
}

/// Why [`search_along`] found no acceptable point.
pub(crate) enum SearchFailure<T> {
    /// No decrease (rounding, interval too small, budget).
    NoDecrease,
    /// `f` or its slope was NaN or infinite at the trials and backing off
    /// did not help; the last trial's values.
    NonFinite {
        /// `f` at the last trial.
        f: T,
        /// The slope there.
        slope: T,
        /// The last trial step.
        step: T,
    },
}

impl<T: Real> SearchFailure<T> {
    /// The stall reason of a search along `direction` ("steepest descent").
    pub(crate) fn reason(&self, direction: &str) -> String {
        match *self {
            SearchFailure::NoDecrease => format!("the line search found no decrease along {direction}"),
            SearchFailure::NonFinite { f, step, .. } if !f.is_finite() => {
                let cause = if f.is_nan() {
                    "the objective is not defined there"
                } else if f < T::zero() {
                    "the objective is unbounded below (or overflows) there"
                } else {
                    "the objective overflows there"
                };
                format!(
                    "the line search along {direction} met f = {} (last trial step {:e}): {cause}",
                    f.to_f64_lossy(),
                    step.to_f64_lossy()
                )
            }
            SearchFailure::NonFinite { slope, step, .. } => format!(
                "the line search along {direction} met a non-finite slope g'd = {} (last trial step {:e}): the gradient is not finite there",
                slope.to_f64_lossy(),
                step.to_f64_lossy()
            ),
        }
    }
}

/// One line search along `d` from `(x, f, g)`; on success moves `x, f, g`
/// to the accepted point and returns `Ok(step)`, leaving `s = new - old`
/// in `xt` and `y = g_new - g_old` in `gt`. On failure leaves `x, f, g`
/// untouched and returns why.
#[allow(clippy::too_many_arguments)]
pub(crate) fn search_along<T: Real, S: State<T>>(
    ls: &MoreThuente<T>,
    obj: &mut dyn Objective<T, S>,
    x: &mut S,
    f: &mut T,
    g: &mut S,
    d: &S,
    xt: &mut S,
    gt: &mut S,
    step0: T,
) -> Result<T, SearchFailure<T>> {
    let dg = dot(d.as_slice(), g.as_slice());
    let r = ls.search(
        |a| {
            for ((o, xi), di) in xt.as_mut_slice().iter_mut().zip(x.as_slice()).zip(d.as_slice()) {
                *o = *xi + a * *di;
            }
            let fa = obj.value_and_gradient(xt, gt);
            (fa, dot(gt.as_slice(), d.as_slice()))
        },
        *f,
        dg,
        step0,
    );
    let usable = r.evals > 0
        && r.f.is_finite()
        && r.dphi.is_finite()
        && match r.status {
            LineSearchStatus::Converged | LineSearchStatus::StepMax => true,
            LineSearchStatus::NonFinite => false,
            _ => r.f < *f,
        };
    if !usable {
        return Err(if r.status == LineSearchStatus::NonFinite && r.evals > 0 {
            SearchFailure::NonFinite {
                f: r.f,
                slope: r.dphi,
                step: r.step,
            }
        } else {
            SearchFailure::NoDecrease
        });
    }
    core::mem::swap(x, xt);
    core::mem::swap(g, gt);
    *f = r.f;
    // xt = old x, gt = old g: turn them into s and y.
    for (o, n) in xt.as_mut_slice().iter_mut().zip(x.as_slice()) {
        *o = *n - *o;
    }
    for (o, n) in gt.as_mut_slice().iter_mut().zip(g.as_slice()) {
        *o = *n - *o;
    }
    Ok(r.step)
}

impl<T: Real, S: State<T>> Minimizer<T, S> for Lbfgs<T, S> {
    fn name(&self) -> String {
        format!("L-BFGS m={}", self.m)
    }
    fn start(&mut self, x0: &S, _f0: T, _g0: &S) -> Result<(), MinimizeError> {
        if self.m == 0 {
            return Err(MinimizeError::InvalidParameter {
                method: "L-BFGS",
                name: "memory",
                value: 0.0,
                hint: "must be >= 1",
            });
        }
        check_line_search("L-BFGS", &self.line_search)?;
        let z = x0.zeros_like();
        self.s = vec![z.clone(); self.m];
        self.y = vec![z.clone(); self.m];
        self.rho = vec![T::zero(); self.m];
        self.alpha = vec![T::zero(); self.m];
        self.head = 0;
        self.len = 0;
        self.d = Some(z.clone());
        self.xt = Some(z.clone());
        self.gt = Some(z);
        Ok(())
    }
    fn iterate(
        &mut self,
        obj: &mut dyn Objective<T, S>,
        x: &mut S,
        f: &mut T,
        g: &mut S,
    ) -> Result<Progress<T>, MinimizeError> {
        let (Some(d), Some(xt), Some(gt)) = (self.d.as_mut(), self.xt.as_mut(), self.gt.as_mut()) else {
            return Err(MinimizeError::EmptyStart);
        };
        let n = x.dim();
        for (what, v) in [("L-BFGS direction", &*d), ("L-BFGS memory", &self.s[0])] {
            if v.dim() != n {
                return Err(MinimizeError::DimensionMismatch {
                    what,
                    expected: n,
                    got: v.dim(),
                });
            }
        }
        two_loop(
            g,
            d,
            &self.s,
            &self.y,
            &self.rho,
            &mut self.alpha,
            self.head,
            self.len,
        );
        let descent = dot(d.as_slice(), g.as_slice()) < T::zero();
        if !descent {
            // Not a descent direction (rounding in the memory): restart.
            self.len = 0;
            for (o, gi) in d.as_mut_slice().iter_mut().zip(g.as_slice()) {
                *o = -*gi;
            }
        }
        let step0 = if self.len == 0 {
            T::one().min(T::one() / norm2(g.as_slice()))
        } else {
            T::one()
        };
        match search_along(&self.line_search, obj, x, f, g, d, xt, gt, step0) {
            Ok(step) => {
                let sy = dot(xt.as_slice(), gt.as_slice());
                let yy = dot(gt.as_slice(), gt.as_slice());
                if sy > T::epsilon() * yy && sy.is_finite() {
                    let m = self.m;
                    let i = if self.len == 0 { 0 } else { (self.head + 1) % m };
                    self.s[i].as_mut_slice().copy_from_slice(xt.as_slice());
                    self.y[i].as_mut_slice().copy_from_slice(gt.as_slice());
                    self.rho[i] = T::one() / sy;
                    self.head = i;
                    self.len = (self.len + 1).min(m);
                }
                Ok(Progress::Moved { step })
            }
            Err(_) if self.len > 0 => {
                self.len = 0;
                Ok(Progress::Moved { step: T::zero() })
            }
            Err(why) => Ok(Progress::Stalled(why.reason("steepest descent"))),
        }
    }
}
