//! Kepler orbit with e = 0.9 over 1000 periods with DP5: energy and angular
//! momentum drift without a monitor, with an energy budget, and with
//! projection; perihelion passages found by events; then the Arenstorf orbit
//! with its Jacobi constant. Plots go to target/plots/.
//!
//! Run with `cargo run --release --example orbit_energy`.
#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::monitor::{Invariant, InvariantMonitor};
use odestride::{Event, ExplicitRk, Integrator, Options, SaveMode, Solution};
use plot::{Figure, Scale, Series};
use std::f64::consts::PI;

type V4 = SVector<f64, 4>;
const E: f64 = 0.9;
const PERIODS: usize = 1000;

fn kepler(_t: f64, y: &V4, dy: &mut V4) {
    let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
    dy[0] = y[2];
    dy[1] = y[3];
    dy[2] = -y[0] / r3;
    dy[3] = -y[1] / r3;
}
fn energy(_t: f64, y: &V4) -> f64 {
    0.5 * (y[2] * y[2] + y[3] * y[3]) - 1.0 / (y[0] * y[0] + y[1] * y[1]).sqrt()
}
fn ang(_t: f64, y: &V4) -> f64 {
    y[0] * y[3] - y[1] * y[2]
}
/// q . p rises through zero at perihelion (r minimal).
fn radial(_t: f64, y: &V4) -> f64 {
    y[0] * y[2] + y[1] * y[3]
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Plain,
    Budget,
    Project,
}

struct Run {
    dh: f64,
    dl: f64,
    nfev: usize,
    vetoes: usize,
    period: f64,
    peri_err: f64,
    sol: Solution<f64, V4>,
}

