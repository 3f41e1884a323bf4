//! Jacobians for implicit methods: analytic (through [`System::jacobian`])
//! or by finite differences, and a check of a user's analytic Jacobian.
//!
//! **Forward differences, column by column.** Column `j` of `df/dy` is
//! `(f(t, y + delta_j e_j) - f(t, y)) / delta_j` with
//! `delta_j = sqrt(eps) * max(|y_j|, atol_j)` (the absolute tolerance is the
//! scale below which a component is noise to the error test; when both are
//! zero, the largest `|y_k|` or 1 takes its place), rounded so that
//! `y_j + delta_j` is exact. This costs `n` evaluations of `f` per Jacobian
//! and is accurate to about `sqrt(eps)` relative, which Rosenbrock methods
//! tolerate (their order conditions assume the exact Jacobian; an error of
//! `1e-8` is far below what the step-size controller sees).
//!
//! **Time derivative.** When the system does not say it is autonomous (see
//! [`System::time_derivative`]), `df/dt` is the forward difference
//! `(f(t + delta, y) - f(t, y)) / delta`, `delta = sqrt(eps) max(|t|, |h|)`,
//! taken in the direction of integration: one more evaluation per step.
//!
//! **Checking.** [`check_jacobian`] compares an analytic Jacobian with
//! central differences entry by entry and lists the entries that disagree:
//! a wrong Jacobian is the most common user error with stiff solvers, and it
//! shows up only as mysteriously small steps.

use crate::linalg::SquareMatrix;
use crate::system::TimeDerivative;
use crate::{Real, State, System};

/// Forward-difference Jacobian of `sys` at `(t, y)` with `f0 = f(t, y)`,
/// written into `jac`. `atol` gives the floor of the increments (one value,
/// or one per component). `scratch` holds two states of `y`'s shape.
/// Returns the number of evaluations of `f` (the dimension).
pub(crate) fn forward_difference<T: Real, S: State<T>, F: System<T, S>>(
    sys: &mut F,
    t: T,
    y: &S,
    f0: &S,
    atol: &[T],
    jac: &mut S::Matrix,
    scratch: (&mut S, &mut S),
) -> usize {
    let (work, fwork) = scratch;
    let n = y.dim();
    let sqrt_eps = T::epsilon().sqrt();
    let ymax = y.as_slice().iter().fold(T::zero(), |m, v| m.max(v.abs()));
    work.as_mut_slice().copy_from_slice(y.as_slice());
    for j in 0..n {
        let yj = y.as_slice()[j];
        let a = if atol.len() == 1 { atol[0] } else { atol[j] };
        let mut scale = yj.abs().max(a);
        if scale == T::zero() {
            scale = if ymax > T::zero() { ymax } else { T::one() };
        }
        let target = yj + sqrt_eps * scale;
        let delta = target - yj; // exactly representable increment
        work.as_mut_slice()[j] = target;
        sys.rhs(t, work, fwork);
        work.as_mut_slice()[j] = yj;
        let inv = T::one() / delta;
        let col = &mut jac.col_major_mut()[j * n..(j + 1) * n];
        for ((c, fp), f) in col.iter_mut().zip(fwork.as_slice()).zip(f0.as_slice()) {
            *c = (*fp - *f) * inv;
        }
    }
    n
}

/// `df/dt` at `(t, y)` with `f0 = f(t, y)` into `out`: the system's own, zero,
/// or a forward difference in the direction of `h`. Returns the evaluations
/// of `f` spent (0 or 1) and whether `df/dt` is identically zero.
pub(crate) fn time_derivative<T: Real, S: State<T>, F: System<T, S>>(
    sys: &mut F,
    t: T,
    h: T,
    y: &S,
    f0: &S,
    out: &mut S,
) -> (usize, bool) {
    match sys.time_derivative(t, y, out) {
        TimeDerivative::Zero => (0, true),
        TimeDerivative::Written => (0, false),
        TimeDerivative::Unknown => {
            let dir = if h < T::zero() { -T::one() } else { T::one() };
            let target = t + dir * T::epsilon().sqrt() * t.abs().max(h.abs());
            let delta = target - t;
            sys.rhs(target, y, out);
            let inv = T::one() / delta;
            for (o, f) in out.as_mut_slice().iter_mut().zip(f0.as_slice()) {
                *o = (*o - *f) * inv;
            }
            (1, false)
        }
    }
}

