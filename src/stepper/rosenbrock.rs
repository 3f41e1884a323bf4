//! The generic Rosenbrock (linearly implicit) engine driven by
//! [`RosenbrockTableau`] data.
//!
//! Per step: the Jacobian `J` and (for a non-autonomous system) `df/dt` at
//! the current point, once (rejected attempts from the same point reuse
//! them); one LU of `E = I/(h gamma) - J` per attempt; per stage one
//! evaluation of `f` (fewer when stages share a point) and one solve. No
//! Newton iteration, so no convergence failures: a step either passes the
//! error test or is retried smaller. See `docs/stiff.md`.

use crate::checkpoint::Saved;
use crate::jacobian;
use crate::linalg::{Lu, SquareMatrix};
use crate::state::lincomb;
use crate::stepper::{AttemptIssue, LinearCounts};
use crate::tableau::{RosenbrockDense, RosenbrockTableau};
use crate::{ErrorNorm, Real, State, Stepper, System};

/// A Rosenbrock method given by a [`RosenbrockTableau`]: Rodas5P, Rodas4,
/// Rosenbrock23 (or your own tableau).
///
/// The Jacobian comes from the system ([`System::jacobian`], e.g. through
/// [`with_jacobian`](crate::system::with_jacobian)) or, when it has none,
/// from forward differences ([`crate::jacobian`]). The matrix type follows the
/// state, so with `SVector`/array states a step allocates nothing.
///
/// ```
/// use odestride::{Integrator, Rosenbrock};
/// // Prothero–Robinson, y' = -1e6 (y - cos t) - sin t, exact y = cos t
/// let f = |t: f64, y: &f64, dy: &mut f64| *dy = -1e6 * (*y - t.cos()) - t.sin();
/// let sol = Integrator::new(Rosenbrock::rodas5p()).tol(1e-8).solve(f, 0.0, 10.0, 1.0).unwrap();
/// assert!((sol.last_state() - 10f64.cos()).abs() < 1e-8);
/// assert!(sol.stats.naccept < 100); // an explicit method needs ~ 2e6 steps
/// ```
#[derive(Debug, Clone)]
pub struct Rosenbrock<T: Real, S: State<T>> {
    tab: &'static RosenbrockTableau,
    s: usize,
    gamma: T,
    alpha: Vec<T>,
    gamma_i: Vec<T>,
    /// Nonzero entries `(j, coefficient)` of the rows of `a` and `C`, of `m`,
    /// `e` and of the dense-output rows.
    a_nz: Vec<Vec<(usize, T)>>,
    c_nz: Vec<Vec<(usize, T)>>,
    m_nz: Vec<(usize, T)>,
    e_nz: Vec<(usize, T)>,
    h_nz: Vec<Vec<(usize, T)>>,
    /// Stage `i` is evaluated at the same point as stage `i - 1`.
    same_point: Vec<bool>,
    /// Stage `i` is evaluated at the current point (`f` is `f0`).
    at_start: Vec<bool>,
    /// The last stage is evaluated at `(t + h, y_new)`: its `f` is the next
    /// step's first stage.
    fsal: bool,
    ws: Option<Work<T, S>>,
    /// `J` (and `df/dt`) belong to the current point.
    jac_fresh: bool,
    /// `df/dt` is identically zero at the current point.
    ft_zero: bool,
    dense_ready: bool,
    last_h: T,
    counts: LinearCounts,
    issue: Option<AttemptIssue>,
}

/// Per-solve workspace, allocated once in `init`.
#[derive(Debug, Clone)]
struct Work<T: Real, S: State<T>> {
    /// `f` at the current point.
    f0: S,
    /// `f` at the latest stage point.
    fst: S,
    ytmp: S,
    ft: S,
    err: S,
    /// Scratch for differences.
    fd: S,
    u: Vec<S>,
    /// Dense-output vectors of the last attempt.
    k: Vec<S>,
    jac: S::Matrix,
    lu: Lu<T, S::Matrix>,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
}

