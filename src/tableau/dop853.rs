//! Dormand–Prince 8(5,3), as in Hairer's DOP853.
//!
//! Source: E. Hairer, G. Wanner, code `dop853.f` (version of 2004, subroutine DP86CO), the
//! method of Dormand & Prince (P. J. Prince, J. R. Dormand, "High order embedded Runge-Kutta
//! formulae", J. Comput. Appl. Math. 7 (1981) 67–75) with the error estimator and dense output
//! described in Hairer, Nørsett, Wanner, *Solving ODEs I*, 2nd ed., Sect. II.10. All
//! coefficients are the code's 30-digit decimals, rounded once to f64.
//!
//! Framing: the code evaluates 12 stages per attempt and, after acceptance, `f(t + h, y_new)`
//! (its `K4`), used for the stiffness test, the dense output and the next step. Here that
//! evaluation is stage 13 with `a_13j = b_j`, `c_13 = 1` (first-same-as-last). Stage 12 also
//! has `c = 1`, so stages 12 and 13 give Hairer's stiffness estimate (his `K3`, `K4`).
//!
//! Error: `e5 = (ER1, 0, .., ER6..ER12, 0)` and `e3 = b - (BHH1 at stage 1, BHH2 at stage 9,
//! BHH3 at stage 12)`; the engine combines them as the code does,
//! `err = |h| s5 / sqrt(n (s5 + 0.01 s3))`, an estimate of order 8 in h (controller exponent 1/8).
//!
//! Dense output: `contd8` evaluates
//! `y + th (r1 + (1-th)(r2 + th (r3 + (1-th)(r4 + th (r5 + (1-th)(r6 + th r7))))))`, with
//! `r1 = h sum b_i k_i`, `r2 = h k_1 - r1`, `r3 = r1 - h k_13 - r2`, and
//! `r4..r7 = h sum_i d_{4..7,i} k_i` over the 16 stages (13 method stages, then the three extra
//! stages with nodes 0.1, 0.2, 7/9 and rows A14, A15, A16 of the code). Every `r` is linear in
//! the `h k_i`, so `y(th) = y + h sum_i b_i(th) k_i` with polynomial weights of degree 7. The
//! weights `b_theta` below were obtained by expanding that nested form exactly, in rational
//! arithmetic on the code's decimal coefficients (Python `fractions` + `sympy`), and rounding
//! each coefficient once. `b_i(1) = b_i` holds exactly; the order-7 conditions hold to ~1e-26
//! before rounding (tests/tableaus.rs re-checks them in f64).
//!
//! Consistency to rounding: rounding each coefficient independently to f64 breaks the sums that
//! make the method exact on polynomial solutions by up to eps times the sum of the magnitudes
//! involved (the expanded interpolant: up to 4.3e-14, coefficients up to 520). So a few
//! coefficients were moved to the nearest f64 values for which, in exact arithmetic on the stored
//! values, `c_i = sum_j a_ij` for every stage and, for every power theta^(m+1) of the interpolant,
//! `sum_i b_theta[i][m] = [m = 0]` and `sum_i b_theta[i][m] c_i = [m = 1] / 2` (i.e. `sum_i
//! b_i(theta) = theta`, `sum_i b_i(theta) c_i = theta^2 / 2`) hold to within an ulp or two of 1
//! (`consistency_conditions_hold_to_a_few_ulp` in tests/tableaus.rs): one entry of rows 10, 11, 12
//! and of the third extra stage, by one ulp; in the interpolant one to three coefficients per
//! power, by at most 8 ulp (1.1e-13). Every other value is the source's, rounded once.

use super::{DenseSpec, ErrorEstimate, Tableau};

// Coefficients generated from the cited sources (exact rationals or the sources' full-digit
// decimals, rounded once to the nearest f64); checked by tests/tableaus.rs.

