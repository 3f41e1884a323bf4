//! Butcher tableaus as data.
//!
//! A method is a [`Tableau`] constant: nodes `c`, the strictly lower
//! triangular matrix `A`, the propagating weights `b`, the error estimator,
//! and (optionally) the polynomial weights of a continuous extension. One
//! generic engine, [`ExplicitRk`](crate::stepper::ExplicitRk), runs them all;
//! adding a method is adding a constant here.
//!
//! Every constant cites its source next to its coefficients. The tests in
//! `tests/tableaus.rs` check the order conditions (rooted trees) and measure
//! the convergence order of every tableau from the code.
//!
//! Rosenbrock (linearly implicit) methods are [`RosenbrockTableau`] constants
//! in the transformed form of Hairer & Wanner ([`ROSENBROCK_ALL`]);
//! `tests/rosenbrock_tableaus.rs` checks them in the classical form.

mod bogacki_shampine;
mod dop853;
mod dormand_prince;
mod fehlberg;
mod fixed;
mod rosenbrock;
mod tsitouras;
mod verner;

pub use bogacki_shampine::BOGACKI_SHAMPINE_32;
pub use dop853::DORMAND_PRINCE_853;
pub use dormand_prince::DORMAND_PRINCE_54;
pub use fehlberg::{CASH_KARP_54, FEHLBERG_45};
pub use fixed::{EULER, HEUN, MIDPOINT, RK4};
pub use rosenbrock::{RosenbrockDense, RosenbrockTableau, RODAS4, RODAS5P, ROSENBROCK23};
pub use tsitouras::TSITOURAS_54;
pub use verner::{VERNER_65, VERNER_76, VERNER_98};

/// Every built-in tableau, fixed-step methods first, then the embedded pairs by order.
pub const ALL: [&Tableau; 13] = [
    &EULER,
    &MIDPOINT,
    &HEUN,
    &RK4,
    &BOGACKI_SHAMPINE_32,
    &FEHLBERG_45,
    &CASH_KARP_54,
    &DORMAND_PRINCE_54,
    &TSITOURAS_54,
    &VERNER_65,
    &VERNER_76,
    &DORMAND_PRINCE_853,
    &VERNER_98,
];

/// Every built-in Rosenbrock tableau, by order.
pub const ROSENBROCK_ALL: [&RosenbrockTableau; 3] = [&ROSENBROCK23, &RODAS4, &RODAS5P];

/// How a tableau estimates its local error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ErrorEstimate {
    /// No error estimate (a fixed-step method such as explicit Euler or RK4).
    None,
    /// Weights `e = b - b_hat` of an embedded method: the error vector is
    /// `h * sum_i e_i k_i`.
    Embedded(&'static [f64]),
    /// The combined estimator of Hairer's DOP853: two error vectors from
    /// weights of orders 5 and 3, `err = |h| s5 / sqrt(n (s5 + 0.01 s3))`
    /// where `s5`, `s3` are the unnormalised sums of squares of the scaled
    /// vectors. It behaves like an order-7 estimate (controller exponent 1/8).
    Combined53 {
        /// Weights of the fifth-order difference.
        e5: &'static [f64],
        /// Weights of the third-order difference.
        e3: &'static [f64],
    },
}

/// A continuous extension (dense output) of a tableau.
///
/// The interpolant on a step from `(t, y)` with size `h` is
/// `y(t + theta h) = y + h * sum_i b_i(theta) k_i`, with polynomial weights
/// `b_i(theta) = sum_m b_theta[i][m] theta^(m+1)`. The stages `k_i` run over
/// the method's own stages followed by `extra` stages (computed lazily, only
/// when an interpolated value is asked for).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenseSpec {
    /// Order of the interpolant (local error `O(h^(order+1))`).
    pub order: u32,
    /// Nodes of the extra stages.
    pub extra_c: &'static [f64],
    /// Rows of the extra stages; row `j` has `stages + j` entries.
    pub extra_a: &'static [&'static [f64]],
    /// Polynomial coefficients `b_theta[i][m]` (coefficient of
    /// `theta^(m+1)`), one row per stage (method stages, then extra stages).
    pub b_theta: &'static [&'static [f64]],
}

