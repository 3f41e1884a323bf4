//! The three stiff test problems, with the reference solutions of the Bari
//! Test Set for IVP solvers 2.4 (Mazzia & Magherini), good to about 12 digits.
//!
//! Each problem gives its right-hand side, its Jacobian as a dense matrix (for
//! odestride) and the Jacobian-vector product `J(y) v` (for diffsol, which
//! builds its Jacobian matrix from `J e_j`). Both are written by hand from the
//! same formulas; `check_jacobians` compares them at start-up.

use std::ops::IndexMut;

/// A stiff autonomous test problem on `[0, T_END]`.
pub trait Problem {
    const NAME: &'static str;
    const N: usize;
    const T_END: f64;
    /// `atol_i = ATOL_RATIO * rtol` for every component, and the same number
    /// is the floor of the error measure (see `error_of`).
    const ATOL_RATIO: f64;
    fn y0() -> Vec<f64>;
    fn reference() -> Vec<f64>;
    fn rhs(y: &[f64], dy: &mut [f64]);
    /// `out = J(y) v`.
    fn jvp(y: &[f64], v: &[f64], out: &mut [f64]);
    /// Writes every entry of `J(y)` (zeros included).
    fn jac<J: IndexMut<(usize, usize), Output = f64>>(y: &[f64], j: &mut J);
}

/// The achieved error of a final state: the mixed absolute/relative error
/// `max_i |y_i - ref_i| / (|ref_i| + ATOL_RATIO)`, the same for every solver
/// and independent of the tolerance asked for.
pub fn error_of<P: Problem>(y: &[f64]) -> f64 {
    let r = P::reference();
    y.iter()
        .zip(&r)
        .map(|(a, b)| (a - b).abs() / (b.abs() + P::ATOL_RATIO))
        .fold(0.0, |m: f64, e| if e.is_nan() { f64::NAN } else { m.max(e) })
}

fn zero<J: IndexMut<(usize, usize), Output = f64>>(j: &mut J, n: usize) {
    for r in 0..n {
        for c in 0..n {
            j[(r, c)] = 0.0;
        }
    }
}

/// Robertson's chemical kinetics on `[0, 1e11]`.
pub struct Rober;

const K1: f64 = 0.04;
const K2: f64 = 3e7;
const K3: f64 = 1e4;

impl Problem for Rober {
    const NAME: &'static str = "ROBER";
    const N: usize = 3;
    const T_END: f64 = 1e11;
    const ATOL_RATIO: f64 = 1e-6;
    fn y0() -> Vec<f64> {
        vec![1.0, 0.0, 0.0]
    }
    // The published digits, kept as printed in the test set.
    #[allow(clippy::excessive_precision)]
    fn reference() -> Vec<f64> {
        vec![
            0.2083340149701255e-07,
            0.8333360770334713e-13,
            0.9999999791665050e+00,
        ]
    }
    #[inline]
    fn rhs(y: &[f64], dy: &mut [f64]) {
        let (y1, y2, y3) = (y[0], y[1], y[2]);
        dy[0] = -K1 * y1 + K3 * y2 * y3;
        dy[1] = K1 * y1 - K3 * y2 * y3 - K2 * y2 * y2;
        dy[2] = K2 * y2 * y2;
    }
    #[inline]
    fn jvp(y: &[f64], v: &[f64], out: &mut [f64]) {
        let (y2, y3) = (y[1], y[2]);
        out[0] = -K1 * v[0] + K3 * y3 * v[1] + K3 * y2 * v[2];
        out[1] = K1 * v[0] + (-K3 * y3 - 2.0 * K2 * y2) * v[1] - K3 * y2 * v[2];
        out[2] = 2.0 * K2 * y2 * v[1];
    }
    #[inline]
    fn jac<J: IndexMut<(usize, usize), Output = f64>>(y: &[f64], j: &mut J) {
        let (y2, y3) = (y[1], y[2]);
        j[(0, 0)] = -K1;
        j[(0, 1)] = K3 * y3;
        j[(0, 2)] = K3 * y2;
        j[(1, 0)] = K1;
        j[(1, 1)] = -K3 * y3 - 2.0 * K2 * y2;
        j[(1, 2)] = -K3 * y2;
        j[(2, 0)] = 0.0;
        j[(2, 1)] = 2.0 * K2 * y2;
        j[(2, 2)] = 0.0;
    }
}