impl<T: Real, S: State<T>> Rosenbrock<T, S> {
    /// Builds the engine for a tableau.
    pub fn new(tab: &'static RosenbrockTableau) -> Self {
        let s = tab.stages();
        let nz = |v: &[f64]| {
            v.iter()
                .enumerate()
                .filter(|(_, c)| **c != 0.0)
                .map(|(j, c)| (j, T::lit(*c)))
                .collect::<Vec<_>>()
        };
        let h_rows: Vec<Vec<f64>> = match tab.dense {
            RosenbrockDense::Rodas(h) => h.iter().map(|r| r.to_vec()).collect(),
            RosenbrockDense::Poly(p) => poly_to_rodas(p, tab.m),
        };
        let same_point: Vec<bool> = (0..s)
            .map(|i| {
                i > 0
                    && close(tab.alpha[i], tab.alpha[i - 1])
                    && tab.a[i].len() == i
                    && (0..i).all(|j| close(tab.a[i][j], tab.a[i - 1].get(j).copied().unwrap_or(0.0)))
            })
            .collect();
        let mut at_start = vec![true; s];
        for i in 1..s {
            at_start[i] = same_point[i] && at_start[i - 1];
        }
        let last = s - 1;
        let fsal = tab.m[last] == 0.0
            && close(tab.alpha[last], 1.0)
            && (0..last).all(|j| close(tab.a[last][j], tab.m[j]));
        Rosenbrock {
            tab,
            s,
            gamma: T::lit(tab.gamma),
            alpha: tab.alpha.iter().map(|v| T::lit(*v)).collect(),
            gamma_i: tab.gamma_i.iter().map(|v| T::lit(*v)).collect(),
            a_nz: tab.a.iter().map(|r| nz(r)).collect(),
            c_nz: tab.c.iter().map(|r| nz(r)).collect(),
            m_nz: nz(tab.m),
            e_nz: nz(tab.e),
            h_nz: h_rows.iter().map(|r| nz(r)).collect(),
            same_point,
            at_start,
            fsal,
            ws: None,
            jac_fresh: false,
            ft_zero: false,
            dense_ready: false,
            last_h: T::zero(),
            counts: LinearCounts::default(),
            issue: None,
        }
    }

    /// Rodas5P (Steinebach 2023): order 5(4), stiffly accurate, L-stable,
    /// order-4 dense output; the default choice for stiff problems at
    /// moderate to tight tolerances.
    pub fn rodas5p() -> Self {
        Self::new(&crate::tableau::RODAS5P)
    }

    /// Rodas4 (Hairer–Wanner): order 4(3), stiffly accurate, L-stable,
    /// order-3 dense output.
    pub fn rodas4() -> Self {
        Self::new(&crate::tableau::RODAS4)
    }

    /// Rosenbrock23 (Shampine–Reichelt, MATLAB's ode23s): order 2(3),
    /// L-stable, order-2 dense output; for loose tolerances.
    pub fn rosenbrock23() -> Self {
        Self::new(&crate::tableau::ROSENBROCK23)
    }

