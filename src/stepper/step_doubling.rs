//! Step doubling (Richardson extrapolation) over any one-step Runge–Kutta method.
//!
//! From `(t, y)` the stepper takes one step of size `h` (`y_one`) and two steps of size `h/2`
//! (`y_two`) with the same method of order `p`. Both local errors behave like `C h^(p+1)`
//! (`y_two`'s like `2 C (h/2)^(p+1)`), so
//!
//! ```text
//! est = (y_two - y_one) / (2^p - 1)
//! ```
//!
//! estimates the local error of `y_two` (Hairer–Nørsett–Wanner, *Solving ODEs I*, Sect. II.4,
//! "Richardson extrapolation"). The step returns `y_two`, or with local extrapolation
//! `y_two + est`, which is of order `p + 1`.
//!
//! **Controller exponent.** In both modes the estimate is `est ~ h^(p+1)`, so
//! [`Stepper::error_order`] is `p` and the controllers use `k = p + 1`. With extrapolation the
//! estimate measures the error of the *unextrapolated* `y_two`, which is larger than the error
//! of the returned value (`O(h^(p+2))`): the control is conservative, exactly as with the
//! local extrapolation of Dormand–Prince 5(4) (order 5, controlled by its order-4 estimate).
//! Using `k = p + 2` would pair an `h^(p+1)` quantity with the wrong exponent and make the
//! controller overshoot.
//!
//! **Cost.** The full step and the first half step start from the same point, so they share
//! the first stage `f(t, y)` (already known from the previous step). A method with `s`
//! stages (FSAL tableaus: the last stage is not needed) therefore costs `3 s - 2`
//! evaluations per attempt plus one, `f(t + h, y_new)`, per accepted step (the next step's
//! first stage, also used by the dense output). Every call is counted by the driver.
//!
//! **Dense output.** The quintic Hermite interpolant through `y, y_half, y_new` and the
//! derivatives `f(t, y)`, `f(t + h/2, y_half)` (the first stage of the second half step) and
//! `f(t + h, y_new)`: no evaluation beyond those the step needs. Its order is `min(p, 5)`.

use crate::checkpoint::Saved;
use crate::state::axpy;
use crate::tableau::{Tableau, TableauError};
use crate::{ErrorNorm, Real, State, Stepper, System};

/// Step doubling (Richardson) over the main weights of any [`Tableau`].
///
/// ```
/// use odestride::stepper::StepDoubling;
/// use odestride::Integrator;
/// // Classic RK4, error-controlled by step doubling, on y' = -y.
/// let sol = Integrator::new(StepDoubling::rk4())
///     .tol(1e-9)
///     .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = -*y, 0.0, 2.0, 1.0)
///     .unwrap();
/// assert!((sol.last_state() - (-2.0f64).exp()).abs() < 1e-8);
/// ```
#[derive(Debug, Clone)]
pub struct StepDoubling<T, S> {
    tab: &'static Tableau,
    name: String,
    extrapolate: bool,
    /// Stages actually used (the FSAL stage of an FSAL tableau is skipped).
    used: usize,
    c: Vec<T>,
    a: Vec<Vec<T>>,
    b: Vec<T>,
    ws: Option<Work<S>>,
    last_t: T,
    last_h: T,
    f1_valid: bool,
}

#[derive(Debug, Clone)]
struct Work<S> {
    k: Vec<S>,
    f0: S,
    fm: S,
    f1: S,
    y_one: S,
    y_half: S,
    ytmp: S,
    est: S,
}

