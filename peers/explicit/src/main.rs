//! odestride's explicit pairs against ode_solvers, differential-equations and
//! diffsol, in one process, at equal *achieved* error.
//!
//! For each problem (Arenstorf, Pleiades, Lorenz, Kepler; `SVector` states,
//! the right-hand sides of `benches/common/mod.rs`, shared by every solver),
//! every solver runs the tolerance sweep rtol = atol = 10^-3, 10^-3.5, ...,
//! 10^-15 and records the max-norm error at t_end against the reference,
//! nfev and the time per solve (the best of three batches of about 4 ms; all
//! solvers of one (problem, tolerance) are timed interleaved). The time at an
//! achieved error of 1e-6 and 1e-10 is interpolated log-linearly between the
//! two sweep points around it. A run gives, per problem and error, the best
//! odestride method's time divided by the best peer method's time; `--runs N`
//! (default 5) repeats the whole sweep and the tables give min/median/max.
//!
//! It also prints the solver overhead per f-evaluation, time / nfev minus one
//! right-hand-side call (timed alone on the same `SVector`), at tol 1e-10.
//!
//! Times are the thread's CPU time (`--wall` for the wall clock), so that a
//! busy shared machine does not count the time a solve waits for a core.
//!
//! It prints the f-evaluations each method needs at equal achieved error,
//! and, last, the arithmetic floor of every pair (`floor.rs`: a fixed-step
//! loop of the pair's own sums and error norm, nothing else), the least
//! overhead per f-evaluation any implementation of the pair can have.
//!
//! Run: `cargo run --release` (`--no-default-features` without diffsol;
//! `--runs N`; `--quick` for one run of a coarse sweep; `--csv FILE`;
//! `--floor` for the floor table alone, a few seconds; `--problems lorenz,kepler`
//! for some of the problems; `--latency` for the latency of the operations on
//! a step's critical path, a few seconds).

#[path = "../../../benches/common/mod.rs"]
#[allow(dead_code)]
mod common;
#[path = "../../cpu_time.rs"]
mod cpu_time;
mod floor;

use common::{max_error, Arenstorf, Kepler, Lorenz, Pleiades, Problem};
use cpu_time::thread_cpu_time;
use nalgebra::SVector;
use std::hint::black_box;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Lib {
    Odestride,
    OdeSolvers,
    DiffEq,
    Diffsol,
    /// The lean reference loops of `floor.rs` (not a library: never picked
    /// as "best" on either side).
    Lean,
}

/// DOP853 with Gustafsson's predictive step, an opt-in (its default is
/// Hairer's controller): listed, but not one of the default-options methods
/// the main ratio table picks from.
const OPT_IN_DOP853: &str = "DOP853+pred";
/// Vern9 with Gustafsson's predictive step (an opt-in, as for DOP853).
const OPT_IN_VERN9: &str = "Vern9+pred";
/// DOP853 and Vern9 with the blow-up and stiffness detectors off: the same
/// arithmetic as the default, without the detectors' per-step work (what
/// `ode_solvers` does). Listed, never picked as "best odestride".
const BARE_DOP853: &str = "DOP853-bare";
const BARE_VERN9: &str = "Vern9-bare";
/// The configurations the default-options ratio table leaves out.
const OPT_INS: [&str; 4] = [OPT_IN_DOP853, OPT_IN_VERN9, BARE_DOP853, BARE_VERN9];

#[derive(Clone, Copy, Debug)]
struct Solver {
    lib: Lib,
    name: &'static str,
}

