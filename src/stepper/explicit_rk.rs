//! The generic explicit Runge–Kutta engine driven by [`Tableau`] data.

use crate::state::{axpy, lincomb};
use crate::tableau::{ErrorEstimate, Tableau, TableauError};
use crate::{ErrorNorm, Real, State, Stepper, System};

/// Any explicit Runge–Kutta method given by a [`Tableau`]: embedded error
/// estimate, first-same-as-last reuse, lazily computed dense-output stages.
///
/// The coefficients are converted to `T` once, at construction; the stage
/// vectors are allocated once per solve in [`Stepper::init`], so a step never
/// touches the heap.
///
/// ```
/// use odestride::{ExplicitRk, Integrator};
/// let sol = Integrator::new(ExplicitRk::dopri5())
///     .rtol(1e-10)
///     .atol(1e-10)
///     .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = -*y, 0.0, 1.0, 1.0)
///     .unwrap();
/// assert!((sol.last_state() - (-1.0f64).exp()).abs() < 1e-9);
/// ```
#[derive(Debug, Clone)]
pub struct ExplicitRk<T, S> {
    tab: &'static Tableau,
    s: usize,
    c: Vec<T>,
    extra_c: Vec<T>,
    b_theta: Vec<Vec<T>>,
    /// The nonzero entries `(j, coefficient)` of each row of A (the strictly
    /// lower triangle, then the extra dense-output rows), of b, of the error weights (e5 for DOP853) and of
    /// DOP853's e3: the stage combinations skip the zeros.
    a_nz: Vec<Vec<(usize, T)>>,
    b_nz: Vec<(usize, T)>,
    e_nz: Vec<(usize, T)>,
    e3_nz: Vec<(usize, T)>,
    ws: Option<Work<T, S>>,
    last_t: T,
    last_h: T,
    extra_done: bool,
    stiff: Option<T>,
}

/// Per-solve workspace, allocated once in `init`.
#[derive(Debug, Clone)]
struct Work<T, S> {
    /// Stages: method stages, then dense-output extra stages.
    k: Vec<S>,
    ytmp: S,
    err: S,
    err3: S,
    /// A copy of the stage point of the first stiffness stage.
    ystiff: S,
    wbuf: Vec<T>,
}

impl<T: Real, S: State<T>> ExplicitRk<T, S> {
    /// Builds the engine for a tableau, after checking its shape.
    pub fn new(tab: &'static Tableau) -> Result<Self, TableauError> {
        tab.validate()?;
        let cv = |v: &[f64]| v.iter().map(|x| T::lit(*x)).collect::<Vec<T>>();
        let mut a: Vec<Vec<T>> = tab.a.iter().map(|r| cv(r)).collect();
        let (e, e3) = match tab.error {
            ErrorEstimate::None => (Vec::new(), Vec::new()),
            ErrorEstimate::Embedded(e) => (cv(e), Vec::new()),
            ErrorEstimate::Combined53 { e5, e3 } => (cv(e5), cv(e3)),
        };
        let (extra_c, b_theta) = match &tab.dense {
            Some(d) => {
                a.extend(d.extra_a.iter().map(|r| cv(r)));
                (cv(d.extra_c), d.b_theta.iter().map(|r| cv(r)).collect())
            }
            None => (Vec::new(), Vec::new()),
        };
        let nz = |v: &[T]| {
            v.iter()
                .enumerate()
                .filter(|(_, c)| **c != T::zero())
                .map(|(j, c)| (j, *c))
                .collect::<Vec<_>>()
        };
        let a_nz = a.iter().map(|r| nz(r)).collect();
        let (b_nz, e_nz, e3_nz) = (nz(&cv(tab.b)), nz(&e), nz(&e3));
        Ok(ExplicitRk {
            tab,
            a_nz,
            b_nz,
            e_nz,
            e3_nz,
            s: tab.stages(),
            c: cv(tab.c),
            extra_c,
            b_theta,
            ws: None,
            last_t: T::zero(),
            last_h: T::zero(),
            extra_done: false,
            stiff: None,
        })
    }

