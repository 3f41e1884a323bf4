//! The bridge between optimisation and ODEs: objectives, the gradient flow
//! `x' = -grad f(x)`, and the stability limits that link the two.
//!
//! Gradient descent `x <- x - lr * grad f(x)` *is* explicit Euler with step
//! `h = lr` on the gradient flow: wrap an [`Objective`] in a
//! [`GradientFlow`] and hand it to any stepper, controller and monitor of
//! the crate. Fixed-step [`ExplicitRk::euler`](crate::ExplicitRk::euler)
//! reproduces gradient descent bit for bit:
//!
//! ```
//! use nalgebra::SVector;
//! use odestride::gradient_flow::{objective, GradientFlow};
//! use odestride::{ExplicitRk, Integrator, Options, SaveMode};
//!
//! type V = SVector<f64, 2>;
//! // f(x) = (x0^2 + 10 x1^2) / 2
//! let f = objective(
//!     |x: &V| 0.5 * (x[0] * x[0] + 10.0 * x[1] * x[1]),
//!     |x: &V, g: &mut V| {
//!         g[0] = x[0];
//!         g[1] = 10.0 * x[1];
//!     },
//! );
//! let lr = 0.05;
//! let x0 = V::new(1.0, 1.0);
//! let mut flow = GradientFlow::new(f);
//! let sol = Integrator::new(ExplicitRk::euler())
//!     .options(Options::default().fixed_step(lr).save(SaveMode::FinalOnly))
//!     .solve(&mut flow, 0.0, 20.0 * lr, x0)
//!     .unwrap();
//! // the same 20 steps of gradient descent by hand
//! let mut x = x0;
//! for _ in 0..20 {
//!     let g = V::new(x[0], 10.0 * x[1]);
//!     x -= lr * g;
//! }
//! assert_eq!(*sol.last_state(), x);
//! // 20 steps + the derivative at the end point
//! assert_eq!(flow.gradient_evals(), 21);
//! ```
//!
//! The stability side: [`lambda_max`] estimates the largest Hessian
//! eigenvalue from Hessian-vector products (Lanczos or power iteration) and
//! [`gd_stability_limit`] turns it into the largest stable learning rate
//! `2 / lambda_max`. See `docs/gradient-flow.md`.

use crate::{Real, State, System};
use nalgebra::{DMatrix, SymmetricEigen};

/// A differentiable objective `f: R^n -> R`.
///
/// Only [`value`](Objective::value) and [`gradient`](Objective::gradient)
/// are required; the Hessian-vector product defaults to a central
/// difference of gradients ([`fd_hessian_vec`]). Closures are turned into
/// objectives with [`objective`].
pub trait Objective<T: Real, S: State<T>> {
    /// `f(x)`.
    fn value(&mut self, x: &S) -> T;
    /// Writes `grad f(x)` into `g` (which holds garbage on entry).
    fn gradient(&mut self, x: &S, g: &mut S);
    /// Writes `grad f(x)` into `g` and returns `f(x)`. Override when the
    /// two share work.
    fn value_and_gradient(&mut self, x: &S, g: &mut S) -> T {
        self.gradient(x, g);
        self.value(x)
    }
    /// Writes the Hessian-vector product `H(x) v` into `hv`.
    ///
    /// The default is the central difference of gradients of
    /// [`fd_hessian_vec`] (two gradient evaluations, two temporary states);
    /// override it with an exact product when you have one.
    fn hessian_vec(&mut self, x: &S, v: &S, hv: &mut S) {
        fd_hessian_vec(self, x, v, hv)
    }
}

impl<T: Real, S: State<T>, O: Objective<T, S> + ?Sized> Objective<T, S> for &mut O {
    fn value(&mut self, x: &S) -> T {
        (**self).value(x)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        (**self).gradient(x, g)
    }
    fn value_and_gradient(&mut self, x: &S, g: &mut S) -> T {
        (**self).value_and_gradient(x, g)
    }
    fn hessian_vec(&mut self, x: &S, v: &S, hv: &mut S) {
        (**self).hessian_vec(x, v, hv)
    }
}