impl<T: Real, S: State<T>> StepDoubling<T, S> {
    /// Step doubling over `tab`'s main weights; `extrapolate` selects local extrapolation
    /// (return `y_two + est`, order `p + 1`).
    pub fn new(tab: &'static Tableau, extrapolate: bool) -> Result<Self, TableauError> {
        tab.validate()?;
        let cv = |v: &[f64]| v.iter().map(|x| T::lit(*x)).collect::<Vec<T>>();
        let used = if tab.fsal { tab.stages() - 1 } else { tab.stages() };
        let name = if extrapolate {
            format!("{} (step doubling, extrapolated)", tab.name)
        } else {
            format!("{} (step doubling)", tab.name)
        };
        Ok(StepDoubling {
            tab,
            name,
            extrapolate,
            used,
            c: cv(&tab.c[..used]),
            a: tab.a[..used].iter().map(|r| cv(r)).collect(),
            b: cv(&tab.b[..used]),
            ws: None,
            last_t: T::zero(),
            last_h: T::zero(),
            f1_valid: false,
        })
    }

    fn builtin(tab: &'static Tableau, extrapolate: bool) -> Self {
        match Self::new(tab, extrapolate) {
            Ok(m) => m,
            Err(e) => unreachable!("built-in tableau failed validation: {e}"),
        }
    }
    /// Explicit Euler with step doubling (p = 1).
    pub fn euler() -> Self {
        Self::builtin(&crate::tableau::EULER, false)
    }
    /// Heun's method with step doubling (p = 2).
    pub fn heun() -> Self {
        Self::builtin(&crate::tableau::HEUN, false)
    }
    /// The explicit midpoint rule with step doubling (p = 2).
    pub fn midpoint() -> Self {
        Self::builtin(&crate::tableau::MIDPOINT, false)
    }
    /// Classic RK4 with step doubling (p = 4).
    pub fn rk4() -> Self {
        Self::builtin(&crate::tableau::RK4, false)
    }
    /// Switches local extrapolation on or off.
    pub fn with_extrapolation(self, extrapolate: bool) -> Self {
        Self::builtin(self.tab, extrapolate)
    }
    /// Whether the step returns the extrapolated value.
    pub fn extrapolates(&self) -> bool {
        self.extrapolate
    }
    /// The underlying tableau.
    pub fn tableau(&self) -> &'static Tableau {
        self.tab
    }

    /// One step of the base method from `(t, y0)` with size `h`; `k[0]` must hold `f(t, y0)`.
    #[allow(clippy::too_many_arguments)]
    fn one_step<F: System<T, S>>(
        &self,
        sys: &mut F,
        k: &mut [S],
        ytmp: &mut S,
        t: T,
        y0: &S,
        h: T,
        out: &mut S,
    ) {
        for i in 1..self.used {
            let o = ytmp.as_mut_slice();
            o.copy_from_slice(y0.as_slice());
            for (aij, kj) in self.a[i].iter().zip(k.iter()) {
                if *aij != T::zero() {
                    axpy(o, h * *aij, kj.as_slice());
                }
            }
            sys.rhs(t + self.c[i] * h, ytmp, &mut k[i]);
        }
        let o = out.as_mut_slice();
        o.copy_from_slice(y0.as_slice());
        for (bi, ki) in self.b.iter().zip(k.iter()) {
            if *bi != T::zero() {
                axpy(o, h * *bi, ki.as_slice());
            }
        }
    }

    fn ensure_f1<F: System<T, S>>(&mut self, sys: &mut F, y_new: &S) {
        if self.f1_valid {
            return;
        }
        let t1 = self.last_t + self.last_h;
        if let Some(w) = self.ws.as_mut() {
            sys.rhs(t1, y_new, &mut w.f1);
            self.f1_valid = true;
        }
    }
}

