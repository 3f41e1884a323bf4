//! The benchmark problems and the two solver front ends (odestride and the
//! `ode_solvers` crate) used by `benches/peers.rs` and
//! `examples/work_precision.rs`.
//!
//! Every problem writes its right-hand side once, on plain slices; both
//! solvers call that same code (monomorphised, so it inlines into either),
//! which makes the comparison one of integrators, not of right-hand sides.
//! Problems and references are those of `docs/reference-problems.md` (provenance in
//! each item's doc comment).
#![allow(dead_code)]
// The published reference digits are kept as given.
#![allow(clippy::excessive_precision)]

use nalgebra::SVector;
use odestride::{BlowUpConfig, ExplicitRk, Integrator, Options, SaveMode, StiffnessConfig};

/// An autonomous test problem of dimension `N` with a reference end state.
pub trait Problem<const N: usize>: Copy + Default + 'static {
    /// Short name used in bench ids, CSV rows and plots.
    const NAME: &'static str;
    /// `t_end` (every problem starts at `t0 = 0`).
    const T_END: f64;
    /// `dy = f(y)`.
    fn rhs(y: &[f64], dy: &mut [f64]);
    /// Initial state.
    fn y0() -> [f64; N];
    /// Reference `y(T_END)`.
    fn reference() -> [f64; N];
}

/// Arenstorf orbit, HNW I Sect. II.0 eq. (0.1); one period. Reference: the
/// 40-digit Taylor value for the double-rounded data
/// (`docs/reference-problems.md`, "Tight reference").
#[derive(Clone, Copy, Default)]
pub struct Arenstorf;
impl Problem<4> for Arenstorf {
    const NAME: &'static str = "arenstorf";
    const T_END: f64 = 17.0652165601579625588917206249;
    #[inline(always)]
    fn rhs(y: &[f64], dy: &mut [f64]) {
        let mu = 0.012277471;
        let mup = 1.0 - mu;
        let r1 = (y[0] + mu) * (y[0] + mu) + y[1] * y[1];
        let r2 = (y[0] - mup) * (y[0] - mup) + y[1] * y[1];
        let d1 = r1 * r1.sqrt();
        let d2 = r2 * r2.sqrt();
        dy[0] = y[2];
        dy[1] = y[3];
        dy[2] = y[0] + 2.0 * y[3] - mup * (y[0] + mu) / d1 - mu * (y[0] - mup) / d2;
        dy[3] = y[1] - 2.0 * y[2] - mup * y[1] / d1 - mu * y[1] / d2;
    }
    fn y0() -> [f64; 4] {
        [0.994, 0.0, 0.0, -2.00158510637908252240537862224]
    }
    fn reference() -> [f64; 4] {
        [
            0.9939999999999088,
            -3.0309430229824185e-13,
            -4.9285365810550526e-11,
            -2.00158510639327,
        ]
    }
}

/// Kepler problem, e = 0.5, ten periods (HNW I, Sect. II.10). Periodic with
/// period 2 pi, so the reference is the initial state.
#[derive(Clone, Copy, Default)]
pub struct Kepler;
impl Problem<4> for Kepler {
    const NAME: &'static str = "kepler";
    const T_END: f64 = 20.0 * std::f64::consts::PI;
    #[inline(always)]
    fn rhs(y: &[f64], dy: &mut [f64]) {
        let r2 = y[0] * y[0] + y[1] * y[1];
        let r3 = r2 * r2.sqrt();
        dy[0] = y[2];
        dy[1] = y[3];
        dy[2] = -y[0] / r3;
        dy[3] = -y[1] / r3;
    }
    fn y0() -> [f64; 4] {
        let e = 0.5_f64;
        [1.0 - e, 0.0, 0.0, ((1.0 + e) / (1.0 - e)).sqrt()]
    }
    fn reference() -> [f64; 4] {
        Self::y0()
    }
}

