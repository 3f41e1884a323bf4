//! The generic explicit Runge–Kutta engine driven by [`Tableau`] data.

use crate::checkpoint::Saved;
use crate::state::{axpy, lincomb, lincomb_row};
use crate::tableau::{ErrorEstimate, Tableau, TableauError};
use crate::{ErrorNorm, Real, State, Stepper, System};
use std::any::{Any, TypeId};
use std::sync::{Arc, Mutex};

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
    /// The tableau's coefficients converted to `T`, shared by every engine
    /// built for this tableau and number type (see [`Derived`]).
    d: Arc<Derived<T>>,
    ws: Option<Work<T, S>>,
    last_t: T,
    last_h: T,
    extra_done: bool,
    /// The FSAL stage of the last attempt is still to be evaluated.
    fsal_pending: bool,
    /// Which built-in tableau this is (DOP853 selects Hairer's step-ratio
    /// limits).
    fast: Fast,
    /// Whether the method's tuning includes Gustafsson's predictive step
    /// (Vern7, see [`predictive_by_default`]).
    predictive: bool,
    /// The stage-combination kernels: compiled with the tableau's `const`
    /// data for a built-in tableau, the stored nonzero lists otherwise.
    kernels: Kernels<T, S>,
    /// Whether the stiffness estimate is computed (see
    /// [`Stepper::estimate_stiffness`]).
    stiff_wanted: bool,
    /// `(|h lambda|, h Re lambda)` of the last attempt (see
    /// [`Stepper::stiffness_estimate`] and [`Stepper::stiffness_estimate_signed`]).
    stiff: Option<(T, T)>,
    /// Without a continuous extension of the tableau: `f(t + h, y_new)` of
    /// the last attempt is in `Work::f1` (non-FSAL tableaus; reused by
    /// `accept` as the next first stage).
    f1_done: bool,
    /// ... and the slopes of the higher-degree fallback interpolants are in
    /// `Work::fs` (quartic and quintic) and `Work::g1`, `Work::g2` (quintic).
    fs_done: bool,
}

/// What an engine derives from its tableau: the coefficients converted to
/// `T`, the nonzero lists and the stiffness weights. It depends on the
/// tableau and `T` only, so it is computed once per program and shared
/// ([`derived`]): building an engine (once per solve in a typical program)
/// then costs a lookup, not some fifty small allocations and, for the pairs
/// without Hairer's stage pair, a least-squares projection.
#[derive(Debug)]
struct Derived<T> {
    c: Vec<T>,
    extra_c: Vec<T>,
    b_theta: Vec<Vec<T>>,
    /// The nonzero entries `(j, coefficient)` of each row of A (the strictly
    /// lower triangle, then the extra dense-output rows), of b, of the error weights (e5 for DOP853) and of
    /// DOP853's e3: the stage combinations skip the zeros.
    a_nz: Vec<NonZeros<T>>,
    b_nz: NonZeros<T>,
    e_nz: NonZeros<T>,
    e3_nz: NonZeros<T>,
    /// Whether the error estimate uses the first-same-as-last stage (DP5,
    /// Tsit5): then `attempt` evaluates it; otherwise (DOP853) it is left to
    /// `complete`, and rejected attempts never evaluate it.
    fsal_eager: bool,
    /// The generic stiffness estimate for tableaus without a stage pair at
    /// one node that ends the attempt ([`stage_pair_ends_attempt`]).
    stiff_gen: GenericStiff<T>,
    /// Whether the attempt forms the stiffness quotient from the stored
    /// points of a stage pair that ends it, after the error test (a tableau
    /// without FSAL, [`stage_pair_ends_attempt`]; an FSAL pair's is formed
    /// with its FSAL stage).
    stage_points: bool,
}

/// The combinations of the generic stiffness estimate `|h lambda| ~
/// ||sum_l w_l k_l|| / ||sum_l d_l k_l||` ([`generic_stiffness_weights`]),
/// as nonzero lists over the stages.
#[derive(Debug)]
struct GenericStiff<T> {
    /// The number of pairs `(w, d)` (0: no generic estimate).
    pairs: usize,
    /// The first `w` is the embedded error weights `e` (the pairs of
    /// embedded order 3 or more: RKF45, Cash–Karp): its combination is the error
    /// vector `h sum e k` the attempt has already formed.
    first_is_error: bool,
    /// The combinations still to form: `w1` (unless `first_is_error`),
    /// `d1`, then `w2`, `d2`.
    rows: Vec<NonZeros<T>>,
}

impl<T: Real> GenericStiff<T> {
    fn of(tab: &Tableau) -> Self {
        let pairs = generic_stiffness_weights(tab);
        let first_is_error = match (tab.error, pairs.first()) {
            (ErrorEstimate::Embedded(e), Some((w, _))) => w.as_slice() == e,
            _ => false,
        };
        let nz = |v: &[f64]| -> NonZeros<T> {
            v.iter()
                .enumerate()
                .filter(|(_, c)| **c != 0.0)
                .map(|(j, c)| (j, T::lit(*c)))
                .collect()
        };
        let mut rows = Vec::new();
        for (p, (w, d)) in pairs.iter().enumerate() {
            if !(p == 0 && first_is_error) {
                rows.push(nz(w));
            }
            rows.push(nz(d));
        }
        GenericStiff {
            pairs: pairs.len(),
            first_is_error,
            rows,
        }
    }
}

impl<T: Real> Derived<T> {
    fn of(tab: &Tableau) -> Self {
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
        let last = tab.stages() - 1;
        let fsal_eager = tab.fsal && e_nz.iter().chain(&e3_nz).any(|(j, _)| *j == last);
        Derived {
            c: cv(tab.c),
            extra_c,
            b_theta,
            a_nz,
            b_nz,
            e_nz,
            e3_nz,
            fsal_eager,
            stiff_gen: GenericStiff::of(tab),
            stage_points: !tab.fsal && stage_pair_ends_attempt(tab),
        }
    }
}

/// One entry of the [`derived`] cache: the tableau (by address and
/// content), the number type, the shared data.
type CacheEntry = (&'static Tableau, TypeId, Arc<dyn Any + Send + Sync>);

/// The [`Derived`] data of `tab` for `T`, computed on first use and shared
/// afterwards. The cache holds one entry per (tableau, number type) a
/// program uses (a few dozen at most); a lookup compares addresses first
/// and contents only for a tableau at a new address.
fn derived<T: Real>(tab: &'static Tableau) -> Arc<Derived<T>> {
    static CACHE: Mutex<Vec<CacheEntry>> = Mutex::new(Vec::new());
    let ty = TypeId::of::<T>();
    let hit = |cache: &[CacheEntry]| {
        cache
            .iter()
            .find(|(t, ty2, _)| *ty2 == ty && core::ptr::eq(*t, tab))
            .or_else(|| cache.iter().find(|(t, ty2, _)| *ty2 == ty && **t == *tab))
            .and_then(|(_, _, d)| Arc::clone(d).downcast::<Derived<T>>().ok())
    };
    // A poisoned lock (a panic elsewhere while holding it) only means an
    // entry may be missing: the data is rebuilt, never wrong.
    if let Ok(cache) = CACHE.lock() {
        if let Some(d) = hit(&cache) {
            return d;
        }
    }
    let d = Arc::new(Derived::<T>::of(tab));
    if let Ok(mut cache) = CACHE.lock() {
        if hit(&cache).is_none() {
            cache.push((tab, ty, d.clone()));
        }
    }
    d
}

/// Nonzero coefficients `(stage, value)` of a stage combination.
type NonZeros<T> = Vec<(usize, T)>;

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
    /// Scratch of the generic stiffness estimate: its combinations
    /// `h sum w_l k_l`, `h sum d_l k_l` (at most four).
    sv: Vec<S>,
    wbuf: Vec<T>,
    /// `f(t + h, y_new)` and the interior slopes of the fallback
    /// interpolants (see `ExplicitRk::ensure_fallback`).
    f1: S,
    fs: S,
    g1: S,
    g2: S,
}