/// `H(x) v` by a central difference of gradients along the unit direction
/// `u = v / ||v||`:
///
/// `H v ~ ||v|| (grad f(x + e u) - grad f(x - e u)) / (2 e)`,
/// with `e = eps^(1/3) max(1, ||x||_2)` (`eps` the machine epsilon).
///
/// The step balances the truncation error `O(e^2 |f'''|)` against the
/// rounding error `O(eps |grad f| / e)` of a central difference; it is exact
/// up to rounding for quadratics. `v = 0` gives `hv = 0` without evaluating
/// the gradient. Allocates two temporary states.
pub fn fd_hessian_vec<T: Real, S: State<T>, O: Objective<T, S> + ?Sized>(
    obj: &mut O,
    x: &S,
    v: &S,
    hv: &mut S,
) {
    let vn = norm2(v.as_slice());
    if vn == T::zero() || !vn.is_finite() {
        hv.as_mut_slice()
            .iter_mut()
            .for_each(|o| *o = if vn == T::zero() { T::zero() } else { T::nan() });
        return;
    }
    let e = T::epsilon().cbrt() * norm2(x.as_slice()).max(T::one());
    let step = e / vn;
    let mut xp = x.clone();
    let mut gm = x.zeros_like();
    for (o, (xi, vi)) in xp
        .as_mut_slice()
        .iter_mut()
        .zip(x.as_slice().iter().zip(v.as_slice()))
    {
        *o = *xi + step * *vi;
    }
    obj.gradient(&xp, hv);
    for (o, (xi, vi)) in xp
        .as_mut_slice()
        .iter_mut()
        .zip(x.as_slice().iter().zip(v.as_slice()))
    {
        *o = *xi - step * *vi;
    }
    obj.gradient(&xp, &mut gm);
    let scale = vn / (e + e);
    for (o, m) in hv.as_mut_slice().iter_mut().zip(gm.as_slice()) {
        *o = (*o - *m) * scale;
    }
}

/// An [`Objective`] built from closures: see [`objective`].
#[derive(Clone)]
pub struct FnObjective<F, G, H = ()> {
    f: F,
    g: G,
    hvp: H,
}

impl<F, G, H> core::fmt::Debug for FnObjective<F, G, H> {
    fn fmt(&self, fm: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        fm.write_str("FnObjective")
    }
}

/// Builds an [`Objective`] from a value closure `f(&x) -> T` and a gradient
/// closure `g(&x, &mut grad)`. Add an exact Hessian-vector product with
/// [`FnObjective::with_hessian_vec`].
///
/// ```
/// use odestride::gradient_flow::{objective, Objective};
/// let mut f = objective(|x: &[f64; 2]| x[0] * x[0] + 3.0 * x[1] * x[1], |x: &[f64; 2], g: &mut [f64; 2]| {
///     g[0] = 2.0 * x[0];
///     g[1] = 6.0 * x[1];
/// });
/// let mut g = [0.0; 2];
/// assert_eq!(f.value_and_gradient(&[1.0, 1.0], &mut g), 4.0);
/// assert_eq!(g, [2.0, 6.0]);
/// let mut hv = [0.0; 2];
/// f.hessian_vec(&[1.0, 1.0], &[0.0, 1.0], &mut hv); // finite differences
/// assert!((hv[1] - 6.0).abs() < 1e-8 && hv[0].abs() < 1e-8);
/// ```
pub fn objective<T, S, F, G>(f: F, g: G) -> FnObjective<F, G>
where
    T: Real,
    S: State<T>,
    F: FnMut(&S) -> T,
    G: FnMut(&S, &mut S),
{
    FnObjective { f, g, hvp: () }
}

impl<F, G> FnObjective<F, G> {
    /// Adds an exact Hessian-vector product `h(&x, &v, &mut hv)`.
    pub fn with_hessian_vec<H>(self, h: H) -> FnObjective<F, G, H> {
        FnObjective {
            f: self.f,
            g: self.g,
            hvp: h,
        }
    }
}

impl<T, S, F, G> Objective<T, S> for FnObjective<F, G>
where
    T: Real,
    S: State<T>,
    F: FnMut(&S) -> T,
    G: FnMut(&S, &mut S),
{
    fn value(&mut self, x: &S) -> T {
        (self.f)(x)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        (self.g)(x, g)
    }
}

