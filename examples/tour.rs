//! A tour of odestride: classic problems, accuracy and cost in one table,
//! and plots in target/plots/.
//!
//! Run with `cargo run --release --example tour`.
#![allow(clippy::excessive_precision)] // published digits are kept as given
#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::{ExplicitRk, Integrator, Options, SaveMode, Stepper};
use plot::{Figure, Scale, Series};

type V2 = SVector<f64, 2>;
type V3 = SVector<f64, 3>;
type V4 = SVector<f64, 4>;

// Arenstorf orbit (Hairer, Norsett, Wanner I, Sect. II.0).
const MU: f64 = 0.012277471;
const AREN_T: f64 = 17.065216560157962;
fn arenstorf(_t: f64, y: &V4, dy: &mut V4) {
    let mup = 1.0 - MU;
    let d1 = ((y[0] + MU).powi(2) + y[1].powi(2)).powf(1.5);
    let d2 = ((y[0] - mup).powi(2) + y[1].powi(2)).powf(1.5);
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = y[0] + 2.0 * y[3] - mup * (y[0] + MU) / d1 - MU * (y[0] - mup) / d2;
    dy[3] = y[1] - 2.0 * y[2] - mup * y[1] / d1 - MU * y[1] / d2;
}
fn arenstorf_y0() -> V4 {
    V4::from([0.994, 0.0, 0.0, -2.0015851063790825])
}
fn harmonic(_t: f64, y: &V2, dy: &mut V2) {
    dy[0] = y[1];
    dy[1] = -y[0];
}
fn lorenz(_t: f64, y: &V3, dy: &mut V3) {
    dy[0] = 10.0 * (y[1] - y[0]);
    dy[1] = y[0] * (28.0 - y[2]) - y[1];
    dy[2] = y[0] * y[1] - (8.0 / 3.0) * y[2];
}
/// y(10) of Lorenz from a 40-digit Taylor integration (docs/reference-problems.md).
#[allow(clippy::excessive_precision)]
const LORENZ_REF: [f64; 3] = [-5.857685382424091, -5.831082486426098, 23.93213298702757];

fn maxdiff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

