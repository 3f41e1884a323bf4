//! Per-step overhead of the integrators: the time of a step minus the time
//! of its right-hand-side calls, on a right-hand side that costs almost
//! nothing (`Oscillators` in `benches/common/mod.rs`: two uncoupled linear
//! oscillators, 4-dimensional `SVector`, ten periods).
//!
//! For each method: the solve at rtol = atol = 1e-8, and the cost of one
//! evaluation of the right-hand side in a loop. Before the criterion groups
//! run, a table is printed:
//!
//! `overhead per step = (time per solve - nfev * time per evaluation) / attempts`
//!
//! and its fraction of the time per step. `ode_solvers`' Dopri5 and Dop853
//! run the same problem through the same front end as `benches/peers.rs`.
//! Run: `cargo bench --bench overhead`.
mod common;
use common::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;

const TOL: f64 = 1e-8;

const METHODS: [(Solver, Config); 9] = [
    (Solver::Dp5, Config::Default),
    (Solver::Dp5, Config::Bare),
    (Solver::Tsit5, Config::Default),
    (Solver::Dop853, Config::Default),
    (Solver::Dop853, Config::Bare),
    (Solver::Vern9, Config::Default),
    (Solver::Bs3, Config::Default),
    (Solver::PeerDopri5, Config::Default),
    (Solver::PeerDop853, Config::Default),
];

fn label((s, cfg): (Solver, Config)) -> String {
    let bare = cfg == Config::Bare && !matches!(s, Solver::PeerDopri5 | Solver::PeerDop853);
    format!("{}{}", s.name(), if bare { " (detectors off)" } else { "" })
}

fn run((s, cfg): (Solver, Config)) -> Outcome {
    solve::<4, Oscillators>(s, TOL, cfg)
}

/// Fastest of five batches of about 50 ms, seconds per call.
fn fastest(mut f: impl FnMut()) -> f64 {
    let reps = reps_for(0.05, &mut f);
    (0..5).map(|_| batch(reps, &mut f)).fold(f64::INFINITY, f64::min)
}

/// 1000 independent evaluations of the right-hand side.
fn rhs_x1000() {
    let y = black_box(Oscillators::y0());
    let mut dy = [0.0; 4];
    for _ in 0..1000 {
        Oscillators::rhs(black_box(&y), &mut dy);
        black_box(&dy);
    }
}

fn table() {
    let t_rhs = fastest(rhs_x1000) / 1000.0;
    eprintln!(
        "\nper-step overhead, 4-dim SVector, rtol = atol = {TOL:e}, one f-evaluation = {:.2} ns",
        t_rhs * 1e9
    );
    eprintln!(
        "{:<36} {:>6} {:>8} {:>9} {:>11} {:>10} {:>12} {:>9}",
        "method", "nfev", "attempts", "error", "ns/solve", "ns/step", "overhead ns", "fraction"
    );
    for m in METHODS {
        let o = run(m);
        let attempts = o.naccept + o.nreject;
        let t = fastest(|| {
            black_box(run(black_box(m)));
        });
        let per_step = t / attempts as f64;
        let over = (t - o.nfev as f64 * t_rhs) / attempts as f64;
        eprintln!(
            "{:<36} {:>6} {:>8} {:>9.2e} {:>11.0} {:>10.1} {:>12.1} {:>8.0}%",
            label(m),
            o.nfev,
            attempts,
            o.error,
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
    g.bench_function("rhs_x1000", |b| b.iter(rhs_x1000));
    for m in METHODS {
        g.bench_with_input(BenchmarkId::new("solve", label(m)), &m, |b, &m| {
            b.iter(|| black_box(run(black_box(m))))
        });
    }
    g.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