/// Two uncoupled linear oscillators, x1'' = -x1 and x2'' = -4 x2, over ten
/// periods of both (t = 20 pi): a right-hand side that costs almost nothing,
/// for measuring the integrators' own per-step work. Exact: the initial state.
#[derive(Clone, Copy, Default)]
pub struct Oscillators;
impl Problem<4> for Oscillators {
    const NAME: &'static str = "oscillators";
    const T_END: f64 = 20.0 * std::f64::consts::PI;
    #[inline(always)]
    fn rhs(y: &[f64], dy: &mut [f64]) {
        dy[0] = y[1];
        dy[1] = -y[0];
        dy[2] = 2.0 * y[3];
        dy[3] = -2.0 * y[2];
    }
    fn y0() -> [f64; 4] {
        [1.0, 0.0, 0.5, 0.0]
    }
    fn reference() -> [f64; 4] {
        Self::y0()
    }
}

/// Lorenz system, t_end = 10 (`docs/reference-problems.md`; 40-digit Taylor
/// reference with beta = fl(8/3)).
#[derive(Clone, Copy, Default)]
pub struct Lorenz;
impl Problem<3> for Lorenz {
    const NAME: &'static str = "lorenz";
    const T_END: f64 = 10.0;
    #[inline(always)]
    fn rhs(y: &[f64], dy: &mut [f64]) {
        let (s, r, b) = (10.0, 28.0, 8.0 / 3.0);
        dy[0] = s * (y[1] - y[0]);
        dy[1] = y[0] * (r - y[2]) - y[1];
        dy[2] = y[0] * y[1] - b * y[2];
    }
    fn y0() -> [f64; 3] {
        [1.0, 0.0, 0.0]
    }
    fn reference() -> [f64; 3] {
        [-5.857685382424091, -5.831082486426098, 23.93213298702757]
    }
}

/// Pleiades, seven bodies in the plane (HNW I Sect. II.10, problem PLEI;
/// Test Set for IVP Solvers, problem plei). State (x, y, x', y'), masses
/// m_j = j, t_end = 3; reference from `docs/reference-problems.md`
/// (45-digit Taylor recomputation).
#[derive(Clone, Copy, Default)]
pub struct Pleiades;
impl Problem<28> for Pleiades {
    const NAME: &'static str = "pleiades";
    const T_END: f64 = 3.0;
    #[inline(always)]
    fn rhs(y: &[f64], dy: &mut [f64]) {
        let (x, yy) = (&y[0..7], &y[7..14]);
        dy[..14].copy_from_slice(&y[14..28]);
        let mut ax = [0.0; 7];
        let mut ay = [0.0; 7];
        for i in 0..7 {
            for j in (i + 1)..7 {
                let dx = x[j] - x[i];
                let dyv = yy[j] - yy[i];
                let r = dx * dx + dyv * dyv;
                let inv = 1.0 / (r * r.sqrt());
                let (mi, mj) = ((i + 1) as f64, (j + 1) as f64);
                ax[i] += mj * dx * inv;
                ay[i] += mj * dyv * inv;
                ax[j] -= mi * dx * inv;
                ay[j] -= mi * dyv * inv;
            }
        }
        dy[14..21].copy_from_slice(&ax);
        dy[21..28].copy_from_slice(&ay);
    }
    fn y0() -> [f64; 28] {
        [
            3.0, 3.0, -1.0, -3.0, 2.0, -2.0, 2.0, // x
            3.0, -3.0, 2.0, 0.0, 0.0, -4.0, 4.0, // y
            0.0, 0.0, 0.0, 0.0, 0.0, 1.75, -1.5, // x'
            0.0, 0.0, 0.0, -1.25, 1.0, 0.0, 0.0, // y'
        ]
    }
    fn reference() -> [f64; 28] {
        [
            3.706139143970512900939509e-1,
            3.237284092057233092803330,
            -3.222559032418323347100131,
            6.597091455775308359349956e-1,
            3.425581707156579790377360e-1,
            1.562172101400631016045708,
            -7.003092922212495385147327e-1,
            -3.943437585517392055277883,
            -3.271380973972549928020677,
            5.225081843456544192438738,
            -2.590612434977469510811191,
            1.198213693392274637514002,
            -2.429682344935823409161116e-1,
            1.091449240428979747882064,
            3.417003806314314752291893,
            1.354584501625501221476982,
            -2.590065597810775419618631,
            2.025053734714241106485013,
            -1.155815100160449092711946,
            -8.072988170223021725659721e-1,
            5.952396354208718766607925e-1,
            -3.741244961234008471204745,
            3.773459685750629036558271e-1,
            9.386858869551078886946815e-1,
            3.667922227200569866696411e-1,
            -3.474046353808494366007165e-1,
            2.344915448180936923142317,
            -1.947020434263291900674263,
        ]
    }
}