/// Van der Pol, unscaled, mu = 1000, on `[0, 2000]`.
pub struct VdP;

const MU: f64 = 1000.0;

impl Problem for VdP {
    const NAME: &'static str = "VdP";
    const N: usize = 2;
    const T_END: f64 = 2000.0;
    const ATOL_RATIO: f64 = 1.0;
    fn y0() -> Vec<f64> {
        vec![2.0, 0.0]
    }
    fn reference() -> Vec<f64> {
        vec![0.1706167732170469e+01, -0.8928097010248125e-03]
    }
    #[inline]
    fn rhs(y: &[f64], dy: &mut [f64]) {
        dy[0] = y[1];
        dy[1] = MU * (1.0 - y[0] * y[0]) * y[1] - y[0];
    }
    #[inline]
    fn jvp(y: &[f64], v: &[f64], out: &mut [f64]) {
        out[0] = v[1];
        out[1] = (-2.0 * MU * y[0] * y[1] - 1.0) * v[0] + MU * (1.0 - y[0] * y[0]) * v[1];
    }
    #[inline]
    fn jac<J: IndexMut<(usize, usize), Output = f64>>(y: &[f64], j: &mut J) {
        j[(0, 0)] = 0.0;
        j[(0, 1)] = 1.0;
        j[(1, 0)] = -2.0 * MU * y[0] * y[1] - 1.0;
        j[(1, 1)] = MU * (1.0 - y[0] * y[0]);
    }
}

/// HIRES (plant physiology), 8 components, on `[0, 321.8122]`.
pub struct Hires;

impl Problem for Hires {
    const NAME: &'static str = "HIRES";
    const N: usize = 8;
    const T_END: f64 = 321.8122;
    const ATOL_RATIO: f64 = 1e-4;
    fn y0() -> Vec<f64> {
        vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057]
    }
    fn reference() -> Vec<f64> {
        vec![
            0.7371312573325668e-3,
            0.1442485726316185e-3,
            0.5888729740967575e-4,
            0.1175651343283149e-2,
            0.2386356198831331e-2,
            0.6238968252742796e-2,
            0.2849998395185769e-2,
            0.2850001604814231e-2,
        ]
    }
    #[inline]
    fn rhs(y: &[f64], dy: &mut [f64]) {
        let r = 280.0 * y[5] * y[7];
        dy[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007;
        dy[1] = 1.71 * y[0] - 8.75 * y[1];
        dy[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4];
        dy[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3];
        dy[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6];
        dy[5] = -r + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6];
        dy[6] = r - 1.81 * y[6];
        dy[7] = -r + 1.81 * y[6];
    }
    #[inline]
    fn jvp(y: &[f64], v: &[f64], out: &mut [f64]) {
        let a = 280.0 * y[7]; // d r / d y6
        let b = 280.0 * y[5]; // d r / d y8
        let dr = a * v[5] + b * v[7];
        out[0] = -1.71 * v[0] + 0.43 * v[1] + 8.32 * v[2];
        out[1] = 1.71 * v[0] - 8.75 * v[1];
        out[2] = -10.03 * v[2] + 0.43 * v[3] + 0.035 * v[4];
        out[3] = 8.32 * v[1] + 1.71 * v[2] - 1.12 * v[3];
        out[4] = -1.745 * v[4] + 0.43 * v[5] + 0.43 * v[6];
        out[5] = -dr + 0.69 * v[3] + 1.71 * v[4] - 0.43 * v[5] + 0.69 * v[6];
        out[6] = dr - 1.81 * v[6];
        out[7] = -dr + 1.81 * v[6];
    }
    #[inline]
    fn jac<J: IndexMut<(usize, usize), Output = f64>>(y: &[f64], j: &mut J) {
        zero(j, 8);
        let a = 280.0 * y[7];
        let b = 280.0 * y[5];
        j[(0, 0)] = -1.71;
        j[(0, 1)] = 0.43;
        j[(0, 2)] = 8.32;
        j[(1, 0)] = 1.71;
        j[(1, 1)] = -8.75;
        j[(2, 2)] = -10.03;
        j[(2, 3)] = 0.43;
        j[(2, 4)] = 0.035;
        j[(3, 1)] = 8.32;
        j[(3, 2)] = 1.71;
        j[(3, 3)] = -1.12;
        j[(4, 4)] = -1.745;
        j[(4, 5)] = 0.43;
        j[(4, 6)] = 0.43;
        j[(5, 3)] = 0.69;
        j[(5, 4)] = 1.71;
        j[(5, 5)] = -a - 0.43;
        j[(5, 6)] = 0.69;
        j[(5, 7)] = -b;
        j[(6, 5)] = a;
        j[(6, 6)] = -1.81;
        j[(6, 7)] = b;
        j[(7, 5)] = -a;
        j[(7, 6)] = 1.81;
        j[(7, 7)] = -b;
    }
}

