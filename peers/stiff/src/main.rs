//! Stiff peer comparison: odestride's Rosenbrock methods against diffsol's
//! BDF, TR-BDF2 and ESDIRK34 on ROBER, Van der Pol (mu = 1000) and HIRES.
//!
//! Method: time at equal achieved error. Every solver sweeps the same
//! tolerances; the time at an achieved error of 1e-6 and 1e-10 is
//! interpolated log-log between the two tolerances that bracket it. See
//! README.md for the settings and what is printed.

mod problems;
mod runners;

use problems::{check_jacobians, error_of, Hires, Problem, Rober, VdP};
use runners::{run, RunOut, Solver};
use std::collections::BTreeMap;

/// Achieved errors at which the times are compared.
const TARGETS: [f64; 2] = [1e-6, 1e-10];
/// A run whose achieved error exceeds this many times the tolerance counts
/// as a failure at that tolerance.
const FAIL_FACTOR: f64 = 1e3;

struct Args {
    quick: bool,
    /// Timed repetitions of each (solver, tolerance) in one round.
    runs: usize,
    /// Full rounds; each gives one ratio per problem and target.
    rounds: usize,
    /// A calibration run slower than this (seconds) stops the sweep of that
    /// solver on that problem at that tolerance.
    max_time: f64,
    problems: Vec<String>,
    /// Time with the wall clock instead of the thread's CPU time.
    wall: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        quick: false,
        runs: 5,
        rounds: 5,
        max_time: 2.0,
        problems: vec![],
        wall: false,
    };
    let mut runs = None;
    let mut rounds = None;
    let mut it = std::env::args().skip(1);
    while let Some(s) = it.next() {
        let mut num = |name: &str| -> f64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match s.as_str() {
            "--quick" => a.quick = true,
            "--wall" => a.wall = true,
            "--runs" => runs = Some(num("--runs") as usize),
            "--rounds" => rounds = Some(num("--rounds") as usize),
            "--max-time" => a.max_time = num("--max-time"),
            "--problem" => a
                .problems
                .push(it.next().expect("--problem needs a name").to_lowercase()),
            "-h" | "--help" => {
                println!(
                    "usage: odestride-stiff-peers [--quick] [--wall] [--runs N] [--rounds K] [--max-time SECS] [--problem rober|vdp|hires]..."
                );
                std::process::exit(0);
            }
            other => panic!("unknown argument {other:?} (try --help)"),
        }
    }
    if a.quick {
        a.runs = 1;
        a.rounds = 1;
    }
    a.runs = runs.unwrap_or(a.runs).max(1);
    a.rounds = rounds.unwrap_or(a.rounds).max(1);
    a
}

