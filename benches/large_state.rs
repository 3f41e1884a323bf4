//! Large states: the cost of a step as the state grows, odestride's
//! Dormand–Prince 5(4) on `DVector` against a hand-written DP5 loop on plain
//! slices.
//!
//! The problem is the method-of-lines heat equation (`u_t = u_xx`, central
//! differences, `n` = 1e3, 1e4, 1e5 unknowns, smooth initial data with an
//! exact semi-discrete solution); the three runs per size are:
//!
//! * `odestride_adaptive`: rtol = atol = 1e-6 over 300 stability-limited
//!   steps' worth of span (the step is bounded by DP5's stability interval,
//!   not by the tolerance), defaults otherwise (`SaveMode::FinalOnly`);
//! * `odestride_fixed`: `Options::fixed_step(0.75 h_stab)`, 200 steps: no
//!   controller, but the stepper still computes the error estimate and its
//!   norm, so a step does the same work as an adaptive attempt;
//! * `hand_fixed`: the same 200 steps written out by hand on `Vec<f64>`
//!   (stage combinations, the same right-hand side function, the `b`
//!   combination, first same as last, the error combination fused into the
//!   scaled RMS norm), without controller, finiteness check or stiffness
//!   estimate.
//!
//! Details and the exact split of work: `benches/common/heat.rs`. Before
//! timing, each size prints the attempted/accepted/rejected steps, nfev and
//! the max-norm error against the semi-discrete solution of each run. One
//! bench iteration is one solve; the throughput is set to the attempted
//! steps of that solve, so criterion's `thrpt` is steps per second and the
//! time per step is its inverse. `examples/large_state.rs` measures the same
//! runs interleaved (fastest of several rounds, sturdier on a busy machine)
//! and prints the table of `docs/performance.md`.
//!
//! Run: `cargo bench --bench large_state` (filter e.g. `-- n=100000`; about
//! a minute and a half).
#[path = "common/heat.rs"]
mod heat;

use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use heat::{Case, Variant, ADAPTIVE_SPAN, FIXED_FRACTION, SIZES, STEPS, TOL};
use std::hint::black_box;
use std::time::Duration;

fn large_state(c: &mut Criterion) {
    eprintln!(
        "large_state: heat equation, DP5, tol={TOL:e}; adaptive over {ADAPTIVE_SPAN} h_stab, \
         fixed h = {FIXED_FRACTION} h_stab x {STEPS} steps"
    );
    for n in SIZES {
        let (mut case, report) = Case::new(n);
        eprintln!("  {report}");
        let mut g = c.benchmark_group(format!("large_state/n={n}"));
        // One solve takes 0.3 ms to 0.5 s: flat sampling, 20 samples.
        let secs = if n >= 100_000 { 12 } else { 4 };
        g.sample_size(20)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(secs));
        for v in Variant::ALL {
            g.throughput(Throughput::Elements(case.steps(v) as u64));
            let y0 = case.y0.clone();
            g.bench_function(BenchmarkId::from_parameter(v.id()), |b| {
                b.iter_batched(
                    || y0.clone(),
                    |y| black_box(case.solve(v, y)),
                    BatchSize::LargeInput,
                )
            });
        }
        g.finish();
    }
}

criterion_group!(benches, large_state);
criterion_main!(benches);
