//! Work-precision in wall time: odestride (DP5, Tsit5, DOP853, Vern9) against
//! the `ode_solvers` crate (Dopri5, Dop853) on Arenstorf, Kepler (e = 0.5, ten
//! periods), Lorenz (t = 10) and Pleiades (seven bodies, t = 3).
//!
//! For every problem, solver and tolerance rtol = atol = 1e-4 ... 1e-12 it
//! records the achieved max-norm error against the problem's reference,
//! nfev, accepted/rejected steps and the seconds per solve (all six solvers
//! of one problem and tolerance are timed in nine interleaved rounds of
//! about 10 ms each; the fastest round of each counts). Writes
//! `target/plots/speed.csv`, one log-log SVG per problem
//! (`target/plots/speed_<problem>.svg`, seconds against error) and prints the
//! rtol = 1e-6 and 1e-10 rows with the time ratio odestride / ode_solvers.
//!
//! Run: `cargo run --release --example speed` (about a minute; `-- --quick`
//! runs the two tolerances of the table only, `-- --bare` switches
//! odestride's blow-up and stiffness detectors off).
//!
//! `-- --replot <csv>` redraws the plots from a CSV this example wrote
//! (e.g. `docs/img/speed.csv`, the run `docs/performance.md` reports)
//! without timing anything.
//!
//! For profiling, `-- --repeat <problem> <solver id> <tol> <count>` only
//! solves one configuration `count` times (e.g. `perf record
//! target/release/examples/speed --repeat kepler dp5 1e-10 3000`; solver ids:
//! dp5, tsit5, dop853, vern9, ode_solvers_dopri5, ode_solvers_dop853).
//!
//! The problems and both solver front ends are shared with
//! `benches/peers.rs` (in `benches/common/mod.rs`).

#[path = "../benches/common/mod.rs"]
mod common;
#[path = "common/plot.rs"]
mod plot;

use common::*;
use plot::{Figure, Scale, Series};
use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Instant;

/// One row of the results.
struct Row {
    problem: &'static str,
    solver: Solver,
    tol: f64,
    out: Outcome,
    seconds: f64,
}

/// Rounds of the interleaved timing (the fastest round of each solver counts).
const ROUNDS: usize = 9;

