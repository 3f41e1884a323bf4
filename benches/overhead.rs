//! Per-step overhead of the integrators: the time of a step minus the time
//! of its right-hand-side calls, on a right-hand side that costs almost
//! nothing (two uncoupled linear oscillators, 4-dimensional `SVector`).
//!
//! For each method: the solve over ten periods at rtol = atol = 1e-8, and
//! the cost of one evaluation of the right-hand side in a loop. Before the
//! criterion groups run, a table is printed:
//!
//! `overhead per step = (time per solve - nfev * time per evaluation) / attempts`
//!
//! and its fraction of the time per step. `ode_solvers`' Dopri5 and Dop853
//! run the same problem for comparison. Run: `cargo bench --bench overhead`.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use nalgebra::SVector;
use odestride::{BlowUpConfig, ExplicitRk, Integrator, Options, SaveMode, StiffnessConfig};
use std::hint::black_box;
use std::time::{Duration, Instant};

type V4 = SVector<f64, 4>;
const T_END: f64 = 20.0 * std::f64::consts::PI;
const TOL: f64 = 1e-8;

/// x1'' = -x1, x2'' = -4 x2 as a first-order system.
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

#[derive(Clone, Copy)]
enum M {
    Ours(&'static str, fn() -> ExplicitRk<f64, V4>, bool),
    PeerDopri5,
    PeerDop853,
}

impl M {
    fn name(self) -> String {
        match self {
            M::Ours(n, _, bare) => format!("{n}{}", if bare { " (detectors off)" } else { "" }),
            M::PeerDopri5 => "ode_solvers Dopri5".into(),
            M::PeerDop853 => "ode_solvers Dop853".into(),
        }
    }
}

const METHODS: [M; 9] = [
    M::Ours("DP5", ExplicitRk::dopri5, false),
    M::Ours("DP5", ExplicitRk::dopri5, true),
    M::Ours("Tsit5", ExplicitRk::tsit5, false),
    M::Ours("DOP853", ExplicitRk::dop853, false),
    M::Ours("DOP853", ExplicitRk::dop853, true),
    M::Ours("Vern9", ExplicitRk::vern9, false),
    M::Ours("BS3", ExplicitRk::bs3, false),
    M::PeerDopri5,
    M::PeerDop853,
];

struct Peer;
impl ode_solvers::System<f64, ode_solvers::SVector<f64, 4>> for Peer {
    #[inline(always)]
    fn system(&self, _t: f64, y: &ode_solvers::SVector<f64, 4>, dy: &mut ode_solvers::SVector<f64, 4>) {
        rhs(y.as_slice(), dy.as_mut_slice());
    }
}

/// (nfev, attempts, max error against the exact solution).
fn solve(m: M) -> (usize, usize, f64) {
    let (nfev, attempts, y) = match m {
        M::Ours(_, mk, bare) => {
            let mut integ =
                Integrator::new(mk()).options(Options::default().tol(TOL).save(SaveMode::FinalOnly));
            if bare {
                integ = integ
                    .detect_blowup(BlowUpConfig::off())
                    .detect_stiffness(StiffnessConfig::off());
            }
            let f = |_t: f64, y: &V4, dy: &mut V4| rhs(y.as_slice(), dy.as_mut_slice());
            let sol = integ.solve(f, 0.0, T_END, V4::from(y0())).expect("solve failed");
            (sol.stats.nfev, sol.stats.nsteps, *sol.last_state())
        }
        M::PeerDopri5 | M::PeerDop853 => {
            let y = ode_solvers::SVector::<f64, 4>::from(y0());
            let (st, yend) = if matches!(m, M::PeerDopri5) {
                let mut s = ode_solvers::Dopri5::new(Peer, 0.0, T_END, T_END, y, TOL, TOL);
                s.set_output(ode_solvers::OutputType::Sparse);
                let st = s.integrate().expect("peer failed");
                (st, *s.y_out().last().expect("output"))
            } else {
                let mut s = ode_solvers::Dop853::new(Peer, 0.0, T_END, T_END, y, TOL, TOL);
                s.set_output(ode_solvers::OutputType::Sparse);
                let st = s.integrate().expect("peer failed");
                (st, *s.y_out().last().expect("output"))
            };
            let attempts = (st.accepted_steps + st.rejected_steps) as usize;
            (
                st.num_eval as usize,
                attempts,
                V4::from(<[f64; 4]>::try_from(yend.as_slice()).expect("4")),
            )
        }
    };
    // Ten periods of both oscillators: back at the initial state.
    let err = y.iter().zip(y0()).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    (nfev, attempts, err)
}

/// Fastest of five batches of >= 50 ms, seconds per call.
fn time_it(mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    f();
    let once = t.elapsed().as_secs_f64().max(1e-8);
    let reps = ((0.05 / once).ceil() as usize).clamp(1, 10_000_000);
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Seconds per right-hand-side evaluation (1000 independent calls per batch).
fn rhs_cost() -> f64 {
    let y = black_box(V4::from(y0()));
    let mut dy = V4::zeros();
    time_it(|| {
        for _ in 0..1000 {
            rhs(black_box(y.as_slice()), dy.as_mut_slice());
            black_box(&dy);
        }
    }) / 1000.0
}

fn table() {
    let t_rhs = rhs_cost();
    eprintln!(
        "\nper-step overhead, 4-dim SVector, rtol = atol = {TOL:e}, one f-evaluation = {:.2} ns",
        t_rhs * 1e9
    );
    eprintln!(
        "{:<28} {:>6} {:>8} {:>9} {:>11} {:>10} {:>12} {:>9}",
        "method", "nfev", "attempts", "error", "ns/solve", "ns/step", "overhead ns", "fraction"
    );
    for m in METHODS {
        let (nfev, attempts, err) = solve(m);
        let t = time_it(|| {
            black_box(solve(black_box(m)));
        });
        let per_step = t / attempts as f64;
        let over = (t - nfev as f64 * t_rhs) / attempts as f64;
        eprintln!(
            "{:<28} {:>6} {:>8} {:>9.2e} {:>11.0} {:>10.1} {:>12.1} {:>8.0}%",
            m.name(),
            nfev,
            attempts,
            err,
            t * 1e9,
            per_step * 1e9,
            over * 1e9,
            100.0 * over / per_step
        );
    }
    eprintln!();
}

fn overhead(c: &mut Criterion) {
    table();
    let mut g = c.benchmark_group("overhead");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("rhs_x1000", |b| {
        let y = V4::from(y0());
        let mut dy = V4::zeros();
        b.iter(|| {
            for _ in 0..1000 {
                rhs(black_box(y.as_slice()), dy.as_mut_slice());
                black_box(&dy);
            }
        })
    });
    for m in METHODS {
        g.bench_with_input(BenchmarkId::new("solve", m.name()), &m, |b, &m| {
            b.iter(|| black_box(solve(black_box(m))))
        });
    }
    g.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