/// A solver under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solver {
    /// odestride Dormand–Prince 5(4).
    Dp5,
    /// odestride Tsitouras 5(4).
    Tsit5,
    /// odestride DOP853.
    Dop853,
    /// odestride Verner 9(8).
    Vern9,
    /// odestride Bogacki–Shampine 3(2) (not in [`Solver::ALL`]: no peer).
    Bs3,
    /// `ode_solvers::Dopri5`.
    PeerDopri5,
    /// `ode_solvers::Dop853`.
    PeerDop853,
}

impl Solver {
    pub const ALL: [Solver; 6] = [
        Solver::Dp5,
        Solver::Tsit5,
        Solver::Dop853,
        Solver::Vern9,
        Solver::PeerDopri5,
        Solver::PeerDop853,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Solver::Dp5 => "odestride DP5",
            Solver::Tsit5 => "odestride Tsit5",
            Solver::Dop853 => "odestride DOP853",
            Solver::Vern9 => "odestride Vern9",
            Solver::Bs3 => "odestride BS3",
            Solver::PeerDopri5 => "ode_solvers Dopri5",
            Solver::PeerDop853 => "ode_solvers Dop853",
        }
    }
    /// A short id for bench names and CSV.
    pub fn id(self) -> &'static str {
        match self {
            Solver::Dp5 => "dp5",
            Solver::Tsit5 => "tsit5",
            Solver::Dop853 => "dop853",
            Solver::Vern9 => "vern9",
            Solver::Bs3 => "bs3",
            Solver::PeerDopri5 => "ode_solvers_dopri5",
            Solver::PeerDop853 => "ode_solvers_dop853",
        }
    }
}

/// What one solve produced.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    pub nfev: usize,
    pub naccept: usize,
    pub nreject: usize,
    /// max_i |y_i(t_end) - ref_i|.
    pub error: f64,
}

/// Max-norm distance to the problem's reference.
pub fn max_error<const N: usize, P: Problem<N>>(y: &[f64]) -> f64 {
    y.iter()
        .zip(P::reference())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max)
}

/// How odestride is configured in the comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Config {
    /// The defaults a user gets (blow-up and stiffness detectors on).
    Default,
    /// The detectors off: the bare integrator, as `ode_solvers` is.
    Bare,
}

/// One odestride solve with rtol = atol = `tol`, saving the final state only.
pub fn solve_odestride<const N: usize, P: Problem<N>>(solver: Solver, tol: f64, cfg: Config) -> Outcome {
    let method = match solver {
        Solver::Dp5 => ExplicitRk::dopri5(),
        Solver::Tsit5 => ExplicitRk::tsit5(),
        Solver::Dop853 => ExplicitRk::dop853(),
        Solver::Vern9 => ExplicitRk::vern9(),
        Solver::Bs3 => ExplicitRk::bs3(),
        _ => unreachable!("not an odestride solver"),
    };
    let mut integ = Integrator::new(method).options(
        Options::default()
            .tol(tol)
            .save(SaveMode::FinalOnly)
            .max_steps(1 << 22),
    );
    if cfg == Config::Bare {
        integ = integ
            .detect_blowup(BlowUpConfig::off())
            .detect_stiffness(StiffnessConfig::off());
    }
    let f = |_t: f64, y: &SVector<f64, N>, dy: &mut SVector<f64, N>| P::rhs(y.as_slice(), dy.as_mut_slice());
    let sol = integ
        .solve(f, 0.0, P::T_END, SVector::<f64, N>::from(P::y0()))
        .expect("benchmark solve failed");
    Outcome {
        nfev: sol.stats.nfev,
        naccept: sol.stats.naccept,
        nreject: sol.stats.nreject(),
        error: max_error::<N, P>(sol.last_state().as_slice()),
    }
}