fn run<const N: usize, P: Problem<N>>(tols: &[f64], cfg: Config, rows: &mut Vec<Row>) {
    for &tol in tols {
        // All solvers of one (problem, tol) are timed in interleaved rounds,
        // so that a slow phase of the machine hits all of them alike.
        let outs: Vec<Outcome> = Solver::ALL.iter().map(|s| solve::<N, P>(*s, tol, cfg)).collect();
        let reps: Vec<usize> = Solver::ALL
            .iter()
            .map(|s| {
                reps_for(0.01, || {
                    black_box(solve::<N, P>(*s, black_box(tol), cfg));
                })
            })
            .collect();
        let mut best = [f64::INFINITY; 6];
        for _ in 0..ROUNDS {
            for (k, s) in Solver::ALL.iter().enumerate() {
                let t = batch(reps[k], || {
                    black_box(solve::<N, P>(*s, black_box(tol), cfg));
                });
                best[k] = best[k].min(t);
            }
        }
        for (k, solver) in Solver::ALL.iter().enumerate() {
            rows.push(Row {
                problem: P::NAME,
                solver: *solver,
                tol,
                out: outs[k],
                seconds: best[k],
            });
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let cfg = if args.iter().any(|a| a == "--bare") {
        Config::Bare
    } else {
        Config::Default
    };
    if let Some(i) = args.iter().position(|a| a == "--repeat") {
        return repeat(&args[i + 1..], cfg);
    }
    if let Some(i) = args.iter().position(|a| a == "--replot") {
        let file = args.get(i + 1).ok_or("usage: --replot <csv>")?;
        return replot(file);
    }
    let tols: Vec<f64> = if quick {
        vec![1e-6, 1e-10]
    } else {
        (4..=12).map(|k| 10f64.powi(-k)).collect()
    };
    let mut rows = Vec::new();
    run::<4, Arenstorf>(&tols, cfg, &mut rows);
    run::<4, Kepler>(&tols, cfg, &mut rows);
    run::<3, Lorenz>(&tols, cfg, &mut rows);
    run::<28, Pleiades>(&tols, cfg, &mut rows);

    // CSV.
    let mut csv = String::from("problem,solver,tol,seconds,error,nfev,accepted,rejected\n");
    for r in &rows {
        writeln!(
            csv,
            "{},{},{:e},{:e},{:e},{},{},{}",
            r.problem,
            r.solver.id(),
            r.tol,
            r.seconds,
            r.out.error,
            r.out.nfev,
            r.out.naccept,
            r.out.nreject
        )?;
    }
    let csv_path = plot::plot_path(if quick { "speed_quick.csv" } else { "speed.csv" });
    std::fs::write(&csv_path, csv)?;

    // Table with the ratios at 1e-6 and 1e-10.
    println!(
        "odestride vs ode_solvers (detectors {}), seconds per solve, rtol = atol = tol\n",
        if cfg == Config::Bare {
            "off"
        } else {
            "on, the default"
        }
    );
    println!(
        "{:<9} {:>6} {:<19} {:>10} {:>7} {:>10} {:>9}",
        "problem", "tol", "solver", "time [us]", "nfev", "error", "ratio"
    );
    for r in rows.iter().filter(|r| r.tol == 1e-6 || r.tol == 1e-10) {
        let peer = match r.solver {
            Solver::Dp5 | Solver::Tsit5 => Some(Solver::PeerDopri5),
            Solver::Dop853 | Solver::Vern9 => Some(Solver::PeerDop853),
            _ => None,
        };
        let ratio = peer
            .and_then(|p| {
                rows.iter()
                    .find(|q| q.problem == r.problem && q.tol == r.tol && q.solver == p)
            })
            .map(|q| format!("{:.2}x", r.seconds / q.seconds))
            .unwrap_or_default();
        println!(
            "{:<9} {:>6.0e} {:<19} {:>10.1} {:>7} {:>10.2e} {:>9}",
            r.problem,
            r.tol,
            r.solver.name(),
            r.seconds * 1e6,
            r.out.nfev,
            r.out.error,
            ratio
        );
    }
    println!("\n(ratio: time / the ode_solvers solver of the same tableau family)");

    // Plots: seconds against error, one curve per solver.
    if !quick {
        let points: Vec<Point> = rows
            .iter()
            .map(|r| (r.problem.to_string(), r.solver, r.out.error, r.seconds))
            .collect();
        write_plots(&points)?;
    }
    println!("wrote {}", csv_path.display());
    Ok(())
}

/// (problem, solver, error, seconds per solve) of one run.
type Point = (String, Solver, f64, f64);

/// One log-log plot per problem: seconds per solve against the error.
fn write_plots(points: &[Point]) -> Result<(), Box<dyn std::error::Error>> {
    for (problem, title) in [
        ("arenstorf", "Arenstorf orbit"),
        ("kepler", "Kepler e = 0.5, ten periods"),
        ("lorenz", "Lorenz to t = 10"),
        ("pleiades", "Pleiades, seven bodies to t = 3"),
    ] {
        let series: Vec<Series> = Solver::ALL
            .iter()
            .map(|s| {
                let pts = points
                    .iter()
                    .filter(|p| p.0 == problem && p.1 == *s)
                    .map(|p| (p.2, p.3))
                    .collect();
                Series::line(s.name(), pts)
            })
            .collect();
        let title = format!("{title}: time per solve against error, rtol = atol = 1e-4 ... 1e-12");
        let path = plot::plot(
            &format!("speed_{problem}.svg"),
            &Figure {
                title: &title,
                x_label: "max-norm error at t_end (lower is better)",
                y_label: "time per solve [s]",
                x_scale: Scale::Log,
                y_scale: Scale::Log,
                equal_aspect: false,
            },
            &series,
        )?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// `--replot <csv>`: the plots from a CSV written by this example.
fn replot(file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(file)?;
    let mut points = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let [problem, id, _tol, seconds, error, ..] = f[..] else {
            return Err(format!("bad line in {file}: {line}").into());
        };
        let solver = *Solver::ALL
            .iter()
            .find(|s| s.id() == id)
            .ok_or_else(|| format!("unknown solver {id} in {file}"))?;
        points.push((problem.to_string(), solver, error.parse()?, seconds.parse()?));
    }
    write_plots(&points)
}

/// `--repeat <problem> <solver id> <tol> <count>`: one configuration, many
/// times (for a profiler).
fn repeat(a: &[String], cfg: Config) -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: --repeat <arenstorf|kepler|lorenz|pleiades> <solver id> <tol> <count>";
    let [p, s, tol, count, ..] = a else {
        return Err(usage.into());
    };
    let solver = *Solver::ALL.iter().find(|x| x.id() == s).ok_or(usage)?;
    let (tol, count): (f64, usize) = (tol.parse()?, count.parse()?);
    let mut last = None;
    let t = Instant::now();
    for _ in 0..count {
        last = Some(match p.as_str() {
            "arenstorf" => solve::<4, Arenstorf>(solver, tol, cfg),
            "kepler" => solve::<4, Kepler>(solver, tol, cfg),
            "lorenz" => solve::<3, Lorenz>(solver, tol, cfg),
            "pleiades" => solve::<28, Pleiades>(solver, tol, cfg),
            _ => return Err(usage.into()),
        });
    }
    let o = last.ok_or(usage)?;
    println!(
        "{p} {} tol={tol:e}: {:.2} us per solve, nfev {}, error {:.3e}",
        solver.name(),
        t.elapsed().as_secs_f64() / count as f64 * 1e6,
        o.nfev,
        o.error
    );
    Ok(())
}
