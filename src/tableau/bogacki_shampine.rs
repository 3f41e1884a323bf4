//! Bogacki–Shampine 3(2).
//!
//! Source: P. Bogacki, L. F. Shampine, "A 3(2) pair of Runge-Kutta formulas",
//! Appl. Math. Lett. 2 (1989) 321–325 (MATLAB's ode23). The continuous
//! extension is the cubic Hermite interpolant through (y0, f0) and (y1, f1),
//! which is third order and free thanks to FSAL.

use super::{DenseSpec, ErrorEstimate, Tableau};

/// The Bogacki–Shampine 3(2) pair, FSAL, with its free cubic Hermite
/// continuous extension.
pub const BOGACKI_SHAMPINE_32: Tableau = Tableau {
    name: "BS3",
    source: "Bogacki & Shampine, Appl. Math. Lett. 2 (1989) 321-325",
    order: 3,
    embedded_order: 2,
    error_order: 2,
    c: &[0.0, 1.0 / 2.0, 3.0 / 4.0, 1.0],
    a: &[
        &[],
        &[1.0 / 2.0],
        &[0.0, 3.0 / 4.0],
        &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0],
    ],
    b: &[2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0],
    // e = b - b_hat with b_hat = (7/24, 1/4, 1/3, 1/8).
    error: ErrorEstimate::Embedded(&[-5.0 / 72.0, 1.0 / 12.0, 1.0 / 9.0, -1.0 / 8.0]),
    fsal: true,
    // Hermite: b_i(th) = (3th^2 - 2th^3) b_i + (th - 2th^2 + th^3) [i=1] + (th^3 - th^2) [i=4].
    dense: Some(DenseSpec {
        order: 3,
        extra_c: &[],
        extra_a: &[],
        b_theta: &[
            &[1.0, -4.0 / 3.0, 5.0 / 9.0],
            &[0.0, 1.0, -2.0 / 3.0],
            &[0.0, 4.0 / 3.0, -8.0 / 9.0],
            &[0.0, -1.0, 1.0],
        ],
    }),
    // Real root of |R(z)| = 1 for R(z) = 1 + z + z^2/2 + z^3/6.
    stability_boundary: 2.5127,
    stiffness_stages: None,
    pi_beta: 0.0,
};