impl<T, S, F, G, H> Objective<T, S> for FnObjective<F, G, H>
where
    T: Real,
    S: State<T>,
    F: FnMut(&S) -> T,
    G: FnMut(&S, &mut S),
    H: FnMut(&S, &S, &mut S),
{
    fn value(&mut self, x: &S) -> T {
        (self.f)(x)
    }
    fn gradient(&mut self, x: &S, g: &mut S) {
        (self.g)(x, g)
    }
    fn hessian_vec(&mut self, x: &S, v: &S, hv: &mut S) {
        (self.hvp)(x, v, hv)
    }
}

/// The gradient flow `x'(t) = -grad f(x(t))` of an objective, as a
/// [`System`] for the integrators; counts gradient evaluations.
///
/// Pass `&mut flow` to [`Integrator::solve`](crate::Integrator::solve) to
/// keep the objective and the count after the solve (the flow itself works
/// too). Along the flow `f` decreases: `df/dt = -||grad f||^2`.
#[derive(Debug, Clone)]
pub struct GradientFlow<O> {
    obj: O,
    ngrad: usize,
}

impl<O> GradientFlow<O> {
    /// The gradient flow of `obj`, with the counter at zero.
    pub fn new(obj: O) -> Self {
        GradientFlow { obj, ngrad: 0 }
    }
    /// Gradient evaluations since construction (or the last reset).
    pub fn gradient_evals(&self) -> usize {
        self.ngrad
    }
    /// Sets the counter back to zero.
    pub fn reset_count(&mut self) {
        self.ngrad = 0;
    }
    /// The objective.
    pub fn objective(&mut self) -> &mut O {
        &mut self.obj
    }
    /// Gives the objective back.
    pub fn into_inner(self) -> O {
        self.obj
    }
}

impl<T: Real, S: State<T>, O: Objective<T, S>> System<T, S> for GradientFlow<O> {
    #[inline]
    fn rhs(&mut self, _t: T, y: &S, dy: &mut S) {
        self.ngrad += 1;
        self.obj.gradient(y, dy);
        dy.as_mut_slice().iter_mut().for_each(|v| *v = -*v);
    }
}

impl<T: Real, S: State<T>, O: Objective<T, S>> System<T, S> for &mut GradientFlow<O> {
    #[inline]
    fn rhs(&mut self, t: T, y: &S, dy: &mut S) {
        (**self).rhs(t, y, dy)
    }
}

fn norm2<T: Real>(v: &[T]) -> T {
    // Scaled to avoid overflow/underflow for extreme components.
    let m = v.iter().fold(T::zero(), |a, b| a.max(b.abs()));
    if m == T::zero() || !m.is_finite() {
        return m;
    }
    v.iter().fold(T::zero(), |a, b| a + (*b / m) * (*b / m)).sqrt() * m
}

fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    a.iter().zip(b).fold(T::zero(), |s, (x, y)| s + *x * *y)
}

/// How [`lambda_max`] iterates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EigenMethod {
    /// Lanczos with full reorthogonalisation (the default): converges in far
    /// fewer Hessian-vector products than power iteration and finds the
    /// algebraically largest eigenvalue even when a negative one is larger
    /// in magnitude.
    Lanczos,
    /// Power iteration (shifted once if the dominant eigenvalue is negative).
    /// Converges at the rate `|lambda_2 / lambda_1|` per product.
    Power,
}

/// Options of [`lambda_max`].
#[derive(Debug, Clone, PartialEq)]
pub struct EigenOptions<T> {
    /// Iteration method. Default Lanczos.
    pub method: EigenMethod,
    /// Converged when the residual `||H u - lambda u||` is at most
    /// `rtol * |lambda|`. Default 1e-10.
    pub rtol: T,
    /// Maximum number of Hessian-vector products. Default 500.
    pub max_iter: usize,
    /// Starting vector; default a fixed pseudo-random vector (so a start
    /// orthogonal to the top eigenvector is practically impossible).
    pub start: Option<Vec<T>>,
}

impl<T: Real> Default for EigenOptions<T> {
    fn default() -> Self {
        EigenOptions {
            method: EigenMethod::Lanczos,
            rtol: T::lit(1e-10),
            max_iter: 500,
            start: None,
        }
    }
}

