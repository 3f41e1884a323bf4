//! Invariant monitors: budgets on the drift of conserved quantities (energy,
//! angular momentum, mass, a norm) that veto steps, and an optional
//! projection back onto the invariant manifold.

use super::{AcceptedStep, AfterStep, Candidate, Monitor, Verdict};
use crate::checkpoint::Saved;
use crate::{Real, State};
use std::borrow::Cow;

type ValueFn<'a, T, S> = Box<dyn FnMut(T, &S) -> T + Send + 'a>;
type GradFn<'a, T, S> = Box<dyn FnMut(T, &S, &mut S) + Send + 'a>;

/// One conserved quantity `I(t, y)` and its drift budgets.
///
/// With `I0 = I(t0, y0)` and `scale = max(|I0|, floor)` (when `I0 = 0` and
/// no floor is given, `scale = 1`: the budgets are then absolute):
///
/// - **per-step budget** [`tol_step`](Invariant::tol_step): every accepted
///   step has `|I(y_new) - I(y)| <= tol_step * scale`;
/// - **total budget** [`tol_total`](Invariant::tol_total): every accepted
///   state has `|I(y_new) - I0| <= tol_total * scale`;
/// - **pacing** (on by default when a total budget is set): the total budget
///   is released along the span of the solve; at time `t` the allowed total
///   drift is `tol_total * scale * (0.05 + 0.85 |t - t0| / |t_end - t0|)`.
///   Without pacing the first steps may spend the whole budget and the rest
///   of the solve must then drift by nothing, which forces ever smaller
///   steps. The envelope ends at 90% of the budget, leaving room for
///   round-off.
/// - **round-off allowance** [`noise`](Invariant::noise) (default `64 eps`,
///   relative to `scale`) is added to every budget: evaluating `I` itself
///   has rounding errors (for the Kepler energy near perihelion, a few ulp of
///   `1/|q|`), and a budget below them would veto every step. It does not
///   accumulate: the total budget compares `|I - I0|` itself with the
///   envelope. A step whose own drift `|I(y_new) - I(y)|` is within the
///   allowance is never vetoed (a smaller step cannot do better), so a
///   budget tighter than round-off is exceeded by about the allowance per
///   step rather than stalling the solve. The allowance also adapts: when a
///   step retried with at most half the `h` of its first veto still drifts by
///   at least half as much, the drift is round-off, not truncation error; the step is
///   accepted and the allowance raised to that drift (see
///   [`InvariantReport::noise`]).
///
/// A step that breaks a budget is vetoed; see [`InvariantMonitor`].
pub struct Invariant<'a, T, S> {
    name: String,
    value: ValueFn<'a, T, S>,
    grad: Option<GradFn<'a, T, S>>,
    tol_step: Option<T>,
    tol_total: Option<T>,
    paced: bool,
    floor: T,
    noise: T,
    // Per-solve state and findings.
    learned_noise: T,
    last_veto: Option<(T, T, T)>,
    i0: T,
    scale: T,
    current: T,
    max_drift: T,
    vetoes: usize,
}

impl<'a, T: Real, S: State<T>> Invariant<'a, T, S> {
    /// A quantity named `name` (used in its [`InvariantReport`]) with value
    /// `I(t, y)`. Without budgets it is only watched (and projected, if the
    /// monitor projects).
    pub fn new(name: impl Into<String>, value: impl FnMut(T, &S) -> T + Send + 'a) -> Self {
        Invariant {
            name: name.into(),
            value: Box::new(value),
            grad: None,
            tol_step: None,
            tol_total: None,
            paced: true,
            floor: T::zero(),
            noise: T::lit(64.0) * T::epsilon(),
            learned_noise: T::zero(),
            last_veto: None,
            i0: T::nan(),
            scale: T::one(),
            current: T::nan(),
            max_drift: T::zero(),
            vetoes: 0,
        }
    }
    /// The gradient `dI/dy`, written into its third argument (used by the
    /// projection; without it central finite differences are used).
    pub fn gradient(mut self, grad: impl FnMut(T, &S, &mut S) + Send + 'a) -> Self {
        self.grad = Some(Box::new(grad));
        self
    }
    /// Per-step drift budget, relative to `scale`.
    pub fn tol_step(mut self, tol: T) -> Self {
        self.tol_step = Some(tol);
        self
    }
    /// Total drift budget, relative to `scale`.
    pub fn tol_total(mut self, tol: T) -> Self {
        self.tol_total = Some(tol);
        self
    }
    /// Spread the total budget over the span (default `true`).
    pub fn paced(mut self, on: bool) -> Self {
        self.paced = on;
        self
    }
    /// Round-off allowance added to every budget, relative to the scale
    /// (default `64 eps`).
    pub fn noise(mut self, noise: T) -> Self {
        self.noise = noise;
        self
    }
    /// Lower bound of the scale, in the units of `I` (default 0).
    pub fn floor(mut self, floor: T) -> Self {
        self.floor = floor;
        self
    }
    fn has_budget(&self) -> bool {
        self.tol_step.is_some() || self.tol_total.is_some()
    }
}

