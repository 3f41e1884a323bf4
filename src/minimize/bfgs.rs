//! Dense BFGS for small problems.

use super::lbfgs::{check_line_search, search_along};
use super::line_search::MoreThuente;
use super::{dot, norm2, MinimizeError, Minimizer, Progress};
use crate::gradient_flow::Objective;
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// BFGS with a dense inverse-Hessian approximation `H` (n x n, allocated
/// in `start`): direction `d = -H g`, a [`MoreThuente`] strong-Wolfe line
/// search, and the inverse update (Nocedal & Wright, eq. 6.17)
///
/// ```text
/// H+ = (I - rho s y') H (I - rho y s') + rho s s',   rho = 1 / y's
/// ```
///
/// computed as `H - rho (s u' + u s') + (rho^2 y'u + rho) s s'` with
/// `u = H y`. Before the first update `H` is rescaled to `(s'y / y'y) I`
/// (eq. 6.20). The first trial step is `min(1, 1/||g||_2)` while `H = I`, 1
/// after. The work per iteration is `O(n^2)`: for large `n` use [`Lbfgs`](super::Lbfgs).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Bfgs<T, S> {
    line_search: MoreThuente<T>,
    /// Row-major inverse Hessian approximation.
    h: Vec<T>,
    u: Vec<T>,
    updated: bool,
    d: Option<S>,
    xt: Option<S>,
    gt: Option<S>,
}

impl<T: Real, S: State<T>> Default for Bfgs<T, S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real, S: State<T>> Bfgs<T, S> {
    /// BFGS with the default line search.
    pub fn new() -> Self {
        Bfgs {
            line_search: MoreThuente::default(),
            h: Vec::new(),
            u: Vec::new(),
            updated: false,
            d: None,
            xt: None,
            gt: None,
        }
    }
    /// Replaces the line search's parameters.
    pub fn line_search(mut self, ls: MoreThuente<T>) -> Self {
        self.line_search = ls;
        self
    }
    /// The current inverse-Hessian approximation, row-major `n x n`.
    pub fn inverse_hessian(&self) -> &[T] {
        &self.h
    }
}

/// `h = scale I` (n x n, row-major).
fn identity<T: Real>(h: &mut [T], n: usize, scale: T) {
    h.iter_mut().for_each(|v| *v = T::zero());
    for i in 0..n {
        h[i * n + i] = scale;
    }
}

impl<T: Real, S: State<T>> Minimizer<T, S> for Bfgs<T, S> {
    fn name(&self) -> String {
        "BFGS".into()
    }
    fn start(&mut self, x0: &S, _f0: T, _g0: &S) -> Result<(), MinimizeError> {
        check_line_search("BFGS", &self.line_search)?;
        let n = x0.dim();
        self.h = vec![T::zero(); n * n];
        self.u = vec![T::zero(); n];
        identity(&mut self.h, n, T::one());
        self.updated = false;
        let z = x0.zeros_like();
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
        let n = x.dim();
        if self.h.len() != n * n {
            return Err(MinimizeError::DimensionMismatch {
                what: "BFGS inverse Hessian",
                expected: n,
                got: self.u.len(),
            });
        }
        let (Some(d), Some(xt), Some(gt)) = (self.d.as_mut(), self.xt.as_mut(), self.gt.as_mut()) else {
            return Err(MinimizeError::EmptyStart);
        };
        let gs = g.as_slice();
        for (i, di) in d.as_mut_slice().iter_mut().enumerate() {
            *di = -dot(&self.h[i * n..(i + 1) * n], gs);
        }
        let descent = dot(d.as_slice(), gs) < T::zero();
        if !descent {
            // H lost positive definiteness to rounding: restart.
            self.updated = false;
            for (o, gi) in d.as_mut_slice().iter_mut().zip(gs) {
                *o = -*gi;
            }
            identity(&mut self.h, n, T::one());
        }
        let step0 = if self.updated {
            T::one()
        } else {
            T::one().min(T::one() / norm2(g.as_slice()))
        };
        match search_along(&self.line_search, obj, x, f, g, d, xt, gt, step0) {
            Ok(step) => {
                let (s, y) = (xt.as_slice(), gt.as_slice());
                let sy = dot(s, y);
                let yy = dot(y, y);
                if sy > T::epsilon() * yy && sy.is_finite() {
                    if !self.updated {
                        identity(&mut self.h, n, sy / yy);
                        self.updated = true;
                    }
                    let rho = T::one() / sy;
                    for i in 0..n {
                        self.u[i] = dot(&self.h[i * n..(i + 1) * n], y);
                    }
                    let yu = dot(y, &self.u);
                    let c = rho * rho * yu + rho;
                    for i in 0..n {
                        for j in 0..n {
                            let v = self.h[i * n + j] - rho * (s[i] * self.u[j] + self.u[i] * s[j])
                                + c * s[i] * s[j];
                            self.h[i * n + j] = v;
                        }
                    }
                }
                Ok(Progress::Moved { step })
            }
            Err(_) if self.updated => {
                self.updated = false;
                identity(&mut self.h, n, T::one());
                Ok(Progress::Moved { step: T::zero() })
            }
            Err(why) => Ok(Progress::Stalled(why.reason("steepest descent"))),
        }
    }
}