impl<T: Real, S: State<T>> Stepper<T, S> for StepDoubling<T, S> {
    fn name(&self) -> &str {
        &self.name
    }
    fn order(&self) -> u32 {
        self.tab.order + u32::from(self.extrapolate)
    }
    #[allow(clippy::misnamed_getters)]
    fn error_order(&self) -> u32 {
        // est ~ h^(p+1) in both modes (see the module docs): the base method's order p,
        // not its tableau's `error_order` (which describes its own embedded estimate).
        self.tab.order
    }
    fn has_error_estimate(&self) -> bool {
        true
    }
    fn dense_order(&self) -> u32 {
        self.tab.order.min(5)
    }
    fn stability_boundary(&self) -> Option<T> {
        // Two half steps: R(z/2)^2, stable for |z| up to twice the base boundary. The
        // extrapolated combination has a different stability function (not stored).
        if self.extrapolate {
            None
        } else {
            Some(T::lit(2.0 * self.tab.stability_boundary))
        }
    }

    fn init<F: System<T, S>>(&mut self, sys: &mut F, t0: T, y0: &S) {
        self.workspace(y0);
        if let Some(w) = self.ws.as_mut() {
            sys.rhs(t0, y0, &mut w.f0);
        }
    }

    fn restore_state<F: System<T, S>>(
        &mut self,
        _sys: &mut F,
        _t: T,
        y: &S,
        saved: &Saved<T>,
    ) -> Result<(), String> {
        self.workspace(y);
        match self.ws.as_mut() {
            Some(w) => super::restore_vector(&mut w.f0, &saved.reals, "the stored derivative"),
            None => Err("no workspace".into()),
        }
    }

    fn derivative(&self) -> &S {
        match &self.ws {
            Some(w) => &w.f0,
            None => unreachable!("Stepper::derivative called before Stepper::init"),
        }
    }

    fn attempt<F: System<T, S>>(
        &mut self,
        sys: &mut F,
        t: T,
        y: &S,
        h: T,
        y_new: &mut S,
        norm: &ErrorNorm<T>,
    ) -> T {
        if self.ws.is_none() {
            self.init(sys, t, y);
        }
        let Some(mut w) = self.ws.take() else {
            return T::nan();
        };
        self.last_t = t;
        self.last_h = h;
        self.f1_valid = false;
        let half = h * T::lit(0.5);
        {
            let Work {
                k,
                f0,
                fm,
                y_one,
                y_half,
                ytmp,
                est,
                ..
            } = &mut w;
            // One step of h and the first half step share f(t, y).
            k[0].as_mut_slice().copy_from_slice(f0.as_slice());
            self.one_step(sys, k, ytmp, t, y, h, y_one);
            k[0].as_mut_slice().copy_from_slice(f0.as_slice());
            self.one_step(sys, k, ytmp, t, y, half, y_half);
            // Second half step from the midpoint.
            sys.rhs(t + half, y_half, fm);
            k[0].as_mut_slice().copy_from_slice(fm.as_slice());
            self.one_step(sys, k, ytmp, t + half, y_half, half, y_new);
            let p = self.tab.order as i32;
            let inv = T::one() / (T::lit(2.0).powi(p) - T::one());
            for ((e, two), one) in est
                .as_mut_slice()
                .iter_mut()
                .zip(y_new.as_slice())
                .zip(y_one.as_slice())
            {
                *e = (*two - *one) * inv;
            }
            if self.extrapolate {
                axpy(y_new.as_mut_slice(), T::one(), est.as_slice());
            }
        }
        let err = norm.rms(y.as_slice(), y_new.as_slice(), w.est.as_slice());
        self.ws = Some(w);
        err
    }

