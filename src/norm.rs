//! The scaled error norm of Hairer–Nørsett–Wanner.
//!
//! For a local error estimate `err` on a step from `y` to `y_new`:
//!
//! ```text
//! sc_i = atol_i + rtol_i * max(|y_i|, |y_new_i|)
//! ||err|| = sqrt( (1/n) * sum_i (w_i * err_i / sc_i)^2 )
//! ```
//!
//! (*Solving ODEs I*, eq. II.4.11). A step passes the error test when
//! `||err|| <= 1`. The optional component weights `w_i` (default 1) let a
//! user decide *what* the error test looks at: a weight of 0 removes a
//! component from the test (e.g. a velocity that is only a by-product).
//!
//! **Pure relative control** (`atol_i = 0`, or an `atol_i` below the
//! smallest normal number): the scale of a component that is exactly 0 at
//! both ends of the step would be 0, and `0/0 = NaN` would be mistaken for a
//! failing right-hand side. So in this case every scale is floored at the
//! smallest normal number `MIN_POSITIVE` (2.2e-308 for `f64`: below it
//! floating point has no relative accuracy to control), and every scaled
//! component `err_i / sc_i` is capped at `±1/eps` (a certain rejection that
//! keeps the norm finite). A component that stays exactly 0 contributes 0; a
//! component that leaves zero is measured relative to its new value; a NaN
//! error estimate stays NaN. (The initial step-size heuristic leaves
//! components with a scale below `MIN_POSITIVE` out, see
//! [`ErrorNorm::rms_scaled_by_y0`].)

use crate::Real;
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// A tolerance: one value for every component, or one per component.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Tolerance<T> {
    /// The same tolerance for every component.
    Scalar(T),
    /// One tolerance per component (length must equal the state dimension).
    PerComponent(Vec<T>),
}

impl<T: Real> Tolerance<T> {
    /// The tolerance of component `i`.
    #[inline(always)]
    pub fn get(&self, i: usize) -> T {
        match self {
            Tolerance::Scalar(v) => *v,
            Tolerance::PerComponent(v) => v[i],
        }
    }
    /// All values (one for a scalar tolerance).
    pub fn values(&self) -> &[T] {
        match self {
            Tolerance::Scalar(v) => core::slice::from_ref(v),
            Tolerance::PerComponent(v) => v,
        }
    }
}

impl<T> From<T> for Tolerance<T> {
    fn from(v: T) -> Self {
        Tolerance::Scalar(v)
    }
}

impl<T> From<Vec<T>> for Tolerance<T> {
    fn from(v: Vec<T>) -> Self {
        Tolerance::PerComponent(v)
    }
}

/// The scaled RMS error norm, built by the driver from the options.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorNorm<T> {
    rtol: Tolerance<T>,
    atol: Tolerance<T>,
    weights: Option<Vec<T>>,
    /// Some `atol_i` is below `MIN_POSITIVE` (typically 0), so a scale can
    /// be 0 or subnormal (pure relative control).
    zero_atol: bool,
}

/// `e / sc` under pure relative control (see the module docs): the scale
/// floored at `MIN_POSITIVE`, the ratio capped at `±1/eps`; NaN stays NaN.
#[inline(always)]
fn ratio<T: Real>(e: T, sc: T) -> T {
    let tiny = T::min_positive_value();
    let sc = if sc < tiny { tiny } else { sc };
    let q = e / sc;
    let big = T::one() / T::epsilon();
    if q > big {
        big
    } else if q < -big {
        -big
    } else {
        q
    }
}

impl<T: Real> ErrorNorm<T> {
    /// A norm with the given tolerances and optional component weights.
    pub fn new(rtol: Tolerance<T>, atol: Tolerance<T>, weights: Option<Vec<T>>) -> Self {
        let zero_atol = atol.values().iter().any(|a| *a < T::min_positive_value());
        ErrorNorm {
            rtol,
            atol,
            weights,
            zero_atol,
        }
    }

    /// The absolute tolerance.
    pub fn atol(&self) -> &Tolerance<T> {
        &self.atol
    }

    /// The scale `sc_i = atol_i + rtol_i * max(|a_i|, |b_i|)`.
    #[inline(always)]
    pub fn scale(&self, i: usize, a: T, b: T) -> T {
        self.atol.get(i) + self.rtol.get(i) * a.abs().max(b.abs())
    }