impl<T: Real, S: State<T>> ExplicitRk<T, S> {
    /// Builds the engine for a tableau, after checking its shape.
    ///
    /// A built-in tableau (compared by content) gets its compiled code, as
    /// from its named constructor ([`ExplicitRk::dopri5`] etc.): its own
    /// unrolled step body (DP5, Tsit5, Vern6, Vern7, DOP853, Vern9) or its
    /// compiled kernels (the others); any other tableau runs on its stored
    /// nonzero coefficients.
    /// Every built-in tableau's kernels are compiled into a program that
    /// calls `new` (once per state type), so a program that knows its method
    /// should use the named constructor, which compiles that method's
    /// kernels only.
    pub fn new(tab: &'static Tableau) -> Result<Self, TableauError> {
        Self::with_kernels(tab, kernels_for(tab))
    }

    /// [`ExplicitRk::new`] with the given kernels.
    fn with_kernels(tab: &'static Tableau, kernels: Kernels<T, S>) -> Result<Self, TableauError> {
        tab.validate()?;
        let predictive = predictive_by_default(tab);
        Ok(Self::assemble(tab, kernels, fast_of(tab), predictive))
    }

    /// The engine for a tableau already validated.
    fn assemble(tab: &'static Tableau, kernels: Kernels<T, S>, fast: Fast, predictive: bool) -> Self {
        ExplicitRk {
            tab,
            d: derived::<T>(tab),
            s: tab.stages(),
            ws: None,
            last_t: T::zero(),
            last_h: T::zero(),
            extra_done: false,
            fsal_pending: false,
            fast,
            predictive,
            kernels,
            stiff_wanted: true,
            stiff: None,
            f1_done: false,
            fs_done: false,
        }
    }

