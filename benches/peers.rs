//! odestride vs the `ode_solvers` crate, same process, same right-hand sides.
//!
//! Groups `<problem>/tol=<tol>`, one bench per solver; before timing, each
//! solver's nfev, accepted/rejected steps and achieved max-norm error are
//! printed, because equal tolerance is not equal accuracy. See
//! `docs/performance.md` for the results and `examples/speed.rs`
//! for the full work-precision sweep.
//!
//! Run: `cargo bench --bench peers` (filter e.g. `-- arenstorf`).
mod common;
use common::*;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;

fn group<const N: usize, P: Problem<N>>(c: &mut Criterion) {
    for tol in [1e-6, 1e-10] {
        let mut g = c.benchmark_group(format!("{}/tol={tol:e}", P::NAME));
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for solver in Solver::ALL {
            let o = solve::<N, P>(solver, tol, Config::Default);
            eprintln!(
                "{:>9} tol={tol:e} {:<20} nfev={:>6} accepted={:>5} rejected={:>4} error={:.3e}",
                P::NAME,
                solver.name(),
                o.nfev,
                o.naccept,
                o.nreject,
                o.error
            );
            g.bench_with_input(BenchmarkId::from_parameter(solver.id()), &tol, |b, &tol| {
                b.iter(|| black_box(solve::<N, P>(solver, black_box(tol), Config::Default)))
            });
        }
        g.finish();
    }
}

fn peers(c: &mut Criterion) {
    group::<4, Arenstorf>(c);
    group::<4, Kepler>(c);
    group::<3, Lorenz>(c);
    group::<28, Pleiades>(c);
}

criterion_group!(benches, peers);
criterion_main!(benches);
