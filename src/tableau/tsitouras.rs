//! Tsitouras 5(4).
//!
//! Source: Ch. Tsitouras, "Runge–Kutta pairs of order 5(4) satisfying only the first column
//! simplifying assumption", Computers & Mathematics with Applications 62 (2011) 770–775:
//! Table 1 (nodes, matrix, weights, embedded weights; the paper derives them from the free
//! parameters c2..c5 to many digits) and the free 4th-order continuous extension given there in
//! factored form, expanded here into powers of theta. The paper prints the interpolant to about
//! 18 significant digits, so its order conditions hold to ~1e-17 (the main and embedded
//! weights to full precision). Error weights are `e = b - b_hat` (up to sign, which the norm
//! ignores).
//!
//! Consistency to rounding: rounding each coefficient independently to f64 breaks the sums that
//! make the method exact on polynomial solutions by up to eps times the sum of the magnitudes
//! involved (Tsit5's interpolant: up to 1.1e-14, for theta^3, whose coefficients reach 88). So a
//! few coefficients were moved to the nearest f64 values for which, in exact arithmetic on the
//! stored values, `c_i = sum_j a_ij` for every stage and, for every power theta^(m+1) of the
//! interpolant, `sum_i b_theta[i][m] = [m = 0]` and `sum_i b_theta[i][m] c_i = [m = 1] / 2` (i.e.
//! `sum_i b_i(theta) = theta`, `sum_i b_i(theta) c_i = theta^2 / 2`) hold to within an ulp or two
//! of 1 (`consistency_conditions_hold_to_a_few_ulp` in tests/tableaus.rs): `a_53` by one ulp; in
//! the interpolant stage 1's coefficient and those of stages 3 and 4, by at most 22 ulp (1e-14).
//! Every other value is the source's, rounded once.

use super::{DenseSpec, ErrorEstimate, Tableau};

// Coefficients generated from the cited sources (exact rationals or the sources' full-digit
// decimals, rounded once to the nearest f64); checked by tests/tableaus.rs.

/// Tsitouras 5(4), FSAL, with its free fourth-order continuous extension.
pub const TSITOURAS_54: Tableau = Tableau {
    name: "Tsit5",
    source: "Tsitouras, Comput. Math. Appl. 62 (2011) 770-775, Table 1 and the interpolant of Sect. 3",
    order: 5,
    embedded_order: 4,
    error_order: 4,
    c: &[0.0, 0.161, 0.327, 0.9, 0.9800255409045097, 1.0, 1.0],
    a: &[
        &[],
        &[0.161],
        &[-0.008480655492356989, 0.335480655492357],
        &[2.8971530571054935, -6.359448489975075, 4.3622954328695815],
        &[
            5.325864828439257,
            -11.748883564062828,
            7.495539342889836,
            -0.09249506636175525,
        ],
        &[
            5.86145544294642,
            -12.92096931784711,
            8.159367898576159,
            -0.071584973281401,
            -0.028269050394068383,
        ],
        &[
            0.09646076681806523,
            0.01,
            0.4798896504144996,
            1.379008574103742,
            -3.290069515436081,
            2.324710524099774,
        ],
    ],
    b: &[
        0.09646076681806523,
        0.01,
        0.4798896504144996,
        1.379008574103742,
        -3.290069515436081,
        2.324710524099774,
        0.0,
    ],
    error: ErrorEstimate::Embedded(&[
        -0.0017800110522257714,
        -0.0008164344596567469,
        0.007880878010261995,
        -0.1447110071732629,
        0.5823571654525552,
        -0.45808210592918697,
        0.015151515151515152,
    ]),
    fsal: true,
    dense: Some(DenseSpec {
        order: 4,
        extra_c: &[],
        extra_a: &[],
        b_theta: &[
            &[1.0, -2.7637061972748205, 2.9132554618219118, -1.0530884977290234],
            &[0.0, 0.13169999999999998, -0.2234, 0.1017],
            &[0.0, 3.930296236894742, -5.9410338721315, 2.4906272856512532],
            &[0.0, -12.411077166933676, 30.33818863028233, -16.548102889244902],
            &[0.0, 37.50931341651104, -88.1789048947664, 47.37952196281928],
            &[0.0, -27.896526289197286, 65.09189467479366, -34.87065786149661],
            &[0.0, 1.5, -4.0, 2.5],
        ],
    }),
    stability_boundary: 3.5068,
    stiffness_stages: Some((5, 6)),
    pi_beta: 0.04,
};