/// An explicit Runge–Kutta method (usually an embedded pair) as data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tableau {
    /// Short name, e.g. `"DP5"`.
    pub name: &'static str,
    /// Where the coefficients come from.
    pub source: &'static str,
    /// Order of the propagated solution (weights `b`).
    pub order: u32,
    /// Order of the embedded solution (0 when there is none).
    pub embedded_order: u32,
    /// `q` such that the error estimate behaves like `h^(q+1)`; the step-size
    /// controllers use the exponent `1/(q+1)`. Usually
    /// `min(order, embedded_order)`; 7 for DOP853's combined estimator.
    pub error_order: u32,
    /// Nodes `c_i`.
    pub c: &'static [f64],
    /// Rows of `A`; row `i` holds `a_i0 .. a_i,i-1` (row 0 is empty).
    pub a: &'static [&'static [f64]],
    /// Propagating weights.
    pub b: &'static [f64],
    /// The error estimator.
    pub error: ErrorEstimate,
    /// First-same-as-last: the last stage is `f(t + h, y_new)`, so it is
    /// reused as the first stage of the next step.
    pub fsal: bool,
    /// Continuous extension, if the method has one.
    pub dense: Option<DenseSpec>,
    /// Where the real-axis stability interval ends: the method is stable for
    /// `h * lambda` in `[-stability_boundary, 0]`.
    pub stability_boundary: f64,
    /// Two stages evaluated at the same time whose difference estimates the
    /// dominant eigenvalue (Hairer's stiffness test), if the method has them; without
    /// them `ExplicitRk` estimates from the embedded error combination.
    pub stiffness_stages: Option<(usize, usize)>,
    /// The `beta` of the PI controller recommended for this method
    /// (Hairer: 0.04 for DOPRI5, 0 for DOP853).
    pub pi_beta: f64,
}

/// What is wrong with a tableau.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TableauError {
    /// The arrays do not have matching lengths.
    #[error("tableau {name}: {what}")]
    Shape {
        /// Tableau name.
        name: &'static str,
        /// Which array is inconsistent.
        what: String,
    },
}

impl Tableau {
    /// Number of stages of the method (without dense-output extra stages).
    pub fn stages(&self) -> usize {
        self.c.len()
    }

    /// Checks that every array has the shape the engine expects.
    ///
    /// ```
    /// assert!(odestride::tableau::DORMAND_PRINCE_54.validate().is_ok());
    /// ```
    pub fn validate(&self) -> Result<(), TableauError> {
        let s = self.stages();
        let bad = |what: String| {
            Err(TableauError::Shape {
                name: self.name,
                what,
            })
        };
        if s == 0 {
            return bad("no stages".into());
        }
        if self.a.len() != s || self.b.len() != s {
            return bad(format!(
                "expected {s} rows of A and {s} weights, got {} and {}",
                self.a.len(),
                self.b.len()
            ));
        }
        for (i, row) in self.a.iter().enumerate() {
            if row.len() != i {
                return bad(format!("row {i} of A has {} entries, expected {i}", row.len()));
            }
        }
        match self.error {
            ErrorEstimate::None => {}
            ErrorEstimate::Embedded(e) => {
                if e.len() != s {
                    return bad(format!("{} error weights for {s} stages", e.len()));
                }
            }
            ErrorEstimate::Combined53 { e5, e3 } => {
                if e5.len() != s || e3.len() != s {
                    return bad("combined error weights have the wrong length".into());
                }
            }
        }
        if self.fsal {
            let last = self.a[s - 1];
            let same = last
                .iter()
                .zip(self.b)
                .all(|(x, y)| (x - y).abs() <= 1e-15 * y.abs().max(1.0));
            if !same || self.b[s - 1] != 0.0 || self.c[s - 1] != 1.0 {
                return bad("FSAL requires the last row of A to equal b, b_s = 0 and c_s = 1".into());
            }
        }
        if let Some(d) = &self.dense {
            if d.extra_a.len() != d.extra_c.len() {
                return bad("dense output: extra_a and extra_c differ in length".into());
            }
            for (j, row) in d.extra_a.iter().enumerate() {
                if row.len() != s + j {
                    return bad(format!("dense output: extra row {j} has {} entries", row.len()));
                }
            }
            if d.b_theta.len() != s + d.extra_c.len() {
                return bad("dense output: one b_theta row per stage is required".into());
            }
        }
        if let Some((i, j)) = self.stiffness_stages {
            if i >= s || j >= s || self.c[i] != self.c[j] {
                return bad("stiffness stages must be two stages with equal nodes".into());
            }
        }
        // Every coefficient finite: a NaN here would surface later as NaN
        // "from the right-hand side".
        let mut arrays: Vec<(&str, &[f64])> = vec![("c", self.c), ("b", self.b)];
        arrays.extend(self.a.iter().map(|r| ("A", *r)));
        match self.error {
            ErrorEstimate::None => {}
            ErrorEstimate::Embedded(e) => arrays.push(("error weights", e)),
            ErrorEstimate::Combined53 { e5, e3 } => arrays.extend([("e5", e5), ("e3", e3)]),
        }
        if let Some(d) = &self.dense {
            arrays.push(("dense extra_c", d.extra_c));
            arrays.extend(d.extra_a.iter().map(|r| ("dense extra_a", *r)));
            arrays.extend(d.b_theta.iter().map(|r| ("dense b_theta", *r)));
        }
        if let Some((what, v)) = arrays
            .iter()
            .find_map(|(w, r)| r.iter().find(|v| !v.is_finite()).map(|v| (w, v)))
        {
            return bad(format!("{what} holds the non-finite coefficient {v}"));
        }
        if !(self.stability_boundary.is_finite() && self.pi_beta.is_finite()) {
            return bad("stability_boundary and pi_beta must be finite".into());
        }
        Ok(())
    }
}