fn tolerances(quick: bool) -> Vec<f64> {
    if quick {
        (3..=13).map(|k| 10f64.powi(-k)).collect()
    } else {
        (0..=20).map(|k| 10f64.powf(-3.0 - 0.5 * k as f64)).collect()
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// What the calibration run of one (solver, tolerance) gave.
#[derive(Clone)]
enum Outcome {
    Ok { out: RunOut, err: f64 },
    Failed(String),
    Skipped,
}

/// Log-log interpolation of the time at achieved error `target` along a
/// sweep `(tol, err, time)` ordered loose to tight: the first pair of
/// consecutive successful tolerances with err_k >= target >= err_k+1.
fn time_at(points: &[(f64, f64, f64)], target: f64) -> Option<f64> {
    for w in points.windows(2) {
        let (_, e0, t0) = w[0];
        let (_, e1, t1) = w[1];
        if e0 >= target && target >= e1 {
            if e0 == e1 {
                return Some(t0.min(t1));
            }
            let s = (target.ln() - e0.ln()) / (e1.ln() - e0.ln());
            return Some((t0.ln() + s * (t1.ln() - t0.ln())).exp());
        }
    }
    None
}

fn fmt_time(t: Option<f64>) -> String {
    match t {
        Some(t) if t < 1e-3 => format!("{:.1} us", t * 1e6),
        Some(t) if t < 1.0 => format!("{:.3} ms", t * 1e3),
        Some(t) => format!("{t:.3} s"),
        None => "n/a".into(),
    }
}

/// The fastest solver of one side at one target: (time, solver).
type Best = Option<(f64, Solver)>;
/// (best odestride, best diffsol).
type BestPair = (Best, Best);

struct ProblemReport {
    name: &'static str,
    /// Per round and target: (best odestride time, best diffsol time).
    best: Vec<[BestPair; 2]>,
}

fn bench_problem<P: Problem, const N: usize>(args: &Args, solvers: &[Solver]) -> ProblemReport {
    assert_eq!(N, P::N);
    let tols = tolerances(args.quick);
    println!(
        "\n=== {} (n = {}, t_end = {}, rtol = tol, atol = {:e} * tol for every component) ===",
        P::NAME,
        P::N,
        P::T_END,
        P::ATOL_RATIO
    );

    // Calibration: one run of every configuration, loose to tight, giving the
    // errors, the counters and the failures (all deterministic).
    let mut cal: BTreeMap<(usize, usize), Outcome> = BTreeMap::new();
    for (si, &s) in solvers.iter().enumerate() {
        let mut too_slow = false;
        for (ti, &tol) in tols.iter().enumerate() {
            let o = if too_slow {
                Outcome::Skipped
            } else {
                let atol = vec![P::ATOL_RATIO * tol; P::N];
                match run::<P, N>(s, tol, &atol) {
                    Ok(out) => {
                        if out.wall.max(out.cpu) > args.max_time {
                            too_slow = true;
                        }
                        let err = error_of::<P>(&out.y);
                        if err.is_finite() && err <= FAIL_FACTOR * tol {
                            Outcome::Ok { out, err }
                        } else {
                            Outcome::Failed(format!("achieved error {err:.2e} > {FAIL_FACTOR:e} x tol"))
                        }
                    }
                    Err(e) => Outcome::Failed(e),
                }
            };
            cal.insert((si, ti), o);
        }
    }

    // Timed rounds: every (tolerance, repetition) runs all solvers in turn,
    // the order rotated by one each repetition.
    let mut times: Vec<BTreeMap<(usize, usize), f64>> = Vec::new();
    for round in 0..args.rounds {
        let mut samples: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
        for (ti, &tol) in tols.iter().enumerate() {
            let atol = vec![P::ATOL_RATIO * tol; P::N];
            for rep in 0..args.runs {
                for k in 0..solvers.len() {
                    let si = (k + rep + round) % solvers.len();
                    let Some(Outcome::Ok { err, .. }) = cal.get(&(si, ti)) else {
                        continue;
                    };
                    let out = run::<P, N>(solvers[si], tol, &atol).unwrap_or_else(|e| {
                        panic!(
                            "{} {:?} tol {tol:e}: failed in a timed run: {e}",
                            P::NAME,
                            solvers[si]
                        )
                    });
                    let e2 = error_of::<P>(&out.y);
                    assert!(
                        e2 == *err,
                        "{} {:?} tol {tol:e}: not deterministic ({e2:e} vs {err:e})",
                        P::NAME,
                        solvers[si]
                    );
                    samples
                        .entry((si, ti))
                        .or_default()
                        .push(if args.wall { out.wall } else { out.cpu });
                }
            }
        }
        times.push(
            samples
                .into_iter()
                .map(|(k, mut v)| (k, median(&mut v)))
                .collect(),
        );
    }

    // The sweep tables: time = median over rounds of the per-round medians.
    for (si, s) in solvers.iter().enumerate() {
        println!("\n{} / {}", P::NAME, s.label());
        println!(
            "  {:>8}  {:>9}  {:>11}  {:>8}  {:>7}  {:>6}  {:>7}  {:>7}",
            "tol", "error", "time", "nfev", "njev", "nlu", "steps", "rejects"
        );
        for (ti, &tol) in tols.iter().enumerate() {
            match &cal[&(si, ti)] {
                Outcome::Ok { out, err } => {
                    let mut ts: Vec<f64> = times.iter().filter_map(|m| m.get(&(si, ti)).copied()).collect();
                    println!(
                        "  {:>8.1e}  {:>9.2e}  {:>11}  {:>8}  {:>7}  {:>6}  {:>7}  {:>7}",
                        tol,
                        err,
                        fmt_time(Some(median(&mut ts))),
                        out.nfev,
                        out.njev,
                        out.nlu.map_or("-".into(), |v| v.to_string()),
                        out.naccept,
                        out.nreject
                    );
                }
                Outcome::Failed(why) => println!("  {tol:>8.1e}  FAILED: {why}"),
                Outcome::Skipped => {
                    println!(
                        "  {tol:>8.1e}  skipped (a looser tolerance took > {} s)",
                        args.max_time
                    )
                }
            }
        }
    }

    // Interpolated times at the targets, per round.
    let mut best = Vec::new();
    let mut interp: Vec<Vec<[Option<f64>; 2]>> = vec![Vec::new(); solvers.len()];
    for m in &times {
        let mut b: [BestPair; 2] = [(None, None), (None, None)];
        for (si, &s) in solvers.iter().enumerate() {
            let pts: Vec<(f64, f64, f64)> = tols
                .iter()
                .enumerate()
                .filter_map(|(ti, &tol)| match &cal[&(si, ti)] {
                    Outcome::Ok { err, .. } => Some((tol, *err, m[&(si, ti)])),
                    _ => None,
                })
                .collect();
            let mut row = [None, None];
            for (k, &target) in TARGETS.iter().enumerate() {
                let t = time_at(&pts, target);
                row[k] = t;
                if let Some(t) = t {
                    let slot = if s.is_odestride() {
                        &mut b[k].0
                    } else {
                        &mut b[k].1
                    };
                    if slot.is_none_or(|(bt, _)| t < bt) {
                        *slot = Some((t, s));
                    }
                }
            }
            interp[si].push(row);
        }
        best.push(b);
    }
    println!(
        "\n{}: time at achieved error (median over {} rounds)",
        P::NAME,
        args.rounds
    );
    println!("  {:<22} {:>12} {:>12}", "solver", "@1e-6", "@1e-10");
    for (si, s) in solvers.iter().enumerate() {
        let col = |k: usize| {
            let mut v: Vec<f64> = interp[si].iter().filter_map(|r| r[k]).collect();
            if v.len() == interp[si].len() && !v.is_empty() {
                fmt_time(Some(median(&mut v)))
            } else {
                "n/a".into()
            }
        };
        println!("  {:<22} {:>12} {:>12}", s.label(), col(0), col(1));
    }

    // The failure list.
    let fails: Vec<String> = solvers
        .iter()
        .enumerate()
        .flat_map(|(si, s)| {
            tols.iter().enumerate().filter_map({
                let cal = &cal;
                move |(ti, tol)| match &cal[&(si, ti)] {
                    Outcome::Failed(why) => Some(format!("  {} {} tol {tol:.1e}: {why}", P::NAME, s.label())),
                    _ => None,
                }
            })
        })
        .collect();
    println!("\n{}: failures ({})", P::NAME, fails.len());
    for f in &fails {
        println!("{f}");
    }

    ProblemReport { name: P::NAME, best }
}

/// ROBER with a scalar atol = rtol = tol, from 1e-4 to 1e-8. With a scalar
/// atol the solvers are asked for an absolute accuracy of about `tol` on
/// every component, so this test measures the absolute error
/// `max_i |y_i - ref_i|`; a solve fails when it errors or when that error
/// exceeds 1e3 x tol.
fn rober_scalar_atol(solvers: &[Solver]) {
    println!("\n=== ROBER with scalar atol = rtol = tol: max_i |y_i - ref_i| (FAILED = solver error, BAD = error > 1e3 x tol) ===");
    print!("  {:<22}", "solver");
    let tols: Vec<f64> = (4..=8).map(|k| 10f64.powi(-k)).collect();
    for t in &tols {
        print!(" {:>12}", format!("tol {t:.0e}"));
    }
    println!();
    let reference = Rober::reference();
    let mut notes = Vec::new();
    for &s in solvers {
        print!("  {:<22}", s.label());
        for &tol in &tols {
            let cell = match run::<Rober, 3>(s, tol, &[tol; 3]) {
                Ok(out) => {
                    let err = out
                        .y
                        .iter()
                        .zip(&reference)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                    if err.is_finite() && err <= FAIL_FACTOR * tol {
                        format!("ok {err:.1e}")
                    } else {
                        notes.push(format!(
                            "  {} tol {tol:.0e}: error {err:.2e} > {FAIL_FACTOR:e} x tol, y(1e11) = [{:.3e}, {:.3e}, {:.3e}], {} steps",
                            s.label(),
                            out.y[0],
                            out.y[1],
                            out.y[2],
                            out.naccept
                        ));
                        format!("BAD {err:.1e}")
                    }
                }
                Err(e) => {
                    notes.push(format!("  {} tol {tol:.0e}: {e}", s.label()));
                    "FAILED".into()
                }
            };
            print!(" {cell:>12}");
        }
        println!();
    }
    for n in notes {
        println!("{n}");
    }
}

fn main() {
    let args = parse_args();
    check_jacobians::<Rober>();
    check_jacobians::<VdP>();
    check_jacobians::<Hires>();
    let solvers = Solver::all();
    println!(
        "odestride stiff peers: {} solvers, {} tolerances, {} round(s) x {} run(s); diffsol {} (nalgebra backend, NalgebraLU, Jacobian from the analytic J*v)",
        solvers.len(),
        tolerances(args.quick).len(),
        args.rounds,
        args.runs,
        *runners::DIFFSOL_VERSION
    );
    println!(
        "times: {}",
        if args.wall {
            "wall clock (--wall)"
        } else {
            "CPU time of the solving thread (CLOCK_THREAD_CPUTIME_ID; --wall for wall clock)"
        }
    );
    if !solvers.iter().any(|s| s.is_odestride()) {
        println!("(built without the `rosenbrock` feature (--no-default-features): diffsol only, no ratios)");
    }
    let want =
        |name: &str| args.problems.is_empty() || args.problems.iter().any(|p| p == &name.to_lowercase());
    let mut reports = Vec::new();
    if want(Rober::NAME) {
        reports.push(bench_problem::<Rober, 3>(&args, &solvers));
    }
    if want(VdP::NAME) {
        reports.push(bench_problem::<VdP, 2>(&args, &solvers));
    }
    if want(Hires::NAME) {
        reports.push(bench_problem::<Hires, 8>(&args, &solvers));
    }
    if want(Rober::NAME) {
        rober_scalar_atol(&solvers);
    }

    println!(
        "\n=== Best times and ratio (best odestride Rosenbrock) / (best diffsol), over {} rounds ===",
        args.rounds
    );
    println!(
        "  {:<7} {:>6}  {:>32}  {:>32}  {:>22}",
        "problem", "error", "best odestride (median)", "best diffsol (median)", "ratio min/med/max"
    );
    for r in &reports {
        for (k, &target) in TARGETS.iter().enumerate() {
            let best_of = |pick: fn(&BestPair) -> Best| {
                let v: Vec<(f64, Solver)> = r.best.iter().filter_map(|b| pick(&b[k])).collect();
                if v.len() < r.best.len() || v.is_empty() {
                    return "n/a".to_string();
                }
                let mut t: Vec<f64> = v.iter().map(|x| x.0).collect();
                let mut names: Vec<&str> = v.iter().map(|x| x.1.short_label()).collect();
                names.sort();
                names.dedup();
                format!("{} {}", fmt_time(Some(median(&mut t))), names.join("/"))
            };
            let mut ratios: Vec<f64> = r
                .best
                .iter()
                .filter_map(|b| match (b[k].0, b[k].1) {
                    (Some((a, _)), Some((d, _))) => Some(a / d),
                    _ => None,
                })
                .collect();
            let ratio = if ratios.len() == r.best.len() && !ratios.is_empty() {
                let mn = ratios.iter().cloned().fold(f64::INFINITY, f64::min);
                let mx = ratios.iter().cloned().fold(0.0, f64::max);
                format!("{:.2} / {:.2} / {:.2}", mn, median(&mut ratios), mx)
            } else {
                "n/a".into()
            };
            println!(
                "  {:<7} {:>6.0e}  {:>32}  {:>32}  {:>22}",
                r.name,
                target,
                best_of(|b| b.0),
                best_of(|b| b.1),
                ratio
            );
        }
    }
}