/// A converged estimate of the largest Hessian eigenvalue.
#[derive(Debug, Clone, PartialEq)]
pub struct EigenEstimate<T> {
    /// The estimate of the algebraically largest eigenvalue.
    pub lambda: T,
    /// The residual `||H u - lambda u||` of its unit eigenvector estimate
    /// `u` (an eigenvalue of `H` lies within this distance of `lambda`).
    pub residual: T,
    /// Hessian-vector products used.
    pub hvps: usize,
}

impl<T: Real> EigenEstimate<T> {
    /// The gradient-descent stability limit `2 / lambda` (infinite when
    /// `lambda <= 0`: no positive curvature limits the step).
    pub fn gd_limit(&self) -> T {
        if self.lambda > T::zero() {
            T::lit(2.0) / self.lambda
        } else {
            T::infinity()
        }
    }
}

/// Why [`lambda_max`] gave no estimate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StabilityError {
    /// The iteration did not reach the requested residual.
    #[error("lambda_max did not converge in {hvps} Hessian-vector products: best estimate {estimate} with residual {residual:e} (asked for {target:e}); raise max_iter or loosen rtol")]
    NotConverged {
        /// Best estimate so far.
        estimate: f64,
        /// Its residual `||H u - lambda u||`.
        residual: f64,
        /// The residual that was asked for.
        target: f64,
        /// Products used.
        hvps: usize,
    },
    /// A Hessian-vector product returned NaN or infinity.
    #[error("the Hessian-vector product returned a non-finite value after {hvps} products: check the objective near this point")]
    NonFinite {
        /// Products used.
        hvps: usize,
    },
    /// The point is empty, non-finite, or the options are unusable.
    #[error("invalid input to lambda_max: {0}")]
    InvalidInput(String),
}

/// Estimates the algebraically largest eigenvalue of the Hessian of `obj`
/// at `x` from Hessian-vector products.
///
/// Returns an error (carrying the best estimate) when the residual does not
/// reach `rtol * |lambda|` within `max_iter` products. Allocates its Krylov
/// basis (Lanczos) or two work vectors (power): meant for analysis, not for
/// the inner loop.
///
/// ```
/// use odestride::gradient_flow::{lambda_max, objective, EigenOptions};
/// // f = (x^2 + 100 y^2) / 2: Hessian diag(1, 100)
/// let mut f = objective(|x: &[f64; 2]| 0.5 * (x[0] * x[0] + 100.0 * x[1] * x[1]), |x: &[f64; 2], g: &mut [f64; 2]| {
///     g[0] = x[0];
///     g[1] = 100.0 * x[1];
/// });
/// let est = lambda_max(&mut f, &[1.0, 1.0], &EigenOptions::default()).unwrap();
/// assert!((est.lambda - 100.0).abs() < 1e-6);
/// assert!((est.gd_limit() - 0.02).abs() < 1e-9);
/// ```
pub fn lambda_max<T: Real, S: State<T>, O: Objective<T, S> + ?Sized>(
    obj: &mut O,
    x: &S,
    opts: &EigenOptions<T>,
) -> Result<EigenEstimate<T>, StabilityError> {
    let n = x.dim();
    if n == 0 {
        return Err(StabilityError::InvalidInput("the point has no components".into()));
    }
    if !x.is_finite() {
        return Err(StabilityError::InvalidInput(
            "the point has a NaN or infinite component".into(),
        ));
    }
    if !(opts.rtol.is_finite() && opts.rtol > T::zero()) {
        return Err(StabilityError::InvalidInput(format!(
            "rtol = {} must be finite and > 0",
            opts.rtol
        )));
    }
    if opts.max_iter == 0 {
        return Err(StabilityError::InvalidInput("max_iter must be at least 1".into()));
    }
    let mut u = x.zeros_like();
    match &opts.start {
        Some(s) => {
            if s.len() != n {
                return Err(StabilityError::InvalidInput(format!(
                    "start vector has {} components, the point has {n}",
                    s.len()
                )));
            }
            u.as_mut_slice().copy_from_slice(s);
        }
        None => {
            // A fixed, irrational-rotation sequence in [0.5, 1.5) with
            // alternating signs: deterministic, and generic.
            let phi = 0.618_033_988_749_894_9_f64;
            for (i, o) in u.as_mut_slice().iter_mut().enumerate() {
                let r = ((i as f64 + 1.0) * phi).fract() + 0.5;
                *o = T::lit(if i % 2 == 0 { r } else { -r });
            }
        }
    }
    let un = norm2(u.as_slice());
    if !(un > T::zero() && un.is_finite()) {
        return Err(StabilityError::InvalidInput(
            "the start vector must be finite and nonzero".into(),
        ));
    }
    u.as_mut_slice().iter_mut().for_each(|v| *v = *v / un);
    match opts.method {
        EigenMethod::Lanczos => lanczos(obj, x, u, opts),
        EigenMethod::Power => power(obj, x, u, opts),
    }
}