    /// The tableau this engine runs.
    pub fn tableau(&self) -> &'static Tableau {
        self.tab
    }

    /// The evaluations of `f` one [`attempt`](Stepper::attempt) makes: the
    /// stages after the first, and the first-same-as-last stage when the
    /// error estimate needs it (otherwise it is left to `complete`). Lets
    /// [`AutoSwitch`](crate::stepper::AutoSwitch) count its explicit work
    /// without wrapping the system, which costs the unrolled kernels their
    /// inlining (1.6× the time per step on Lorenz).
    pub(crate) fn attempt_evals(&self) -> usize {
        let last_stage = if self.tab.fsal { self.s - 1 } else { self.s };
        last_stage - 1 + usize::from(self.tab.fsal && self.d.fsal_eager)
    }

    /// Takes over at a new current point whose `f` is `f0` (a switch from
    /// another method in [`AutoSwitch`](crate::stepper::AutoSwitch)): `f0`
    /// becomes the first stage of the next attempt, no evaluation needed.
    pub(crate) fn set_derivative(&mut self, f0: &S) {
        if let Some(w) = self.ws.as_mut() {
            w.k[0].as_mut_slice().copy_from_slice(f0.as_slice());
        }
        self.fsal_pending = false;
        self.extra_done = false;
        self.stiff = None;
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

    /// Evaluates a deferred first-same-as-last stage of the last attempt
    /// (and the stiffness estimate that uses it).
    #[inline]
    fn complete_fsal<F: System<T, S>>(&mut self, sys: &mut F, y_new: &S) {
        if !self.fsal_pending {
            return;
        }
        self.fsal_pending = false;
        let s = self.s;
        if let Some(w) = self.ws.as_mut() {
            sys.rhs(self.last_t + self.last_h, y_new, &mut w.k[s - 1]);
            if self.stiff_wanted {
                self.stiff = Self::stiffness(self.tab, w, y_new, self.last_h);
            }
        }
    }

    #[inline]
    /// Hairer's stiffness test `|h lambda| ~ |h| ||k_j - k_i|| / ||Y_j - Y_i||`
    /// for the tableau's stage pair `(i, j)` with `j` the last stage: the
    /// FSAL stage, whose stage point is `y_new`, or the last stage of a
    /// tableau without FSAL ([`stage_pair_ends_attempt`]: Vern7, Vern9), whose point
    /// is still in `ytmp`; in the Euclidean norm as dopri5.f (the stage
    /// pair at one node is precise enough for it: DP5 reads 0.99 B where the
    /// step is pinned on ROBER at rtol 1e-7, where the error-combination
    /// quotient needs the error test's norm); with it the signed Rayleigh quotient
    /// `h (k_j - k_i).(Y_j - Y_i) / |Y_j - Y_i|^2` (`h Re lambda` for a real
    /// dominant eigenvalue: negative for a decaying mode, positive for growth).
    fn stiffness(tab: &Tableau, w: &Work<T, S>, y_new: &S, h: T) -> Option<(T, T)> {
        match tab.stiffness_stages {
            Some((i0, j0)) if stage_pair_ends_attempt(tab) => {
                let (ki, kj) = (w.k[i0].as_slice(), w.k[j0].as_slice());
                let y_new = if tab.fsal { y_new } else { &w.ytmp };
                let yi = if stiff_point_in_ytmp(tab) {
                    w.ytmp.as_slice()
                } else {
                    w.ystiff.as_slice()
                };
                let n = ki.len();
                let (kj, yn, yi) = (&kj[..n], &y_new.as_slice()[..n], &yi[..n]);
                // Four partial sums each, so the loop vectorises.
                let mut num = [T::zero(); 4];
                let mut den = [T::zero(); 4];
                let mut dot = [T::zero(); 4];
                let full = n / 4 * 4;
                for b in (0..full).step_by(4) {
                    for l in 0..4 {
                        let dk = kj[b + l] - ki[b + l];
                        let dy = yn[b + l] - yi[b + l];
                        num[l] = num[l] + dk * dk;
                        den[l] = den[l] + dy * dy;
                        dot[l] = dot[l] + dk * dy;
                    }
                }
                for i in full..n {
                    let dk = kj[i] - ki[i];
                    let dy = yn[i] - yi[i];
                    num[0] = num[0] + dk * dk;
                    den[0] = den[0] + dy * dy;
                    dot[0] = dot[0] + dk * dy;
                }
                let num = (num[0] + num[1]) + (num[2] + num[3]);
                let den = (den[0] + den[1]) + (den[2] + den[3]);
                let dot = (dot[0] + dot[1]) + (dot[2] + dot[3]);
                (den > T::zero()).then(|| (h.abs() * (num / den).sqrt(), h * dot / den))
            }
            _ => None,
        }
    }

    fn ensure_extra<F: System<T, S>>(&mut self, sys: &mut F, y: &S) {
        if self.extra_done {
            return;
        }
        let (t, h, s) = (self.last_t, self.last_h, self.s);
        if let Some(w) = self.ws.as_mut() {
            for (j, cj) in self.d.extra_c.iter().enumerate() {
                Self::stage(&self.d.a_nz[s + j], w, sys, s + j, t + *cj * h, y, h);
            }
        }
        self.extra_done = true;
    }

    /// Fills the weight buffer with `b_i(theta)` of the tableau's continuous
    /// extension (without one, the fallback interpolant is used instead).
    fn weights_at(b_theta: &[Vec<T>], wbuf: &mut [T], theta: T) {
        for (wi, row) in wbuf.iter_mut().zip(b_theta) {
            let mut acc = T::zero();
            for coef in row.iter().rev() {
                acc = acc * theta + *coef;
            }
            *wi = acc * theta;
        }
    }

    /// Degree of the fallback interpolant used when the tableau has no
    /// continuous extension: as many orders as the method has, up to 5
    /// (cubic below order 4, quartic for order 4, quintic from order 5).
    fn fallback_degree(&self) -> u32 {
        self.tab.order.clamp(3, 5)
    }

    /// Evaluates what the fallback interpolant needs beyond the step's
    /// stages, once per step (`d = h f`, `A = y_new - y - d0`, `B = d1 - d0`):
    ///
    /// - `f1 = f(t + h, y_new)`: the FSAL stage when there is one; otherwise
    ///   evaluated here and reused by `accept` as the next first stage;
    /// - degree >= 4: `fs = f(t + 2h/3, yc)` on the cubic Hermite value
    ///   `yc = (7 y + 20 y_new + 2 d0 - 4 d1) / 27` (one evaluation);
    /// - degree 5: `g1, g2 = f` at `t + h/3`, `t + 2h/3` on the quartic's
    ///   values there, `y + d0/3 + (19 A - 2 B - 9 C)/27` and
    ///   `y + 2 d0/3 + (32 A - 4 B - 9 C)/27` with `C = h fs - d0` (two more).
    fn ensure_fallback<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S) {
        let (t, h, s, fsal) = (self.last_t, self.last_h, self.s, self.tab.fsal);
        let degree = self.fallback_degree();
        let Some(w) = self.ws.as_mut() else { return };
        if !fsal && !self.f1_done {
            sys.rhs(t + h, y_new, &mut w.f1);
            self.f1_done = true;
        }
        if degree < 4 || self.fs_done {
            return;
        }
        self.fs_done = true;
        let l = |x: f64| T::lit(x);
        {
            let f1 = if fsal { &w.k[s - 1] } else { &w.f1 };
            let (a, b, c, d) = (l(7.0 / 27.0), l(20.0 / 27.0), l(2.0 / 27.0), l(4.0 / 27.0));
            for ((((o, y0), y1), f0), f1) in w
                .ytmp
                .as_mut_slice()
                .iter_mut()
                .zip(y.as_slice())
                .zip(y_new.as_slice())
                .zip(w.k[0].as_slice())
                .zip(f1.as_slice())
            {
                *o = a * *y0 + b * *y1 + h * (c * *f0 - d * *f1);
            }
        }
        sys.rhs(t + l(2.0 / 3.0) * h, &w.ytmp, &mut w.fs);
        if degree < 5 {
            return;
        }
        for (node, ca, cb, out) in [(1.0, 19.0, 2.0, 0), (2.0, 32.0, 4.0, 1)] {
            {
                let f1 = if fsal { &w.k[s - 1] } else { &w.f1 };
                for (n, o) in w.ytmp.as_mut_slice().iter_mut().enumerate() {
                    let y0 = y.as_slice()[n];
                    let d0 = h * w.k[0].as_slice()[n];
                    let a = y_new.as_slice()[n] - y0 - d0;
                    let b = h * f1.as_slice()[n] - d0;
                    let c = h * w.fs.as_slice()[n] - d0;
                    *o = y0 + l(node / 3.0) * d0 + (l(ca) * a - l(cb) * b - l(9.0) * c) / l(27.0);
                }
            }
            let g = if out == 0 { &mut w.g1 } else { &mut w.g2 };
            sys.rhs(t + l(node / 3.0) * h, &w.ytmp, g);
        }
    }

    /// The fallback interpolant in powers of theta, component `n`:
    /// `[y0, d0, c2, c3, c4, c5]` with `d = h f`, `A = dy - d0`, `B = d1 - d0`.
    ///
    /// - Cubic Hermite from (y, f0) and (y_new, f1): `c2 = 3 dy - 2 d0 - d1`,
    ///   `c3 = d0 + d1 - 2 dy`.
    /// - Quartic Hermite–Birkhoff: the same end data and the slope `h fs` at
    ///   theta = 2/3 (at 1/2 the problem is singular, by Simpson's rule);
    ///   with `C = h fs - d0`: `c2 = 12 A - B - 27/4 C`,
    ///   `c3 = -20 A + B + 27/2 C`, `c4 = 9 A - 27/4 C`. Local error
    ///   `O(h^5)`: `fs` is evaluated on a state with an `O(h^4)` error and
    ///   enters multiplied by `h`.
    /// - Quintic Hermite–Birkhoff: the end data and the slopes `h g1`,
    ///   `h g2` at theta = 1/3, 2/3 (evaluated on the quartic, `O(h^5)`);
    ///   with `S1 = h g1 - d0`, `S2 = h g2 - d0`:
    ///   `c2 = 30 A - 13/4 B - 27/4 S1 - 27/2 S2`,
    ///   `c3 = -110 A + 49/4 B + 135/4 S1 + 189/4 S2`,
    ///   `c4 = 135 A - 63/4 B - 189/4 S1 - 54 S2`,
    ///   `c5 = -54 A + 27/4 B + 81/4 S1 + 81/4 S2`. Local error `O(h^6)`.
    #[inline]
    fn fallback_coeffs(&self, y: &S, y_new: &S, n: usize) -> [T; 6] {
        let (h, s) = (self.last_h, self.s);
        let Some(w) = self.ws.as_ref() else {
            return [T::nan(); 6];
        };
        let l = |x: f64| T::lit(x);
        let f1 = if self.tab.fsal { &w.k[s - 1] } else { &w.f1 };
        let y0 = y.as_slice()[n];
        let dy = y_new.as_slice()[n] - y0;
        let d0 = h * w.k[0].as_slice()[n];
        let d1 = h * f1.as_slice()[n];
        let a = dy - d0;
        let b = d1 - d0;
        match self.fallback_degree() {
            5 => {
                let s1 = h * w.g1.as_slice()[n] - d0;
                let s2 = h * w.g2.as_slice()[n] - d0;
                [
                    y0,
                    d0,
                    l(30.0) * a - l(3.25) * b - l(6.75) * s1 - l(13.5) * s2,
                    l(-110.0) * a + l(12.25) * b + l(33.75) * s1 + l(47.25) * s2,
                    l(135.0) * a - l(15.75) * b - l(47.25) * s1 - l(54.0) * s2,
                    l(-54.0) * a + l(6.75) * b + l(20.25) * s1 + l(20.25) * s2,
                ]
            }
            4 => {
                let c = h * w.fs.as_slice()[n] - d0;
                [
                    y0,
                    d0,
                    l(12.0) * a - b - l(6.75) * c,
                    l(-20.0) * a + b + l(13.5) * c,
                    l(9.0) * a - l(6.75) * c,
                    T::zero(),
                ]
            }
            _ => [
                y0,
                d0,
                l(3.0) * dy - l(2.0) * d0 - d1,
                d0 + d1 - l(2.0) * dy,
                T::zero(),
                T::zero(),
            ],
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
        // Without a continuous extension: the fallback interpolant, of
        // degree (and order) 3, 4 or 5 (see `fallback_coeffs`).
        self.tab.dense.map(|d| d.order).unwrap_or(self.fallback_degree())
    }
    fn stability_boundary(&self) -> Option<T> {
        Some(T::lit(self.tab.stability_boundary))
    }
    fn default_pi_beta(&self) -> T {
        T::lit(self.tab.pi_beta)
    }
    fn default_predictive(&self) -> bool {
        self.predictive
    }
    fn default_limits(&self) -> crate::controller::Limits<T> {
        if self.fast == Fast::Dop853 {
            // dop853.f: FAC1 = 0.333, FAC2 = 6 (HNW I, Sect. II.10).
            crate::controller::Limits {
                safety: T::lit(0.9),
                min_factor: T::lit(0.333),
                max_factor: T::lit(6.0),
            }
        } else {
            crate::controller::Limits::default()
        }
    }

    fn init<F: System<T, S>>(&mut self, sys: &mut F, t0: T, y0: &S) {
        self.workspace(y0);
        if let Some(w) = self.ws.as_mut() {
            sys.rhs(t0, y0, &mut w.k[0]);
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
            Some(w) => super::restore_vector(&mut w.k[0], &saved.reals, "the stored derivative"),
            None => Err("no workspace".into()),
        }
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
        let Some(w) = self.ws.as_mut() else {
            return T::nan();
        };
        self.last_t = t;
        self.last_h = h;
        self.extra_done = false;
        self.f1_done = false;
        self.fs_done = false;
        let step = Step {
            t,
            y,
            h,
            y_new: &mut *y_new,
            norm,
            stiff: self.stiff_wanted,
        };
        let fsal_eager = self.d.fsal_eager;
        macro_rules! own {
            ($tab:ident) => {
                run(w, sys, step, &Static(&crate::tableau::$tab), fsal_eager)
            };
        }
        let out = match self.fast {
            // The adaptive pairs users reach for: the whole step body with
            // the tableau a compile-time constant, per right-hand side (the
            // stage loop unrolled, the right-hand side inlined into every
            // stage). Each body costs compile time per right-hand side a
            // program solves (Vern9's: about 0.3 s of CPU for one closure)
            // and saves a sixth to a quarter of the instructions of the
            // kernel path (docs/performance.md, "Sixth round").
            Fast::Dp5 => own!(DORMAND_PRINCE_54),
            Fast::Tsit5 => own!(TSITOURAS_54),
            Fast::Vern6 => own!(VERNER_65),
            Fast::Dop853 => own!(DORMAND_PRINCE_853),
            Fast::Vern7 => own!(VERNER_76),
            Fast::Vern9 => own!(VERNER_98),
            // Every other tableau: the step body once per right-hand side,
            // the stage combinations from the tableau's kernels.
            Fast::No => {
                let dynamic = Dynamic {
                    tab: self.tab,
                    c: &self.d.c,
                    a_nz: &self.d.a_nz,
                    b_nz: &self.d.b_nz,
                    e_nz: &self.d.e_nz,
                    e3_nz: &self.d.e3_nz,
                };
                let coef = Compiled {
                    kernels: self.kernels,
                    dynamic,
                };
                run(w, sys, step, &coef, fsal_eager)
            }
        };
        self.stiff = out.stiff;
        self.fsal_pending = out.fsal_pending;
        // Only an attempt that passes the error test can become a step, the
        // one place the estimate is read.
        if self.stiff_wanted && out.err <= T::one() {
            let g = &self.d.stiff_gen;
            if self.d.stage_points {
                self.stiff = Self::stiffness(self.tab, w, y_new, h);
            } else if g.pairs > 0 {
                let settled_below = T::lit(0.25 * self.tab.stability_boundary);
                self.stiff = generic_stiffness(w, g, self.s, h, y, y_new, norm, settled_below);
            }
        }
        out.err
    }

    fn complete<F: System<T, S>>(&mut self, sys: &mut F, y_new: &S) {
        self.complete_fsal(sys, y_new);
    }

    fn interpolate<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, theta: T, out: &mut S) {
        self.complete_fsal(sys, y_new);
        if self.tab.dense.is_none() {
            self.ensure_fallback(sys, y, y_new);
            for n in 0..y.dim() {
                let c = self.fallback_coeffs(y, y_new, n);
                let v = c.iter().rev().fold(T::zero(), |acc, cm| acc * theta + *cm);
                out.as_mut_slice()[n] = v;
            }
            return;
        }
        self.ensure_extra(sys, y);
        let h = self.last_h;
        let Some(w) = self.ws.as_mut() else { return };
        Self::weights_at(&self.d.b_theta, &mut w.wbuf, theta);
        let o = out.as_mut_slice();
        o.copy_from_slice(y.as_slice());
        for (bi, ki) in w.wbuf.iter().zip(&w.k) {
            if *bi != T::zero() {
                axpy(o, h * *bi, ki.as_slice());
            }
        }
    }

    fn dense_coefficients<F: System<T, S>>(&mut self, sys: &mut F, y: &S, y_new: &S, out: &mut Vec<S>) {
        self.complete_fsal(sys, y_new);
        out.clear();
        out.push(y.clone());
        if self.tab.dense.is_none() {
            self.ensure_fallback(sys, y, y_new);
            for _ in 0..self.fallback_degree() {
                out.push(y.zeros_like());
            }
            for n in 0..y.dim() {
                let c = self.fallback_coeffs(y, y_new, n);
                for (j, cj) in out.iter_mut().enumerate().skip(1) {
                    cj.as_mut_slice()[n] = c[j];
                }
            }
            return;
        }
        self.ensure_extra(sys, y);
        let h = self.last_h;
        let Some(w) = self.ws.as_ref() else { return };
        let degree = self.d.b_theta.iter().map(|r| r.len()).max().unwrap_or(0);
        for m in 0..degree {
            let mut cm = y.zeros_like();
            let o = cm.as_mut_slice();
            for (row, ki) in self.d.b_theta.iter().zip(&w.k) {
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
        if y_changed {
            // The FSAL stage would be recomputed below anyway.
            self.fsal_pending = false;
        }
        self.complete_fsal(sys, y_new);
        let s = self.s;
        let fsal = self.tab.fsal;
        let f1_done = core::mem::take(&mut self.f1_done);
        let Some(w) = self.ws.as_mut() else { return };
        if fsal && !y_changed {
            w.k.swap(0, s - 1);
        } else if f1_done && !y_changed {
            // f(t_new, y_new), evaluated for the fallback interpolant.
            core::mem::swap(&mut w.k[0], &mut w.f1);
        } else {
            sys.rhs(t_new, y_new, &mut w.k[0]);
        }
    }

    fn estimate_stiffness(&mut self, on: bool) {
        self.stiff_wanted = on;
    }

    fn stiffness_estimate(&self) -> Option<T> {
        self.stiff.map(|s| s.0)
    }

    fn stiffness_estimate_signed(&self) -> Option<T> {
        self.stiff.map(|s| s.1)
    }
}

/// Whether the tableau's stage pair `(i, j)`, `i < j`, at one node ends the
/// attempt (`j` the last stage: the FSAL stage of DP5 and DOP853, the stages
/// at c = 1 of Vern7 and Vern9, which have no FSAL stage). Hairer's quotient
/// `|h| ||k_j - k_i|| / ||Y_j - Y_i||` is then formed from the stage points
/// themselves ([`ExplicitRk::stiffness`]): `Y_j` is `y_new` (FSAL) or still
/// in `ytmp` when the attempt ends, and `Y_i` was copied aside, so the
/// quotient costs one pass over the components, where the combinations of
/// [`generic_stiffness_weights`] would cost a sum over every stage.
fn stage_pair_ends_attempt(tab: &Tableau) -> bool {
    matches!(tab.stiffness_stages, Some((i, j)) if i < j && j + 1 == tab.stages())
}

/// The weights `(w, d)` of the generic stiffness estimate
/// `|h lambda| ~ ||sum_l w_l k_l|| / ||sum_l d_l k_l||`, for a tableau whose
/// stage pair at one node (if any) does not end the attempt (those use the
/// stored stage points, Hairer's test, [`ExplicitRk::stiffness`]); empty
/// when the tableau has no error estimate. Every combination has `sum w_i = 0`, so
/// `sum_i w_i Y_i = h sum_l (w^T A)_l k_l = h sum_l d_l k_l`, and for `f`
/// linear in `y` (and `w^T c = 0`) `sum w_i k_i = J sum w_i Y_i`: the quotient
/// is `|h lambda|` along `sum w_i Y_i`, exactly so on `y' = lambda y`.
///
/// * Two stages `i`, `j` at the same node (a tableau of your own whose pair
///   is neither first-same-as-last nor ends the attempt): `w = u_j - u_i`,
///   so `sum w k = f(Y_j) - f(Y_i)` and `h sum d k = Y_j - Y_i`: Hairer's
///   quotient without storing the points.
/// * Otherwise the error combination `w = e` (the embedded error weights):
///   when the step is held at the stability boundary the error vector is
///   dominated by the stiff mode, which is what the estimate has to see (the
///   argument Hairer makes for his DOPRI5 pair). `e` has vanishing moments
///   `sum e_i c_i^m = 0` below the embedded order; a pair of embedded order
///   below 3 (BS3) is first projected onto the vectors orthogonal to `1, c,
///   c^2`, so that the forcing and curvature of the smooth solution do not
///   enter `sum w k` at O(h^2) (BS3 read 2.5 B on Prothero–Robinson at rtol
///   1e-9 where the truth is 0.7 B). A second combination, `e` projected
///   orthogonally to one more power of `c`, is added when the stages leave
///   room for it: both see the same stiff mode, but at large steps on a
///   strongly nonlinear problem one quotient can be spoilt by a near
///   cancellation in its denominator (RKF45 read 25 B on `y' = 1 + y^2` at
///   rtol 1e-2 where `|h f'|` was below 1); the estimate is the smaller of
///   the two. The second is formed only when the first reads `B/4` or more:
///   below that the smaller of the two cannot change what the detectors or
///   `auto` decide, and the first stands alone.
pub(crate) fn generic_stiffness_weights(tab: &Tableau) -> Vec<(Vec<f64>, Vec<f64>)> {
    let s = tab.stages();
    let row = |i: usize| -> Vec<f64> {
        let mut r = vec![0.0; s];
        r[..tab.a[i].len()].copy_from_slice(tab.a[i]);
        r
    };
    if let Some((i, j)) = tab.stiffness_stages {
        if stage_pair_ends_attempt(tab) {
            return Vec::new();
        }
        let mut w = vec![0.0; s];
        w[j] = 1.0;
        w[i] = -1.0;
        let (ai, aj) = (row(i), row(j));
        let d = aj.iter().zip(&ai).map(|(x, y)| x - y).collect();
        return vec![(w, d)];
    }
    let e = match tab.error {
        ErrorEstimate::None => return Vec::new(),
        ErrorEstimate::Embedded(e) | ErrorEstimate::Combined53 { e5: e, .. } => e,
    };
    let c = tab.c;
    let moment = |w: &[f64], m: i32| w.iter().zip(c).map(|(x, ci)| x * ci.powi(m)).sum::<f64>();
    let scale = e.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    // Leading vanishing moments of w (relative to its size).
    let vanishing = |w: &[f64]| {
        let sz = w.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        (0..s as i32)
            .take_while(|m| moment(w, *m).abs() <= 1e-12 * sz)
            .count()
    };
    let mut first = e.to_vec();
    if vanishing(&first) < 3 && s >= 4 {
        match project_out_powers(&first, c, 3) {
            Some(w) => first = w,
            None => return Vec::new(),
        }
    }
    let mut out = vec![first];
    let k = vanishing(&out[0]);
    if k + 1 < s {
        if let Some(w) = project_out_powers(&out[0], c, k + 1) {
            if w.iter().fold(0.0f64, |a, x| a.max(x.abs())) > 1e-6 * scale {
                out.push(w);
            }
        }
    }
    out.into_iter()
        .map(|w| {
            let mut d = vec![0.0; s];
            for (i, wi) in w.iter().enumerate() {
                for (l, a) in tab.a[i].iter().enumerate() {
                    d[l] += wi * a;
                }
            }
            (w, d)
        })
        .collect()
}

/// The component of `w` orthogonal to `1, c, ..., c^(m-1)` (Euclidean inner
/// product over the stages); `None` if the powers are linearly dependent.
fn project_out_powers(w: &[f64], c: &[f64], m: usize) -> Option<Vec<f64>> {
    let s = w.len();
    let rows: Vec<Vec<f64>> = (0..m)
        .map(|p| c.iter().map(|x| x.powi(p as i32)).collect())
        .collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    // Normal equations G x = r, solved by Gaussian elimination with pivoting.
    let mut g: Vec<Vec<f64>> = (0..m)
        .map(|p| {
            let mut r: Vec<f64> = (0..m).map(|q| dot(&rows[p], &rows[q])).collect();
            r.push(dot(&rows[p], w));
            r
        })
        .collect();
    for col in 0..m {
        let piv = (col..m).max_by(|a, b| g[*a][col].abs().total_cmp(&g[*b][col].abs()))?;
        if g[piv][col].abs() < 1e-14 {
            return None;
        }
        g.swap(col, piv);
        for r in col + 1..m {
            let f = g[r][col] / g[col][col];
            let pivot_row = g[col].clone();
            for (x, p) in g[r][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
        }
    }
    let mut x = vec![0.0; m];
    for r in (0..m).rev() {
        let acc: f64 = (r + 1..m).map(|q| g[r][q] * x[q]).sum();
        x[r] = (g[r][m] - acc) / g[r][r];
    }
    Some(
        (0..s)
            .map(|l| w[l] - (0..m).map(|p| x[p] * rows[p][l]).sum::<f64>())
            .collect(),
    )
}

/// `(|h lambda|, h Re lambda)` from the combinations `(w, d)` of
/// [`generic_stiffness_weights`]: `||sum w k|| / ||sum d k||` and the signed
/// quotient `(sum w k).(sum d k) / ||sum d k||^2`, in the error test's scaled
/// norm: the components that hold the step down are the ones the error test
/// weighs (in the Euclidean norm the O(1) components of ROBER hide its stiff
/// `y2 ~ 1e-5`, and BS3 read 0.03 B where the step was pinned at the
/// boundary). With two pairs the estimate is the smaller (the second pair is
/// formed only when the first reads `settled_below` or more). Every combination
/// is scaled by `h` (the error vector is `h sum e k`), which the quotients
/// do not see.
#[allow(clippy::too_many_arguments)]
fn generic_stiffness<T: Real, S: State<T>>(
    w: &mut Work<T, S>,
    g: &GenericStiff<T>,
    s: usize,
    h: T,
    y: &S,
    y_new: &S,
    norm: &ErrorNorm<T>,
    settled_below: T,
) -> Option<(T, T)> {
    let mut best: Option<(T, T)> = None;
    let mut next = 0;
    for p in 0..g.pairs {
        // The second pair only lowers the estimate: below `settled_below`
        // (B/4, under every threshold the detectors and `auto` judge by,
        // and with the signed value under B/4 in size as well) it cannot
        // change a decision, and is not formed.
        if best.is_some_and(|b| b.0 < settled_below) {
            break;
        }
        let (a, b) = if p == 0 && g.first_is_error {
            next += 1;
            combine(&mut w.sv[0], &g.rows[0], h, &w.k[..s]);
            (&w.err, &w.sv[0])
        } else {
            next += 2;
            let (done, rest) = w.sv.split_at_mut(next - 1);
            combine(&mut done[next - 2], &g.rows[next - 2], h, &w.k[..s]);
            combine(&mut rest[0], &g.rows[next - 1], h, &w.k[..s]);
            (&w.sv[next - 2], &w.sv[next - 1])
        };
        let (num, den, dot) = norm.gram(y.as_slice(), y_new.as_slice(), a.as_slice(), b.as_slice());
        let e = (den > T::zero() && num.is_finite()).then(|| ((num / den).sqrt(), dot / den));
        best = match (best, e) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        };
    }
    best
}

/// `out = h sum_l row_l k_l` over the nonzero entries of `row`.
#[inline(always)]
fn combine<T: Real, S: State<T>>(out: &mut S, row: &NonZeros<T>, h: T, k: &[S]) {
    lincomb(out.as_mut_slice(), None, h, row, k)
}

/// Whether the stage point of the stiffness test's first stage is still in
/// `ytmp` when the estimate is made: true when it is the last stage before
/// the FSAL stage (DP5, DOP853), since nothing writes `ytmp` after it until
/// the next attempt (dense-output extra stages are only computed after the
/// FSAL stage and the estimate). Otherwise the stage point is copied aside.
#[inline(always)]
fn stiff_point_in_ytmp(tab: &Tableau) -> bool {
    matches!(tab.stiffness_stages, Some((i0, j0)) if tab.fsal && j0 == tab.stages() - 1 && i0 + 2 == tab.stages())
}

/// Which built-in tableau runs through the compile-time specialised step
/// (the others, the fixed-step methods and the low-order pairs BS3, RKF45
/// and Cash–Karp, call their compiled kernels through function pointers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fast {
    Dp5,
    Tsit5,
    Vern6,
    Dop853,
    Vern7,
    Vern9,
    No,
}