/// What an invariant did during the last solve.
#[derive(Debug, Clone, PartialEq)]
pub struct InvariantReport<T> {
    /// The invariant's name.
    pub name: String,
    /// `I(t0, y0)`.
    pub initial: T,
    /// `I` at the last accepted state (after projection, if any).
    pub last: T,
    /// The scale budgets and drifts are relative to.
    pub scale: T,
    /// `|I - I0| / scale` at the last accepted state.
    pub final_drift: T,
    /// Largest `|I - I0| / scale` over the accepted candidates (before
    /// projection).
    pub max_drift: T,
    /// Steps vetoed because of this invariant.
    pub vetoes: usize,
    /// The round-off allowance in force at the end (relative to `scale`):
    /// the configured one, or larger if round-off was detected.
    pub noise: T,
}

/// What the projection did during the last solve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectionReport<T> {
    /// Projected steps.
    pub count: usize,
    /// Largest Euclidean norm of a correction `|y_projected - y|`.
    pub max_correction: T,
    /// Norm of the last correction.
    pub last_correction: T,
    /// Newton iterations, all steps together.
    pub iterations: usize,
    /// Steps on which the projection was skipped (singular gradients, a
    /// non-finite value) or stopped without meeting its tolerance.
    pub failures: usize,
}

/// Watches one or several invariants, vetoes steps that break their drift
/// budgets and optionally projects every accepted state back onto
/// `{I_k = I_k(t0, y0)}`.
///
/// **Veto.** For a candidate step, every budget gives a ratio
/// `r = drift / allowed`; if the worst ratio exceeds 1 the step is vetoed
/// with the shrink factor `0.9 r^(-1/(p+1))`, clamped to `[0.1, 0.9]`: the
/// drift of one step scales like `h^(p+1)` for a method of order `p`. For the
/// total budget, `r` compares the step's own drift with the room left under
/// the envelope. After an accepted step the
/// same model caps the next step at `0.5 r^(-1/(p+1)) |h|` (at most 4 times
/// the last step; [`Monitor::max_step`]), so the monitor steers the step
/// size rather than only rejecting: on Kepler (e = 0.9, 100 periods, DP5,
/// rtol 1e-6, budget 1e-10) about 6% of the steps are vetoed.
///
/// A veto is recorded in [`Stats::vetoes`](crate::Stats::vetoes) as
/// `"invariant: step drift"`, `"invariant: total drift"` or
/// `"invariant: value not finite"`; the reasons are static strings, so a veto
/// allocates nothing. Which invariant vetoed how often is in
/// [`InvariantReport::vetoes`].
///
/// **Projection** ([`project`](InvariantMonitor::project)). After an
/// accepted step, `y` is moved to `y + G lambda`, `G = [grad I_1 ... grad
/// I_m]` at the accepted state, with `lambda` from simplified Newton
/// iterations on `I_k(y + G lambda) = I_k0` (Jacobian `G^T G`; Hairer,
/// Lubich & Wanner, *Geometric Numerical Integration*, Sect. IV.4). It stops
/// when every residual is below `4 eps scale_k`, when a residual stops
/// decreasing (round-off), or after 8 iterations. Gradients come from the
/// user ([`Invariant::gradient`]) or from central differences with step
/// `eps^(1/3) max(|y_i|, 1)`.
///
/// Pass the monitor as `&mut monitor` to read its
/// [`reports`](InvariantMonitor::reports) after the solve:
///
/// ```
/// use nalgebra::SVector;
/// use odestride::monitor::{Invariant, InvariantMonitor};
/// use odestride::{ExplicitRk, Integrator};
/// type V2 = SVector<f64, 2>;
/// let energy = |_t: f64, y: &V2| 0.5 * (y[0] * y[0] + y[1] * y[1]);
/// let mut mon = InvariantMonitor::new(Invariant::new("energy", energy)).project(true);
/// let sol = Integrator::new(ExplicitRk::dopri5())
///     .tol(1e-5)
///     .monitor(&mut mon)
///     .solve(|_t: f64, y: &V2, dy: &mut V2| { dy[0] = y[1]; dy[1] = -y[0]; }, 0.0, 100.0, V2::new(1.0, 0.0))
///     .unwrap();
/// let r = &mon.reports()[0];
/// assert!(r.final_drift < 1e-14, "{}", r.final_drift);
/// assert!(mon.projection().count == sol.stats.naccept);
/// ```
pub struct InvariantMonitor<'a, T, S> {
    invs: Vec<Invariant<'a, T, S>>,
    project: bool,
    span: T,
    t0: T,
    cap: Option<T>,
    pending_cap: Option<T>,
    proj: ProjectionReport<T>,
    // Workspace, allocated in `start`.
    grads: Vec<S>,
    work: Option<(S, S, S)>,
    mat: Vec<T>,
    vec: Vec<T>,
    lambda: Vec<T>,
}