fn run(rtol: f64, mode: Mode, save_every: bool) -> Run {
    let y0 = V4::from([1.0 - E, 0.0, 0.0, ((1.0 + E) / (1.0 - E)).sqrt()]);
    let t_end = PERIODS as f64 * 2.0 * PI;
    let mut budget = InvariantMonitor::new(Invariant::new("energy", energy).tol_total(1e-9));
    let mut proj = InvariantMonitor::new(Invariant::new("energy", energy)).project(true);
    let save = if save_every {
        SaveMode::EveryStep
    } else {
        SaveMode::FinalOnly
    };
    let mut integ = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(rtol).save(save).max_steps(50_000_000))
        .event(Event::new(radial).rising());
    match mode {
        Mode::Plain => {}
        Mode::Budget => integ = integ.monitor(&mut budget),
        Mode::Project => integ = integ.monitor(&mut proj),
    }
    let sol = match integ.solve(kepler, 0.0, t_end, y0) {
        Ok(s) => s,
        Err(e) => {
            println!("  solve failed: {e}");
            *e.partial
        }
    };
    let y = sol.last_state();
    let peri: Vec<f64> = sol.events.iter().map(|r| r.t).collect();
    let period = if peri.len() > 1 {
        (peri[peri.len() - 1] - peri[0]) / (peri.len() - 1) as f64
    } else {
        f64::NAN
    };
    let peri_err = peri
        .iter()
        .enumerate()
        .map(|(k, t)| (t - 2.0 * PI * (k + 1) as f64).abs())
        .fold(0.0, f64::max);
    Run {
        dh: (energy(0.0, y) + 0.5).abs() / 0.5,
        dl: (ang(0.0, y) - (1.0 - E * E).sqrt()).abs() / (1.0 - E * E).sqrt(),
        nfev: sol.stats.nfev,
        vetoes: sol.stats.nveto,
        period,
        peri_err,
        sol,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("Kepler e = {E}, {PERIODS} periods, DP5, atol = rtol; energy budget tol_total = 1e-9 (paced)");
    println!(
        "{:>6} {:>9} {:>11} {:>11} {:>10} {:>7} {:>11} {:>17}",
        "rtol", "mode", "|dH|/|H0|", "|dL|/L0", "nfev", "vetoes", "max|tp-2pik|", "period - 2pi"
    );
    for rtol in [1e-6, 1e-8, 1e-10] {
        for (mode, name) in [
            (Mode::Plain, "none"),
            (Mode::Budget, "budget"),
            (Mode::Project, "project"),
        ] {
            let r = run(rtol, mode, false);
            println!(
                "{rtol:>6.0e} {name:>9} {:>11.3e} {:>11.3e} {:>10} {:>7} {:>11.2e} {:>17.3e}",
                r.dh,
                r.dl,
                r.nfev,
                r.vetoes,
                r.peri_err,
                r.period - 2.0 * PI
            );
        }
    }

    // Plots at rtol = 1e-8: the orbit (first periods), the relative energy
    // error against time, the step size over the first two periods.
    let mut drift = Vec::new();
    let mut steps = Vec::new();
    for (mode, name) in [
        (Mode::Plain, "no monitor"),
        (Mode::Budget, "energy budget 1e-9"),
        (Mode::Project, "energy projection"),
    ] {
        let r = run(1e-8, mode, true);
        let s = &r.sol;
        let stride = (s.t.len() / 4000).max(1);
        drift.push(Series::line(
            name,
            s.t.iter()
                .zip(&s.y)
                .step_by(stride)
                .map(|(t, y)| (*t, ((energy(0.0, y) + 0.5).abs() / 0.5).max(1e-17)))
                .collect(),
        ));
        // Every step of the first two periods, time in periods.
        steps.push(Series::line(
            if mode == Mode::Project {
                format!(
                    "{name} ({} steps/period, the same as without)",
                    s.stats.naccept / PERIODS
                )
            } else {
                format!("{name} ({} steps/period)", s.stats.naccept / PERIODS)
            },
            s.t.windows(2)
                .take_while(|w| w[1] <= 2.0 * 2.0 * PI)
                .map(|w| (w[1] / (2.0 * PI), w[1] - w[0]))
                .collect(),
        ));
        if mode == Mode::Plain {
            let n = s.t.iter().position(|t| *t > 3.0 * 2.0 * PI).unwrap_or(s.t.len());
            let orbit = Series::markers(
                format!("{n} accepted steps, 3 periods"),
                s.y[..n].iter().map(|y| (y[0], y[1])).collect(),
            );
            let peri = Series::markers(
                "perihelion events",
                s.events.iter().take(3).map(|e| (e.y[0], e.y[1])).collect(),
            )
            .slot(1);
            let sun = Series::markers("central body (focus)", vec![(0.0, 0.0)]).slot(4);
            let f = Figure {
                title: "Kepler e = 0.9, DP5 rtol 1e-8: steps crowd at perihelion, where the event fires",
                x_label: "x (semi-major axis = 1)",
                y_label: "y",
                x_scale: Scale::Linear,
                y_scale: Scale::Linear,
                equal_aspect: true,
            };
            println!(
                "wrote {}",
                plot::plot("orbit_energy_orbit.svg", &f, &[orbit, peri, sun])?.display()
            );
        }
    }
    let f = Figure {
        title: "Kepler e = 0.9, 1000 periods, DP5 rtol 1e-8: energy error by monitor",
        x_label: "time t (one period = 2 pi)",
        y_label: "relative energy error |H - H0| / |H0|",
        x_scale: Scale::Linear,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    println!(
        "wrote {}",
        plot::plot("orbit_energy_drift.svg", &f, &drift)?.display()
    );
    let f = Figure {
        title: "Kepler e = 0.9, DP5 rtol 1e-8: step size, small at each perihelion",
        x_label: "time t / period (perihelion at whole numbers)",
        y_label: "accepted step size h",
        x_scale: Scale::Linear,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    println!(
        "wrote {}",
        plot::plot("orbit_energy_steps.svg", &f, &steps)?.display()
    );

    arenstorf()?;
    Ok(())
}

/// Arenstorf orbit (HNW I, II.0): the Jacobi constant of the restricted
/// three-body problem, C = |q|^2 + 2(1-mu)/r1 + 2 mu/r2 - |p|^2, is conserved.
/// (The initial data are quoted with the digits HNW I publish.)
#[allow(clippy::excessive_precision)]
fn arenstorf() -> Result<(), Box<dyn std::error::Error>> {
    const MU: f64 = 0.012277471;
    const T: f64 = 17.0652165601579625588917206249;
    let f = |_t: f64, y: &V4, dy: &mut V4| {
        let mup = 1.0 - MU;
        let d1 = ((y[0] + MU).powi(2) + y[1].powi(2)).powf(1.5);
        let d2 = ((y[0] - mup).powi(2) + y[1].powi(2)).powf(1.5);
        dy[0] = y[2];
        dy[1] = y[3];
        dy[2] = y[0] + 2.0 * y[3] - mup * (y[0] + MU) / d1 - MU * (y[0] - mup) / d2;
        dy[3] = y[1] - 2.0 * y[2] - mup * y[1] / d1 - MU * y[1] / d2;
    };
    let jacobi = |_t: f64, y: &V4| {
        let r1 = ((y[0] + MU).powi(2) + y[1].powi(2)).sqrt();
        let r2 = ((y[0] - 1.0 + MU).powi(2) + y[1].powi(2)).sqrt();
        y[0] * y[0] + y[1] * y[1] + 2.0 * (1.0 - MU) / r1 + 2.0 * MU / r2 - y[2] * y[2] - y[3] * y[3]
    };
    let y0 = V4::from([0.994, 0.0, 0.0, -2.00158510637908252240537862224]);
    let c0 = jacobi(0.0, &y0);
    println!("\nArenstorf orbit, one period, Jacobi constant C0 = {c0:.15}; budget tol_total = 1e-9");
    println!(
        "{:>6} {:>9} {:>11} {:>10} {:>7} {:>12}",
        "tol", "mode", "|dC|/|C0|", "nfev", "vetoes", "|y(T)-y0|"
    );
    let mut curves = Vec::new();
    for tol in [1e-6, 1e-8, 1e-10] {
        for mode in [Mode::Plain, Mode::Budget, Mode::Project] {
            let mut budget = InvariantMonitor::new(Invariant::new("jacobi", jacobi).tol_total(1e-9));
            let mut proj = InvariantMonitor::new(Invariant::new("jacobi", jacobi)).project(true);
            let mut integ = Integrator::new(ExplicitRk::dopri5()).options(
                Options::default()
                    .tol(tol)
                    .max_steps(10_000_000)
                    .save(SaveMode::FinalOnly),
            );
            let name = match mode {
                Mode::Plain => "none",
                Mode::Budget => {
                    integ = integ.monitor(&mut budget);
                    "budget"
                }
                Mode::Project => {
                    integ = integ.monitor(&mut proj);
                    "project"
                }
            };
            let sol = match integ.solve(f, 0.0, T, y0) {
                Ok(s) => s,
                Err(e) => *e.partial,
            };
            let y = sol.last_state();
            let dc = (jacobi(0.0, y) - c0).abs() / c0.abs();
            let err = (y - y0).norm();
            println!(
                "{tol:>6.0e} {name:>9} {dc:>11.3e} {:>10} {:>7} {err:>12.3e}",
                sol.stats.nfev, sol.stats.nveto
            );
        }
    }
    // The Jacobi constant's drift along the orbit at tol 1e-8, per mode.
    for mode in [Mode::Plain, Mode::Budget, Mode::Project] {
        let mut budget = InvariantMonitor::new(Invariant::new("jacobi", jacobi).tol_total(1e-9));
        let mut proj = InvariantMonitor::new(Invariant::new("jacobi", jacobi)).project(true);
        let mut integ =
            Integrator::new(ExplicitRk::dopri5()).options(Options::default().tol(1e-8).max_steps(10_000_000));
        let name = match mode {
            Mode::Plain => "no monitor",
            Mode::Budget => {
                integ = integ.monitor(&mut budget);
                "Jacobi budget 1e-9"
            }
            Mode::Project => {
                integ = integ.monitor(&mut proj);
                "Jacobi projection"
            }
        };
        let sol = integ.solve(f, 0.0, T, y0).map_err(|e| e.to_string())?;
        curves.push(Series::line(
            name,
            sol.t
                .iter()
                .zip(&sol.y)
                .map(|(t, y)| (*t, ((jacobi(0.0, y) - c0).abs() / c0.abs()).max(1e-17)))
                .collect(),
        ));
    }
    let fig = Figure {
        title: "Arenstorf orbit, one period, DP5 tol 1e-8: Jacobi constant error by monitor",
        x_label: "time t (one period = 17.07)",
        y_label: "relative error |C - C0| / |C0|",
        x_scale: Scale::Linear,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    println!(
        "wrote {}",
        plot::plot("orbit_energy_arenstorf.svg", &fig, &curves)?.display()
    );
    Ok(())
}
