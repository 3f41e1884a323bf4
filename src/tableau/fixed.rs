//! Classic fixed-step methods (no error estimate): explicit Euler, the
//! explicit midpoint rule, Heun's method and the classic Runge–Kutta method.
//!
//! Source: Hairer, Nørsett, Wanner, *Solving ODEs I*, Sect. II.1, Table 1.1
//! and eq. (1.8)–(1.9). Use them with [`Options::fixed_step`](crate::Options::fixed_step)
//! or wrapped in step doubling for an error estimate. Without a continuous
//! extension of their own, dense output is the engine's fallback: the cubic
//! Hermite interpolant (order 3), for RK4 the quartic Hermite–Birkhoff one
//! (order 4, one extra evaluation per interpolated step).

use super::{ErrorEstimate, Tableau};

/// Explicit Euler, order 1. Stable for `h lambda` in `[-2, 0]`.
pub const EULER: Tableau = Tableau {
    name: "Euler",
    source: "Euler (1768); HNW I, eq. (II.1.3)",
    order: 1,
    embedded_order: 0,
    error_order: 1,
    c: &[0.0],
    a: &[&[]],
    b: &[1.0],
    error: ErrorEstimate::None,
    fsal: false,
    dense: None,
    stability_boundary: 2.0,
    stiffness_stages: None,
    pi_beta: 0.0,
};

/// Explicit midpoint rule (Runge 1895), order 2.
pub const MIDPOINT: Tableau = Tableau {
    name: "Midpoint",
    source: "Runge (1895); HNW I, eq. (II.1.6)",
    order: 2,
    embedded_order: 0,
    error_order: 2,
    c: &[0.0, 0.5],
    a: &[&[], &[0.5]],
    b: &[0.0, 1.0],
    error: ErrorEstimate::None,
    fsal: false,
    dense: None,
    stability_boundary: 2.0,
    stiffness_stages: None,
    pi_beta: 0.0,
};

/// Heun's method (explicit trapezoidal rule), order 2.
pub const HEUN: Tableau = Tableau {
    name: "Heun",
    source: "Heun (1900); HNW I, Table II.1.1",
    order: 2,
    embedded_order: 0,
    error_order: 2,
    c: &[0.0, 1.0],
    a: &[&[], &[1.0]],
    b: &[0.5, 0.5],
    error: ErrorEstimate::None,
    fsal: false,
    dense: None,
    stability_boundary: 2.0,
    stiffness_stages: None,
    pi_beta: 0.0,
};

/// The classic Runge–Kutta method (Kutta 1901), order 4.
pub const RK4: Tableau = Tableau {
    name: "RK4",
    source: "Kutta (1901); HNW I, Table II.1.2 (left)",
    order: 4,
    embedded_order: 0,
    error_order: 4,
    c: &[0.0, 0.5, 0.5, 1.0],
    a: &[&[], &[0.5], &[0.0, 0.5], &[0.0, 0.0, 1.0]],
    b: &[1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
    error: ErrorEstimate::None,
    fsal: false,
    dense: None,
    // Real root of |1 + z + z^2/2 + z^3/6 + z^4/24| = 1.
    stability_boundary: 2.785293563405282,
    stiffness_stages: None,
    pi_beta: 0.0,
};