/// Whether a tableau's tuning adds Gustafsson's predictive step to its PI
/// controller: Verner's 7(6) pair. With its PI controller alone 7–18 % of
/// its attempts fail on Kepler, Pleiades and Arenstorf (median over a
/// tolerance sweep): on the way into a close approach the error grows
/// several-fold from one step to the next, and after a rejection the
/// elementary law, blind to the trend, proposes a step that fails again.
/// The predictive step sees the trend. At equal achieved error
/// on the four benchmark problems (`examples/controller_study.rs`,
/// docs/controllers.md) it saves up to 26 % of Vern7's evaluations (Kepler,
/// 1e-6; geometric means 11 % at 1e-6 and 1 % at 1e-10, no cell more than
/// 0.3 % worse). DOP853 (18 % and 5 %) and Vern9 (10 % and 4 %) gain too
/// but keep the plain controller by default, an opt-in away
/// (`PiController::default().with_predictive(true)`): DOP853 reproduces
/// Hairer's dop853.f, and with Vern9 the changed step sequence at loose
/// tolerances puts its stiffness estimate at the stability boundary on two
/// reference blow-ups (`y' = y^2` at rtol 1e-2, `tan` at 1e-4), which the
/// blow-up detector would then report as an instability. For DP5, Tsit5 and
/// Vern6 it wins at one error level and loses at the other.
fn predictive_by_default(tab: &Tableau) -> bool {
    *tab == crate::tableau::VERNER_76
}

