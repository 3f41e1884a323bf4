//! Stiff reference problems with published reference solutions, ready to
//! solve: right-hand side, analytic Jacobian, initial value, span and the
//! reference value at the end.
//!
//! Source of ROBER, VDPOL and HIRES and of their reference values: *Test Set
//! for IVP Solvers*, release 2.4 (F. Mazzia, C. Magherini et al., University
//! of Bari, 2008), problems `rober`, `vdpolm`, `hires` (subroutine `solut`,
//! RADAU at rtol = atol = h0 = 1.1e-18). Expect about 12 correct digits from
//! the references; do not test below that. The facts are collected in
//! `docs/stiff.md` ("Reference problems").
//!
//! ```
//! use odestride::problems::Rober;
//! use odestride::{Integrator, Options, Rosenbrock};
//! let p = Rober;
//! let sol = Integrator::new(Rosenbrock::rodas5p())
//!     .options(Options::default().rtol(1e-8).atol_per_component(p.atol(1e-8).to_vec()))
//!     .solve(p.system(), 0.0, Rober::T_END, p.y0())
//!     .unwrap();
//! assert!(p.error_ratio(sol.last_state(), 1e-8) < 50.0);
//! ```
#![allow(clippy::excessive_precision)]

use crate::system::{with_jacobian, WithJacobian};
use nalgebra::{SMatrix, SVector};

/// The right-hand side of a built-in problem.
pub type Rhs<const N: usize> = fn(f64, &SVector<f64, N>, &mut SVector<f64, N>);
/// The Jacobian of a built-in problem.
pub type Jac<const N: usize> = fn(f64, &SVector<f64, N>, &mut SMatrix<f64, N, N>);

/// The worst component of `|y - ref| / (atol_i + rtol |ref_i|)`: the error in
/// units of the tolerance (the Bari test set's "scaled error").
pub fn error_ratio<const N: usize>(
    y: &SVector<f64, N>,
    reference: &[f64; N],
    rtol: f64,
    atol: &[f64; N],
) -> f64 {
    (0..N)
        .map(|i| (y[i] - reference[i]).abs() / (atol[i] + rtol * reference[i].abs()))
        .fold(0.0, f64::max)
}

/// The largest component-wise relative error `|y_i - ref_i| / |ref_i|`.
pub fn max_relative_error<const N: usize>(y: &SVector<f64, N>, reference: &[f64; N]) -> f64 {
    (0..N)
        .map(|i| (y[i] - reference[i]).abs() / reference[i].abs())
        .fold(0.0, f64::max)
}

/// ROBER, Robertson's chemical kinetics (dimension 3), on `[0, 1e11]`:
/// `y1' = -k1 y1 + k3 y2 y3`, `y2' = k1 y1 - k3 y2 y3 - k2 y2^2`,
/// `y3' = k2 y2^2` with `k1 = 0.04`, `k2 = 3e7`, `k3 = 1e4`, `y(0) = (1, 0, 0)`.
/// `y2` stays below about 3.65e-5, so its absolute tolerance must be far
/// below the others' ([`Rober::atol`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Rober;

impl Rober {
    /// End of the span.
    pub const T_END: f64 = 1e11;
    /// Reference `y(1e11)`.
    pub const REFERENCE: [f64; 3] = [
        0.2083340149701255e-07,
        0.8333360770334713e-13,
        0.9999999791665050e+00,
    ];
    /// The right-hand side.
    pub fn rhs(_t: f64, y: &SVector<f64, 3>, dy: &mut SVector<f64, 3>) {
        let (k1, k2, k3) = (0.04, 3e7, 1e4);
        dy[0] = -k1 * y[0] + k3 * y[1] * y[2];
        dy[2] = k2 * y[1] * y[1];
        dy[1] = k1 * y[0] - k3 * y[1] * y[2] - dy[2];
    }
    /// The Jacobian.
    pub fn jac(_t: f64, y: &SVector<f64, 3>, j: &mut SMatrix<f64, 3, 3>) {
        let (k1, k2, k3) = (0.04, 3e7, 1e4);
        *j = SMatrix::<f64, 3, 3>::new(
            -k1,
            k3 * y[2],
            k3 * y[1],
            k1,
            -k3 * y[2] - 2.0 * k2 * y[1],
            -k3 * y[1],
            0.0,
            2.0 * k2 * y[1],
            0.0,
        );
    }
    /// Right-hand side with the analytic Jacobian, autonomous.
    pub fn system(&self) -> WithJacobian<Rhs<3>, Jac<3>> {
        with_jacobian(Self::rhs as Rhs<3>, Self::jac as Jac<3>).autonomous()
    }
    /// `y(0)`.
    pub fn y0(&self) -> SVector<f64, 3> {
        SVector::from([1.0, 0.0, 0.0])
    }
    /// Absolute tolerances for a relative tolerance `rtol`: `rtol` for `y1`
    /// and `y3`, `1e-6 rtol` for `y2` (the scale the test set uses; `y2` is
    /// 4e-5 at most).
    pub fn atol(&self, rtol: f64) -> [f64; 3] {
        [rtol, 1e-6 * rtol, rtol]
    }
    /// [`error_ratio`] of `y` against the reference with [`Rober::atol`].
    pub fn error_ratio(&self, y: &SVector<f64, 3>, rtol: f64) -> f64 {
        error_ratio(y, &Self::REFERENCE, rtol, &self.atol(rtol))
    }
    /// The tolerance-independent error of `y`:
    /// `max_i |y_i - ref_i| / (|ref_i| + s_i)` with the component scales
    /// `s = atol(1)` (a relative error, floored at the size below which a
    /// component is noise). Tolerance proportionality is measured in it.
    pub fn error(&self, y: &SVector<f64, 3>) -> f64 {
        error_ratio(y, &Self::REFERENCE, 1.0, &self.atol(1.0))
    }
}

