//! The arithmetic floor of an explicit pair: what one f-evaluation costs
//! beyond the right-hand side when nothing but the method's own sums runs.
//!
//! A fixed-step loop, written for this measurement, with the tableau's
//! coefficients as compile-time constants (odestride's published `const`
//! tableaus): per step the stage sums `y + h sum_j a_ij k_j`, the solution
//! `y + h sum_j b_j k_j`, the embedded error combination(s) and their RMS
//! norm against `atol + rtol max(|y|, |y_new|)`, as Hairer's codes form
//! them. No step-size controller, no rejected steps, no dense output, no
//! detectors, no bookkeeping: no solver can do an adaptive step of this pair
//! with less arithmetic. The figure is time / nfev minus one right-hand-side
//! call, the same definition as the overhead table.
//!
//! [`adaptive`] adds to the same loop only what an adaptive solve cannot do
//! without: Hairer's starting step, his elementary/PI controller with its
//! step-ratio limits, rejection and the last step landing on `t_end`. It is
//! the cost of a lean, fused implementation of the pair (no detectors,
//! no dense output, no events, no stepping interface), listed in the
//! comparison as the "Lean" library: what the per-step machinery of a
//! full-featured solver costs is its distance to this.

use crate::common::Problem;
use nalgebra::SVector;
use odestride::tableau::{ErrorEstimate, Tableau};
use std::hint::black_box;

/// A built-in tableau as a type, so that its data fold into the code.
pub trait ConstTab {
    const NAME: &'static str;
    const TAB: &'static Tableau;
}

macro_rules! tabs {
    ($($ty:ident $name:literal => $tab:ident;)*) => {$(
        pub struct $ty;
        impl ConstTab for $ty {
            const NAME: &'static str = $name;
            const TAB: &'static Tableau = &odestride::tableau::$tab;
        }
    )*};
}

tabs! {
    Dp5 "DP5" => DORMAND_PRINCE_54;
    Tsit5 "Tsit5" => TSITOURAS_54;
    Vern6 "Vern6" => VERNER_65;
    Vern7 "Vern7" => VERNER_76;
    Dop853 "DOP853" => DORMAND_PRINCE_853;
    Vern9 "Vern9" => VERNER_98;
}

/// `sum_j w_j k_j` over the nonzero weights (the first nonzero term starts
/// the sum, so no `0 + x` is left for the compiler to keep).
#[inline(always)]
fn sum<const N: usize>(w: &[f64], k: &[SVector<f64, N>]) -> SVector<f64, N> {
    let mut acc: Option<SVector<f64, N>> = None;
    for (j, &c) in w.iter().enumerate() {
        if c != 0.0 {
            acc = Some(match acc {
                None => k[j] * c,
                Some(a) => a + k[j] * c,
            });
        }
    }
    acc.unwrap_or_else(SVector::zeros)
}

/// `sum((e_i / (atol + rtol max(|y_i|, |z_i|)))^2)` with rtol = atol = tol.
#[inline(always)]
fn sum_sq<const N: usize>(e: &SVector<f64, N>, y: &SVector<f64, N>, z: &SVector<f64, N>, tol: f64) -> f64 {
    let mut s = 0.0;
    for i in 0..N {
        let q = e[i] / (tol + tol * y[i].abs().max(z[i].abs()));
        s += q * q;
    }
    s
}

/// `f(y)` for problem `P`.
#[inline(always)]
fn rhs<const N: usize, P: Problem<N>>(y: &SVector<f64, N>) -> SVector<f64, N> {
    let mut dy = SVector::<f64, N>::zeros();
    P::rhs(y.as_slice(), dy.as_mut_slice());
    dy
}

/// One attempt from `y` with `k[0] = f(y)`: the stages (one arm per stage
/// index, so that each row of A is a constant), `y_new`, the FSAL stage
/// `k[s-1] = f(y_new)` if the pair has one, and the scaled error (RMS norm,
/// rtol = atol = `tol`; DOP853's combined 5/3 estimate as in dop853.f).
/// Returns (y_new, err, f-evaluations made).
#[inline(always)]
fn attempt<const N: usize, P: Problem<N>, M: ConstTab>(
    y: &SVector<f64, N>,
    h: f64,
    k: &mut [SVector<f64, N>; 16],
    tol: f64,
) -> (SVector<f64, N>, f64, usize) {
    let tab = M::TAB;
    let s = tab.c.len();
    let last = if tab.fsal { s - 1 } else { s };
    macro_rules! stages {
        ($($i:literal)*) => {$(
            if $i < last {
                let yi = y + sum(tab.a[$i], &k[..$i]) * h;
                k[$i] = rhs::<N, P>(&yi);
            }
        )*};
    }
    stages!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
    let y_new = y + sum(tab.b, &k[..tab.b.len()]) * h;
    let mut nfev = last - 1;
    if eager_fsal(tab) {
        k[s - 1] = rhs::<N, P>(&y_new);
        nfev += 1;
    }
    let n = N as f64;
    let err = match tab.error {
        ErrorEstimate::Embedded(e) => (sum_sq(&(sum(e, &k[..e.len()]) * h), y, &y_new, tol) / n).sqrt(),
        ErrorEstimate::Combined53 { e5, e3 } => {
            let s5 = sum_sq(&sum(e5, &k[..e5.len()]), y, &y_new, tol);
            let s3 = sum_sq(&sum(e3, &k[..e3.len()]), y, &y_new, tol);
            let deno = s5 + 0.01 * s3;
            let deno = if deno <= 0.0 { 1.0 } else { deno };
            h.abs() * s5 / (n * deno).sqrt()
        }
        ErrorEstimate::None => 0.0,
    };
    (y_new, err, nfev)
}

