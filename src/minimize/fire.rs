//! FIRE, the fast inertial relaxation engine.

use super::{dot, norm2, param, MinimizeError, Minimizer, Progress};
use crate::gradient_flow::Objective;
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// FIRE (E. Bitzek, P. Koskinen, F. Gähler, M. Moseler, P. Gumbsch, "Structural
/// relaxation made simple", PRL 97, 170201 (2006)): molecular dynamics
/// with unit masses and force `F = -grad f`, whose velocity is mixed
/// towards the force direction and stopped whenever it points uphill.
///
/// Per iteration (the paper's steps F1–F4, then one MD step):
///
/// ```text
/// P = F . v
/// if P > 0:  v = (1 - a) v + a |v| F/|F|
///            if more than N_min steps since the last P <= 0:
///                dt = min(dt f_inc, dt_max);  a = a f_a
/// else:      v = 0;  dt = dt f_dec;  a = a_start
/// v = v + dt F;  x = x + dt v                  (semi-implicit Euler MD)
/// ```
///
/// The MD integrator is semi-implicit Euler, the choice of FIRE 2.0
/// (Guénolé et al., Comput. Mater. Sci. 175, 109584 (2020)); the paper
/// allows any MD integrator. On the first iteration `v = 0` and the
/// uphill test is skipped. Defaults are the paper's: `N_min = 5`,
/// `f_inc = 1.1`, `f_dec = 0.5`, `a_start = 0.1`, `f_a = 0.99`,
/// `dt_max = 10 dt`. One gradient (and value) evaluation per iteration.
/// The optional [`max_move`](Fire::max_move) caps the displacement per
/// iteration (not in the paper; off by default).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Fire<T, S> {
    dt0: T,
    dt_max: Option<T>,
    n_min: usize,
    f_inc: T,
    f_dec: T,
    alpha_start: T,
    f_alpha: T,
    max_move: Option<T>,
    // run state
    v: Option<S>,
    dt: T,
    alpha: T,
    n_pos: usize,
    first: bool,
}

impl<T: Real, S: State<T>> Fire<T, S> {
    /// FIRE with initial time step `dt` and the published defaults.
    pub fn new(dt: T) -> Self {
        Fire {
            dt0: dt,
            dt_max: None,
            n_min: 5,
            f_inc: T::lit(1.1),
            f_dec: T::lit(0.5),
            alpha_start: T::lit(0.1),
            f_alpha: T::lit(0.99),
            max_move: None,
            v: None,
            dt,
            alpha: T::lit(0.1),
            n_pos: 0,
            first: true,
        }
    }
    /// Largest time step (default `10 dt`).
    pub fn dt_max(mut self, v: T) -> Self {
        self.dt_max = Some(v);
        self
    }
    /// `N_min`, `f_inc`, `f_dec`, `alpha_start`, `f_alpha`.
    pub fn parameters(mut self, n_min: usize, f_inc: T, f_dec: T, alpha_start: T, f_alpha: T) -> Self {
        self.n_min = n_min;
        self.f_inc = f_inc;
        self.f_dec = f_dec;
        self.alpha_start = alpha_start;
        self.f_alpha = f_alpha;
        self
    }
    /// Caps `||x_new - x||_2` per iteration.
    pub fn max_move(mut self, v: T) -> Self {
        self.max_move = Some(v);
        self
    }
    /// The current time step.
    pub fn dt(&self) -> T {
        self.dt
    }
}

impl<T: Real, S: State<T>> Minimizer<T, S> for Fire<T, S> {
    fn name(&self) -> String {
        "FIRE".into()
    }
    fn start(&mut self, x0: &S, _f0: T, _g0: &S) -> Result<(), MinimizeError> {
        const N: &str = "FIRE";
        let (one, zero) = (T::one(), T::zero());
        param(N, "dt", self.dt0, self.dt0 > zero, "must be finite and > 0")?;
        let dt_max = self.dt_max.unwrap_or(T::lit(10.0) * self.dt0);
        param(
            N,
            "dt_max",
            dt_max,
            dt_max >= self.dt0,
            "must be finite and >= dt",
        )?;
        param(N, "f_inc", self.f_inc, self.f_inc >= one, "must be >= 1")?;
        param(
            N,
            "f_dec",
            self.f_dec,
            self.f_dec > zero && self.f_dec < one,
            "must lie in (0, 1)",
        )?;
        param(
            N,
            "alpha_start",
            self.alpha_start,
            self.alpha_start >= zero && self.alpha_start <= one,
            "must lie in [0, 1]",
        )?;
        param(
            N,
            "f_alpha",
            self.f_alpha,
            self.f_alpha > zero && self.f_alpha <= one,
            "must lie in (0, 1]",
        )?;
        if let Some(m) = self.max_move {
            param(N, "max_move", m, m > zero, "must be finite and > 0")?;
        }
        self.v = Some(x0.zeros_like());
        self.dt = self.dt0;
        self.alpha = self.alpha_start;
        self.n_pos = 0;
        self.first = true;
        Ok(())
    }
    fn iterate(
        &mut self,
        obj: &mut dyn Objective<T, S>,
        x: &mut S,
        f: &mut T,
        g: &mut S,
    ) -> Result<Progress<T>, MinimizeError> {
        let Some(v) = self.v.as_mut() else {
            return Err(MinimizeError::EmptyStart);
        };
        if v.dim() != x.dim() {
            return Err(MinimizeError::DimensionMismatch {
                what: "FIRE velocity",
                expected: x.dim(),
                got: v.dim(),
            });
        }
        let dt_max = self.dt_max.unwrap_or(T::lit(10.0) * self.dt0);
        if !self.first {
            // F = -g, so P = F.v = -g.v
            let p = -dot(g.as_slice(), v.as_slice());
            if p > T::zero() {
                let vn = norm2(v.as_slice());
                let gn = norm2(g.as_slice());
                if gn > T::zero() {
                    let a = self.alpha;
                    let c = a * vn / gn;
                    for (vi, gi) in v.as_mut_slice().iter_mut().zip(g.as_slice()) {
                        *vi = (T::one() - a) * *vi - c * *gi;
                    }
                }
                self.n_pos += 1;
                if self.n_pos > self.n_min {
                    self.dt = (self.dt * self.f_inc).min(dt_max);
                    self.alpha = self.alpha * self.f_alpha;
                }
            } else {
                v.as_mut_slice().iter_mut().for_each(|vi| *vi = T::zero());
                self.dt = self.dt * self.f_dec;
                self.alpha = self.alpha_start;
                self.n_pos = 0;
            }
        }
        self.first = false;
        let dt = self.dt;
        for (vi, gi) in v.as_mut_slice().iter_mut().zip(g.as_slice()) {
            *vi = *vi - dt * *gi;
        }
        let mut scale = dt;
        if let Some(m) = self.max_move {
            let mv = dt * norm2(v.as_slice());
            if mv > m {
                scale = dt * m / mv;
            }
        }
        for (xi, vi) in x.as_mut_slice().iter_mut().zip(v.as_slice()) {
            *xi = *xi + scale * *vi;
        }
        *f = obj.value_and_gradient(x, g);
        Ok(Progress::Moved { step: dt })
    }
}
