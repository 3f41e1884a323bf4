//! Rosenbrock (Rosenbrock–Wanner) methods as data.
//!
//! A Rosenbrock method is stored in the *transformed* ("W-transformed")
//! form of Hairer & Wanner (*Solving ODEs II*, Sect. IV.7, eq. (7.25)) that
//! Hairer's RODAS and OrdinaryDiffEq.jl also use. With `J = df/dy(t, y)`,
//! `f_t = df/dt(t, y)` and the iteration matrix `E = I/(h gamma) - J`
//! (factorised once per step), stage `i` solves
//!
//! ```text
//! E u_i = f(t + alpha_i h, y + sum_{j<i} a_ij u_j) + sum_{j<i} (c_ij / h) u_j + gamma_i h f_t
//! ```
//!
//! and the step is `y_new = y + sum_i m_i u_i`, its error estimate
//! `sum_i e_i u_i` (`e = m - m_hat`).
//!
//! The classical form `(alpha_ij, gamma_ij, b_i)` of the order conditions is
//! recovered as `Gamma = (diag(1/gamma) - C)^(-1)`, `alpha = a Gamma`,
//! `b = m Gamma`; `tests/rosenbrock_tableaus.rs` checks every tableau's
//! order conditions (including the `gamma`-dependent ones) in that form.
//!
//! Every constant cites its source next to its coefficients.

/// The continuous extension of a Rosenbrock method.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RosenbrockDense {
    /// The Rodas form (Hairer's RODAS, Steinebach's Rodas5P): with
    /// `k_l = sum_j h[l][j] u_j`,
    /// `y(t + theta h) = (1 - theta) y + theta (y_new + (1 - theta)(k_0 + theta (k_1 + theta k_2 ...)))`.
    Rodas(&'static [&'static [f64]]),
    /// General polynomial weights: `y(t + theta h) = y + sum_j P_j(theta) u_j`,
    /// `P_j(theta) = sum_m poly[m][j] theta^(m+1)` (row `m` is the
    /// coefficient of `theta^(m+1)`, one entry per stage).
    Poly(&'static [&'static [f64]]),
}

/// A Rosenbrock method (an embedded pair of linearly implicit methods) as
/// data, in the transformed form described in the module docs of
/// `src/tableau/rosenbrock.rs`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RosenbrockTableau {
    /// Short name, e.g. `"Rodas5P"`.
    pub name: &'static str,
    /// Where the coefficients come from.
    pub source: &'static str,
    /// Order of the propagated solution.
    pub order: u32,
    /// Order of the embedded solution.
    pub embedded_order: u32,
    /// Order of the continuous extension.
    pub dense_order: u32,
    /// The diagonal coefficient `gamma` (the same for every stage).
    pub gamma: f64,
    /// Rows of the transformed `a`; row `i` holds `a_i0 .. a_i,i-1`.
    pub a: &'static [&'static [f64]],
    /// Rows of the transformed `C` (strictly lower); row `i` holds
    /// `c_i0 .. c_i,i-1`.
    pub c: &'static [&'static [f64]],
    /// Stage times `alpha_i = sum_j alpha_ij` (fractions of `h`).
    pub alpha: &'static [f64],
    /// `gamma_i = sum_{j<=i} gamma_ij` (the coefficient of `h f_t`).
    pub gamma_i: &'static [f64],
    /// Solution weights `m_i`.
    pub m: &'static [f64],
    /// Error weights `e_i = m_i - m_hat_i`.
    pub e: &'static [f64],
    /// The continuous extension.
    pub dense: RosenbrockDense,
    /// Whether the method is stiffly accurate (its solution is the last
    /// stage's point: `y_new` is `y + sum_j a_sj u_j + u_s`).
    pub stiffly_accurate: bool,
    /// Whether the method (the propagated solution) is L-stable.
    pub l_stable: bool,
}

impl RosenbrockTableau {
    /// Number of stages.
    pub fn stages(&self) -> usize {
        self.m.len()
    }
}