/// One entry where an analytic Jacobian and finite differences disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct JacobianMismatch {
    /// Row `i` (the component of `f`).
    pub row: usize,
    /// Column `j` (the component of `y`).
    pub col: usize,
    /// The analytic value `df_i/dy_j`.
    pub analytic: f64,
    /// The central-difference value.
    pub finite_difference: f64,
    /// `|analytic - finite_difference|` divided by the entry's scale (see
    /// [`check_jacobian`]); above `tol` means a mismatch.
    pub error: f64,
}

/// The result of [`check_jacobian`].
#[derive(Debug, Clone, PartialEq)]
pub struct JacobianCheck {
    /// The entries that disagree, largest error first.
    pub mismatches: Vec<JacobianMismatch>,
    /// The largest scaled error over all entries.
    pub max_error: f64,
    /// Evaluations of `f` spent (`2 n + 1`).
    pub nfev: usize,
}

impl JacobianCheck {
    /// `true` when no entry disagrees.
    pub fn is_ok(&self) -> bool {
        self.mismatches.is_empty()
    }
}

impl core::fmt::Display for JacobianCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.is_ok() {
            return write!(
                f,
                "Jacobian agrees with finite differences (max scaled error {:.1e})",
                self.max_error
            );
        }
        writeln!(
            f,
            "{} Jacobian entries disagree with finite differences:",
            self.mismatches.len()
        )?;
        for m in &self.mismatches {
            writeln!(
                f,
                "  J[({}, {})] = {:e}, finite differences give {:e} (scaled error {:.1e})",
                m.row, m.col, m.analytic, m.finite_difference, m.error
            )?;
        }
        Ok(())
    }
}

/// Why [`check_jacobian`] could not check.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum JacobianCheckError {
    /// The system has no analytic Jacobian ([`System::jacobian`] returned
    /// `false`).
    #[error("the system provides no analytic Jacobian to check (System::jacobian returned false)")]
    NoJacobian,
    /// The tolerance is not a finite positive number.
    #[error("tol = {tol} is invalid: give a finite tolerance > 0 (1e-4 suits smooth problems)")]
    InvalidTolerance {
        /// The value given.
        tol: f64,
    },
    /// `f`, or the analytic Jacobian, is not finite at the point.
    #[error("{what} is not finite at the point of the check: choose a point where f is defined")]
    NonFinite {
        /// `"f(t, y)"`, `"the analytic Jacobian"` or `"f near y"`.
        what: String,
    },
    /// The analytic Jacobian came back with another shape than `n x n` (a
    /// `DMatrix` resized or reshaped by the system).
    #[error("the analytic Jacobian is {rows} x {cols}, expected {n} x {n} for a state of dimension {n}: do not resize or reshape the matrix you are given")]
    Shape {
        /// Rows written.
        rows: usize,
        /// Columns written.
        cols: usize,
        /// Dimension of the state.
        n: usize,
    },
}