    /// `sum_i (w_i err_i / sc_i)^2` (not divided by `n`).
    ///
    /// When the sum overflows although every `err_i` is finite (tolerances
    /// so small that a scaled component exceeds ~1e154), it is summed again
    /// with every scaled component capped at `±sqrt(MAX / (4 n))`: a finite
    /// norm far above 1, so that the error test rejects the step (a
    /// non-finite norm would be taken for NaN from the right-hand side). A
    /// non-finite `err_i` keeps the sum non-finite.
    #[inline(always)]
    pub fn sum_sq(&self, y: &[T], y_new: &[T], err: &[T]) -> T {
        let acc = self.sum_sq_uncapped(y, y_new, err);
        if acc == T::infinity() {
            self.sum_sq_capped(y, y_new, err)
        } else {
            acc
        }
    }

    /// [`sum_sq`](Self::sum_sq) before the overflow check.
    #[inline(always)]
    fn sum_sq_uncapped(&self, y: &[T], y_new: &[T], err: &[T]) -> T {
        let mut acc = T::zero();
        match (&self.rtol, &self.atol, &self.weights) {
            (Tolerance::Scalar(r), Tolerance::Scalar(a), None) if !self.zero_atol => {
                for ((yi, yn), ei) in y.iter().zip(y_new).zip(err) {
                    let sc = *a + *r * yi.abs().max(yn.abs());
                    let q = *ei / sc;
                    acc = acc + q * q;
                }
            }
            _ => {
                for (i, ((yi, yn), ei)) in y.iter().zip(y_new).zip(err).enumerate() {
                    let mut q = ratio(*ei, self.scale(i, *yi, *yn));
                    if let Some(w) = &self.weights {
                        q = q * w[i];
                    }
                    acc = acc + q * q;
                }
            }
        }
        acc
    }

    /// The sum of squares after an overflow: every scaled component (with
    /// its weight) capped at `±sqrt(MAX / (4 n))`, so that the sum is finite
    /// and still as large as floating point allows (a certain rejection, also
    /// for estimators that combine two sums); `+inf` if some `err_i` is not
    /// finite, NaN if a scaled component is NaN.
    #[cold]
    fn sum_sq_capped(&self, y: &[T], y_new: &[T], err: &[T]) -> T {
        let n = T::lit(y.len().max(1) as f64);
        let cap = (T::max_value() / (T::lit(4.0) * n)).sqrt();
        let tiny = T::min_positive_value();
        let mut acc = T::zero();
        for (i, ((yi, yn), ei)) in y.iter().zip(y_new).zip(err).enumerate() {
            if !ei.is_finite() {
                return T::infinity();
            }
            let mut q = *ei / self.scale(i, *yi, *yn).max(tiny);
            if let Some(w) = &self.weights {
                q = q * w[i];
            }
            if q.is_nan() {
                return q;
            }
            let q = q.max(-cap).min(cap);
            acc = acc + q * q;
        }
        acc
    }

    /// `(sum_sq(a), sum_sq(b), sum_i (w_i a_i / sc_i) (w_i b_i / sc_i))` in
    /// one pass over the components (one scale each): the generic stiffness
    /// estimate's three sums.
    #[inline(always)]
    pub(crate) fn gram(&self, y: &[T], y_new: &[T], a: &[T], b: &[T]) -> (T, T, T) {
        let (mut saa, mut sbb, mut sab) = (T::zero(), T::zero(), T::zero());
        let n = y.len();
        let (y_new, a, b) = (&y_new[..n], &a[..n], &b[..n]);
        match (&self.rtol, &self.atol, &self.weights) {
            (Tolerance::Scalar(r), Tolerance::Scalar(at), None) if !self.zero_atol => {
                for i in 0..n {
                    let sc = *at + *r * y[i].abs().max(y_new[i].abs());
                    let (qa, qb) = (a[i] / sc, b[i] / sc);
                    saa = saa + qa * qa;
                    sbb = sbb + qb * qb;
                    sab = sab + qa * qb;
                }
            }
            _ => {
                for i in 0..n {
                    let sc = self.scale(i, y[i], y_new[i]);
                    let (mut qa, mut qb) = (ratio(a[i], sc), ratio(b[i], sc));
                    if let Some(w) = &self.weights {
                        qa = qa * w[i];
                        qb = qb * w[i];
                    }
                    saa = saa + qa * qa;
                    sbb = sbb + qb * qb;
                    sab = sab + qa * qb;
                }
            }
        }
        (saa, sbb, sab)
    }