/// Van der Pol's oscillator with `mu = 1000` in the unscaled form
/// (dimension 2), on `[0, 2000]`: `y1' = y2`, `y2' = mu (1 - y1^2) y2 - y1`,
/// `y(0) = (2, 0)`. The relaxation period is about `(3 - 2 ln 2) mu ≈ 1614`.
#[derive(Debug, Clone, Copy, Default)]
pub struct VanDerPol;

impl VanDerPol {
    /// `mu`.
    pub const MU: f64 = 1000.0;
    /// End of the span.
    pub const T_END: f64 = 2000.0;
    /// Reference `y(2000)`.
    pub const REFERENCE: [f64; 2] = [0.1706167732170469e+01, -0.8928097010248125e-03];
    /// The right-hand side.
    pub fn rhs(_t: f64, y: &SVector<f64, 2>, dy: &mut SVector<f64, 2>) {
        dy[0] = y[1];
        dy[1] = Self::MU * (1.0 - y[0] * y[0]) * y[1] - y[0];
    }
    /// The Jacobian.
    pub fn jac(_t: f64, y: &SVector<f64, 2>, j: &mut SMatrix<f64, 2, 2>) {
        *j = SMatrix::<f64, 2, 2>::new(
            0.0,
            1.0,
            -2.0 * Self::MU * y[0] * y[1] - 1.0,
            Self::MU * (1.0 - y[0] * y[0]),
        );
    }
    /// Right-hand side with the analytic Jacobian, autonomous.
    pub fn system(&self) -> WithJacobian<Rhs<2>, Jac<2>> {
        with_jacobian(Self::rhs as Rhs<2>, Self::jac as Jac<2>).autonomous()
    }
    /// `y(0)`.
    pub fn y0(&self) -> SVector<f64, 2> {
        SVector::from([2.0, 0.0])
    }
    /// Absolute tolerances for `rtol` (the same for both components).
    pub fn atol(&self, rtol: f64) -> [f64; 2] {
        [rtol, rtol]
    }
    /// [`error_ratio`] of `y` against the reference with [`VanDerPol::atol`].
    pub fn error_ratio(&self, y: &SVector<f64, 2>, rtol: f64) -> f64 {
        error_ratio(y, &Self::REFERENCE, rtol, &self.atol(rtol))
    }
    /// The tolerance-independent error of `y`:
    /// `max_i |y_i - ref_i| / (|ref_i| + s_i)` with the component scales
    /// `s = atol(1)` (a relative error, floored at the size below which a
    /// component is noise). Tolerance proportionality is measured in it.
    pub fn error(&self, y: &SVector<f64, 2>) -> f64 {
        error_ratio(y, &Self::REFERENCE, 1.0, &self.atol(1.0))
    }
}

/// HIRES, "High Irradiance RESponse" of plant physiology (dimension 8), on
/// `[0, 321.8122]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hires;