/// A dense row-major matrix, only for the consistency checks below.
struct Dense {
    n: usize,
    a: Vec<f64>,
}

impl std::ops::Index<(usize, usize)> for Dense {
    type Output = f64;
    fn index(&self, (r, c): (usize, usize)) -> &f64 {
        &self.a[r * self.n + c]
    }
}

impl IndexMut<(usize, usize)> for Dense {
    fn index_mut(&mut self, (r, c): (usize, usize)) -> &mut f64 {
        &mut self.a[r * self.n + c]
    }
}

/// Checks, at a few states, that `jac` and `jvp` agree with each other and
/// with central differences of `rhs`. Panics on a mismatch.
pub fn check_jacobians<P: Problem>() {
    let n = P::N;
    let y0 = P::y0();
    let reference = P::reference();
    let mixed: Vec<f64> = (0..n).map(|i| 0.3 + 0.1 * i as f64).collect();
    for y in [y0, reference, mixed] {
        let mut j = Dense {
            n,
            a: vec![f64::NAN; n * n],
        };
        P::jac(&y, &mut j);
        for c in 0..n {
            let mut e = vec![0.0; n];
            e[c] = 1.0;
            let mut col = vec![0.0; n];
            P::jvp(&y, &e, &mut col);
            let h = 1e-7 * y[c].abs().max(1e-3);
            let (mut yp, mut ym) = (y.clone(), y.clone());
            yp[c] += h;
            ym[c] -= h;
            let (mut fp, mut fm) = (vec![0.0; n], vec![0.0; n]);
            P::rhs(&yp, &mut fp);
            P::rhs(&ym, &mut fm);
            for r in 0..n {
                let fd = (fp[r] - fm[r]) / (2.0 * h);
                let scale = 1.0 + j[(r, c)].abs();
                assert!(
                    (j[(r, c)] - col[r]).abs() <= 1e-14 * scale,
                    "{}: jac[{r},{c}] = {} but (J e_{c})[{r}] = {}",
                    P::NAME,
                    j[(r, c)],
                    col[r]
                );
                // Truncation (relative 1e-5) plus rounding in f (16 eps |f| / h).
                let rounding = 16.0 * f64::EPSILON * (fp[r].abs() + fm[r].abs()) / h;
                assert!(
                    (fd - j[(r, c)]).abs() <= 1e-5 * scale + rounding,
                    "{}: jac[{r},{c}] = {} but the central difference is {fd}",
                    P::NAME,
                    j[(r, c)]
                );
            }
        }
    }
}