/// Every method of every library in the comparison.
fn solvers() -> Vec<Solver> {
    let diffsol: &[&str] = if cfg!(feature = "diffsol") {
        &["Tsit45"]
    } else {
        &[]
    };
    let libs: [(Lib, &[&'static str]); 5] = [
        (
            Lib::Odestride,
            &[
                "DP5",
                "Tsit5",
                "Vern6",
                "Vern7",
                "DOP853",
                "Vern9",
                OPT_IN_DOP853,
                OPT_IN_VERN9,
                BARE_DOP853,
                BARE_VERN9,
            ],
        ),
        (Lib::OdeSolvers, &["Dopri5", "Dop853"]),
        (Lib::DiffEq, &["DOPRI5", "DOP853", "RKV766e", "RKV988e"]),
        (Lib::Diffsol, diffsol),
        (Lib::Lean, &["DP5", "Vern7", "DOP853", "Vern9"]),
    ];
    libs.iter()
        .flat_map(|(lib, names)| {
            names.iter().map(|name| Solver {
                lib: *lib,
                name: *name,
            })
        })
        .collect()
}

#[derive(Clone, Copy, Debug)]
struct Out {
    nfev: usize,
    error: f64,
}

fn run_odestride<const N: usize, P: Problem<N>>(name: &str, tol: f64) -> Out {
    use odestride::{BlowUpConfig, ExplicitRk, Integrator, Options, SaveMode, StiffnessConfig};
    let f = |_t: f64, y: &SVector<f64, N>, dy: &mut SVector<f64, N>| P::rhs(y.as_slice(), dy.as_mut_slice());
    let opts = Options::default()
        .tol(tol)
        .save(SaveMode::FinalOnly)
        .max_steps(1 << 22);
    let y0 = SVector::<f64, N>::from(P::y0());
    macro_rules! go {
        ($ig:expr) => {{
            let sol = $ig.options(opts).solve(f, 0.0, P::T_END, y0).expect("odestride");
            Out {
                nfev: sol.stats.nfev,
                error: max_error::<N, P>(sol.last_state().as_slice()),
            }
        }};
    }
    match name {
        "DP5" => go!(Integrator::new(ExplicitRk::dopri5())),
        "Tsit5" => go!(Integrator::new(ExplicitRk::tsit5())),
        "Vern6" => go!(Integrator::new(ExplicitRk::vern6())),
        "Vern7" => go!(Integrator::new(ExplicitRk::vern7())),
        "DOP853" => go!(Integrator::new(ExplicitRk::dop853())),
        "Vern9" => go!(Integrator::new(ExplicitRk::vern9())),
        OPT_IN_DOP853 => go!(Integrator::new(ExplicitRk::dop853())
            .controller(odestride::PiController::default().with_predictive(true))),
        OPT_IN_VERN9 => go!(Integrator::new(ExplicitRk::vern9())
            .controller(odestride::PiController::default().with_predictive(true))),
        BARE_DOP853 => go!(Integrator::new(ExplicitRk::dop853())
            .detect_blowup(BlowUpConfig::off())
            .detect_stiffness(StiffnessConfig::off())),
        BARE_VERN9 => go!(Integrator::new(ExplicitRk::vern9())
            .detect_blowup(BlowUpConfig::off())
            .detect_stiffness(StiffnessConfig::off())),
        _ => unreachable!(),
    }
}

fn run_ode_solvers<const N: usize, P: Problem<N>>(name: &str, tol: f64) -> Out {
    let solver = match name {
        "Dopri5" => common::Solver::PeerDopri5,
        _ => common::Solver::PeerDop853,
    };
    let o = common::solve_peer::<N, P>(solver, tol);
    Out {
        nfev: o.nfev,
        error: o.error,
    }
}

struct DeSys<P>(core::marker::PhantomData<P>);

impl<const N: usize, P: Problem<N>> differential_equations::ode::ODE<f64, SVector<f64, N>> for DeSys<P> {
    #[inline(always)]
    fn diff(&self, _t: f64, y: &SVector<f64, N>, dydt: &mut SVector<f64, N>) {
        P::rhs(y.as_slice(), dydt.as_mut_slice())
    }
}

fn run_diffeq<const N: usize, P: Problem<N>>(name: &str, tol: f64) -> Out {
    use differential_equations::ivp::IVP;
    use differential_equations::methods::ExplicitRungeKutta;
    let sys = DeSys::<P>(core::marker::PhantomData);
    let y0 = SVector::<f64, N>::from(P::y0());
    macro_rules! go {
        ($m:expr) => {{
            let sol = IVP::ode(&sys, 0.0, P::T_END, y0)
                .method($m.rtol(tol).atol(tol).max_steps(1 << 22))
                .t_eval([P::T_END])
                .solve()
                .expect("differential-equations");
            let (_, y) = sol.last().expect("no output");
            Out {
                nfev: sol.evals.function,
                error: max_error::<N, P>(y.as_slice()),
            }
        }};
    }
    match name {
        "DOPRI5" => go!(ExplicitRungeKutta::dopri5()),
        "DOP853" => go!(ExplicitRungeKutta::dop853()),
        "RKV766e" => go!(ExplicitRungeKutta::rkv766e()),
        "RKV988e" => go!(ExplicitRungeKutta::rkv988e()),
        _ => unreachable!(),
    }
}

#[cfg(feature = "diffsol")]
fn run_diffsol<const N: usize, P: Problem<N>>(_name: &str, tol: f64) -> Out {
    use diffsol::{
        NalgebraMat, OdeBuilder, OdeEquations, OdeSolverConfig, OdeSolverMethod, OdeSolverStopReason, Op,
        Vector,
    };
    let y0 = P::y0();
    let problem = OdeBuilder::<NalgebraMat<f64>>::new()
        .rtol(tol)
        .atol([tol])
        .rhs(|x: &[f64], _p: &[f64], _t: f64, y: &mut [f64]| P::rhs(x, y))
        .init(
            move |_p: &[f64], _t: f64, y: &mut [f64]| y.copy_from_slice(&y0),
            N,
        )
        .build()
        .expect("diffsol build");
    let mut s = problem.tsit45().expect("diffsol tsit45");
    // Its default limit (5000 steps) ends the tight-tolerance runs.
    *s.config_mut().as_base_mut().maximum_number_timesteps = usize::MAX;
    s.set_stop_time(P::T_END).expect("stop time");
    loop {
        match s.step().expect("diffsol step") {
            OdeSolverStopReason::InternalTimestep => {}
            OdeSolverStopReason::TstopReached => break,
            OdeSolverStopReason::RootFound(..) => unreachable!(),
        }
    }
    let y = s.state().y.clone_as_vec();
    Out {
        nfev: problem.eqn.rhs().statistics().number_of_calls,
        error: max_error::<N, P>(&y),
    }
}

#[cfg(not(feature = "diffsol"))]
fn run_diffsol<const N: usize, P: Problem<N>>(_name: &str, _tol: f64) -> Out {
    unreachable!("built without diffsol")
}

fn run_lean<const N: usize, P: Problem<N>>(name: &str, tol: f64) -> Out {
    use floor::*;
    let (nfev, y) = match name {
        "DP5" => adaptive::<N, P, Dp5>(tol),
        "Vern7" => adaptive::<N, P, Vern7>(tol),
        "DOP853" => adaptive::<N, P, Dop853>(tol),
        _ => adaptive::<N, P, Vern9>(tol),
    };
    Out {
        nfev,
        error: max_error::<N, P>(y.as_slice()),
    }
}

fn run<const N: usize, P: Problem<N>>(sv: Solver, tol: f64) -> Out {
    match sv.lib {
        Lib::Odestride => run_odestride::<N, P>(sv.name, tol),
        Lib::OdeSolvers => run_ode_solvers::<N, P>(sv.name, tol),
        Lib::DiffEq => run_diffeq::<N, P>(sv.name, tol),
        Lib::Diffsol => run_diffsol::<N, P>(sv.name, tol),
        Lib::Lean => run_lean::<N, P>(sv.name, tol),
    }
}

/// One sweep point.
#[derive(Clone, Copy, Debug)]
struct Point {
    tol: f64,
    out: Out,
    seconds: f64,
}

/// Seconds per call of `f` over `reps` calls: the thread's CPU time, or the
/// wall clock with `--wall`.
fn timed(reps: usize, mut f: impl FnMut()) -> f64 {
    let wall = WALL.load(std::sync::atomic::Ordering::Relaxed);
    let (t, c) = (Instant::now(), thread_cpu_time());
    for _ in 0..reps {
        f();
    }
    let dt = if wall {
        t.elapsed().as_secs_f64()
    } else {
        thread_cpu_time() - c
    };
    dt / reps as f64
}

static WALL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The sweep of one problem: `points[solver][tol]`, all solvers interleaved
/// per tolerance. A solver whose calibration solve takes more than 0.2 s
/// stops its sweep there.
fn sweep<const N: usize, P: Problem<N>>(sv: &[Solver], tols: &[f64]) -> Vec<Vec<Point>> {
    let mut pts = vec![Vec::new(); sv.len()];
    let mut done = vec![false; sv.len()];
    for &tol in tols {
        let active: Vec<bool> = done.iter().map(|d| !*d).collect();
        let mut reps = vec![0; sv.len()];
        let mut outs = vec![None; sv.len()];
        for (k, s) in sv.iter().enumerate() {
            if !active[k] {
                continue;
            }
            let t = thread_cpu_time();
            let o = run::<N, P>(*s, tol);
            let once = thread_cpu_time() - t;
            done[k] |= once > 0.2;
            reps[k] = ((0.004 / once.max(1e-8)).ceil() as usize).clamp(1, 100_000);
            outs[k] = Some(o);
        }
        let mut best = vec![f64::INFINITY; sv.len()];
        for _ in 0..3 {
            for (k, s) in sv.iter().enumerate() {
                if !active[k] {
                    continue;
                }
                let t = timed(reps[k], || {
                    black_box(run::<N, P>(*s, black_box(tol)));
                });
                best[k] = best[k].min(t);
            }
        }
        for (k, o) in outs.iter().enumerate() {
            if let Some(out) = o {
                pts[k].push(Point {
                    tol,
                    out: *out,
                    seconds: best[k],
                });
            }
        }
        if done.iter().all(|d| *d) {
            break;
        }
    }
    pts
}

/// `value` (time or nfev) at achieved error `target`: log-linear between
/// the last sweep point with error above the target and the first one at or
/// below it (scanning from loose to tight tolerances).
fn value_at(pts: &[Point], target: f64, value: impl Fn(&Point) -> f64) -> Option<f64> {
    let j = pts.iter().position(|p| p.out.error <= target)?;
    if j == 0 {
        return None;
    }
    let (a, b) = (&pts[j - 1], &pts[j]);
    let (ea, eb) = (a.out.error.ln(), b.out.error.ln());
    let w = if ea == eb {
        1.0
    } else {
        (target.ln() - ea) / (eb - ea)
    };
    let (va, vb) = (value(a).ln(), value(b).ln());
    Some((va + w * (vb - va)).exp())
}

/// Seconds per solve at achieved error `target`.
fn time_at(pts: &[Point], target: f64) -> Option<f64> {
    value_at(pts, target, |p| p.seconds)
}

/// Seconds per right-hand-side call on the problem's `SVector`, the fastest
/// of five batches of 10^5 independent calls.
fn rhs_seconds<const N: usize, P: Problem<N>>() -> f64 {
    let y = SVector::<f64, N>::from(P::y0());
    let mut dy = SVector::<f64, N>::zeros();
    (0..5)
        .map(|_| {
            timed(100_000, || {
                P::rhs(black_box(&y).as_slice(), dy.as_mut_slice());
                black_box(&dy);
            })
        })
        .fold(f64::INFINITY, f64::min)
}

/// Seconds per right-hand-side call when each call's input depends on the
/// previous call's output, as the stages of a Runge–Kutta step do: the
/// chain `y <- y0 + 0 * f(y)` (the product is not folded: it could be NaN)
/// minus the same chain with `f` replaced by a copy, the fastest of five
/// batches of 10^5 calls each. This is the right-hand side's latency, what it
/// adds to a step's critical path; `rhs_seconds` is its throughput.
fn rhs_latency_seconds<const N: usize, P: Problem<N>>() -> f64 {
    let y0 = SVector::<f64, N>::from(P::y0());
    let zero = black_box(0.0);
    let chain = |with_rhs: bool| {
        let mut y = y0;
        let mut dy = SVector::<f64, N>::zeros();
        (0..5)
            .map(|_| {
                timed(100_000, || {
                    if with_rhs {
                        P::rhs(y.as_slice(), dy.as_mut_slice());
                    } else {
                        dy.copy_from(&y);
                    }
                    y = y0 + dy * zero;
                })
            })
            .fold(f64::INFINITY, f64::min)
            + black_box(y[0]) * 0.0
    };
    chain(true) - chain(false)
}

/// The latency (ns) of one link of a dependent chain `x = g(x)`: each
/// call waits for the previous result, as the operations on a step's
/// critical path do (the error norm's square root, then the PI controller's
/// `ln` and `exp`, then the next step's stages). Best of five batches.
fn chain_latency_ns(g: impl Fn(f64) -> f64) -> f64 {
    let mut x = black_box(0.37);
    let best = (0..5)
        .map(|_| timed(2_000_000, || x = g(x)))
        .fold(f64::INFINITY, f64::min);
    black_box(x);
    best * 1e9
}

/// `--latency`: what the operations on a step's critical path cost when each
/// waits for the previous one.
fn print_latency() {
    let c = black_box(-1e-4f64);
    println!("## Latency of a dependent chain, ns per link (best of five batches)\n");
    println!("| link | ns |\n|---|---:|");
    let rows: [(&str, Box<dyn Fn(f64) -> f64>); 5] = [
        ("one multiply-add (x * a + b)", Box::new(|x| x * 0.999 + 0.001)),
        ("sqrt (the error norm)", Box::new(|x| (x * 0.999 + 0.001).sqrt())),
        ("ln", Box::new(move |x: f64| 0.9 * (0.02 * c - 0.1 * x.ln()))),
        ("exp", Box::new(move |x: f64| 0.9 * (0.02 * c - 0.1 * x).exp())),
        (
            "ln then exp (the PI factor 0.9 exp(beta ln e_old - alpha ln e))",
            Box::new(move |x: f64| 0.9 * (0.02 * c - 0.1 * x.ln()).exp()),
        ),
    ];
    for (name, g) in rows {
        println!("| {name} | {:.1} |", chain_latency_ns(g));
    }
}

struct ProblemResult {
    name: &'static str,
    /// Per run: the sweep points of every solver.
    runs: Vec<Vec<Vec<Point>>>,
    rhs: f64,
}

fn problem<const N: usize, P: Problem<N>>(sv: &[Solver], tols: &[f64], runs: usize) -> ProblemResult {
    let rhs = rhs_seconds::<N, P>();
    let runs = (0..runs)
        .map(|r| {
            eprintln!("{} run {}", P::NAME, r + 1);
            sweep::<N, P>(sv, tols)
        })
        .collect();
    ProblemResult {
        name: P::NAME,
        runs,
        rhs,
    }
}

/// Steps of the floor loop (h = t_end / FLOOR_STEPS: small enough that every
/// problem stays bounded with a fixed step).
const FLOOR_STEPS: usize = 20_000;

/// The arithmetic floor of every pair on problem `P`: ns per f-evaluation
/// beyond one right-hand-side call (the fastest of five batches).
fn floor_row<const N: usize, P: Problem<N>>() -> Vec<(&'static str, f64)> {
    let rhs = rhs_seconds::<N, P>();
    let h = P::T_END / FLOOR_STEPS as f64;
    fn one<const N: usize, P: Problem<N>, M: floor::ConstTab>(h: f64, rhs: f64) -> (&'static str, f64) {
        let (nfev, e) = floor::run::<N, P, M>(FLOOR_STEPS, h);
        assert!(e.is_finite(), "floor loop diverged: {} on {}", M::NAME, P::NAME);
        let t = (0..5)
            .map(|_| {
                timed(1, || {
                    black_box(floor::run::<N, P, M>(black_box(FLOOR_STEPS), black_box(h)));
                })
            })
            .fold(f64::INFINITY, f64::min);
        (M::NAME, (t / nfev as f64 - rhs) * 1e9)
    }
    use floor::*;
    vec![
        one::<N, P, Dp5>(h, rhs),
        one::<N, P, Tsit5>(h, rhs),
        one::<N, P, Vern6>(h, rhs),
        one::<N, P, Vern7>(h, rhs),
        one::<N, P, Dop853>(h, rhs),
        one::<N, P, Vern9>(h, rhs),
    ]
}

/// Prints the floor table (see `floor.rs`).
fn print_floor() {
    let rows = [
        (Arenstorf::NAME, floor_row::<4, Arenstorf>()),
        (Pleiades::NAME, floor_row::<28, Pleiades>()),
        (Lorenz::NAME, floor_row::<3, Lorenz>()),
        (Kepler::NAME, floor_row::<4, Kepler>()),
    ];
    println!(
        "\n## Arithmetic floor per f-evaluation (ns): a fixed-step loop of the pair's own sums and error norm only, time / nfev - one rhs call\n"
    );
    let mut head = String::from("| pair |");
    let mut rule = String::from("|---|");
    for (name, _) in &rows {
        head += &format!(" {name} |");
        rule += "---:|";
    }
    println!("{head}\n{rule}");
    for m in 0..rows[0].1.len() {
        let mut line = format!("| {} |", rows[0].1[m].0);
        for (_, r) in &rows {
            line += &format!(" {:.1} |", r[m].1);
        }
        println!("{line}");
    }
}

/// The median of an odd count; the lower middle value of an even one.
fn median(mut v: Vec<f64>) -> f64 {
    let mid = (v.len() - 1) / 2;
    *v.select_nth_unstable_by(mid, f64::total_cmp).1
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    if let Some(i) = args.iter().position(|a| a == "--repeat") {
        // --repeat <problem> <library> <method> <tol> <count>: one
        // configuration only, for a profiler.
        let a = &args[i + 1..];
        let (lib, name) = (a[1].as_str(), a[2].as_str());
        let sv = solvers()
            .into_iter()
            .find(|s| format!("{:?}", s.lib).eq_ignore_ascii_case(lib) && s.name == name)
            .expect("--repeat <problem> <library> <method> <tol> <count>");
        let tol: f64 = a[3].parse().expect("tol");
        let count: usize = a[4].parse().expect("count");
        let mut last = None;
        for _ in 0..count {
            last = Some(match a[0].as_str() {
                "arenstorf" => run::<4, Arenstorf>(sv, tol),
                "pleiades" => run::<28, Pleiades>(sv, tol),
                "lorenz" => run::<3, Lorenz>(sv, tol),
                "kepler" => run::<4, Kepler>(sv, tol),
                p => panic!("--repeat: unknown problem {p} (arenstorf, pleiades, lorenz, kepler)"),
            });
        }
        println!("{:?}", last);
        return;
    }
    if args.iter().any(|a| a == "--rhs-latency") {
        macro_rules! show {
            ($n:literal, $p:ty) => {
                println!(
                    "{}: throughput {:.2} ns, latency {:.2} ns",
                    <$p as Problem<$n>>::NAME,
                    rhs_seconds::<$n, $p>() * 1e9,
                    rhs_latency_seconds::<$n, $p>() * 1e9
                )
            };
        }
        show!(4, Arenstorf);
        show!(28, Pleiades);
        show!(3, Lorenz);
        show!(4, Kepler);
        return;
    }
    if args.iter().any(|a| a == "--latency") {
        print_latency();
        return;
    }
    if args.iter().any(|a| a == "--floor") {
        print_floor();
        return;
    }
    WALL.store(
        args.iter().any(|a| a == "--wall"),
        std::sync::atomic::Ordering::Relaxed,
    );
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let runs: usize = arg("--runs")
        .map(|v| v.parse().expect("--runs N"))
        .unwrap_or(if quick { 1 } else { 5 });
    let csv = arg("--csv").unwrap_or_else(|| "results/latest.csv".into());
    let step = if quick { 1.25 } else { 0.5 };
    let tols: Vec<f64> = (0..)
        .map(|k| 10f64.powf(-3.0 - step * k as f64))
        .take_while(|t| *t >= 0.99e-15)
        .collect();
    let sv = solvers();
    // --problems a,b: only these (for quick comparisons while working).
    let only = arg("--problems");
    let wanted = |name: &str| only.as_ref().is_none_or(|l| l.split(',').any(|p| p == name));
    let mut results = Vec::new();
    if wanted("arenstorf") {
        results.push(problem::<4, Arenstorf>(&sv, &tols, runs));
    }
    if wanted("pleiades") {
        results.push(problem::<28, Pleiades>(&sv, &tols, runs));
    }
    if wanted("lorenz") {
        results.push(problem::<3, Lorenz>(&sv, &tols, runs));
    }
    if wanted("kepler") {
        results.push(problem::<4, Kepler>(&sv, &tols, runs));
    }

    let mut out = String::from("problem,run,library,method,tol,nfev,error,seconds\n");
    for r in &results {
        for (ri, run) in r.runs.iter().enumerate() {
            for (k, pts) in run.iter().enumerate() {
                for p in pts {
                    out += &format!(
                        "{},{},{:?},{},{:e},{},{:e},{:e}\n",
                        r.name, ri, sv[k].lib, sv[k].name, p.tol, p.out.nfev, p.out.error, p.seconds
                    );
                }
            }
        }
    }
    if let Some(dir) = std::path::Path::new(&csv).parent() {
        std::fs::create_dir_all(dir).ok();
    }
    std::fs::write(&csv, out).expect("write csv");

    let clock = if WALL.load(std::sync::atomic::Ordering::Relaxed) {
        "wall"
    } else {
        "thread CPU"
    };
    println!(
        "\nruns: {runs}; sweep: {} tolerances from {:e} to {:e}; {clock} time; CSV: {csv}",
        tols.len(),
        tols[0],
        tols[tols.len() - 1]
    );
    for opt_in in [false, true] {
        if opt_in {
            println!(
            "\n## The same with opt-in settings: odestride's methods including {OPT_IN_DOP853} and {OPT_IN_VERN9} (with the predictive step), {BARE_DOP853} and {BARE_VERN9} (detectors off)\n"
        );
        } else {
            println!(
            "\n## Time at equal achieved error: best odestride / best peer (min / median / max over runs; default options)\n"
        );
        }
        println!(
        "| problem | error | ratio min | median | max | best odestride (median µs) | best peer (median µs) |"
    );
        println!("|---|---|---:|---:|---:|---|---|");
        for r in &results {
            for target in [1e-6, 1e-10] {
                let mut ratios = Vec::new();
                let mut od = Vec::new();
                let mut pe = Vec::new();
                for run in &r.runs {
                    let best = |lib: &dyn Fn(Lib) -> bool| {
                        sv.iter()
                            .zip(run)
                            .filter(|(s, _)| lib(s.lib))
                            .filter(|(s, _)| opt_in || !OPT_INS.contains(&s.name))
                            .filter_map(|(s, pts)| time_at(pts, target).map(|t| (t, s.name, s.lib)))
                            .min_by(|a, b| a.0.total_cmp(&b.0))
                    };
                    if let (Some(a), Some(b)) = (
                        best(&|l| l == Lib::Odestride),
                        best(&|l| l != Lib::Odestride && l != Lib::Lean),
                    ) {
                        ratios.push(a.0 / b.0);
                        od.push((a.0, a.1));
                        pe.push((b.0, b.1, b.2));
                    }
                }
                if ratios.is_empty() {
                    println!("| {} | {target:e} | - | - | - | - | - |", r.name);
                    continue;
                }
                let mut names_o: Vec<&str> = od.iter().map(|x| x.1).collect();
                names_o.dedup();
                let mut names_p: Vec<String> = pe.iter().map(|x| format!("{:?} {}", x.2, x.1)).collect();
                names_p.sort();
                names_p.dedup();
                let min = ratios.iter().cloned().fold(f64::INFINITY, f64::min);
                let max = ratios.iter().cloned().fold(0.0, f64::max);
                println!(
                    "| {} | {target:e} | {min:.2} | **{:.2}** | {max:.2} | {} ({:.1}) | {} ({:.1}) |",
                    r.name,
                    median(ratios.clone()),
                    names_o.join("/"),
                    median(od.iter().map(|x| x.0).collect()) * 1e6,
                    names_p.join("/"),
                    median(pe.iter().map(|x| x.0).collect()) * 1e6,
                );
            }
        }
    }
    type Value = fn(&Point) -> f64;
    let tables: [(&str, Value, f64, usize); 2] = [
        ("Every method: median µs at achieved error 1e-6 / 1e-10", |p| p.seconds, 1e6, 1),
        (
            "f-evaluations at equal achieved error 1e-6 / 1e-10 (median over runs; the same for every run up to interpolation)",
            |p| p.out.nfev as f64,
            1.0,
            0,
        ),
    ];
    for (title, value, unit, digits) in tables {
        println!("\n## {title}\n");
        let mut head = String::from("| method |");
        let mut rule = String::from("|---|");
        for r in &results {
            head += &format!(" {} 1e-6 | {} 1e-10 |", r.name, r.name);
            rule += "---:|---:|";
        }
        println!("{head}\n{rule}");
        for (k, s) in sv.iter().enumerate() {
            let mut line = format!("| {:?} {} |", s.lib, s.name);
            for r in &results {
                for target in [1e-6, 1e-10] {
                    let v: Vec<f64> = r
                        .runs
                        .iter()
                        .filter_map(|run| value_at(&run[k], target, value))
                        .collect();
                    if v.is_empty() {
                        line += " - |";
                    } else {
                        line += &format!(" {:.*} |", digits, median(v) * unit);
                    }
                }
            }
            println!("{line}");
        }
    }

    println!("\n## Solver overhead per f-evaluation (ns): time / nfev - one rhs call, tol 1e-10, median over runs\n");
    let mut head = String::from("| method |");
    let mut rule = String::from("|---|");
    for r in &results {
        head += &format!(" {} (rhs {:.1} ns) |", r.name, r.rhs * 1e9);
        rule += "---:|";
    }
    println!("{head}\n{rule}");
    for (k, s) in sv.iter().enumerate() {
        let mut line = format!("| {:?} {} |", s.lib, s.name);
        for r in &results {
            let v: Vec<f64> = r
                .runs
                .iter()
                .filter_map(|run| run[k].iter().find(|p| (p.tol / 1e-10 - 1.0).abs() < 1e-6))
                .map(|p| (p.seconds / p.out.nfev as f64 - r.rhs) * 1e9)
                .collect();
            if v.is_empty() {
                line += " - |";
            } else {
                line += &format!(" {:.1} |", median(v));
            }
        }
        println!("{line}");
    }
    print_floor();
}