    /// The tableau this engine runs.
    pub fn tableau(&self) -> &'static Tableau {
        self.tab
    }

    /// Evaluates stage `i` (nonzero entries `a_i` of row i of A, at time
    /// `ti`) into `k[i]` from `y` and the earlier stages.
    #[inline(always)]
    fn stage<F: System<T, S>>(
        a_i: &[(usize, T)],
        w: &mut Work<T, S>,
        sys: &mut F,
        i: usize,
        ti: T,
        y: &S,
        h: T,
    ) {
        lincomb(w.ytmp.as_mut_slice(), Some(y.as_slice()), h, a_i, &w.k);
        sys.rhs(ti, &w.ytmp, &mut w.k[i]);
    }

    fn ensure_extra<F: System<T, S>>(&mut self, sys: &mut F, y: &S) {
        if self.extra_done {
            return;
        }
        let (t, h, s) = (self.last_t, self.last_h, self.s);
        if let Some(w) = self.ws.as_mut() {
            for (j, cj) in self.extra_c.iter().enumerate() {
                Self::stage(&self.a_nz[s + j], w, sys, s + j, t + *cj * h, y, h);
            }
        }
        self.extra_done = true;
    }

    /// Fills the weight buffer with `b_i(theta)` (or `b_i` at theta = 1 when
    /// the tableau has no continuous extension: then the caller falls back to
    /// Hermite interpolation).
    fn weights_at(b_theta: &[Vec<T>], wbuf: &mut [T], theta: T) {
        for (wi, row) in wbuf.iter_mut().zip(b_theta) {
            let mut acc = T::zero();
            for coef in row.iter().rev() {
                acc = acc * theta + *coef;
            }
            *wi = acc * theta;
        }
    }

    /// Cubic Hermite interpolation from (y, f0) and (y_new, f1), used when a
    /// tableau carries no continuous extension of its own.
    fn hermite<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, theta: T, out: &mut S) {
        let (t, h, s, fsal) = (self.last_t, self.last_h, self.s, self.tab.fsal);
        let Some(w) = self.ws.as_mut() else { return };
        // f1 = f(t + h, y_new): the FSAL stage, or computed into the err buffer.
        if !fsal {
            sys.rhs(t + h, y_new, &mut w.err3);
        }
        let f1 = if fsal { &w.k[s - 1] } else { &w.err3 };
        let f0 = &w.k[0];
        let th = theta;
        let one = T::one();
        let two = T::lit(2.0);
        let three = T::lit(3.0);
        let h00 = (one + two * th) * (one - th) * (one - th);
        let h01 = th * th * (three - two * th);
        let h10 = th * (one - th) * (one - th);
        let h11 = th * th * (th - one);
        for ((((o, a), b), d0), d1) in out
            .as_mut_slice()
            .iter_mut()
            .zip(y.as_slice())
            .zip(y_new.as_slice())
            .zip(f0.as_slice())
            .zip(f1.as_slice())
        {
            *o = h00 * *a + h01 * *b + h * (h10 * *d0 + h11 * *d1);
        }
    }
}

impl<T: Real, S: State<T>> Stepper<T, S> for ExplicitRk<T, S> {
    fn name(&self) -> &str {
        self.tab.name
    }
    fn order(&self) -> u32 {
        self.tab.order
    }
    fn error_order(&self) -> u32 {
        self.tab.error_order
    }
    fn has_error_estimate(&self) -> bool {
        !matches!(self.tab.error, ErrorEstimate::None)
    }
    fn dense_order(&self) -> u32 {
        self.tab.dense.map(|d| d.order).unwrap_or(3)
    }
    fn stability_boundary(&self) -> Option<T> {
        Some(T::lit(self.tab.stability_boundary))
    }
    fn default_pi_beta(&self) -> T {
        T::lit(self.tab.pi_beta)
    }

    fn init<F: System<T, S>>(&mut self, sys: &mut F, t0: T, y0: &S) {
        let nk = self.s + self.extra_c.len();
        let reuse = matches!(&self.ws, Some(w) if w.ytmp.dim() == y0.dim());
        if !reuse {
            let z = y0.zeros_like();
            self.ws = Some(Work {
                k: vec![z.clone(); nk],
                ytmp: z.clone(),
                err: z.clone(),
                err3: z.clone(),
                ystiff: z,
                wbuf: vec![T::zero(); nk],
            });
        }
        if let Some(w) = self.ws.as_mut() {
            sys.rhs(t0, y0, &mut w.k[0]);
        }
        self.extra_done = false;
        self.stiff = None;
    }

