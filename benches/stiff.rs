//! The Rosenbrock methods on the stiff reference problems, and the cost of
//! dense LU against the dimension.
//!
//! Groups:
//! - `stiff/<problem>/rtol=<tol>`: Rosenbrock23, Rodas4, Rodas5P on ROBER,
//!   Van der Pol (mu = 1000) and HIRES with analytic Jacobians (the scaled
//!   error against the Bari reference and the work counters are printed
//!   first). The comparison with the `diffsol` crate lives in the separate
//!   crate `peers/stiff` (its compile time would slow CI).
//! - `lu/n=<n>`: one factorisation and one solve of a dense `DMatrix` system,
//!   `n` from 8 to 512 (what `docs/stiff.md` quotes for the scope of dense LU).
//!
//! Run: `cargo bench --bench stiff` (filter e.g. `-- lu`).
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use nalgebra::{DMatrix, SVector};
use odestride::linalg::Lu;
use odestride::problems::{Hires, Rober, VanDerPol};
use odestride::{Integrator, Options, Rosenbrock, SaveMode, System};
use std::hint::black_box;
use std::time::Duration;

type Mk<const N: usize> = fn() -> Rosenbrock<f64, SVector<f64, N>>;

fn methods<const N: usize>() -> [(&'static str, Mk<N>); 3] {
    [
        ("rosenbrock23", Rosenbrock::rosenbrock23),
        ("rodas4", Rosenbrock::rodas4),
        ("rodas5p", Rosenbrock::rodas5p),
    ]
}

fn group<const N: usize, F: System<f64, SVector<f64, N>> + Clone>(
    c: &mut Criterion,
    name: &str,
    sys: F,
    y0: SVector<f64, N>,
    t_end: f64,
    atol: impl Fn(f64) -> [f64; N],
    error: impl Fn(&SVector<f64, N>) -> f64,
) {
    for rtol in [1e-6, 1e-10] {
        let mut g = c.benchmark_group(format!("stiff/{name}/rtol={rtol:e}"));
        g.sample_size(20)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(1));
        let opts = Options::default()
            .rtol(rtol)
            .atol_per_component(atol(rtol).to_vec())
            .save(SaveMode::FinalOnly)
            .max_steps(10_000_000);
        for (mname, mk) in methods::<N>() {
            let sol = Integrator::new(mk())
                .options(opts.clone())
                .solve(sys.clone(), 0.0, t_end, y0)
                .expect("solve");
            let s = &sol.stats;
            eprintln!(
                "{name:>6} rtol={rtol:e} {mname:<13} nfev={:>7} njev={:>6} nlu={:>6} steps={:>6} error={:.2e}",
                s.nfev,
                s.njev,
                s.nlu,
                s.naccept,
                error(sol.last_state())
            );
            g.bench_function(BenchmarkId::from_parameter(mname), |b| {
                b.iter(|| {
                    black_box(
                        Integrator::new(mk())
                            .options(opts.clone())
                            .solve(sys.clone(), 0.0, t_end, black_box(y0)),
                    )
                })
            });
        }
        g.finish();
    }
}

fn stiff(c: &mut Criterion) {
    group(c, "ROBER", Rober.system(), Rober.y0(), Rober::T_END, |r| Rober.atol(r), |y| Rober.error(y));
    group(
        c,
        "VDPOL",
        VanDerPol.system(),
        VanDerPol.y0(),
        VanDerPol::T_END,
        |r| VanDerPol.atol(r),
        |y| VanDerPol.error(y),
    );
    group(c, "HIRES", Hires.system(), Hires.y0(), Hires::T_END, |r| Hires.atol(r), |y| Hires.error(y));
}

/// A well-conditioned dense matrix: I/(h gamma) - J with a random-ish J.
fn matrix(n: usize) -> DMatrix<f64> {
    DMatrix::from_fn(n, n, |i, j| {
        let x = ((i * 7919 + j * 104_729) % 1000) as f64 / 1000.0 - 0.5;
        if i == j {
            n as f64 + x
        } else {
            x
        }
    })
}

fn lu(c: &mut Criterion) {
    let mut g = c.benchmark_group("lu");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for n in [8usize, 32, 128, 512] {
        let a = matrix(n);
        let b: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut lu = Lu::new(a.clone());
        let mut x = b.clone();
        g.bench_with_input(BenchmarkId::new("factor+solve", n), &n, |bch, _| {
            bch.iter(|| {
                lu = Lu::new(black_box(a.clone()));
                lu.factor().expect("regular");
                x.copy_from_slice(&b);
                lu.solve(&mut x);
                black_box(&x);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, stiff, lu);
criterion_main!(benches);