fn power<T: Real, S: State<T>, O: Objective<T, S> + ?Sized>(
    obj: &mut O,
    x: &S,
    mut u: S,
    opts: &EigenOptions<T>,
) -> Result<EigenEstimate<T>, StabilityError> {
    let mut hu = x.zeros_like();
    let mut hvps = 0;
    let mut shift = T::zero();
    let mut shifted = false;
    let mut best = (T::nan(), T::infinity());
    while hvps < opts.max_iter {
        obj.hessian_vec(x, &u, &mut hu);
        hvps += 1;
        if !hu.is_finite() {
            return Err(StabilityError::NonFinite { hvps });
        }
        // Rayleigh quotient and residual of H (unshifted).
        let lambda = dot(u.as_slice(), hu.as_slice());
        let mut r2 = T::zero();
        for (h, v) in hu.as_slice().iter().zip(u.as_slice()) {
            let d = *h - lambda * *v;
            r2 = r2 + d * d;
        }
        let res = r2.sqrt();
        if res <= opts.rtol * lambda.abs() || res == T::zero() {
            if lambda < T::zero() && !shifted && hvps < opts.max_iter {
                // The dominant eigenvalue is negative: iterate on H - lambda I,
                // whose dominant eigenvalue is lambda_max - lambda > 0.
                shift = lambda;
                shifted = true;
                best = (T::nan(), T::infinity());
                // Restart away from the negative eigenvector.
                let phi = 0.754_877_666_246_692_7_f64;
                for (i, o) in u.as_mut_slice().iter_mut().enumerate() {
                    *o = T::lit(((i as f64 + 1.0) * phi).fract() + 0.5);
                }
                let un = norm2(u.as_slice());
                u.as_mut_slice().iter_mut().for_each(|v| *v = *v / un);
                continue;
            }
            return Ok(EigenEstimate {
                lambda,
                residual: res,
                hvps,
            });
        }
        if res < best.1 {
            best = (lambda, res);
        }
        // u <- (H - shift I) u / ||.||
        for (h, v) in hu.as_mut_slice().iter_mut().zip(u.as_slice()) {
            *h = *h - shift * *v;
        }
        let hn = norm2(hu.as_slice());
        if hn == T::zero() {
            // u is in the null space of H - shift: lambda = shift.
            return Ok(EigenEstimate {
                lambda: shift,
                residual: T::zero(),
                hvps,
            });
        }
        for (v, h) in u.as_mut_slice().iter_mut().zip(hu.as_slice()) {
            *v = *h / hn;
        }
    }
    Err(StabilityError::NotConverged {
        estimate: best.0.to_f64_lossy(),
        residual: best.1.to_f64_lossy(),
        target: (opts.rtol * best.0.abs()).to_f64_lossy(),
        hvps,
    })
}

