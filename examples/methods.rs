//! Work-precision comparison of every adaptive method on three problems.
//!
//! For rtol = atol = 1e-3 ... 1e-12: the number of f-evaluations and the achieved error on
//! - the Arenstorf orbit (one period; error against the 40-digit reference of the
//!   double-rounded problem, docs/reference-problems.md),
//! - the Kepler problem, e = 0.5, ten periods (exact: the initial state),
//! - the Lorenz system to t = 10 (reference: the 40-digit Taylor value of
//!   docs/reference-problems.md; the example also prints how far the tightest Vern9 and
//!   DOP853 runs land from it).
//!
//! It also prints Vern6's and Vern7's Kepler errors after one and ten periods at
//! tol 1e-10 ... 1e-13 (the Vern6 stall of docs/methods.md).
//!
//! Prints one table per problem and writes log-log plots (error against f-evaluations) to
//! `target/plots/work_precision_*.svg`, plus the tables as Markdown to
//! `target/plots/work_precision.md`.
//!
//! Run with `cargo run --release --example methods`.
#![allow(clippy::excessive_precision)] // reference values keep their published digits

#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::{Integrator, Method, Options, SaveMode};
use plot::{Figure, Scale, Series};
use std::fmt::Write as _;

type V3 = SVector<f64, 3>;
type V4 = SVector<f64, 4>;

const METHODS: [Method; 11] = [
    Method::Bs3,
    Method::Rkf45,
    Method::CashKarp,
    Method::Dp5,
    Method::Tsit5,
    Method::Vern6,
    Method::Vern7,
    Method::Dop853,
    Method::Vern9,
    Method::Rk4Doubling,
    Method::Rk4Richardson,
];

const MU: f64 = 0.012277471;
fn arenstorf(_t: f64, y: &V4, dy: &mut V4) {
    let mup = 1.0 - MU;
    let d1 = ((y[0] + MU).powi(2) + y[1].powi(2)).powf(1.5);
    let d2 = ((y[0] - mup).powi(2) + y[1].powi(2)).powf(1.5);
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = y[0] + 2.0 * y[3] - mup * (y[0] + MU) / d1 - MU * (y[0] - mup) / d2;
    dy[3] = y[1] - 2.0 * y[2] - mup * y[1] / d1 - MU * y[1] / d2;
}
fn kepler(_t: f64, y: &V4, dy: &mut V4) {
    let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
    *dy = V4::new(y[2], y[3], -y[0] / r3, -y[1] / r3);
}
fn lorenz(_t: f64, y: &V3, dy: &mut V3) {
    *dy = V3::new(
        10.0 * (y[1] - y[0]),
        y[0] * (28.0 - y[2]) - y[1],
        y[0] * y[1] - (8.0 / 3.0) * y[2],
    );
}

/// (nfev, max-norm error), or None when the solve failed.
type Point = Option<(usize, f64)>;

fn run<const N: usize>(
    m: Method,
    f: fn(f64, &SVector<f64, N>, &mut SVector<f64, N>),
    t_end: f64,
    y0: SVector<f64, N>,
    reference: SVector<f64, N>,
    tol: f64,
) -> Point {
    let opts = Options::default()
        .tol(tol)
        .save(SaveMode::FinalOnly)
        .max_steps(2_000_000);
    let sol = Integrator::new(m.stepper())
        .options(opts)
        .solve(f, 0.0, t_end, y0)
        .ok()?;
    Some((sol.stats.nfev, (sol.last_state() - reference).amax()))
}

struct Problem {
    key: &'static str,
    title: &'static str,
    results: Vec<(Method, Vec<Point>)>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tols: Vec<f64> = (3..=12).map(|k| 10f64.powi(-k)).collect();
    let aren_t = 17.0652165601579625588917206249;
    let aren_y0 = V4::new(0.994, 0.0, 0.0, -2.00158510637908252240537862224);
    let aren_ref = V4::new(
        0.9939999999999088,
        -3.0309430229824185e-13,
        -4.9285365810550526e-11,
        -2.00158510639327,
    );
    let e = 0.5;
    let kep_y0 = V4::new(1.0 - e, 0.0, 0.0, ((1.0 + e) / (1.0 - e)).sqrt());
    let kep_t = 20.0 * std::f64::consts::PI;
    let lor_y0 = V3::new(1.0, 0.0, 0.0);
    let lor_ref = V3::new(-5.857685382424091, -5.831082486426098, 23.93213298702757);

