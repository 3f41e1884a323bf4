//! Runge–Kutta–Fehlberg 4(5) and Cash–Karp 5(4): the classic six-stage pairs.
//!
//! Sources (exact rationals, as published):
//! - E. Fehlberg, "Low-order classical Runge-Kutta formulas with stepsize control and their
//!   application to some heat transfer problems", NASA Technical Report R-315 (1969), Table III;
//!   also Hairer, Nørsett, Wanner, *Solving ODEs I*, Table II.5.1.
//! - J. R. Cash, A. H. Karp, "A variable order Runge-Kutta method for initial value problems with
//!   rapidly varying right-hand sides", ACM TOMS 16 (1990) 201–222, Table 5 (the 5(4) pair).
//!
//! Neither pair has a published continuous extension; the engine builds one from `f` values
//! (`ExplicitRk`'s fallback: a quartic Hermite–Birkhoff interpolant of order 4 for RKF45, one
//! extra evaluation per interpolated step; a quintic of order 5 for Cash–Karp, three extra).
//! Error weights are `e = b - b_hat`.

use super::{ErrorEstimate, Tableau};

/// Runge–Kutta–Fehlberg 4(5): propagates the fourth-order solution (Fehlberg's
/// original use), error estimated against the fifth-order embedded one.
pub const FEHLBERG_45: Tableau = Tableau {
    name: "RKF45",
    source: "Fehlberg, NASA TR R-315 (1969), Table III; HNW I, Table II.5.1",
    order: 4,
    embedded_order: 5,
    error_order: 4,
    c: &[0.0, 1.0 / 4.0, 3.0 / 8.0, 12.0 / 13.0, 1.0, 1.0 / 2.0],
    a: &[
        &[],
        &[1.0 / 4.0],
        &[3.0 / 32.0, 9.0 / 32.0],
        &[1932.0 / 2197.0, -7200.0 / 2197.0, 7296.0 / 2197.0],
        &[439.0 / 216.0, -8.0, 3680.0 / 513.0, -845.0 / 4104.0],
        &[-8.0 / 27.0, 2.0, -3544.0 / 2565.0, 1859.0 / 4104.0, -11.0 / 40.0],
    ],
    b: &[
        25.0 / 216.0,
        0.0,
        1408.0 / 2565.0,
        2197.0 / 4104.0,
        -1.0 / 5.0,
        0.0,
    ],
    error: ErrorEstimate::Embedded(&[
        -1.0 / 360.0,
        0.0,
        128.0 / 4275.0,
        2197.0 / 75240.0,
        -1.0 / 50.0,
        -2.0 / 55.0,
    ]),
    fsal: false,
    dense: None,
    stability_boundary: 3.0200,
    stiffness_stages: None,
    pi_beta: 0.04,
};

/// Cash–Karp 5(4): propagates the fifth-order solution, error against the
/// embedded fourth-order one.
pub const CASH_KARP_54: Tableau = Tableau {
    name: "CK5",
    source: "Cash & Karp, ACM TOMS 16 (1990) 201-222, Table 5",
    order: 5,
    embedded_order: 4,
    error_order: 4,
    c: &[0.0, 1.0 / 5.0, 3.0 / 10.0, 3.0 / 5.0, 1.0, 7.0 / 8.0],
    a: &[
        &[],
        &[1.0 / 5.0],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[3.0 / 10.0, -9.0 / 10.0, 6.0 / 5.0],
        &[-11.0 / 54.0, 5.0 / 2.0, -70.0 / 27.0, 35.0 / 27.0],
        &[
            1631.0 / 55296.0,
            175.0 / 512.0,
            575.0 / 13824.0,
            44275.0 / 110592.0,
            253.0 / 4096.0,
        ],
    ],
    b: &[
        37.0 / 378.0,
        0.0,
        250.0 / 621.0,
        125.0 / 594.0,
        0.0,
        512.0 / 1771.0,
    ],
    error: ErrorEstimate::Embedded(&[
        -277.0 / 64512.0,
        0.0,
        6925.0 / 370944.0,
        -6925.0 / 202752.0,
        -277.0 / 14336.0,
        277.0 / 7084.0,
    ]),
    fsal: false,
    dense: None,
    stability_boundary: 3.7344,
    stiffness_stages: None,
    pi_beta: 0.04,
};