fn lanczos<T: Real, S: State<T>, O: Objective<T, S> + ?Sized>(
    obj: &mut O,
    x: &S,
    u: S,
    opts: &EigenOptions<T>,
) -> Result<EigenEstimate<T>, StabilityError> {
    let n = x.dim();
    let kmax = opts.max_iter.min(n);
    let mut basis: Vec<S> = Vec::with_capacity(kmax);
    let mut alpha: Vec<f64> = Vec::with_capacity(kmax);
    let mut beta: Vec<f64> = Vec::with_capacity(kmax);
    let mut w = x.zeros_like();
    basis.push(u);
    let mut best = (f64::NAN, f64::INFINITY);
    let mut hvps = 0;
    loop {
        let j = basis.len() - 1;
        obj.hessian_vec(x, &basis[j], &mut w);
        hvps += 1;
        if !w.is_finite() {
            return Err(StabilityError::NonFinite { hvps });
        }
        let a = dot(w.as_slice(), basis[j].as_slice());
        alpha.push(a.to_f64_lossy());
        // Full reorthogonalisation (twice is enough: Kahan-Parlett).
        for _ in 0..2 {
            for q in &basis {
                let c = dot(w.as_slice(), q.as_slice());
                for (wi, qi) in w.as_mut_slice().iter_mut().zip(q.as_slice()) {
                    *wi = *wi - c * *qi;
                }
            }
        }
        let b = norm2(w.as_slice());
        let k = alpha.len();
        // Ritz pair of the k x k tridiagonal matrix.
        let mut tm = DMatrix::<f64>::zeros(k, k);
        for i in 0..k {
            tm[(i, i)] = alpha[i];
            if i + 1 < k {
                tm[(i, i + 1)] = beta[i];
                tm[(i + 1, i)] = beta[i];
            }
        }
        let eig = SymmetricEigen::new(tm);
        let mut imax = 0;
        for i in 1..k {
            if eig.eigenvalues[i] > eig.eigenvalues[imax] {
                imax = i;
            }
        }
        let theta = eig.eigenvalues[imax];
        // ||H y - theta y|| = beta_k |s_k| for the Ritz vector y = Q s.
        let res = b.to_f64_lossy() * eig.eigenvectors[(k - 1, imax)].abs();
        if res < best.1 {
            best = (theta, res);
        }
        let target = opts.rtol.to_f64_lossy() * theta.abs();
        let exhausted =
            k == n || b.to_f64_lossy() <= f64::EPSILON * (theta.abs() + alpha[k - 1].abs()) * 1e-3;
        if res <= target || exhausted || res == 0.0 {
            return Ok(EigenEstimate {
                lambda: T::lit(theta),
                residual: T::lit(res),
                hvps,
            });
        }
        if hvps >= kmax {
            break;
        }
        beta.push(b.to_f64_lossy());
        let mut q = x.zeros_like();
        for (qi, wi) in q.as_mut_slice().iter_mut().zip(w.as_slice()) {
            *qi = *wi / b;
        }
        basis.push(q);
    }
    Err(StabilityError::NotConverged {
        estimate: best.0,
        residual: best.1,
        target: opts.rtol.to_f64_lossy() * best.0.abs(),
        hvps,
    })
}

/// The gradient-descent stability limit at `x`: `2 / lambda_max` (infinite
/// where the Hessian has no positive eigenvalue), with the estimate it came
/// from.
///
/// For the quadratic `f = x^T A x / 2`, gradient descent with learning rate
/// `lr` multiplies the eigencomponent `i` by `1 - lr a_i`: it converges for
/// `lr < 2 / a_max` and diverges for `lr > 2 / a_max`.
pub fn gd_stability_limit<T: Real, S: State<T>, O: Objective<T, S> + ?Sized>(
    obj: &mut O,
    x: &S,
    opts: &EigenOptions<T>,
) -> Result<(T, EigenEstimate<T>), StabilityError> {
    let est = lambda_max(obj, x, opts)?;
    Ok((est.gd_limit(), est))
}

/// The gradient-descent stability limit `2 / lambda_max` at every point of
/// a trajectory (for example `Solution::y` of a gradient-flow solve, or the
/// iterates of an optimiser), one result per point.
///
/// An explicit method with real stability interval `[-beta, 0]` is stable
/// on the flow for `h < beta / lambda_max`: multiply by `beta / 2` (e.g.
/// `3.3066 / 2` for DP5) to compare with an adaptive solve's accepted steps.
pub fn stability_limits_along<'a, T, S, O, I>(
    obj: &mut O,
    points: I,
    opts: &EigenOptions<T>,
) -> Vec<Result<T, StabilityError>>
where
    T: Real,
    S: State<T> + 'a,
    O: Objective<T, S> + ?Sized,
    I: IntoIterator<Item = &'a S>,
{
    points
        .into_iter()
        .map(|p| lambda_max(obj, p, opts).map(|e| e.gd_limit()))
        .collect()
}