fn row<S: odestride::State<f64>, St: Stepper<f64, S>>(
    problem: &str,
    stepper: St,
    tol: f64,
    f: fn(f64, &S, &mut S),
    t_end: f64,
    y0: S,
    exact: &[f64],
) {
    let name = stepper.name().to_string();
    let sol = Integrator::new(stepper)
        .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
        .solve(f, 0.0, t_end, y0)
        .expect("solve");
    let err = maxdiff(sol.last_state().as_slice(), exact);
    println!(
        "{problem:<18} {name:<7} {tol:>8.0e} {err:>11.2e} {:>7} {:>6} {:>5}",
        sol.stats.nfev,
        sol.stats.naccept,
        sol.stats.nreject()
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("odestride tour: final error against analytic or published references\n");
    println!(
        "{:<18} {:<7} {:>8} {:>11} {:>7} {:>6} {:>5}",
        "problem", "method", "tol", "error", "nfev", "steps", "rej"
    );
    let y0 = arenstorf_y0();
    for tol in [1e-6, 1e-10] {
        row(
            "Arenstorf orbit",
            ExplicitRk::dopri5(),
            tol,
            arenstorf,
            AREN_T,
            y0,
            y0.as_slice(),
        );
        row(
            "Arenstorf orbit",
            ExplicitRk::dop853(),
            tol,
            arenstorf,
            AREN_T,
            y0,
            y0.as_slice(),
        );
        row(
            "Arenstorf orbit",
            ExplicitRk::vern9(),
            tol,
            arenstorf,
            AREN_T,
            y0,
            y0.as_slice(),
        );
    }
    let t = 20.0f64;
    for tol in [1e-6, 1e-10] {
        row(
            "harmonic osc.",
            ExplicitRk::dopri5(),
            tol,
            harmonic,
            t,
            V2::new(1.0, 0.0),
            &[t.cos(), -t.sin()],
        );
        row(
            "harmonic osc.",
            ExplicitRk::bs3(),
            tol,
            harmonic,
            t,
            V2::new(1.0, 0.0),
            &[t.cos(), -t.sin()],
        );
    }
    for tol in [1e-8, 1e-12] {
        row(
            "Lorenz (t = 10)",
            ExplicitRk::dopri5(),
            tol,
            lorenz,
            10.0,
            V3::new(1.0, 0.0, 0.0),
            &LORENZ_REF,
        );
        row(
            "Lorenz (t = 10)",
            ExplicitRk::vern9(),
            tol,
            lorenz,
            10.0,
            V3::new(1.0, 0.0, 0.0),
            &LORENZ_REF,
        );
    }

    // Plots: the Arenstorf orbit with its steps, and the step size along it.
    let sol = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-8)
        .dense(true)
        .solve(arenstorf, 0.0, AREN_T, y0)?;
    let ts: Vec<f64> = (0..=2000).map(|i| AREN_T * i as f64 / 2000.0).collect();
    let orbit = sol.at_many(&ts)?;
    let dense: Vec<(f64, f64)> = orbit.iter().map(|y| (y[0], y[1])).collect();
    let steps: Vec<(f64, f64)> = sol.y.iter().map(|y| (y[0], y[1])).collect();
    let p1 = plot::plot(
        "tour_arenstorf_orbit.svg",
        &Figure {
            title: "Arenstorf orbit, one period, DP5 at tol 1e-8 with its accepted steps",
            x_label: "x (rotating frame; Earth-Moon distance = 1)",
            y_label: "y",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: true,
        },
        &[
            Series::line("orbit (dense output)", dense),
            Series::markers(format!("{} accepted steps", sol.stats.naccept), steps).slot(6),
            Series::markers("Earth", vec![(-MU, 0.0)]).slot(2),
            Series::markers("Moon", vec![(1.0 - MU, 0.0)]).slot(3),
        ],
    )?;
    let hs: Vec<(f64, f64)> = sol.t.windows(2).map(|w| (w[0], w[1] - w[0])).collect();
    // Distances to the Moon and the Earth along the orbit, on the same log axis.
    let dist = |c: f64| -> Vec<(f64, f64)> {
        ts.iter()
            .zip(&orbit)
            .map(|(t, y)| (*t, (y[0] - c).hypot(y[1])))
            .collect()
    };
    let p2 = plot::plot(
        "tour_arenstorf_steps.svg",
        &Figure {
            title: "Arenstorf orbit, DP5 tol 1e-8: steps shrink near the Moon and at each Earth approach",
            x_label: "time t (one period = 17.07)",
            y_label: "step size h;  distance to Moon / Earth",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[
            Series::markers("accepted step size h", hs),
            Series::reference("distance to the Moon", dist(1.0 - MU)),
            Series::reference("distance to the Earth", dist(-MU)),
        ],
    )?;
    // Lorenz is chaotic: beyond t ~ 30 no tolerance of double precision
    // keeps the trajectory pointwise accurate, but the attractor it traces
    // is the right one. Fifty time units show both wings.
    let lz_end = 50.0;
    let lz = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-10)
        .dense(true)
        .solve(lorenz, 0.0, lz_end, V3::new(1.0, 0.0, 0.0))?;
    let xz: Vec<(f64, f64)> = lz
        .at_many((0..=20000).map(|i| lz_end * i as f64 / 20000.0))?
        .iter()
        .map(|y| (y[0], y[2]))
        .collect();
    let p3 = plot::plot(
        "tour_lorenz.svg",
        &Figure {
            title: "Lorenz attractor, t in [0, 50] from (1, 0, 0): both wings (DP5, tol 1e-10)",
            x_label: "x",
            y_label: "z",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &[Series::line("", xz)],
    )?;
    println!(
        "\nplots: {}\n       {}\n       {}",
        p1.display(),
        p2.display(),
        p3.display()
    );
    Ok(())
}