    /// Two sums of squares over the same scales (for combined estimators).
    /// A sum that overflows with finite components is summed again capped,
    /// as in [`sum_sq`](Self::sum_sq).
    #[inline]
    pub fn sum_sq_pair(&self, y: &[T], y_new: &[T], e1: &[T], e2: &[T]) -> (T, T) {
        let (s1, s2) = self.sum_sq_pair_uncapped(y, y_new, e1, e2);
        if s1 == T::infinity() || s2 == T::infinity() {
            (self.sum_sq_capped(y, y_new, e1), self.sum_sq_capped(y, y_new, e2))
        } else {
            (s1, s2)
        }
    }

    /// [`sum_sq_pair`](Self::sum_sq_pair) before the overflow check.
    #[inline(always)]
    fn sum_sq_pair_uncapped(&self, y: &[T], y_new: &[T], e1: &[T], e2: &[T]) -> (T, T) {
        let mut s1 = T::zero();
        let mut s2 = T::zero();
        if let (Tolerance::Scalar(r), Tolerance::Scalar(a), None, false) =
            (&self.rtol, &self.atol, &self.weights, self.zero_atol)
        {
            // The common case without the per-component dispatch (the same
            // arithmetic as below).
            let n = y.len();
            let (y_new, e1, e2) = (&y_new[..n], &e1[..n], &e2[..n]);
            for i in 0..n {
                let w = T::one() / (*a + *r * y[i].abs().max(y_new[i].abs()));
                let (q1, q2) = (e1[i] * w, e2[i] * w);
                s1 = s1 + q1 * q1;
                s2 = s2 + q2 * q2;
            }
            return (s1, s2);
        }
        for i in 0..y.len() {
            let sc = self.scale(i, y[i], y_new[i]);
            let (mut q1, mut q2) = if self.zero_atol {
                (ratio(e1[i], sc), ratio(e2[i], sc))
            } else {
                let w = T::one() / sc;
                (e1[i] * w, e2[i] * w)
            };
            if let Some(ws) = &self.weights {
                q1 = q1 * ws[i];
                q2 = q2 * ws[i];
            }
            s1 = s1 + q1 * q1;
            s2 = s2 + q2 * q2;
        }
        (s1, s2)
    }

    /// The RMS norm `sqrt(sum_sq / n)`.
    ///
    /// ```
    /// use odestride::{ErrorNorm, Tolerance};
    /// let norm = ErrorNorm::new(Tolerance::Scalar(0.0_f64), Tolerance::Scalar(1e-3), None);
    /// // an error of exactly atol in every component has norm 1
    /// let n = norm.rms(&[1.0, 2.0], &[1.0, 2.0], &[1e-3, -1e-3]);
    /// assert!((n - 1.0).abs() < 1e-12);
    /// ```
    #[inline(always)]
    pub fn rms(&self, y: &[T], y_new: &[T], err: &[T]) -> T {
        let n = T::lit(y.len().max(1) as f64);
        (self.sum_sq(y, y_new, err) / n).sqrt()
    }

    /// The RMS of `v` scaled by `atol_i + rtol_i |y0_i|` (weights applied),
    /// leaving out the components whose scale is below `MIN_POSITIVE` (pure
    /// relative control on a component that is 0): the starting-step heuristic measures
    /// `y0` and `f(t0, y0)` with it, and a zero component has no relative
    /// size to measure yet (the error test measures it from the first step
    /// on, relative to its new value).
    ///
    /// ```
    /// use odestride::{ErrorNorm, Tolerance};
    /// let norm = ErrorNorm::new(Tolerance::Scalar(1e-3_f64), Tolerance::Scalar(0.0), None);
    /// // the zero component of y0 is left out: only the first counts
    /// let n = norm.rms_scaled_by_y0(&[2.0, 0.0], &[2e-3, 5.0]);
    /// assert!((n - 1.0).abs() < 1e-12);
    /// ```
    pub fn rms_scaled_by_y0(&self, y0: &[T], v: &[T]) -> T {
        let mut acc = T::zero();
        let mut n = 0usize;
        for (i, (yi, vi)) in y0.iter().zip(v).enumerate() {
            let sc = self.scale(i, *yi, *yi);
            if sc < T::min_positive_value() {
                continue;
            }
            let mut q = *vi / sc;
            if let Some(w) = &self.weights {
                q = q * w[i];
            }
            acc = acc + q * q;
            n += 1;
        }
        (acc / T::lit(n.max(1) as f64)).sqrt()
    }
}
