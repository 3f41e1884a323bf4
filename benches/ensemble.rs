//! Ensembles: a 10 000-member Lorenz parameter sweep (rho in [20, 40],
//! DP5 at rtol = atol = 1e-8, final state only), over t in [0, 2] (about
//! 1 200 evaluations per member) and over t in [0, 0.01] (about 40: there a
//! per-member overhead would show).
//!
//! Interleaved rounds (every variant once per round, so slow phases of a
//! shared machine hit them all), each variant timed over the whole sweep:
//!
//! - `loop`: a plain loop, `make().solve(...)` per member (fresh integrator),
//!   results kept in a `Vec` — the reference;
//! - `loop, one integrator`: the same loop reusing one integrator;
//! - `ensemble, 1 thread`: `Ensemble::solve` (on a one-thread rayon pool with
//!   the `rayon` feature): its overhead per member against `loop`;
//! - `ensemble, 2 threads` (feature `rayon`): the speed-up over `loop`;
//! - `ensemble, reuse, ...`: the same with `reuse_integrators(true)` (one
//!   integrator per rayon batch instead of one per member).
//!
//! Printed: the median time of each variant, and per round the ratios to
//! `loop` (median and range over the rounds), and the overhead per member
//! `(t_ensemble_1 - t_loop) / N`. Run:
//! `cargo bench --bench ensemble --features rayon` (`ROUNDS=n` to change
//! the number of rounds, default 7).
use odestride::nalgebra::SVector;
use odestride::{Ensemble, ExplicitRk, Integrator, Options, SaveMode, Solution, SolveFailure};
use std::hint::black_box;
use std::time::Instant;

type V3 = SVector<f64, 3>;
type Results = Vec<Result<Solution<f64, V3>, SolveFailure<f64, V3>>>;

const N: usize = 10_000;

fn lorenz(rho: f64) -> impl Fn(f64, &V3, &mut V3) + Copy {
    move |_t: f64, y: &V3, dy: &mut V3| {
        dy[0] = 10.0 * (y[1] - y[0]);
        dy[1] = y[0] * (rho - y[2]) - y[1];
        dy[2] = y[0] * y[1] - 8.0 / 3.0 * y[2];
    }
}

fn make() -> Integrator<'static, f64, V3, ExplicitRk<f64, V3>> {
    Integrator::new(ExplicitRk::dopri5()).options(Options::default().tol(1e-8).save(SaveMode::FinalOnly))
}

fn y0() -> V3 {
    V3::from([1.0, 1.0, 1.0])
}

fn plain_loop(rhos: &[f64], t_end: f64) -> Results {
    rhos.iter()
        .map(|&rho| make().solve(lorenz(rho), 0.0, t_end, y0()))
        .collect()
}

fn loop_one_integrator(rhos: &[f64], t_end: f64) -> Results {
    let mut integ = make();
    rhos.iter()
        .map(|&rho| integ.solve(lorenz(rho), 0.0, t_end, y0()))
        .collect()
}

fn ensemble_reuse(rhos: &[f64], t_end: f64) -> Results {
    Ensemble::new(make)
        .reuse_integrators(true)
        .solve(rhos, |integ, &rho| integ.solve(lorenz(rho), 0.0, t_end, y0()))
        .members
}

fn ensemble(rhos: &[f64], t_end: f64) -> Results {
    Ensemble::new(make)
        .solve(rhos, |integ, &rho| integ.solve(lorenz(rho), 0.0, t_end, y0()))
        .members
}

#[cfg(feature = "rayon")]
fn on_threads(n: usize, rhos: &[f64], t_end: f64) -> Results {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    pool.install(|| ensemble(rhos, t_end))
}

#[cfg(feature = "rayon")]
fn reuse_on_threads(n: usize, rhos: &[f64], t_end: f64) -> Results {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(n).build().unwrap();
    pool.install(|| ensemble_reuse(rhos, t_end))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is parsed.
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    for t_end in [2.0, 0.01] {
        sweep(t_end, rounds);
    }
}