/// A metric `P(x)` (symmetric positive definite) for the preconditioned
/// gradient flow `x' = -P(x)^{-1} grad f(x)`: see
/// [`Flow::metric`](crate::minimize::Flow::metric). With `P` the Hessian the
/// flow of a quadratic is `x(t) = x* + e^(-t) (x0 - x*)` in every direction;
/// with `P` a Fisher information it is the natural-gradient flow.
pub trait Metric<T: Real, S: State<T>> {
    /// Overwrites `v` with `P(x)^{-1} v`. A `P` that is not positive
    /// definite (or not finite) writes NaN, which the step-size control
    /// rejects and the driver reports as a stall or a divergence.
    fn apply_inverse(&mut self, x: &S, v: &mut S);
    /// Whether `P = I` (the plain gradient flow). Default `false`.
    fn is_identity(&self) -> bool {
        false
    }
}

/// `P = I`: the plain gradient flow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Euclidean;

impl<T: Real, S: State<T>> Metric<T, S> for Euclidean {
    fn apply_inverse(&mut self, _x: &S, _v: &mut S) {}
    fn is_identity(&self) -> bool {
        true
    }
}

/// A diagonal metric from a closure `p(&x, &mut d)` writing the diagonal of
/// `P(x)` into `d` (every entry must be > 0). The diagonal's buffer is made
/// on the first call (none for stack states).
#[derive(Clone)]
pub struct DiagonalMetric<F, S> {
    p: F,
    d: Option<S>,
}

impl<F, S> DiagonalMetric<F, S> {
    /// The metric whose diagonal `p` writes.
    pub fn new(p: F) -> Self {
        DiagonalMetric { p, d: None }
    }
}

impl<F, S> core::fmt::Debug for DiagonalMetric<F, S> {
    fn fmt(&self, fm: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        fm.write_str("DiagonalMetric")
    }
}

impl<T: Real, S: State<T>, F: FnMut(&S, &mut S)> Metric<T, S> for DiagonalMetric<F, S> {
    fn apply_inverse(&mut self, x: &S, v: &mut S) {
        if self.d.as_ref().is_some_and(|d| d.dim() != x.dim()) {
            self.d = None;
        }
        let d = self.d.get_or_insert_with(|| x.zeros_like());
        (self.p)(x, d);
        for (vi, di) in v.as_mut_slice().iter_mut().zip(d.as_slice()) {
            *vi = if *di > T::zero() { *vi / *di } else { T::nan() };
        }
    }
}

/// A dense metric from a closure `p(&x, &mut a)` writing `P(x)` row-major
/// into the `n * n` slice `a`; `P^{-1} v` by an in-place Cholesky
/// factorisation (the `n * n` buffer is allocated on the first call, never
/// again for the same `n`).
#[derive(Clone)]
pub struct DenseMetric<F, T> {
    p: F,
    a: Vec<T>,
}

impl<F, T> DenseMetric<F, T> {
    /// The metric whose matrix `p` writes.
    pub fn new(p: F) -> Self {
        DenseMetric { p, a: Vec::new() }
    }
}

impl<F, T> core::fmt::Debug for DenseMetric<F, T> {
    fn fmt(&self, fm: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        fm.write_str("DenseMetric")
    }
}

impl<T: Real, S: State<T>, F: FnMut(&S, &mut [T])> Metric<T, S> for DenseMetric<F, T> {
    fn apply_inverse(&mut self, x: &S, v: &mut S) {
        let n = x.dim();
        self.a.resize(n * n, T::zero());
        (self.p)(x, &mut self.a);
        let a = &mut self.a;
        // Cholesky P = L L^T, L stored in the lower triangle.
        for j in 0..n {
            let mut d = a[j * n + j];
            for k in 0..j {
                d = d - a[j * n + k] * a[j * n + k];
            }
            let positive = d > T::zero() && d.is_finite();
            if !positive {
                v.as_mut_slice().iter_mut().for_each(|o| *o = T::nan());
                return;
            }
            let l = d.sqrt();
            a[j * n + j] = l;
            for i in j + 1..n {
                let mut s = a[i * n + j];
                for k in 0..j {
                    s = s - a[i * n + k] * a[j * n + k];
                }
                a[i * n + j] = s / l;
            }
        }
        let v = v.as_mut_slice();
        for i in 0..n {
            let mut s = v[i];
            for k in 0..i {
                s = s - a[i * n + k] * v[k];
            }
            v[i] = s / a[i * n + i];
        }
        for i in (0..n).rev() {
            let mut s = v[i];
            for k in i + 1..n {
                s = s - a[k * n + i] * v[k];
            }
            v[i] = s / a[i * n + i];
        }
    }
}