/// The inputs of one attempt.
struct Step<'a, T, S> {
    t: T,
    y: &'a S,
    h: T,
    y_new: &'a mut S,
    norm: &'a ErrorNorm<T>,
    /// Whether to compute the stiffness estimate.
    stiff: bool,
}

/// What an attempt leaves behind.
struct Outcome<T> {
    err: T,
    stiff: Option<(T, T)>,
    fsal_pending: bool,
}

/// Where the stage combinations take their coefficients from.
trait Coefficients<T: Real, S: State<T>> {
    /// Unroll the stage loop (pays off only when the coefficients are
    /// compile-time constants; costs compile time and code size).
    const UNROLL: bool;
    fn tab(&self) -> &'static Tableau;
    /// The node `c_i` as `T`.
    fn c(&self, i: usize) -> T;
    /// `out = y + h sum_j a_ij k_j`.
    fn stage(&self, i: usize, out: &mut S, y: &S, h: T, k: &[S]);
    /// `out = y + h sum_j b_j k_j`.
    fn solution(&self, out: &mut S, y: &S, h: T, k: &[S]);
    /// `out = scale sum_j e_j k_j` (e5 for the combined estimator).
    fn error(&self, out: &mut S, scale: T, k: &[S]);
    /// `out = sum_j e3_j k_j` (the combined estimator only).
    fn error3(&self, out: &mut S, k: &[S]);
}