    /// The tableau this engine runs.
    pub fn tableau(&self) -> &'static RosenbrockTableau {
        self.tab
    }

    /// `J` and `df/dt` at `(t, y)`; `false` (with the issue set) when `J` is
    /// not finite.
    fn jacobian_at<F: System<T, S>>(&mut self, sys: &mut F, t: T, y: &S, h: T, norm: &ErrorNorm<T>) -> bool {
        let Some(w) = self.ws.as_mut() else {
            return false;
        };
        self.counts.njev += 1;
        let analytic = sys.jacobian(t, y, &mut w.jac);
        if !analytic {
            self.counts.nfev_jac += jacobian::forward_difference(
                sys,
                t,
                y,
                &w.f0,
                norm.atol().values(),
                &mut w.jac,
                (&mut w.ytmp, &mut w.fd),
            );
        }
        let n = y.dim();
        let got = w.jac.col_major().len();
        let (rows, cols) = w.jac.shape();
        if got != n * n || rows != n || cols != n {
            self.issue = Some(AttemptIssue::JacobianShape {
                expected: n * n,
                got,
                rows,
                cols,
            });
            // Restore the storage for a later solve with this stepper.
            w.jac = y.matrix_like();
            return false;
        }
        if let Some(idx) = w.jac.col_major().iter().position(|v| !v.is_finite()) {
            self.issue = Some(AttemptIssue::NonFiniteJacobian {
                row: idx % n,
                col: idx / n,
                analytic,
            });
            return false;
        }
        let (nf, zero) = jacobian::time_derivative(sys, t, h, y, &w.f0, &mut w.ft);
        self.counts.nfev_jac += nf;
        self.ft_zero = zero;
        self.jac_fresh = true;
        true
    }

    /// The dense-output vectors `k_l = sum_j h_lj u_j` of the last attempt.
    fn ensure_dense(&mut self) {
        if self.dense_ready {
            return;
        }
        if let Some(w) = self.ws.as_mut() {
            for (k, row) in w.k.iter_mut().zip(&self.h_nz) {
                lincomb(k.as_mut_slice(), None, T::one(), row, &w.u);
            }
        }
        self.dense_ready = true;
    }
}

impl<T: Real, S: State<T>> Rosenbrock<T, S> {
    /// The per-solve workspace (the only allocation), without evaluating `f`.
    fn allocate(&mut self, y0: &S) {
        let z = y0.zeros_like();
        let jac = y0.matrix_like();
        self.ws = Some(Work {
            f0: z.clone(),
            fst: z.clone(),
            ytmp: z.clone(),
            ft: z.clone(),
            err: z.clone(),
            fd: z.clone(),
            u: vec![z.clone(); self.s],
            k: vec![z; self.h_nz.len()],
            lu: Lu::new(jac.clone()),
            jac,
        });
        self.jac_fresh = false;
        self.dense_ready = false;
        self.counts = LinearCounts::default();
        self.issue = None;
    }

    /// Prepares the workspace for a solve from `y0` with `f(t0, y0) = f0`
    /// already known (the composite [`AutoSwitch`](crate::stepper::AutoSwitch)
    /// starts both of its methods without a second evaluation).
    pub(crate) fn init_with_derivative(&mut self, y0: &S, f0: &S) {
        self.allocate(y0);
        self.set_derivative(f0);
    }

    /// Takes over at a new current point whose `f` is `f0` (a switch from
    /// another method): the Jacobian is evaluated afresh on the next attempt.
    pub(crate) fn set_derivative(&mut self, f0: &S) {
        if let Some(w) = self.ws.as_mut() {
            w.f0.as_mut_slice().copy_from_slice(f0.as_slice());
        }
        self.jac_fresh = false;
        self.dense_ready = false;
        self.issue = None;
    }

    /// The Jacobian of the last attempt (at the start of the last step), if
    /// one has been evaluated in this solve.
    pub(crate) fn last_jacobian(&self) -> Option<&S::Matrix> {
        self.ws.as_ref().filter(|_| self.counts.njev > 0).map(|w| &w.jac)
    }
}

/// Rewrites polynomial dense weights `P_j(theta) = sum_m p[m][j] theta^(m+1)`
/// (with `P_j(1) = m_j`) in the Rodas form: the rows `q_l` of
/// `P_j(theta) - theta m_j = theta (1 - theta) sum_l q_l[j] theta^l`.
fn poly_to_rodas(p: &[&[f64]], m: &[f64]) -> Vec<Vec<f64>> {
    let s = m.len();
    let deg = p.len(); // r(theta) = (P_j(theta) - theta m_j)/theta has degree deg - 1
    let mut q = vec![vec![0.0; s]; deg.saturating_sub(1)];
    for j in 0..s {
        let mut acc = 0.0;
        for (l, row) in q.iter_mut().enumerate() {
            let r = p[l][j] - if l == 0 { m[j] } else { 0.0 };
            acc += r;
            row[j] = acc;
        }
    }
    q
}