    fn interpolate<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, theta: T, out: &mut S) {
        self.ensure_f1(sys, y_new);
        let h = self.last_h;
        let Some(w) = self.ws.as_ref() else { return };
        let c = quintic_weights(theta);
        for (i, o) in out.as_mut_slice().iter_mut().enumerate() {
            let (y0, ym, y1) = (y.as_slice()[i], w.y_half.as_slice()[i], y_new.as_slice()[i]);
            let (d0, dm, d1) = (
                h * w.f0.as_slice()[i],
                h * w.fm.as_slice()[i],
                h * w.f1.as_slice()[i],
            );
            *o = c[0] * y0 + c[1] * ym + c[2] * y1 + c[3] * d0 + c[4] * dm + c[5] * d1;
        }
    }

    fn dense_coefficients<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, out: &mut Vec<S>) {
        self.ensure_f1(sys, y_new);
        out.clear();
        let h = self.last_h;
        let Some(w) = self.ws.as_ref() else { return };
        // Quintic Hermite with nodes 0, 1/2, 1, in powers of theta (d = h f):
        // c0 = y0, c1 = d0,
        // c2 = -23 y0 + 16 ym + 7 y1 - 6 d0 - 8 dm - d1,
        // c3 = 66 y0 - 32 ym - 34 y1 + 13 d0 + 32 dm + 5 d1,
        // c4 = -68 y0 + 16 ym + 52 y1 - 12 d0 - 40 dm - 8 d1,
        // c5 = 24 y0 - 24 y1 + 4 d0 + 16 dm + 4 d1.
        const M: [[f64; 6]; 6] = [
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            [-23.0, 16.0, 7.0, -6.0, -8.0, -1.0],
            [66.0, -32.0, -34.0, 13.0, 32.0, 5.0],
            [-68.0, 16.0, 52.0, -12.0, -40.0, -8.0],
            [24.0, 0.0, -24.0, 4.0, 16.0, 4.0],
        ];
        for row in M {
            let mut cm = y.zeros_like();
            for (i, o) in cm.as_mut_slice().iter_mut().enumerate() {
                let v = [
                    y.as_slice()[i],
                    w.y_half.as_slice()[i],
                    y_new.as_slice()[i],
                    h * w.f0.as_slice()[i],
                    h * w.fm.as_slice()[i],
                    h * w.f1.as_slice()[i],
                ];
                *o = row
                    .iter()
                    .zip(v)
                    .fold(T::zero(), |acc, (m, x)| acc + T::lit(*m) * x);
            }
            out.push(cm);
        }
    }

    fn accept<F: System<T, S>>(&mut self, sys: &mut F, t_new: T, y_new: &S, y_changed: bool) {
        let reuse = self.f1_valid && !y_changed;
        self.f1_valid = false;
        let Some(w) = self.ws.as_mut() else { return };
        if reuse {
            core::mem::swap(&mut w.f0, &mut w.f1);
        } else {
            sys.rhs(t_new, y_new, &mut w.f0);
        }
    }
}

/// Quintic Hermite basis at `theta` for (y0, y_half, y1, h f0, h f_half, h f1).
fn quintic_weights<T: Real>(th: T) -> [T; 6] {
    let m: [[f64; 6]; 6] = [
        [1.0, 0.0, -23.0, 66.0, -68.0, 24.0],
        [0.0, 0.0, 16.0, -32.0, 16.0, 0.0],
        [0.0, 0.0, 7.0, -34.0, 52.0, -24.0],
        [0.0, 1.0, -6.0, 13.0, -12.0, 4.0],
        [0.0, 0.0, -8.0, 32.0, -40.0, 16.0],
        [0.0, 0.0, -1.0, 5.0, -8.0, 4.0],
    ];
    m.map(|row| row.iter().rev().fold(T::zero(), |acc, c| acc * th + T::lit(*c)))
}

impl<T: Real, S: State<T>> StepDoubling<T, S> {
    /// Allocates the workspace for states like `y0` (kept when the dimension
    /// is unchanged).
    fn workspace(&mut self, y0: &S) {
        let reuse = matches!(&self.ws, Some(w) if w.f0.dim() == y0.dim());
        if !reuse {
            let z = y0.zeros_like();
            self.ws = Some(Work {
                k: vec![z.clone(); self.used.max(1)],
                f0: z.clone(),
                fm: z.clone(),
                f1: z.clone(),
                y_one: z.clone(),
                y_half: z.clone(),
                ytmp: z.clone(),
                est: z,
            });
        }
        self.f1_valid = false;
    }
}