    fn derivative(&self) -> &S {
        match &self.ws {
            Some(w) => &w.k[0],
            None => panic_uninit(),
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
        let s = self.s;
        let fsal = self.tab.fsal;
        let stiff_pair = self.tab.stiffness_stages;
        let Some(w) = self.ws.as_mut() else {
            return T::nan();
        };
        self.last_t = t;
        self.last_h = h;
        self.extra_done = false;
        let last_stage = if fsal { s - 1 } else { s };
        for i in 1..last_stage {
            Self::stage(&self.a_nz[i], w, sys, i, t + self.c[i] * h, y, h);
            if let Some((i0, _)) = stiff_pair {
                if i == i0 {
                    w.ystiff.as_mut_slice().copy_from_slice(w.ytmp.as_slice());
                }
            }
        }
        // y_new = y + h sum b_i k_i
        lincomb(y_new.as_mut_slice(), Some(y.as_slice()), h, &self.b_nz, &w.k);
        if fsal {
            sys.rhs(t + h, y_new, &mut w.k[s - 1]);
        }
        // Stiffness estimate |h lambda| ~ |h| ||k_j - k_i|| / ||Y_j - Y_i||
        // (Hairer's test in DOPRI5), where stage j is the FSAL stage at y_new.
        self.stiff = match stiff_pair {
            Some((i0, j0)) if fsal && j0 == s - 1 => {
                let mut num = T::zero();
                let mut den = T::zero();
                for n in 0..y.dim() {
                    let dk = w.k[j0].as_slice()[n] - w.k[i0].as_slice()[n];
                    let dy = y_new.as_slice()[n] - w.ystiff.as_slice()[n];
                    num = num + dk * dk;
                    den = den + dy * dy;
                }
                if den > T::zero() {
                    Some(h.abs() * (num / den).sqrt())
                } else {
                    None
                }
            }
            _ => None,
        };
        match self.tab.error {
            ErrorEstimate::None => T::zero(),
            ErrorEstimate::Embedded(_) => {
                lincomb(w.err.as_mut_slice(), None, h, &self.e_nz, &w.k);
                norm.rms(y.as_slice(), y_new.as_slice(), w.err.as_slice())
            }
            ErrorEstimate::Combined53 { .. } => {
                lincomb(w.err.as_mut_slice(), None, T::one(), &self.e_nz, &w.k);
                lincomb(w.err3.as_mut_slice(), None, T::one(), &self.e3_nz, &w.k);
                let (s5, s3) = norm.sum_sq_pair(
                    y.as_slice(),
                    y_new.as_slice(),
                    w.err.as_slice(),
                    w.err3.as_slice(),
                );
                let mut deno = s5 + T::lit(0.01) * s3;
                if deno <= T::zero() {
                    deno = T::one();
                }
                let n = T::lit(y.dim().max(1) as f64);
                h.abs() * s5 / (n * deno).sqrt()
            }
        }
    }

    fn interpolate<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, theta: T, out: &mut S) {
        if self.tab.dense.is_none() {
            self.hermite(sys, y, y_new, theta, out);
            return;
        }
        self.ensure_extra(sys, y);
        let h = self.last_h;
        let Some(w) = self.ws.as_mut() else { return };
        Self::weights_at(&self.b_theta, &mut w.wbuf, theta);
        let o = out.as_mut_slice();
        o.copy_from_slice(y.as_slice());
        for (bi, ki) in w.wbuf.iter().zip(&w.k) {
            if *bi != T::zero() {
                axpy(o, h * *bi, ki.as_slice());
            }
        }
    }