/// The problem as an `ode_solvers::System`.
pub struct PeerSystem<P>(core::marker::PhantomData<P>);

impl<const N: usize, P: Problem<N>> ode_solvers::System<f64, ode_solvers::SVector<f64, N>> for PeerSystem<P> {
    #[inline(always)]
    fn system(&self, _x: f64, y: &ode_solvers::SVector<f64, N>, dy: &mut ode_solvers::SVector<f64, N>) {
        P::rhs(y.as_slice(), dy.as_mut_slice())
    }
}

/// One `ode_solvers` solve with rtol = atol = `tol`. Output: its "sparse"
/// mode (every accepted step is pushed to a `Vec`), the only mode that returns
/// a correct final state: in ode_solvers 0.6.2 the "dense" mode's
/// interpolated outputs are wrong (Kepler, one period, rtol 1e-10, `dx` = the
/// span returns y(2 pi) = (5116, -505, 2669, 39315) instead of (0.5, 0, 0,
/// 1.73)). Pushing a 4- or 28-vector per step costs it a few ns per step.
pub fn solve_peer<const N: usize, P: Problem<N>>(solver: Solver, tol: f64) -> Outcome {
    let y0 = ode_solvers::SVector::<f64, N>::from(P::y0());
    let sys = PeerSystem::<P>(core::marker::PhantomData);
    let (stats, y_end) = match solver {
        Solver::PeerDopri5 => {
            let mut s = ode_solvers::Dopri5::new(sys, 0.0, P::T_END, P::T_END, y0, tol, tol);
            s.set_output(ode_solvers::OutputType::Sparse);
            let stats = s.integrate().expect("ode_solvers Dopri5 failed");
            (stats, *s.y_out().last().expect("no output"))
        }
        Solver::PeerDop853 => {
            let mut s = ode_solvers::Dop853::new(sys, 0.0, P::T_END, P::T_END, y0, tol, tol);
            s.set_output(ode_solvers::OutputType::Sparse);
            let stats = s.integrate().expect("ode_solvers Dop853 failed");
            (stats, *s.y_out().last().expect("no output"))
        }
        _ => unreachable!("not a peer solver"),
    };
    Outcome {
        nfev: stats.num_eval as usize,
        naccept: stats.accepted_steps as usize,
        nreject: stats.rejected_steps as usize,
        error: max_error::<N, P>(y_end.as_slice()),
    }
}

/// Either front end.
pub fn solve<const N: usize, P: Problem<N>>(solver: Solver, tol: f64, cfg: Config) -> Outcome {
    match solver {
        Solver::PeerDopri5 | Solver::PeerDop853 => solve_peer::<N, P>(solver, tol),
        _ => solve_odestride::<N, P>(solver, tol, cfg),
    }
}

/// A batch size that makes one batch of `f` take about `seconds`.
pub fn reps_for(seconds: f64, mut f: impl FnMut()) -> usize {
    let t = std::time::Instant::now();
    f();
    let once = t.elapsed().as_secs_f64().max(1e-8);
    ((seconds / once).ceil() as usize).clamp(1, 10_000_000)
}

/// Seconds per call of `f`, over one batch of `reps` calls.
pub fn batch(reps: usize, mut f: impl FnMut()) -> f64 {
    let t = std::time::Instant::now();
    for _ in 0..reps {
        f();
    }
    t.elapsed().as_secs_f64() / reps as f64
}