impl<'a, T: Real, S: State<T>> InvariantMonitor<'a, T, S> {
    /// A monitor of one invariant (add more with [`with`](InvariantMonitor::with)).
    pub fn new(inv: Invariant<'a, T, S>) -> Self {
        InvariantMonitor {
            invs: vec![inv],
            project: false,
            span: T::zero(),
            t0: T::zero(),
            cap: None,
            pending_cap: None,
            proj: ProjectionReport {
                count: 0,
                max_correction: T::zero(),
                last_correction: T::zero(),
                iterations: 0,
                failures: 0,
            },
            grads: Vec::new(),
            work: None,
            mat: Vec::new(),
            vec: Vec::new(),
            lambda: Vec::new(),
        }
    }
    /// An energy monitor: `H(t, y)` with a total drift budget `tol_total`
    /// (paced over the span).
    pub fn energy(h: impl FnMut(T, &S) -> T + Send + 'a, tol_total: T) -> Self {
        Self::new(Invariant::new("energy", h).tol_total(tol_total))
    }
    /// Adds another invariant (projected jointly with the others; up to 8
    /// are projected with an exact Newton step, more with a diagonal one).
    pub fn with(mut self, inv: Invariant<'a, T, S>) -> Self {
        self.invs.push(inv);
        self
    }
    /// Project every accepted state back onto the invariants.
    pub fn project(mut self, on: bool) -> Self {
        self.project = on;
        self
    }
    /// One report per invariant, in the order added.
    pub fn reports(&self) -> Vec<InvariantReport<T>> {
        self.invs
            .iter()
            .map(|v| InvariantReport {
                name: v.name.clone(),
                initial: v.i0,
                last: v.current,
                scale: v.scale,
                final_drift: (v.current - v.i0).abs() / v.scale,
                max_drift: v.max_drift,
                vetoes: v.vetoes,
                noise: v.noise.max(v.learned_noise),
            })
            .collect()
    }
    /// The projection's statistics.
    pub fn projection(&self) -> &ProjectionReport<T> {
        &self.proj
    }

    fn gradient(inv: &mut Invariant<'a, T, S>, t: T, y: &S, out: &mut S, tmp: &mut S) {
        if let Some(g) = inv.grad.as_mut() {
            g(t, y, out);
            return;
        }
        let d = T::epsilon().cbrt();
        tmp.as_mut_slice().copy_from_slice(y.as_slice());
        for i in 0..y.dim() {
            let yi = y.as_slice()[i];
            let hi = d * yi.abs().max(T::one());
            tmp.as_mut_slice()[i] = yi + hi;
            let fp = (inv.value)(t, tmp);
            tmp.as_mut_slice()[i] = yi - hi;
            let fm = (inv.value)(t, tmp);
            tmp.as_mut_slice()[i] = yi;
            out.as_mut_slice()[i] = (fp - fm) / (T::lit(2.0) * hi);
        }
    }

