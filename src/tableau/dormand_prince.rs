//! Dormand–Prince 5(4).
//!
//! Source: J. R. Dormand, P. J. Prince, "A family of embedded Runge-Kutta
//! formulae", J. Comput. Appl. Math. 6 (1980) 19–26; error weights and the
//! continuous extension as in Hairer's DOPRI5 (Hairer, Nørsett, Wanner,
//! *Solving ODEs I*, 2nd ed., Sect. II.5 and II.6, Table 5.2; dense output
//! coefficients d_i of Shampine 1986 as given in dopri5.f).

use super::{DenseSpec, ErrorEstimate, Tableau};

const B: [f64; 7] = [
    35.0 / 384.0,
    0.0,
    500.0 / 1113.0,
    125.0 / 192.0,
    -2187.0 / 6784.0,
    11.0 / 84.0,
    0.0,
];

/// The Dormand–Prince 5(4) pair ("DOPRI5", MATLAB's ode45), FSAL, with the
/// 4th-order continuous extension of Shampine used in Hairer's DOPRI5.
pub const DORMAND_PRINCE_54: Tableau = Tableau {
    name: "DP5",
    source: "Dormand & Prince (1980); Hairer-Norsett-Wanner I, Table II.5.2; dense output from dopri5.f",
    order: 5,
    embedded_order: 4,
    error_order: 4,
    c: &[0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0],
    a: &[
        &[],
        &[1.0 / 5.0],
        &[3.0 / 40.0, 9.0 / 40.0],
        &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
        &[
            19372.0 / 6561.0,
            -25360.0 / 2187.0,
            64448.0 / 6561.0,
            -212.0 / 729.0,
        ],
        &[
            9017.0 / 3168.0,
            -355.0 / 33.0,
            46732.0 / 5247.0,
            49.0 / 176.0,
            -5103.0 / 18656.0,
        ],
        &[B[0], B[1], B[2], B[3], B[4], B[5]],
    ],
    b: &B,
    // e = b - b_hat (Hairer's E1..E7 in dopri5.f).
    error: ErrorEstimate::Embedded(&[
        71.0 / 57600.0,
        0.0,
        -71.0 / 16695.0,
        71.0 / 1920.0,
        -17253.0 / 339200.0,
        22.0 / 525.0,
        -1.0 / 40.0,
    ]),
    fsal: true,
    // Polynomial weights obtained (exactly, in rational arithmetic) by expanding
    // Hairer's form y0 + th*(r2 + (1-th)*(r3 + th*(r4 + (1-th)*r5))) with
    // r5 = h * sum d_i k_i, d = (-12715105075/11282082432, 0,
    // 87487479700/32700410799, -10690763975/1880347072,
    // 701980252875/199316789632, -1453857185/822651844, 69997945/29380423).
    dense: Some(DenseSpec {
        order: 4,
        extra_c: &[],
        extra_a: &[],
        b_theta: &[
            &[
                1.0,
                -8048581381.0 / 2820520608.0,
                8663915743.0 / 2820520608.0,
                -12715105075.0 / 11282082432.0,
            ],
            &[0.0, 0.0, 0.0, 0.0],
            &[
                0.0,
                131558114200.0 / 32700410799.0,
                -68118460800.0 / 10900136933.0,
                87487479700.0 / 32700410799.0,
            ],
            &[
                0.0,
                -1754552775.0 / 470086768.0,
                14199869525.0 / 1410260304.0,
                -10690763975.0 / 1880347072.0,
            ],
            &[
                0.0,
                127303824393.0 / 49829197408.0,
                -318862633887.0 / 49829197408.0,
                701980252875.0 / 199316789632.0,
            ],
            &[
                0.0,
                -282668133.0 / 205662961.0,
                2019193451.0 / 616988883.0,
                -1453857185.0 / 822651844.0,
            ],
            &[
                0.0,
                40617522.0 / 29380423.0,
                -110615467.0 / 29380423.0,
                69997945.0 / 29380423.0,
            ],
        ],
    }),
    // Real root of |R(z)| = 1 for R(z) = 1 + z + z^2/2 + z^3/6 + z^4/24 + z^5/120 + z^6/600.
    stability_boundary: 3.3066,
    stiffness_stages: Some((5, 6)),
    pi_beta: 0.04,
};
