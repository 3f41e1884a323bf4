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
/// data, in the transformed form of Hairer & Wanner (*Solving ODEs II*,
/// Sect. IV.7, eq. (7.25)). With `J = df/dy(t, y)`, `f_t = df/dt(t, y)` and
/// `E = I/(h gamma) - J`, stage `i` solves
///
/// ```text
/// E u_i = f(t + alpha_i h, y + sum_{j<i} a_ij u_j) + sum_{j<i} (c_ij / h) u_j + gamma_i h f_t
/// ```
///
/// and the step is `y_new = y + sum_i m_i u_i`, its error estimate
/// `sum_i e_i u_i`. The classical form is `Gamma = (diag(1/gamma) - C)^(-1)`,
/// `alpha = a Gamma`, `b = m Gamma`, `b_hat = (m - e) Gamma`.
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

/// Steinebach's Rodas5P: order 5(4), 8 stages, stiffly accurate, L-stable,
/// with an order-4 continuous extension (three dense vectors).
///
/// Source: G. Steinebach, "Construction of Rosenbrock–Wanner method Rodas5P
/// and numerical benchmarks within the Julia Differential Equations
/// package", BIT Numer. Math. 63, 27 (2023), doi:10.1007/s10543-023-00967-x.
/// The digits are those of the author's tableau in OrdinaryDiffEq.jl
/// (`Rodas5PTableau`: `A`, `C`, `gamma`, `c`, `d`, `H`), which uses the
/// same sign and scaling of `C` as here.
pub const RODAS5P: RosenbrockTableau = RosenbrockTableau {
    name: "Rodas5P",
    source: "Steinebach, BIT Numer. Math. 63, 27 (2023); digits of OrdinaryDiffEq.jl Rodas5PTableau",
    order: 5,
    embedded_order: 4,
    dense_order: 4,
    gamma: 0.21193756319429014,
    a: &[
        &[],
        &[3.0],
        &[2.849394379747939, 0.45842242204463923],
        &[-6.954028509809101, 2.489845061869568, -10.358996098473584],
        &[
            2.8029986275628964,
            0.5072464736228206,
            -0.3988312541770524,
            -0.04721187230404641,
        ],
        &[
            -7.502846399306121,
            2.561846144803919,
            -11.627539656261098,
            -0.18268767659942256,
            0.030198172008377946,
        ],
        &[
            -7.502846399306121,
            2.561846144803919,
            -11.627539656261098,
            -0.18268767659942256,
            0.030198172008377946,
            1.0,
        ],
        &[
            -7.502846399306121,
            2.561846144803919,
            -11.627539656261098,
            -0.18268767659942256,
            0.030198172008377946,
            1.0,
            1.0,
        ],
    ],
    c: &[
        &[],
        &[-14.155112264123755],
        &[-17.97296035885952, -2.859693295451294],
        &[147.12150275711716, -1.41221402718213, 71.68940251302358],
        &[
            165.43517024871676,
            -0.4592823456491126,
            42.90938336958603,
            -5.961986721573306,
        ],
        &[
            24.854864614690072,
            -3.0009227002832186,
            47.4931110020768,
            5.5814197821558125,
            -0.6610691825249471,
        ],
        &[
            30.91273214028599,
            -3.1208243349937974,
            77.79954646070892,
            34.28646028294783,
            -19.097331116725623,
            -28.087943162872662,
        ],
        &[
            37.80277123390563,
            -3.2571969029072276,
            112.26918849496327,
            66.9347231244047,
            -40.06618937091002,
            -54.66780262877968,
            -9.48861652309627,
        ],
    ],
    alpha: &[
        0.0,
        0.6358126895828704,
        0.4095798393397535,
        0.9769306725060716,
        0.4288403609558664,
        1.0,
        1.0,
        1.0,
    ],
    gamma_i: &[
        0.21193756319429014,
        -0.42387512638858027,
        -0.3384627126235924,
        1.8046452872882734,
        2.325825639765069,
        0.0,
        0.0,
        0.0,
    ],
    // Stiffly accurate: m is the last row of a followed by 1 (the solution is
    // the last stage's point plus u_8).
    m: &[
        -7.502846399306121,
        2.561846144803919,
        -11.627539656261098,
        -0.18268767659942256,
        0.030198172008377946,
        1.0,
        1.0,
        1.0,
    ],
    // The embedded solution is the last stage's point (m_hat = a_8 | 0), so
    // the error is u_8.
    e: &[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    dense: RosenbrockDense::Rodas(&[
        &[
            25.948786856663858,
            -2.5579724845846235,
            10.433815404888879,
            -2.3679251022685204,
            0.524948541321073,
            1.1241088310450404,
            0.4272876194431874,
            -0.17202221070155493,
        ],
        &[
            -9.91568850695171,
            -0.9689944594115154,
            3.0438037242978453,
            -24.495224566215796,
            20.176138334709044,
            15.98066361424651,
            -6.789040303419874,
            -6.710236069923372,
        ],
        &[
            11.419903575922262,
            2.8879645146136994,
            72.92137995996029,
            80.12511834622643,
            -52.072871366152654,
            -59.78993625266729,
            -0.15582684282751913,
            4.883087185713722,
        ],
    ]),
    stiffly_accurate: true,
    l_stable: true,
};

/// Hairer & Wanner's RODAS: order 4(3), 6 stages, stiffly accurate,
/// L-stable, with an order-3 continuous extension (two dense vectors).
///
/// Source: E. Hairer, G. Wanner, *Solving Ordinary Differential Equations II*,
/// 2nd ed., Springer 1996 (the method RODAS, Sect. VI.4) and Hairer's
/// `rodas.f`, subroutine `ROCOE`, `METH = 1` (the coefficients `A21 .. A54`,
/// `C21 .. C65`, `GAMMA`, `C2 .. C4`, `D1 .. D4`, `D21 .. D35` below, in the
/// same order and sign convention: the code solves
/// `(I/(h gamma) - J) AK_i = f(..) + sum_j (C_ij/h) AK_j + h D_i f_t`).
pub const RODAS4: RosenbrockTableau = RosenbrockTableau {
    name: "Rodas4",
    source: "Hairer & Wanner, Solving ODEs II, Sect. VI.4; rodas.f (ROCOE, METH = 1)",
    order: 4,
    embedded_order: 3,
    dense_order: 3,
    gamma: 0.25,
    a: &[
        &[],
        &[1.544],
        &[0.9466785280815826, 0.2557011698983284],
        &[3.314825187068521, 2.896124015972201, 0.9986419139977817],
        &[
            1.221224509226641,
            6.019134481288629,
            12.53708332932087,
            -0.687886036105895,
        ],
        // Stage 6 is evaluated at stage 5's solution point plus u_5.
        &[
            1.221224509226641,
            6.019134481288629,
            12.53708332932087,
            -0.687886036105895,
            1.0,
        ],
    ],
    c: &[
        &[],
        &[-5.6688],
        &[-2.430093356833875, -0.2063599157091915],
        &[-0.1073529058151375, -9.594562251023355, -20.47028614809616],
        &[
            7.496443313967647,
            -10.24680431464352,
            -33.99990352819905,
            11.7089089320616,
        ],
        &[
            8.083246795921522,
            -7.981132988064893,
            -31.52159432874371,
            16.31930543123136,
            -6.058818238834054,
        ],
    ],
    // C2, C3, C4 of rodas.f; stages 5 and 6 are at t + h.
    alpha: &[0.0, 0.386, 0.21, 0.63, 1.0, 1.0],
    // D1 .. D4 of rodas.f; stages 5 and 6 carry no f_t term.
    gamma_i: &[0.25, -0.1043, 0.1035, -0.03620000000000023, 0.0, 0.0],
    // y_new = y + sum_j a_6j u_j + u_6 (stiffly accurate).
    m: &[
        1.221224509226641,
        6.019134481288629,
        12.53708332932087,
        -0.687886036105895,
        1.0,
        1.0,
    ],
    // The embedded solution is stage 6's point; rodas.f's error is AK6 = u_6.
    e: &[0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    dense: RosenbrockDense::Rodas(&[
        // D21 .. D25 (u_6 does not enter).
        &[
            10.12623508344586,
            -7.487995877610167,
            -34.80091861555747,
            -7.992771707568823,
            1.025137723295662,
            0.0,
        ],
        // D31 .. D35.
        &[
            -0.6762803392801253,
            6.087714651680015,
            16.43084320892478,
            24.76722511418386,
            -6.594389125716872,
            0.0,
        ],
    ]),
    stiffly_accurate: true,
    l_stable: true,
};

/// The ode23s pair of Shampine & Reichelt: a second-order L-stable
/// Rosenbrock (W-) method with a third-order companion for the error
/// estimate, three stages (the third is evaluated at the new solution), and
/// a second-order continuous extension. Not stiffly accurate.
///
/// Source: L. F. Shampine, M. W. Reichelt, "The MATLAB ODE Suite", SIAM J.
/// Sci. Comput. 18 (1997) 1–22 (MATLAB's ode23s). With `d = 1/(2 + sqrt 2)`,
/// `e32 = 6 + sqrt 2`, `W = I - h d J`, `T = f_t`:
///
/// ```text
/// k1 = W^-1 (F0 + h d T)
/// F1 = f(t + h/2, y + h/2 k1),   k2 = W^-1 (F1 - k1) + k1
/// y_new = y + h k2,              F2 = f(t + h, y_new)
/// k3 = W^-1 (F2 - e32 (k2 - F1) - 2 (k1 - F0) + h d T)
/// err = h/6 (k1 - 2 k2 + k3)
/// y(t + th h) = y + h [th (1 - th)/(1 - 2d) k1 + th (th - 2d)/(1 - 2d) k2]
/// ```
///
/// Classical form (slopes `K_i = h k_i`; substitute `F0 = k1 - h d J k1 - h d T`
/// and `F1 = k2 - h d J (k2 - k1)` into the third stage):
/// `Gamma = d [[1, 0, 0], [-1, 1, 0], [e32 - 2, -e32, 1]]`,
/// `alpha = [[0], [1/2, 0], [0, 1, 0]]`, `b = (0, 1, 0)`, and the companion
/// `b_hat = b + (1, -2, 1)/6 = (1/6, 2/3, 1/6)` is the third-order one (with
/// the exact Jacobian, as every order here; `b - (1, -2, 1)/6` is only of
/// order 2), so
/// `e = b - b_hat = -(1, -2, 1)/6` (`err` above is `y_hat - y_new`; its sign
/// is immaterial for step control). Row sums: `alpha_i = (0, 1/2, 1)`,
/// `gamma_i = (d, 0, -d)`.
///
/// Transformed form: `Gamma^-1 = (1/d) [[1, 0, 0], [1, 1, 0], [2, e32, 1]]`,
/// hence `a = alpha Gamma^-1`: `a21 = 1/(2d) = 1 + sqrt2/2`,
/// `a31 = a32 = 1/d = 2 + sqrt 2`; `C = diag(1/d) - Gamma^-1`:
/// `c21 = -1/d`, `c31 = -2/d = -(4 + 2 sqrt 2)`,
/// `c32 = -e32/d = -(14 + 8 sqrt 2)`; `m = b Gamma^-1 = (1/d, 1/d, 0)`;
/// `e Gamma^-1 = (1/(6d)) (-1, 2 - e32, -1)`, i.e.
/// `(-(2 + sqrt 2)/6, -(5 + 3 sqrt 2)/3, -(2 + sqrt 2)/6)`. The dense weights
/// `b(th) Gamma^-1` are `P_1 = th/d`, `P_2 = (th^2 - 2 d th)/(d (1 - 2d))`,
/// `P_3 = 0`, i.e. `th` row `(2 + sqrt 2, -2 (1 + sqrt 2), 0)` and `th^2` row
/// `(0, 4 + 3 sqrt 2, 0)`. The literals are these closed forms rounded to
/// f64 (evaluated in 50-digit arithmetic with mpmath).
///
/// `R(inf) = 1 - b^T B^-1 1 = 0` (`B = alpha + Gamma`): the propagated
/// solution is L-stable, as Shampine & Reichelt state. The third-order
/// companion has `R(inf) = 1/3 - (2 - 3 sqrt 2)/(6 - 3 sqrt 2) ~ 1.609`.
pub const ROSENBROCK23: RosenbrockTableau = RosenbrockTableau {
    name: "Rosenbrock23",
    source: "Shampine & Reichelt, SIAM J. Sci. Comput. 18 (1997) 1-22 (MATLAB ode23s)",
    order: 2,
    embedded_order: 3,
    dense_order: 2,
    // d = 1/(2 + sqrt 2)
    gamma: 0.2928932188134525,
    a: &[
        &[],
        &[1.7071067811865475],
        &[3.414213562373095, 3.414213562373095],
    ],
    c: &[
        &[],
        &[-3.414213562373095],
        &[-6.82842712474619, -25.31370849898476],
    ],
    alpha: &[0.0, 0.5, 1.0],
    gamma_i: &[0.2928932188134525, 0.0, -0.2928932188134525],
    m: &[3.414213562373095, 3.414213562373095, 0.0],
    e: &[-0.5690355937288492, -3.080880229039762, -0.5690355937288492],
    dense: RosenbrockDense::Poly(&[
        &[3.414213562373095, -4.82842712474619, 0.0],
        &[0.0, 8.242640687119286, 0.0],
    ]),
    stiffly_accurate: false,
    l_stable: true,
};