/// Coefficients converted once and stored as nonzero lists (any tableau).
struct Dynamic<'a, T> {
    tab: &'static Tableau,
    c: &'a [T],
    a_nz: &'a [Vec<(usize, T)>],
    b_nz: &'a [(usize, T)],
    e_nz: &'a [(usize, T)],
    e3_nz: &'a [(usize, T)],
}

impl<T: Real, S: State<T>> Coefficients<T, S> for Dynamic<'_, T> {
    const UNROLL: bool = false;
    fn tab(&self) -> &'static Tableau {
        self.tab
    }
    #[inline(always)]
    fn c(&self, i: usize) -> T {
        self.c[i]
    }
    #[inline(always)]
    fn stage(&self, i: usize, out: &mut S, y: &S, h: T, k: &[S]) {
        lincomb(out.as_mut_slice(), Some(y.as_slice()), h, &self.a_nz[i], k);
    }
    #[inline(always)]
    fn solution(&self, out: &mut S, y: &S, h: T, k: &[S]) {
        lincomb(out.as_mut_slice(), Some(y.as_slice()), h, self.b_nz, k);
    }
    #[inline(always)]
    fn error(&self, out: &mut S, scale: T, k: &[S]) {
        lincomb(out.as_mut_slice(), None, scale, self.e_nz, k);
    }
    #[inline(always)]
    fn error3(&self, out: &mut S, k: &[S]) {
        lincomb(out.as_mut_slice(), None, T::one(), self.e3_nz, k);
    }
}