/// Whether the FSAL stage `f(y_new)` is needed before the error test: only
/// when the error weights use it (DP5, Tsit5). Otherwise (DOP853, whose
/// last stage serves the dense output and the next step only) it is
/// evaluated once the step is accepted, as dop853.f does.
#[inline(always)]
fn eager_fsal(tab: &Tableau) -> bool {
    let last = tab.c.len() - 1;
    let uses = |w: &[f64]| w.get(last).is_some_and(|c| *c != 0.0);
    tab.fsal
        && match tab.error {
            ErrorEstimate::Embedded(e) => uses(e),
            ErrorEstimate::Combined53 { e5, e3 } => uses(e5) || uses(e3),
            ErrorEstimate::None => false,
        }
}

/// Takes the step: `y = y_new`, and `k[0] = f(y_new)` (the FSAL stage when
/// it was evaluated already). Returns the f-evaluations made.
#[inline(always)]
fn take<const N: usize, P: Problem<N>, M: ConstTab>(
    y: &mut SVector<f64, N>,
    y_new: SVector<f64, N>,
    k: &mut [SVector<f64, N>; 16],
) -> usize {
    *y = y_new;
    if eager_fsal(M::TAB) {
        k[0] = k[M::TAB.c.len() - 1];
        0
    } else {
        k[0] = rhs::<N, P>(y);
        1
    }
}

/// An adaptive solve of `P` with tableau `M` at rtol = atol = `tol`:
/// Hairer's starting step (*Solving ODEs I*, Sect. II.4), his PI controller
/// with the pair's `beta` (0 for DOP853, DOP853's limits [1/3, 6], others
/// [0.2, 10], safety 0.9; a step after a rejection does not grow). Returns
/// (nfev, y(t_end)).
#[inline(never)]
pub fn adaptive<const N: usize, P: Problem<N>, M: ConstTab>(tol: f64) -> (usize, SVector<f64, N>) {
    let tab = M::TAB;
    let n = N as f64;
    let t_end = P::T_END;
    let dop853 = matches!(tab.error, ErrorEstimate::Combined53 { .. });
    let (fac_min, fac_max, safety) = if dop853 {
        (0.333, 6.0, 0.9)
    } else {
        (0.2, 10.0, 0.9)
    };
    let beta = tab.pi_beta;
    let alpha = 1.0 / (tab.error_order as f64 + 1.0) - 0.75 * beta;
    let mut y = SVector::<f64, N>::from(P::y0());
    let mut k = [SVector::<f64, N>::zeros(); 16];
    k[0] = rhs::<N, P>(&y);
    let mut nfev = 1;
    // Starting step.
    let mut h = {
        let sc = |v: &SVector<f64, N>| (sum_sq(v, &y, &y, tol) / n).sqrt();
        let (d0, d1) = (sc(&y), sc(&k[0]));
        let h0 = if d0 < 1e-5 || d1 < 1e-5 {
            1e-6
        } else {
            0.01 * d0 / d1
        };
        let h0 = h0.min(t_end);
        let f1 = rhs::<N, P>(&(y + k[0] * h0));
        nfev += 1;
        let d2 = sc(&(f1 - k[0])) / h0;
        let m = d1.max(d2);
        let h1 = if m <= 1e-15 {
            (h0 * 1e-3).max(1e-6)
        } else {
            (0.01 / m).powf(1.0 / (tab.order as f64 + 1.0))
        };
        (100.0 * h0).min(h1).min(t_end)
    };
    let mut t = 0.0;
    let mut err_old: f64 = 1e-4;
    let mut rejected = false;
    while t < t_end {
        let at_end = t + 1.01 * h >= t_end;
        if at_end {
            h = t_end - t;
        }
        let (y_new, err, evals) = attempt::<N, P, M>(&y, h, &mut k, tol);
        nfev += evals;
        if !err.is_finite() || h.abs() < 1e-14 * t.abs().max(1.0) {
            break;
        }
        if err <= 1.0 {
            let mut fac = safety * err.max(1e-300).powf(-alpha) * err_old.powf(beta);
            fac = fac.clamp(fac_min, fac_max);
            if rejected {
                fac = fac.min(1.0);
            }
            err_old = err.max(1e-4);
            rejected = false;
            t = if at_end { t_end } else { t + h };
            nfev += take::<N, P, M>(&mut y, y_new, &mut k);
            h *= fac;
        } else {
            rejected = true;
            h *= (safety * err.powf(-alpha)).max(fac_min);
        }
    }
    (nfev, y)
}

/// `steps` fixed steps of size `h` on problem `P` with tableau `M`; returns
/// (nfev, sum of the error norms), the latter so that nothing is optimised
/// away.
#[inline(never)]
pub fn run<const N: usize, P: Problem<N>, M: ConstTab>(steps: usize, h: f64) -> (usize, f64) {
    let mut y = SVector::<f64, N>::from(P::y0());
    let mut k = [SVector::<f64, N>::zeros(); 16];
    k[0] = rhs::<N, P>(&y);
    let mut nfev = 1;
    let mut err_sum = 0.0;
    for _ in 0..steps {
        let (y_new, err, evals) = attempt::<N, P, M>(&y, h, &mut k, 1e-10);
        nfev += evals;
        err_sum += err;
        nfev += take::<N, P, M>(&mut y, y_new, &mut k);
    }
    black_box(&y);
    (nfev, err_sum)
}