/// Dormand–Prince 8(5,3) exactly as in Hairer's DOP853: 12 stages plus the FSAL stage
/// `f(t + h, y_new)` (row 13 of `A` is `b`), the combined 5th/3rd-order error estimator,
/// and the 7th-order dense output with three extra stages.
pub const DORMAND_PRINCE_853: Tableau = Tableau {
    name: "DOP853",
    source: "Hairer, dop853.f (Dormand-Prince 8(5,3)); HNW I, Sect. II.10",
    order: 8,
    embedded_order: 5,
    error_order: 7,
    c: &[
        0.0,
        0.05260015195876773,
        0.0789002279381516,
        0.1183503419072274,
        0.2816496580927726,
        0.3333333333333333,
        1.0 / 4.0,
        0.3076923076923077,
        0.6512820512820513,
        3.0 / 5.0,
        0.8571428571428571,
        1.0,
        1.0,
    ],
    a: &[
        &[],
        &[0.05260015195876773],
        &[0.0197250569845379, 0.0591751709536137],
        &[0.02958758547680685, 0.0, 0.08876275643042054],
        &[0.2413651341592667, 0.0, -0.8845494793282861, 0.924834003261792],
        &[
            0.037037037037037035,
            0.0,
            0.0,
            0.17082860872947386,
            0.12546768756682242,
        ],
        &[
            19.0 / 512.0,
            0.0,
            0.0,
            0.17025221101954405,
            0.06021653898045596,
            -9.0 / 512.0,
        ],
        &[
            0.03709200011850479,
            0.0,
            0.0,
            0.17038392571223998,
            0.10726203044637328,
            -0.015319437748624402,
            0.008273789163814023,
        ],
        &[
            0.6241109587160757,
            0.0,
            0.0,
            -3.3608926294469414,
            -0.868219346841726,
            27.59209969944671,
            20.154067550477894,
            -43.48988418106996,
        ],
        &[
            0.47766253643826434,
            0.0,
            0.0,
            -2.4881146199716677,
            -0.590290826836843,
            21.230051448181193,
            15.279233632882425,
            -33.28821096898486,
            -0.020331201708508627,
        ],
        &[
            -0.9371424300859873,
            0.0,
            0.0,
            5.186372428844063,
            1.0914373489967295,
            -8.149787010746927,
            -18.52006565999696,
            22.739487099350505,
            2.4936055526796523,
            -3.0467644718982196,
        ],
        &[
            2.273310147516538,
            0.0,
            0.0,
            -10.53449546673725,
            -2.0008720582248625,
            -17.9589318631188,
            27.94888452941996,
            -2.858998277135024,
            -8.87285693353063,
            12.360567175794303,
            0.6433927460157636,
        ],
        &[
            0.054293734116568765,
            0.0,
            0.0,
            0.0,
            0.0,
            4.450312892752409,
            1.8915178993145003,
            -5.801203960010585,
            0.3111643669578199,
            -0.1521609496625161,
            0.20136540080403034,
            0.04471061572777259,
        ],
    ],
    b: &[
        0.054293734116568765,
        0.0,
        0.0,
        0.0,
        0.0,
        4.450312892752409,
        1.8915178993145003,
        -5.801203960010585,
        0.3111643669578199,
        -0.1521609496625161,
        0.20136540080403034,
        0.04471061572777259,
        0.0,
    ],
    error: ErrorEstimate::Combined53 {
        e5: &[
            0.01312004499419488,
            0.0,
            0.0,
            0.0,
            0.0,
            -1.2251564463762044,
            -0.4957589496572502,
            1.6643771824549864,
            -0.35032884874997366,
            0.3341791187130175,
            0.08192320648511571,
            -0.022355307863886294,
            0.0,
        ],
        e3: &[
            -0.18980075407240762,
            0.0,
            0.0,
            0.0,
            0.0,
            4.450312892752409,
            1.8915178993145003,
            -5.801203960010585,
            -0.42268232132379197,
            -0.1521609496625161,
            0.20136540080403034,
            0.022651792198360825,
            0.0,
        ],
    },
    fsal: true,
    dense: Some(DenseSpec {
        order: 7,
        extra_c: &[1.0 / 10.0, 1.0 / 5.0, 0.7777777777777778],
        extra_a: &[
            &[
                0.056167502283047954,
                0.0,
                0.0,
                0.0,
                0.0,
                0.0,
                0.25350021021662483,
                -0.2462390374708025,
                -0.12419142326381637,
                0.15329179827876568,
                0.00820105229563469,
                0.007567897660545699,
                -4149.0 / 500000.0,
            ],
            &[
                0.03183464816350214,
                0.0,
                0.0,
                0.0,
                0.0,
                0.028300909672366776,
                0.053541988307438566,
                -0.05492374857139099,
                0.0,
                0.0,
                -0.00010834732869724932,
                0.0003825710908356584,
                -0.00034046500868740456,
                0.1413124436746325,
            ],
            &[
                -0.42889630158379194,
                0.0,
                0.0,
                0.0,
                0.0,
                -4.697621415361164,
                7.683421196062598,
                4.06898981839711,
                0.3567271874552811,
                0.0,
                0.0,
                0.0,
                -0.0013990241651590145,
                2.9475147891527724,
                -9.15095847217987,
            ],
        ],
        b_theta: &[
            &[
                1.0,
                -10.266057073759306,
                48.16185096856646,
                -114.93304874997833,
                147.46446875669778,
                -97.06685363011366,
                25.69393346270374,
            ],
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            &[
                0.0,
                13.917653631776604,
                -154.78787266663716,
                522.9219089608218,
                -456.25918840208783,
                -75.53193732135757,
                154.18974869023643,
            ],
            &[
                0.0,
                2.6056037519936095,
                -21.622822384626506,
                2.5351820289667586,
                292.25417465990404,
                -505.40999933296894,
                231.5293791760455,
            ],
            &[
                0.0,
                -15.018944223519684,
                160.09447708973047,
                -474.3071826037644,
                135.9603691617383,
                545.1091945264187,
                -357.6391179106141,
            ],
            &[
                0.0,
                3.050527683318488,
                -38.54396729189063,
                174.47140009219885,
                -337.0513470238771,
                291.78987509083254,
                -93.40532418362432,
            ],
            &[
                0.0,
                -1.3278744327655212,
                16.661770430049547,
                -74.44027814126302,
                140.75210016191608,
                -119.25620210405117,
                37.45832313645163,
            ],
            &[
                0.0,
                2.844533632672879,
                -36.55829548991012,
                170.69007169147514,
                -345.9748485480496,
                313.299553623578,
                -104.0996495089623,
            ],
            &[
                0.0,
                0.7657106259527873,
                -9.906995535619375,
                46.8029919188744,
                -96.51986946699569,
                88.74316650017616,
                -29.8402934266605,
            ],
            &[
                0.0,
                -1.0889903364513334,
                14.097013042320002,
                -66.68230591294363,
                137.96299063474376,
                -127.82216401767992,
                43.53345659001114,
            ],
            &[
                0.0,
                18.148505520854727,
                -127.63310949253875,
                357.3419516129657,
                -500.7031507909224,
                349.17035710882897,
                -96.32455395918828,
            ],
            &[
                0.0,
                -9.194632392478356,
                93.3567459327894,
                -282.6272618704363,
                361.14007718803333,
                -201.85219053352347,
                39.17726167561544,
            ],
            &[
                0.0,
                -4.436036387594894,
                56.68120539776666,
                -261.77342902691703,
                520.9742236688993,
                -461.17279991013964,
                149.72683625798564,
            ],
        ],
    }),
    stability_boundary: 6.3937,
    stiffness_stages: Some((11, 12)),
    pi_beta: 0.0,
};