    let mut problems = Vec::new();
    let mut collect = |key, title, f: &dyn Fn(Method, f64) -> Point| {
        let results = METHODS
            .iter()
            .map(|m| (*m, tols.iter().map(|t| f(*m, *t)).collect()))
            .collect();
        problems.push(Problem { key, title, results });
    };
    collect("arenstorf", "Arenstorf orbit, one period", &|m, t| {
        run(m, arenstorf, aren_t, aren_y0, aren_ref, t)
    });
    collect("kepler", "Kepler e = 0.5, ten periods", &|m, t| {
        run(m, kepler, kep_t, kep_y0, kep_y0, t)
    });
    collect("lorenz", "Lorenz to t = 10", &|m, t| {
        run(m, lorenz, 10.0, lor_y0, lor_ref, t)
    });

    let mut md = String::new();
    for p in &problems {
        println!(
            "\n== {} ==  (nfev / max-norm error at rtol = atol = tol)",
            p.title
        );
        let mut header = format!("{:15}", "tol");
        for t in &tols {
            header += &format!(" {t:>16.0e}");
        }
        println!("{header}");
        writeln!(md, "\n### {}\n", p.title)?;
        writeln!(
            md,
            "| method | {} |",
            tols.iter()
                .map(|t| format!("{t:.0e}"))
                .collect::<Vec<_>>()
                .join(" | ")
        )?;
        writeln!(md, "|---|{}", "---|".repeat(tols.len()))?;
        for (m, pts) in &p.results {
            let cells: Vec<String> = pts
                .iter()
                .map(|pt| match pt {
                    Some((n, e)) => format!("{n}/{e:.0e}"),
                    None => "failed".into(),
                })
                .collect();
            println!(
                "{:15} {}",
                m.name(),
                cells.iter().map(|c| format!("{c:>16}")).collect::<String>()
            );
            writeln!(md, "| {} | {} |", m.name(), cells.join(" | "))?;
        }
        let series: Vec<Series> = p
            .results
            .iter()
            .map(|(m, pts)| {
                let xy = pts
                    .iter()
                    .flatten()
                    .map(|(n, e)| (*n as f64, e.max(1e-16)))
                    .collect();
                Series::line(m.name(), xy)
            })
            .collect();
        let file = format!("work_precision_{}.svg", p.key);
        let path = plot::plot(
            &file,
            &Figure {
                title: &format!("{}: error against cost, rtol = atol = 1e-3 ... 1e-12", p.title),
                x_label: "right-hand-side evaluations (nfev)",
                y_label: "max-norm error at t_end (dimensionless)",
                x_scale: Scale::Log,
                y_scale: Scale::Log,
                equal_aspect: false,
            },
            &series,
        )?;
        println!("plot: {}", path.display());
    }

    // How close do the tightest high-order runs come to the published Lorenz reference?
    for m in [Method::Vern9, Method::Dop853] {
        if let Some((n, e)) = run(m, lorenz, 10.0, lor_y0, lor_ref, 1e-14) {
            println!("Lorenz, {m} at tol 1e-14: {n} f-evaluations, {e:.2e} from the 40-digit reference");
        }
    }

    // Vern6 on Kepler stalls near 1e-10 per period; Vern7 for contrast.
    println!();
    for tol in [1e-10, 1e-11, 1e-12, 1e-13] {
        let mut line = format!("Kepler e = 0.5 at tol {tol:.0e}, error after one / ten periods:");
        for m in [Method::Vern6, Method::Vern7] {
            let one = run(m, kepler, kep_t / 10.0, kep_y0, kep_y0, tol);
            let ten = run(m, kepler, kep_t, kep_y0, kep_y0, tol);
            if let (Some((_, e1)), Some((_, e10))) = (one, ten) {
                line += &format!("  {m} {e1:.1e} / {e10:.1e}");
            }
        }
        println!("{line}");
    }

    // Cheapest method reaching each error level, per problem.
    println!("\nCheapest method (fewest f-evaluations) reaching an error below:");
    for p in &problems {
        let mut line = format!("{:10}", p.key);
        for target in [1e-3, 1e-6, 1e-9] {
            let best = p
                .results
                .iter()
                .filter_map(|(m, pts)| {
                    pts.iter()
                        .flatten()
                        .filter(|(_, e)| *e <= target)
                        .map(|(n, _)| (*n, *m))
                        .min_by_key(|(n, _)| *n)
                })
                .min_by_key(|(n, _)| *n);
            match best {
                Some((n, m)) => line += &format!("  {target:.0e}: {m} ({n})"),
                None => line += &format!("  {target:.0e}: none"),
            }
        }
        println!("{line}");
    }
    let md_path = plot::plot_path("work_precision.md");
    std::fs::write(&md_path, md)?;
    println!("tables: {}", md_path.display());
    Ok(())
}