    /// Projects `y` (at time `t`) onto the invariants; returns whether `y`
    /// changed.
    fn project_state(&mut self, t: T, y: &mut S) -> bool {
        let m = self.invs.len();
        let Some((y0, tmp, _)) = self.work.as_mut() else {
            return false;
        };
        y0.as_mut_slice().copy_from_slice(y.as_slice());
        for (inv, g) in self.invs.iter_mut().zip(self.grads.iter_mut()) {
            Self::gradient(inv, t, y0, g, tmp);
        }
        // J = G^T G (m x m, symmetric).
        for a in 0..m {
            for b in 0..m {
                let ga = self.grads[a].as_slice();
                let gb = self.grads[b].as_slice();
                self.mat[a * m + b] = ga.iter().zip(gb).fold(T::zero(), |s, (x, z)| s + *x * *z);
            }
        }
        if !gram_ok(&self.mat, m) {
            self.proj.failures += 1;
            return false;
        }
        self.lambda.iter_mut().for_each(|l| *l = T::zero());
        let residual = |invs: &mut [Invariant<'a, T, S>], y: &S, r: &mut [T]| -> T {
            let mut worst = T::zero();
            for (inv, ri) in invs.iter_mut().zip(r.iter_mut()) {
                *ri = (inv.value)(t, y) - inv.i0;
                let rel = ri.abs() / inv.scale;
                worst = if rel.is_nan() {
                    T::infinity()
                } else {
                    worst.max(rel)
                };
            }
            worst
        };
        let tol = T::lit(4.0) * T::epsilon();
        let mut worst = residual(&mut self.invs, y0, &mut self.vec);
        let mut best_worst = worst;
        let mut met = worst <= tol;
        y.as_mut_slice().copy_from_slice(y0.as_slice());
        let mut it = 0;
        while !met && it < 8 && worst.is_finite() {
            it += 1;
            // lambda -= J^{-1} r
            lu_solve(&self.mat, m, &mut self.vec);
            for (l, d) in self.lambda.iter_mut().zip(&self.vec) {
                *l = *l - *d;
            }
            tmp.as_mut_slice().copy_from_slice(y0.as_slice());
            for (l, g) in self.lambda.iter().zip(&self.grads) {
                for (o, gi) in tmp.as_mut_slice().iter_mut().zip(g.as_slice()) {
                    *o = *o + *l * *gi;
                }
            }
            worst = residual(&mut self.invs, tmp, &mut self.vec);
            if worst >= best_worst || worst.is_nan() {
                break; // round-off level reached: keep the best iterate
            }
            best_worst = worst;
            y.as_mut_slice().copy_from_slice(tmp.as_slice());
            met = worst <= tol;
        }
        self.proj.iterations += it;
        if !met && (best_worst > T::lit(64.0) * T::epsilon() || best_worst.is_nan()) {
            self.proj.failures += 1;
        }
        let corr = y
            .as_slice()
            .iter()
            .zip(y0.as_slice())
            .fold(T::zero(), |s, (a, b)| s + (*a - *b) * (*a - *b))
            .sqrt();
        self.proj.count += 1;
        self.proj.last_correction = corr;
        self.proj.max_correction = self.proj.max_correction.max(corr);
        corr > T::zero()
    }
}

/// Whether the Gram matrix `G^T G` (row-major, `m x m`) is usable: every
/// gradient non-zero and finite.
fn gram_ok<T: Real>(a: &[T], m: usize) -> bool {
    (0..m).all(|i| a[i * m + i] > T::zero() && a[i * m + i].is_finite())
}