impl Hires {
    /// End of the span.
    pub const T_END: f64 = 321.8122;
    /// Reference `y(321.8122)`.
    pub const REFERENCE: [f64; 8] = [
        0.7371312573325668e-3,
        0.1442485726316185e-3,
        0.5888729740967575e-4,
        0.1175651343283149e-2,
        0.2386356198831331e-2,
        0.6238968252742796e-2,
        0.2849998395185769e-2,
        0.2850001604814231e-2,
    ];
    /// The right-hand side.
    pub fn rhs(_t: f64, y: &SVector<f64, 8>, dy: &mut SVector<f64, 8>) {
        dy[0] = -1.71 * y[0] + 0.43 * y[1] + 8.32 * y[2] + 0.0007;
        dy[1] = 1.71 * y[0] - 8.75 * y[1];
        dy[2] = -10.03 * y[2] + 0.43 * y[3] + 0.035 * y[4];
        dy[3] = 8.32 * y[1] + 1.71 * y[2] - 1.12 * y[3];
        dy[4] = -1.745 * y[4] + 0.43 * y[5] + 0.43 * y[6];
        dy[5] = -280.0 * y[5] * y[7] + 0.69 * y[3] + 1.71 * y[4] - 0.43 * y[5] + 0.69 * y[6];
        dy[6] = 280.0 * y[5] * y[7] - 1.81 * y[6];
        dy[7] = -dy[6];
    }
    /// The Jacobian.
    pub fn jac(_t: f64, y: &SVector<f64, 8>, j: &mut SMatrix<f64, 8, 8>) {
        j.as_mut_slice().fill(0.0);
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
        j[(5, 5)] = -280.0 * y[7] - 0.43;
        j[(5, 6)] = 0.69;
        j[(5, 7)] = -280.0 * y[5];
        j[(6, 5)] = 280.0 * y[7];
        j[(6, 6)] = -1.81;
        j[(6, 7)] = 280.0 * y[5];
        j[(7, 5)] = -280.0 * y[7];
        j[(7, 6)] = 1.81;
        j[(7, 7)] = -280.0 * y[5];
    }
    /// Right-hand side with the analytic Jacobian, autonomous.
    pub fn system(&self) -> WithJacobian<Rhs<8>, Jac<8>> {
        with_jacobian(Self::rhs as Rhs<8>, Self::jac as Jac<8>).autonomous()
    }
    /// `y(0)`.
    pub fn y0(&self) -> SVector<f64, 8> {
        SVector::from([1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0057])
    }
    /// Absolute tolerances for `rtol`: `1e-4 rtol` (the components are of
    /// size 1e-4 … 1).
    pub fn atol(&self, rtol: f64) -> [f64; 8] {
        [1e-4 * rtol; 8]
    }
    /// [`error_ratio`] of `y` against the reference with [`Hires::atol`].
    pub fn error_ratio(&self, y: &SVector<f64, 8>, rtol: f64) -> f64 {
        error_ratio(y, &Self::REFERENCE, rtol, &self.atol(rtol))
    }
    /// The tolerance-independent error of `y`:
    /// `max_i |y_i - ref_i| / (|ref_i| + s_i)` with the component scales
    /// `s = atol(1)` (a relative error, floored at the size below which a
    /// component is noise). Tolerance proportionality is measured in it.
    pub fn error(&self, y: &SVector<f64, 8>) -> f64 {
        error_ratio(y, &Self::REFERENCE, 1.0, &self.atol(1.0))
    }
}

/// Prothero–Robinson's scalar test of order reduction:
/// `y' = lambda (y - g(t)) + g'(t)` with `g = sin`, `y(0) = 0`, exact
/// `y = sin t` for every `lambda` (stiff for `lambda << -1`).
#[derive(Debug, Clone, Copy)]
pub struct ProtheroRobinson {
    /// The stiffness parameter (negative).
    pub lambda: f64,
}

impl ProtheroRobinson {
    /// The right-hand side.
    pub fn rhs(&self) -> impl FnMut(f64, &f64, &mut f64) + Copy {
        let l = self.lambda;
        move |t: f64, y: &f64, dy: &mut f64| *dy = l * (*y - t.sin()) + t.cos()
    }
    /// Right-hand side with analytic Jacobian and time derivative.
    #[allow(clippy::type_complexity)]
    pub fn system(
        &self,
    ) -> WithJacobian<
        impl FnMut(f64, &f64, &mut f64),
        impl FnMut(f64, &f64, &mut f64),
        impl FnMut(f64, &f64, &mut f64),
    > {
        let l = self.lambda;
        with_jacobian(self.rhs(), move |_t: f64, _y: &f64, j: &mut f64| *j = l)
            .time_derivative(move |t: f64, _y: &f64, d: &mut f64| *d = -l * t.cos() - t.sin())
    }
    /// The exact solution.
    pub fn exact(t: f64) -> f64 {
        t.sin()
    }
}