/// A built-in tableau read straight from its `const` data: after inlining,
/// every coefficient is a compile-time constant.
struct Static(&'static Tableau);

impl<T: Real, S: State<T>> Coefficients<T, S> for Static {
    const UNROLL: bool = true;
    #[inline(always)]
    fn tab(&self) -> &'static Tableau {
        self.0
    }
    #[inline(always)]
    fn c(&self, i: usize) -> T {
        T::lit(self.0.c[i])
    }
    #[inline(always)]
    fn stage(&self, i: usize, out: &mut S, y: &S, h: T, k: &[S]) {
        lincomb_row(out.as_mut_slice(), Some(y.as_slice()), h, self.0.a[i], k);
    }
    #[inline(always)]
    fn solution(&self, out: &mut S, y: &S, h: T, k: &[S]) {
        lincomb_row(out.as_mut_slice(), Some(y.as_slice()), h, self.0.b, k);
    }
    #[inline(always)]
    fn error(&self, out: &mut S, scale: T, k: &[S]) {
        let e = match self.0.error {
            ErrorEstimate::Embedded(e) | ErrorEstimate::Combined53 { e5: e, .. } => e,
            ErrorEstimate::None => &[],
        };
        lincomb_row(out.as_mut_slice(), None, scale, e, k);
    }
    #[inline(always)]
    fn error3(&self, out: &mut S, k: &[S]) {
        let e3 = match self.0.error {
            ErrorEstimate::Combined53 { e3, .. } => e3,
            _ => &[],
        };
        lincomb_row(out.as_mut_slice(), None, T::one(), e3, k);
    }
}

/// The stage combinations of one tableau as plain functions of the stage
/// vectors, monomorphised per (number type, state type) and not per
/// right-hand side: the step body ([`run`]) is compiled for every closure a
/// program solves, and calls these through function pointers (one
/// well-predicted indirect call per stage), so a program pays the
/// compile time of a tableau's unrolled combinations once per state type,
/// and only for the tableaus whose constructors it calls.
struct Kernels<T, S> {
    /// `out = y + h sum_j a_ij k_j` (`k` holds the stages before `i`).
    stage: StageFn<T, S>,
    /// `out = y + h sum_j b_j k_j`.
    solution: SolutionFn<T, S>,
    /// `out = scale sum_j e_j k_j` (e5 for the combined estimator).
    error: ErrorFn<T, S>,
    /// `out = sum_j e3_j k_j` (the combined estimator only).
    error3: Error3Fn<T, S>,
}

type StageFn<T, S> = fn(&Dynamic<'_, T>, usize, &mut S, &S, T, &[S]);
type SolutionFn<T, S> = fn(&Dynamic<'_, T>, &mut S, &S, T, &[S]);
type ErrorFn<T, S> = fn(&Dynamic<'_, T>, &mut S, T, &[S]);
type Error3Fn<T, S> = fn(&Dynamic<'_, T>, &mut S, &[S]);

// Function pointers are Copy whatever T and S are; derive would ask T: Copy.
impl<T, S> Clone for Kernels<T, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, S> Copy for Kernels<T, S> {}
impl<T, S> core::fmt::Debug for Kernels<T, S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Kernels")
    }
}

impl<T: Real, S: State<T>> Kernels<T, S> {
    /// The stored-coefficient kernels (any tableau).
    fn dynamic() -> Self {
        Kernels {
            stage: |d, i, out, y, h, k| d.stage(i, out, y, h, k),
            solution: |d, out, y, h, k| d.solution(out, y, h, k),
            error: |d, out, scale, k| d.error(out, scale, k),
            error3: |d, out, k| d.error3(out, k),
        }
    }

    /// The kernels of a built-in tableau, its `const` data folded in.
    fn of<M: ConstTableau>() -> Self {
        Kernels {
            stage: |d, i, out, y, h, k| const_stage(M::TAB, d, i, out, y, h, k),
            solution: |_, out, y, h, k| Static(M::TAB).solution(out, y, h, k),
            error: |_, out, scale, k| Static(M::TAB).error(out, scale, k),
            error3: |_, out, k| Static(M::TAB).error3(out, k),
        }
    }
}

/// A built-in tableau as a type, so that its data are compile-time constants
/// in the kernels ([`Kernels::of`]) or in the whole step body ([`Fast`]).
trait ConstTableau {
    const TAB: &'static Tableau;
    /// The step body it runs through.
    const FAST: Fast;
    /// Its kernels: compiled ones for a tableau on the kernel path, the
    /// stored-coefficient ones (never called) for one with its own step
    /// body, so that a program compiles no kernels it cannot call.
    fn kernels<T: Real, S: State<T>>() -> Kernels<T, S>;
}

/// Stage `i` of a `const` tableau: one arm per stage, each with its row of A
/// as immediates (zero terms vanish).
#[inline(always)]
fn const_stage<T: Real, S: State<T>>(
    tab: &'static Tableau,
    d: &Dynamic<'_, T>,
    i: usize,
    out: &mut S,
    y: &S,
    h: T,
    k: &[S],
) {
    macro_rules! arms {
        ($($i:literal)*) => {
            match i {
                $($i if $i < tab.a.len() => Static(tab).stage($i, out, y, h, k),)*
                _ => d.stage(i, out, y, h, k),
            }
        };
    }
    arms!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

macro_rules! const_tableaus {
    (@kernels No $m:ident) => {
        Kernels::of::<$m>()
    };
    (@kernels $fast:ident $m:ident) => {
        Kernels::dynamic()
    };
    ($($marker:ident => $tab:ident, $fast:ident;)*) => {
        $(
            #[derive(Debug)]
            struct $marker;
            impl ConstTableau for $marker {
                const TAB: &'static Tableau = &crate::tableau::$tab;
                const FAST: Fast = Fast::$fast;
                fn kernels<T: Real, S: State<T>>() -> Kernels<T, S> {
                    const_tableaus!(@kernels $fast $marker)
                }
            }
        )*

        /// The kernels of `tab`: compiled ones for a built-in tableau on the
        /// kernel path (compared by content: the addresses of promoted consts
        /// are not guaranteed to be unique), stored coefficients otherwise.
        fn kernels_for<T: Real, S: State<T>>(tab: &Tableau) -> Kernels<T, S> {
            $(
                if *tab == crate::tableau::$tab {
                    return $marker::kernels();
                }
            )*
            Kernels::dynamic()
        }

        /// The step body of `tab` (compared by content, as `kernels_for`).
        fn fast_of(tab: &Tableau) -> Fast {
            $(
                if *tab == crate::tableau::$tab {
                    return Fast::$fast;
                }
            )*
            Fast::No
        }
    };
}

// The step body each built-in tableau runs: its own unrolled one (a `Fast`
// arm; its kernels are then never compiled) or, with `No`, the shared body
// calling its compiled kernels. One list, so that the step body, the kernels
// and the run-time lookup cannot disagree.
const_tableaus! {
    KEuler => EULER, No;
    KMidpoint => MIDPOINT, No;
    KHeun => HEUN, No;
    KRk4 => RK4, No;
    KBs3 => BOGACKI_SHAMPINE_32, No;
    KRkf45 => FEHLBERG_45, No;
    KCashKarp => CASH_KARP_54, No;
    KDp5 => DORMAND_PRINCE_54, Dp5;
    KTsit5 => TSITOURAS_54, Tsit5;
    KVern6 => VERNER_65, Vern6;
    KVern7 => VERNER_76, Vern7;
    KDop853 => DORMAND_PRINCE_853, Dop853;
    KVern9 => VERNER_98, Vern9;
}

/// A tableau's compiled kernels, called through function pointers.
struct Compiled<'a, T, S> {
    kernels: Kernels<T, S>,
    dynamic: Dynamic<'a, T>,
}

impl<T: Real, S: State<T>> Coefficients<T, S> for Compiled<'_, T, S> {
    const UNROLL: bool = false;
    #[inline(always)]
    fn tab(&self) -> &'static Tableau {
        self.dynamic.tab
    }
    #[inline(always)]
    fn c(&self, i: usize) -> T {
        self.dynamic.c[i]
    }
    #[inline(always)]
    fn stage(&self, i: usize, out: &mut S, y: &S, h: T, k: &[S]) {
        (self.kernels.stage)(&self.dynamic, i, out, y, h, k)
    }
    #[inline(always)]
    fn solution(&self, out: &mut S, y: &S, h: T, k: &[S]) {
        (self.kernels.solution)(&self.dynamic, out, y, h, k)
    }
    #[inline(always)]
    fn error(&self, out: &mut S, scale: T, k: &[S]) {
        (self.kernels.error)(&self.dynamic, out, scale, k)
    }
    #[inline(always)]
    fn error3(&self, out: &mut S, k: &[S]) {
        (self.kernels.error3)(&self.dynamic, out, k)
    }
}