/// Solves `a x = b` in place (`b` becomes `x`) by Gaussian elimination with
/// partial pivoting on a stack copy of the small Gram matrix (`m <= 8`; for
/// more invariants the diagonal of `a` is used, a Jacobi step).
fn lu_solve<T: Real>(a: &[T], m: usize, b: &mut [T]) {
    const MAXM: usize = 8;
    if m > MAXM {
        // Diagonal approximation (a Jacobi step): still converges for the
        // nearly orthogonal gradients of independent invariants.
        for i in 0..m {
            b[i] = b[i] / a[i * m + i];
        }
        return;
    }
    let mut w = [[T::zero(); MAXM + 1]; MAXM];
    for i in 0..m {
        for j in 0..m {
            w[i][j] = a[i * m + j];
        }
        w[i][m] = b[i];
    }
    for col in 0..m {
        let piv = (col..m)
            .max_by(|&p, &q| {
                w[p][col]
                    .abs()
                    .partial_cmp(&w[q][col].abs())
                    .unwrap_or(core::cmp::Ordering::Equal)
            })
            .unwrap_or(col);
        w.swap(col, piv);
        let d = w[col][col];
        if d == T::zero() {
            continue;
        }
        for r in col + 1..m {
            let f = w[r][col] / d;
            let pivot_row = w[col];
            for (x, pv) in w[r][col..=m].iter_mut().zip(&pivot_row[col..=m]) {
                *x = *x - f * *pv;
            }
        }
    }
    for i in (0..m).rev() {
        let mut s = w[i][m];
        for j in i + 1..m {
            s = s - w[i][j] * b[j];
        }
        b[i] = if w[i][i] == T::zero() {
            T::zero()
        } else {
            s / w[i][i]
        };
    }
}

impl<'a, T: Real, S: State<T>> Monitor<T, S> for InvariantMonitor<'a, T, S> {
    fn name(&self) -> &str {
        "invariant"
    }

    fn span(&mut self, t0: T, t_end: T) {
        self.span = (t_end - t0).abs();
        self.t0 = t0;
    }

    fn start(&mut self, t0: T, y0: &S) {
        for inv in self.invs.iter_mut() {
            inv.i0 = (inv.value)(t0, y0);
            inv.scale = inv.i0.abs().max(inv.floor);
            if !(inv.scale > T::zero() && inv.scale.is_finite()) {
                inv.scale = T::one();
            }
            inv.current = inv.i0;
            inv.max_drift = T::zero();
            inv.vetoes = 0;
            inv.learned_noise = T::zero();
            inv.last_veto = None;
        }
        self.cap = None;
        self.pending_cap = None;
        self.proj = ProjectionReport {
            count: 0,
            max_correction: T::zero(),
            last_correction: T::zero(),
            iterations: 0,
            failures: 0,
        };
        let m = self.invs.len();
        if self.project {
            self.grads = vec![y0.zeros_like(); m];
            self.work = Some((y0.clone(), y0.clone(), y0.clone()));
            self.mat = vec![T::zero(); m * m];
            self.vec = vec![T::zero(); m];
            self.lambda = vec![T::zero(); m];
        }
    }

    fn save_state(&self) -> Saved<T> {
        let mut reals = Vec::new();
        let mut counts = Vec::new();
        for inv in &self.invs {
            reals.extend([inv.learned_noise, inv.i0, inv.scale, inv.current, inv.max_drift]);
            counts.push(inv.vetoes as u64);
            counts.push(u64::from(inv.last_veto.is_some()));
            if let Some((a, b, c)) = inv.last_veto {
                reals.extend([a, b, c]);
            }
        }
        for v in [self.cap, self.pending_cap] {
            counts.push(u64::from(v.is_some()));
            reals.extend(v);
        }
        let p = &self.proj;
        reals.extend([p.max_correction, p.last_correction]);
        counts.extend([p.count, p.iterations, p.failures].map(|n| n as u64));
        Saved::new(reals, counts)
    }

    fn restore_state(&mut self, t: T, y: &S, saved: &Saved<T>) -> Result<(), String> {
        // The workspace as at the start, then the saved values.
        self.start(t, y);
        let mut r = saved.reader();
        for inv in self.invs.iter_mut() {
            inv.learned_noise = r.real()?;
            inv.i0 = r.real()?;
            inv.scale = r.real()?;
            inv.current = r.real()?;
            inv.max_drift = r.real()?;
            inv.vetoes = r.usize()?;
            inv.last_veto = match r.count()? {
                0 => None,
                _ => Some((r.real()?, r.real()?, r.real()?)),
            };
        }
        self.cap = if r.count()? == 0 { None } else { Some(r.real()?) };
        self.pending_cap = if r.count()? == 0 { None } else { Some(r.real()?) };
        self.proj.max_correction = r.real()?;
        self.proj.last_correction = r.real()?;
        self.proj.count = r.usize()?;
        self.proj.iterations = r.usize()?;
        self.proj.failures = r.usize()?;
        Ok(())
    }