impl<T: Real, S: State<T>> Stepper<T, S> for Rosenbrock<T, S> {
    fn name(&self) -> &str {
        self.tab.name
    }
    fn order(&self) -> u32 {
        self.tab.order
    }
    fn error_order(&self) -> u32 {
        self.tab.order.min(self.tab.embedded_order)
    }
    fn has_error_estimate(&self) -> bool {
        true
    }
    fn dense_order(&self) -> u32 {
        self.tab.dense_order
    }
    fn default_limits(&self) -> crate::controller::Limits<T> {
        // Hairer's RODAS: the step ratio stays in [0.2, 6] (FAC1 = 5, FAC2 = 1/6 in rodas.f).
        crate::controller::Limits {
            max_factor: T::lit(6.0),
            ..crate::controller::Limits::default()
        }
    }
    fn is_implicit(&self) -> bool {
        true
    }
    fn default_predictive(&self) -> bool {
        true
    }

    fn init<F: System<T, S>>(&mut self, sys: &mut F, t0: T, y0: &S) {
        self.allocate(y0);
        if let Some(w) = self.ws.as_mut() {
            sys.rhs(t0, y0, &mut w.f0);
        }
    }

    fn derivative(&self) -> &S {
        match &self.ws {
            Some(w) => &w.f0,
            None => panic!("Rosenbrock::derivative called before init"),
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
        self.issue = None;
        self.dense_ready = false;
        self.last_h = h;
        if self.ws.is_none() {
            return T::nan();
        }
        if !self.jac_fresh && !self.jacobian_at(sys, t, y, h, norm) {
            return T::nan();
        }
        let Some(w) = self.ws.as_mut() else {
            return T::nan();
        };
        // E = I/(h gamma) - J, factorised once for every stage.
        w.lu.set_shifted_negative(T::one() / (h * self.gamma), &w.jac);
        self.counts.nlu += 1;
        if w.lu.factor().is_err() {
            self.issue = Some(AttemptIssue::SingularMatrix);
            return T::infinity();
        }
        let inv_h = T::one() / h;
        let last = self.s - 1;
        for i in 0..self.s {
            // f at the stage point (the first stage is the current point).
            if !self.at_start[i] && !self.same_point[i] {
                let ti = t + self.alpha[i] * h;
                if self.fsal && i == last {
                    lincomb(
                        y_new.as_mut_slice(),
                        Some(y.as_slice()),
                        T::one(),
                        &self.m_nz,
                        &w.u,
                    );
                    sys.rhs(ti, y_new, &mut w.fst);
                } else {
                    lincomb(
                        w.ytmp.as_mut_slice(),
                        Some(y.as_slice()),
                        T::one(),
                        &self.a_nz[i],
                        &w.u,
                    );
                    sys.rhs(ti, &w.ytmp, &mut w.fst);
                }
            }
            let fi = if self.at_start[i] { &w.f0 } else { &w.fst };
            // Right-hand side f_i + sum_j (c_ij / h) u_j + gamma_i h f_t, then solve.
            let (done, rest) = w.u.split_at_mut(i);
            let ui = &mut rest[0];
            lincomb(ui.as_mut_slice(), Some(fi.as_slice()), inv_h, &self.c_nz[i], done);
            if !self.ft_zero && self.gamma_i[i] != T::zero() {
                let g = self.gamma_i[i] * h;
                for (v, d) in ui.as_mut_slice().iter_mut().zip(w.ft.as_slice()) {
                    *v = *v + g * *d;
                }
            }
            w.lu.solve(ui.as_mut_slice());
            self.counts.nsolve += 1;
        }
        if !self.fsal {
            lincomb(
                y_new.as_mut_slice(),
                Some(y.as_slice()),
                T::one(),
                &self.m_nz,
                &w.u,
            );
        }
        lincomb(w.err.as_mut_slice(), None, T::one(), &self.e_nz, &w.u);
        norm.rms(y.as_slice(), y_new.as_slice(), w.err.as_slice())
    }

    fn interpolate<F: System<T, S>>(&mut self, _sys: &mut F, y: &S, y_new: &S, theta: T, out: &mut S) {
        self.ensure_dense();
        let Some(w) = self.ws.as_ref() else {
            return;
        };
        // (1 - theta) y + theta (y_new + (1 - theta) sum_l theta^l k_l), by Horner.
        let one_m = T::one() - theta;
        let nk = w.k.len();
        for (i, o) in out.as_mut_slice().iter_mut().enumerate() {
            let mut acc = T::zero();
            for l in (0..nk).rev() {
                acc = acc * theta + w.k[l].as_slice()[i];
            }
            *o = one_m * y.as_slice()[i] + theta * (y_new.as_slice()[i] + one_m * acc);
        }
    }

    fn dense_coefficients<F: System<T, S>>(&mut self, _sys: &mut F, y: &S, y_new: &S, out: &mut Vec<S>) {
        self.ensure_dense();
        out.clear();
        let Some(w) = self.ws.as_ref() else {
            return;
        };
        // c_0 = y, c_1 = y_new - y + k_0, c_m = k_(m-1) - k_(m-2), c_(L+1) = -k_(L-1).
        let nk = w.k.len();
        out.push(y.clone());
        let mut c1 = y_new.clone();
        for ((c, a), k0) in c1.as_mut_slice().iter_mut().zip(y.as_slice()).zip(
            w.k.first()
                .map(|k| k.as_slice())
                .unwrap_or(&[])
                .iter()
                .chain(core::iter::repeat(&T::zero())),
        ) {
            *c = *c - *a + *k0;
        }
        out.push(c1);
        for m in 2..=nk + 1 {
            let mut c = y.zeros_like();
            for (i, v) in c.as_mut_slice().iter_mut().enumerate() {
                let hi = if m - 1 < nk {
                    w.k[m - 1].as_slice()[i]
                } else {
                    T::zero()
                };
                *v = hi - w.k[m - 2].as_slice()[i];
            }
            out.push(c);
        }
    }

    fn accept<F: System<T, S>>(&mut self, sys: &mut F, t_new: T, y_new: &S, y_changed: bool) {
        self.jac_fresh = false;
        if let Some(w) = self.ws.as_mut() {
            if self.fsal && !y_changed {
                core::mem::swap(&mut w.f0, &mut w.fst);
            } else {
                sys.rhs(t_new, y_new, &mut w.f0);
            }
        }
    }

    fn linear_counts(&self) -> LinearCounts {
        self.counts
    }

    fn restart<F: System<T, S>>(&mut self, sys: &mut F, t: T, y: &S) {
        if self.ws.is_none() {
            return self.init(sys, t, y);
        }
        if let Some(w) = self.ws.as_mut() {
            sys.rhs(t, y, &mut w.f0);
        }
        self.jac_fresh = false;
        self.dense_ready = false;
        self.issue = None;
    }

    fn save_state(&self) -> Saved<T> {
        let c = &self.counts;
        Saved::new(
            self.derivative().as_slice().to_vec(),
            [c.njev, c.nfev_jac, c.nlu, c.nsolve].map(|n| n as u64).to_vec(),
        )
    }

    fn restore_state<F: System<T, S>>(
        &mut self,
        _sys: &mut F,
        _t: T,
        y: &S,
        saved: &Saved<T>,
    ) -> Result<(), String> {
        self.allocate(y);
        let mut r = saved.reader();
        self.counts = LinearCounts {
            njev: r.usize()?,
            nfev_jac: r.usize()?,
            nlu: r.usize()?,
            nsolve: r.usize()?,
        };
        match self.ws.as_mut() {
            Some(w) => super::restore_vector(&mut w.f0, &saved.reals, "the stored derivative"),
            None => Err("no workspace".into()),
        }
    }

    fn attempt_issue(&self) -> Option<AttemptIssue> {
        self.issue
    }
}