/// Compares the analytic Jacobian of `sys` at `(t, y)` with central
/// differences and lists the entries that disagree.
///
/// Column `j` is differenced with `delta_j = eps^(1/3) max(|y_j|, 1e-3 ||y||_inf, 1e-8)`,
/// accurate to about `eps^(2/3)` relative. The entry `(i, j)` disagrees when
/// `|J_ij - D_ij| > tol * s_ij` with the scale
/// `s_ij = max(|J_ij|, |D_ij|) + 1e-3 max_k |D_ik|` (the second term keeps
/// entries that are tiny next to their row from raising false alarms).
/// `tol = 1e-4` suits smooth problems; a wrong entry is usually off by
/// O(1).
///
/// ```
/// use nalgebra::{SMatrix, SVector};
/// use odestride::jacobian::check_jacobian;
/// use odestride::system::with_jacobian;
/// let f = |_t: f64, y: &SVector<f64, 2>, dy: &mut SVector<f64, 2>| {
///     dy[0] = y[1];
///     dy[1] = -y[0] * y[0];
/// };
/// // Wrong on purpose: d(-y0^2)/dy0 is -2 y0, not -y0.
/// let jac = |_t: f64, y: &SVector<f64, 2>, j: &mut SMatrix<f64, 2, 2>| {
///     *j = SMatrix::<f64, 2, 2>::new(0.0, 1.0, -y[0], 0.0);
/// };
/// let mut sys = with_jacobian(f, jac);
/// let check = check_jacobian(&mut sys, 0.0, &SVector::from([3.0, 1.0]), 1e-4).unwrap();
/// assert_eq!(check.mismatches.len(), 1);
/// assert_eq!((check.mismatches[0].row, check.mismatches[0].col), (1, 0));
/// assert!((check.mismatches[0].finite_difference + 6.0).abs() < 1e-6);
/// ```
pub fn check_jacobian<T: Real, S: State<T>, F: System<T, S>>(
    sys: &mut F,
    t: T,
    y: &S,
    tol: T,
) -> Result<JacobianCheck, JacobianCheckError> {
    if !(tol.is_finite() && tol > T::zero()) {
        return Err(JacobianCheckError::InvalidTolerance {
            tol: tol.to_f64_lossy(),
        });
    }
    let n = y.dim();
    let nonfinite = |what: &str| JacobianCheckError::NonFinite { what: what.into() };
    let mut jac = y.matrix_like();
    if !sys.jacobian(t, y, &mut jac) {
        return Err(JacobianCheckError::NoJacobian);
    }
    let (rows, cols) = jac.shape();
    if rows != n || cols != n || jac.col_major().len() != n * n {
        return Err(JacobianCheckError::Shape { rows, cols, n });
    }
    if jac.col_major().iter().any(|v| !v.is_finite()) {
        return Err(nonfinite("the analytic Jacobian"));
    }
    let mut f0 = y.zeros_like();
    sys.rhs(t, y, &mut f0);
    if !f0.is_finite() {
        return Err(nonfinite("f(t, y)"));
    }
    let cbrt_eps = T::epsilon().cbrt();
    let ymax = y.as_slice().iter().fold(T::zero(), |m, v| m.max(v.abs()));
    let mut d = vec![T::zero(); n * n];
    let (mut yp, mut fp, mut fm) = (y.clone(), y.zeros_like(), y.zeros_like());
    for j in 0..n {
        let yj = y.as_slice()[j];
        let scale = yj.abs().max(T::lit(1e-3) * ymax).max(T::lit(1e-8));
        let (hi, lo) = (yj + cbrt_eps * scale, yj - cbrt_eps * scale);
        yp.as_mut_slice()[j] = hi;
        sys.rhs(t, &yp, &mut fp);
        yp.as_mut_slice()[j] = lo;
        sys.rhs(t, &yp, &mut fm);
        yp.as_mut_slice()[j] = yj;
        if !fp.is_finite() || !fm.is_finite() {
            return Err(nonfinite("f near y"));
        }
        let inv = T::one() / (hi - lo);
        for i in 0..n {
            d[j * n + i] = (fp.as_slice()[i] - fm.as_slice()[i]) * inv;
        }
    }
    let a = jac.col_major();
    let mut mismatches = Vec::new();
    let mut max_error = 0.0f64;
    for i in 0..n {
        let row_max = (0..n).fold(T::zero(), |m, k| m.max(d[k * n + i].abs()));
        for j in 0..n {
            let (aij, dij) = (a[j * n + i], d[j * n + i]);
            let s = aij.abs().max(dij.abs()) + T::lit(1e-3) * row_max;
            let diff = (aij - dij).abs();
            let err = if s > T::zero() {
                (diff / s).to_f64_lossy()
            } else {
                0.0
            };
            max_error = max_error.max(err);
            if diff > tol * s {
                mismatches.push(JacobianMismatch {
                    row: i,
                    col: j,
                    analytic: aij.to_f64_lossy(),
                    finite_difference: dij.to_f64_lossy(),
                    error: err,
                });
            }
        }
    }
    mismatches.sort_by(|x, y| y.error.total_cmp(&x.error));
    Ok(JacobianCheck {
        mismatches,
        max_error,
        nfev: 2 * n + 1,
    })
}