fn sweep(t_end: f64, rounds: usize) {
    let rhos: Vec<f64> = (0..N).map(|i| 20.0 + 20.0 * i as f64 / N as f64).collect();
    type Variant<'a> = (&'a str, Box<dyn Fn(&[f64], f64) -> Results>);
    let mut variants: Vec<Variant> = vec![
        ("loop", Box::new(plain_loop)),
        ("loop, one integrator", Box::new(loop_one_integrator)),
    ];
    #[cfg(feature = "rayon")]
    {
        variants.push(("ensemble, 1 thread", Box::new(|r: &[f64], t| on_threads(1, r, t))));
        variants.push((
            "ensemble, 2 threads",
            Box::new(|r: &[f64], t| on_threads(2, r, t)),
        ));
        variants.push((
            "ensemble, reuse, 1 thread",
            Box::new(|r: &[f64], t| reuse_on_threads(1, r, t)),
        ));
        variants.push((
            "ensemble, reuse, 2 threads",
            Box::new(|r: &[f64], t| reuse_on_threads(2, r, t)),
        ));
    }
    #[cfg(not(feature = "rayon"))]
    {
        variants.push(("ensemble (serial, no rayon)", Box::new(ensemble)));
        variants.push(("ensemble, reuse (serial)", Box::new(ensemble_reuse)));
    }

    // One unmeasured pass each (page faults, pool start-up); also checks
    // that every variant gives the same numbers.
    let reference = plain_loop(&rhos, t_end);
    let nfev: usize = reference.iter().map(|r| r.as_ref().unwrap().stats.nfev).sum();
    for (name, f) in &variants {
        let out = f(&rhos, t_end);
        for (a, b) in out.iter().zip(&reference) {
            assert_eq!(a.as_ref().unwrap().y, b.as_ref().unwrap().y, "{name}");
        }
    }
    println!(
        "\n{N} Lorenz members over [0, {t_end}], {:.0} evaluations per member; {rounds} interleaved rounds",
        nfev as f64 / N as f64
    );

    let mut times = vec![Vec::new(); variants.len()];
    for _ in 0..rounds {
        for (k, (_, f)) in variants.iter().enumerate() {
            let start = Instant::now();
            black_box(f(black_box(&rhos), t_end));
            times[k].push(start.elapsed().as_secs_f64());
        }
    }
    println!(
        "{:<28} {:>10} {:>12} {:>22}",
        "variant", "median s", "us/member", "t_loop / t (min..max)"
    );
    for (k, (name, _)) in variants.iter().enumerate() {
        let mut ratios: Vec<f64> = times[0].iter().zip(&times[k]).map(|(l, t)| l / t).collect();
        let (lo, hi) = (
            ratios.iter().cloned().fold(f64::INFINITY, f64::min),
            ratios.iter().cloned().fold(0.0, f64::max),
        );
        let ratio = median(&mut ratios);
        let t = median(&mut times[k].clone());
        println!(
            "{name:<28} {t:>10.3} {:>12.2} {ratio:>9.2} ({lo:.2}..{hi:.2})",
            t / N as f64 * 1e6
        );
    }
    // Overhead per member of the ensemble on one thread against the loop,
    // per round (paired), then the median.
    // `ensemble, 1 thread` (or the serial ensemble) is variant 2.
    let k1 = 2;
    let mut over: Vec<f64> = times[k1]
        .iter()
        .zip(&times[0])
        .map(|(e, l)| (e - l) / N as f64 * 1e9)
        .collect();
    let (lo, hi) = (
        over.iter().cloned().fold(f64::INFINITY, f64::min),
        over.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
    );
    println!(
        "overhead per member, {} - loop: median {:.0} ns (rounds: {lo:.0} .. {hi:.0} ns)",
        variants[k1].0,
        median(&mut over)
    );
}