/// One attempt: the stages, the solution, the FSAL stage when the error
/// estimate needs it (`fsal_eager`), the stiffness estimate and the error.
#[inline(always)]
fn run<T: Real, S: State<T>, F: System<T, S>, C: Coefficients<T, S>>(
    w: &mut Work<T, S>,
    sys: &mut F,
    step: Step<'_, T, S>,
    coef: &C,
    fsal_eager: bool,
) -> Outcome<T> {
    let Step {
        t,
        y,
        h,
        y_new,
        norm,
        stiff: want_stiff,
    } = step;
    let tab = coef.tab();
    let stiff_stage = tab.stiffness_stages.filter(|_| want_stiff).map(|(i0, _)| i0);
    let s = tab.stages();
    let fsal = tab.fsal;
    let last_stage = if fsal { s - 1 } else { s };
    // Unrolled by hand: with a constant tableau every stage index is then a
    // constant and its row of A folds into the code (the compiler does not
    // unroll a loop whose body holds the right-hand side).
    macro_rules! stage {
        ($i:expr) => {{
            let i = $i;
            let (done, rest) = w.k.split_at_mut(i);
            coef.stage(i, &mut w.ytmp, y, h, done);
            sys.rhs(t + coef.c(i) * h, &w.ytmp, &mut rest[0]);
            if stiff_stage == Some(i) && !stiff_point_in_ytmp(tab) {
                w.ystiff.as_mut_slice().copy_from_slice(w.ytmp.as_slice());
            }
        }};
    }
    macro_rules! stages {
        ($($i:literal)*) => {$(
            if $i < last_stage {
                stage!($i);
            }
        )*};
    }
    if C::UNROLL {
        stages!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        for i in 16..last_stage {
            stage!(i);
        }
    } else {
        for i in 1..last_stage {
            stage!(i);
        }
    }
    coef.solution(y_new, y, h, &w.k);
    let mut stiff = None;
    let mut fsal_pending = false;
    if fsal {
        if fsal_eager {
            sys.rhs(t + h, y_new, &mut w.k[s - 1]);
            if want_stiff {
                stiff = ExplicitRk::<T, S>::stiffness(tab, w, y_new, h);
            }
        } else {
            fsal_pending = true;
        }
    }
    let err = match tab.error {
        ErrorEstimate::None => T::zero(),
        ErrorEstimate::Embedded(_) => {
            coef.error(&mut w.err, h, &w.k);
            norm.rms(y.as_slice(), y_new.as_slice(), w.err.as_slice())
        }
        ErrorEstimate::Combined53 { .. } => {
            coef.error(&mut w.err, T::one(), &w.k);
            coef.error3(&mut w.err3, &w.k);
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
    };
    Outcome {
        err,
        stiff,
        fsal_pending,
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
        Self::compiled::<KDp5>()
    }
    /// Bogacki–Shampine 3(2) with its cubic Hermite dense output.
    pub fn bs3() -> Self {
        Self::compiled::<KBs3>()
    }
    /// Dormand–Prince 8(5,3) as in Hairer's DOP853 (use with `PiController::new(0.0)`, the
    /// default this tableau selects).
    pub fn dop853() -> Self {
        Self::compiled::<KDop853>()
    }
    /// Tsitouras 5(4) with its free interpolant.
    pub fn tsit5() -> Self {
        Self::compiled::<KTsit5>()
    }
    /// Verner's "most efficient" 6(5) pair.
    pub fn vern6() -> Self {
        Self::compiled::<KVern6>()
    }
    /// Verner's "most efficient" 7(6) pair.
    pub fn vern7() -> Self {
        Self::compiled::<KVern7>()
    }
    /// Verner's "most efficient" 9(8) pair.
    pub fn vern9() -> Self {
        Self::compiled::<KVern9>()
    }
    /// Runge–Kutta–Fehlberg 4(5).
    pub fn rkf45() -> Self {
        Self::compiled::<KRkf45>()
    }
    /// Cash–Karp 5(4).
    pub fn cash_karp() -> Self {
        Self::compiled::<KCashKarp>()
    }
    /// Explicit Euler (fixed step only; see [`Options::fixed_step`](crate::Options::fixed_step)).
    pub fn euler() -> Self {
        Self::compiled::<KEuler>()
    }
    /// The classic fourth-order Runge–Kutta method (fixed step only).
    pub fn rk4() -> Self {
        Self::compiled::<KRk4>()
    }
    /// A built-in tableau chosen at run time (every built-in tableau's
    /// kernels are compiled in). Built-in tableaus are validated by the test
    /// suite.
    pub(crate) fn builtin(tab: &'static Tableau) -> Self {
        match Self::new(tab) {
            Ok(m) => m,
            Err(e) => unreachable!("built-in tableau failed validation: {e}"),
        }
    }

    /// The built-in tableau `M` with its compiled kernels only.
    /// (Built-in tableaus are validated by the test suite, not on every
    /// construction.)
    fn compiled<M: ConstTableau + 'static>() -> Self {
        let predictive = TypeId::of::<M>() == TypeId::of::<KVern7>();
        Self::assemble(M::TAB, M::kernels(), M::FAST, predictive)
    }
}

impl<T: Real, S: State<T>> ExplicitRk<T, S> {
    /// Allocates the workspace for states like `y0` (kept when the dimension
    /// is unchanged) and clears the per-step flags.
    fn workspace(&mut self, y0: &S) {
        let nk = self.s + self.d.extra_c.len();
        let reuse = matches!(&self.ws, Some(w) if w.ytmp.dim() == y0.dim());
        if !reuse {
            let z = y0.zeros_like();
            self.ws = Some(Work {
                k: vec![z.clone(); nk],
                ytmp: z.clone(),
                err: z.clone(),
                err3: z.clone(),
                ystiff: z.clone(),
                sv: vec![z.clone(); self.d.stiff_gen.rows.len()],
                wbuf: vec![T::zero(); nk],
                f1: z.clone(),
                fs: z.clone(),
                g1: z.clone(),
                g2: z,
            });
        }
        self.extra_done = false;
        self.stiff = None;
    }
}