    fn dense_coefficients<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, out: &mut Vec<S>) {
        out.clear();
        out.push(y.clone());
        if self.tab.dense.is_none() {
            // Hermite cubic in powers of theta:
            // y + th h f0 + th^2 (3 dy - h(2 f0 + f1)) + th^3 (h(f0 + f1) - 2 dy)
            let (t, h, s, fsal) = (self.last_t, self.last_h, self.s, self.tab.fsal);
            let Some(w) = self.ws.as_mut() else { return };
            if !fsal {
                sys.rhs(t + h, y_new, &mut w.err3);
            }
            let f1 = if fsal { &w.k[s - 1] } else { &w.err3 };
            let f0 = &w.k[0];
            let mut c1 = y.zeros_like();
            let mut c2 = y.zeros_like();
            let mut c3 = y.zeros_like();
            let two = T::lit(2.0);
            let three = T::lit(3.0);
            for n in 0..y.dim() {
                let dy = y_new.as_slice()[n] - y.as_slice()[n];
                let d0 = h * f0.as_slice()[n];
                let d1 = h * f1.as_slice()[n];
                c1.as_mut_slice()[n] = d0;
                c2.as_mut_slice()[n] = three * dy - two * d0 - d1;
                c3.as_mut_slice()[n] = d0 + d1 - two * dy;
            }
            out.push(c1);
            out.push(c2);
            out.push(c3);
            return;
        }
        self.ensure_extra(sys, y);
        let h = self.last_h;
        let Some(w) = self.ws.as_ref() else { return };
        let degree = self.b_theta.iter().map(|r| r.len()).max().unwrap_or(0);
        for m in 0..degree {
            let mut cm = y.zeros_like();
            let o = cm.as_mut_slice();
            for (row, ki) in self.b_theta.iter().zip(&w.k) {
                if let Some(coef) = row.get(m) {
                    if *coef != T::zero() {
                        axpy(o, h * *coef, ki.as_slice());
                    }
                }
            }
            out.push(cm);
        }
    }

    fn accept<F: System<T, S>>(&mut self, sys: &mut F, t_new: T, y_new: &S, y_changed: bool) {
        let s = self.s;
        let fsal = self.tab.fsal;
        let Some(w) = self.ws.as_mut() else { return };
        if fsal && !y_changed {
            w.k.swap(0, s - 1);
        } else {
            sys.rhs(t_new, y_new, &mut w.k[0]);
        }
    }

    fn stiffness_estimate(&self) -> Option<T> {
        self.stiff
    }
}

#[cold]
fn panic_uninit() -> ! {
    // Reaching this is a bug in a driver: `derivative` before `init`.
    unreachable!("Stepper::derivative called before Stepper::init")
}

impl<T: Real, S: State<T>> ExplicitRk<T, S> {
    /// Dormand–Prince 5(4) with its 4th-order dense output (Hairer's DOPRI5).
    pub fn dopri5() -> Self {
        Self::builtin(&crate::tableau::DORMAND_PRINCE_54)
    }
    /// Bogacki–Shampine 3(2) with its cubic Hermite dense output.
    pub fn bs3() -> Self {
        Self::builtin(&crate::tableau::BOGACKI_SHAMPINE_32)
    }
    /// Dormand–Prince 8(5,3) as in Hairer's DOP853 (use with `PiController::new(0.0)`, the
    /// default this tableau selects).
    pub fn dop853() -> Self {
        Self::builtin(&crate::tableau::DORMAND_PRINCE_853)
    }
    /// Tsitouras 5(4) with its free interpolant.
    pub fn tsit5() -> Self {
        Self::builtin(&crate::tableau::TSITOURAS_54)
    }
    /// Verner's "most efficient" 6(5) pair.
    pub fn vern6() -> Self {
        Self::builtin(&crate::tableau::VERNER_65)
    }
    /// Verner's "most efficient" 7(6) pair.
    pub fn vern7() -> Self {
        Self::builtin(&crate::tableau::VERNER_76)
    }
    /// Verner's "most efficient" 9(8) pair.
    pub fn vern9() -> Self {
        Self::builtin(&crate::tableau::VERNER_98)
    }
    /// Runge–Kutta–Fehlberg 4(5).
    pub fn rkf45() -> Self {
        Self::builtin(&crate::tableau::FEHLBERG_45)
    }
    /// Cash–Karp 5(4).
    pub fn cash_karp() -> Self {
        Self::builtin(&crate::tableau::CASH_KARP_54)
    }
    /// Explicit Euler (fixed step only; see [`Options::fixed_step`](crate::Options::fixed_step)).
    pub fn euler() -> Self {
        Self::builtin(&crate::tableau::EULER)
    }
    /// The classic fourth-order Runge–Kutta method (fixed step only).
    pub fn rk4() -> Self {
        Self::builtin(&crate::tableau::RK4)
    }
    /// Built-in tableaus are validated by the test suite.
    pub(crate) fn builtin(tab: &'static Tableau) -> Self {
        match Self::new(tab) {
            Ok(m) => m,
            Err(e) => unreachable!("built-in tableau failed validation: {e}"),
        }
    }
}