    fn check(&mut self, c: &Candidate<'_, T, S>) -> Verdict<T> {
        let p1 = T::lit(c.order as f64 + 1.0);
        let mut worst: Option<(T, usize, &'static str)> = None;
        let mut cap: Option<T> = None;
        let habs = c.h.abs();
        let span = self.span;
        let frac = if span > T::zero() {
            ((c.t_new - self.t0).abs() / span).min(T::one())
        } else {
            T::one()
        };
        for (k, inv) in self.invs.iter_mut().enumerate() {
            if !inv.has_budget() {
                continue;
            }
            let hn = (inv.value)(c.t_new, c.y_new);
            if !hn.is_finite() {
                inv.vetoes += 1;
                return Verdict::Veto {
                    factor: T::lit(0.25),
                    reason: Cow::Borrowed("value not finite"),
                };
            }
            let hs = (inv.value)(c.t, c.y);
            let step = (hn - hs).abs();
            // A retry from the same point whose drift did not shrink with h:
            // round-off. Learn it as the allowance.
            if let Some((t_v, h_v, step_v)) = inv.last_veto {
                if t_v == c.t && habs <= T::lit(0.5) * h_v && step >= T::lit(0.5) * step_v {
                    inv.learned_noise = inv.learned_noise.max(step / inv.scale);
                }
            }
            let noise = inv.noise.max(inv.learned_noise) * inv.scale;
            let mut consider = |ratio: T, what: &'static str| {
                let ratio = if ratio.is_nan() { T::infinity() } else { ratio };
                let root = ratio.powf(T::one() / p1);
                // A drift at round-off level says nothing about h: no cap.
                let pred = if step <= noise {
                    habs * T::lit(4.0)
                } else {
                    habs * (T::lit(0.5) / root).min(T::lit(4.0))
                };
                cap = Some(cap.map_or(pred, |c0: T| c0.min(pred)));
                if ratio > T::one() && worst.is_none_or(|w| root > w.0) {
                    worst = Some((root, k, what));
                }
            };
            if let Some(ts) = inv.tol_step {
                consider(step / (ts * inv.scale + noise), "step drift");
            }
            if let Some(tt) = inv.tol_total {
                let env = if inv.paced && span > T::zero() {
                    tt * inv.scale * (T::lit(0.05) + T::lit(0.85) * frac)
                } else {
                    tt * inv.scale
                };
                let before = (hs - inv.i0).abs();
                // The room left for this step's own drift under the envelope.
                let room = (env + noise - before).max(noise);
                let total = (hn - inv.i0).abs();
                // Within the envelope: accepted (the ratio still shapes the cap).
                // A step whose own drift is at round-off level is never vetoed:
                // shrinking it cannot help.
                let r = if total <= env + noise || step <= noise {
                    (step / room).min(T::one())
                } else {
                    (step / room).max(T::lit(1.01))
                };
                consider(r, "total drift");
            }
        }
        self.pending_cap = cap;
        match worst {
            None => Verdict::Accept,
            Some((root, k, what)) => {
                self.invs[k].vetoes += 1;
                let inv = &mut self.invs[k];
                let step = ((inv.value)(c.t_new, c.y_new) - (inv.value)(c.t, c.y)).abs();
                // Remember the first veto at this point (retries shrink h).
                if inv.last_veto.is_none_or(|(t_v, _, _)| t_v != c.t) {
                    inv.last_veto = Some((c.t, habs, step));
                }
                let factor = (T::lit(0.9) / root).max(T::lit(0.1)).min(T::lit(0.9));
                Verdict::Veto {
                    factor,
                    reason: Cow::Borrowed(what),
                }
            }
        }
    }

    fn accepted(&mut self, step: &mut AcceptedStep<'_, T, S>) -> AfterStep<T> {
        self.cap = self.pending_cap.take();
        for inv in self.invs.iter_mut() {
            // Re-evaluated: an earlier monitor may have changed the state.
            let v = (inv.value)(step.t, step.y);
            let d = (v - inv.i0).abs() / inv.scale;
            inv.max_drift = inv.max_drift.max(d);
            inv.current = v;
        }
        if self.project && self.project_state(step.t, step.y) {
            for inv in self.invs.iter_mut() {
                inv.current = (inv.value)(step.t, step.y);
            }
            return AfterStep::Modified;
        }
        AfterStep::Continue
    }

    fn max_step(&self) -> Option<T> {
        self.cap
    }
}
