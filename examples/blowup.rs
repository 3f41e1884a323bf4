//! Finite-time blow-up: the detector's estimate of the singular time against
//! the exact value, the power law h ~ c (t_s - t) of the step sequence, and
//! the plain step-size failure without the detector. Last, the limits of
//! docs/singularities-and-stiffness.md: near-collision Kepler orbits,
//! Lorentzian peaks and a derivative singularity, with the detector on and off.
//!
//! Run with `cargo run --release --example blowup`; plots go to `target/plots/`.
#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::{BlowUpConfig, ExplicitRk, Integrator, Options, SaveMode, Solution, Status};
use plot::{Figure, Scale, Series};
use std::f64::consts::FRAC_PI_2;

type Rhs = fn(f64, &f64, &mut f64);

fn cubic(_t: f64, y: &f64, dy: &mut f64) {
    *dy = y * y * y; // A = 1
}
fn tangent(_t: f64, y: &f64, dy: &mut f64) {
    *dy = 1.0 + y * y;
}

fn solve(f: Rhs, y0: f64, rtol: f64, detect: bool) -> Result<Solution<f64, f64>, String> {
    let mut integrator =
        Integrator::new(ExplicitRk::dopri5()).options(Options::default().rtol(rtol).atol(1e-14));
    if !detect {
        integrator = integrator.detect_blowup(BlowUpConfig::off());
    }
    integrator.solve(f, 0.0, 3.0, y0).map_err(|e| e.to_string())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let problems: [(&str, Rhs, f64, f64, f64); 2] = [
        ("y' = y^3, y(0) = 1", cubic, 1.0, 0.5, 0.5),
        ("y' = 1 + y^2, y(0) = 0", tangent, 0.0, FRAC_PI_2, 1.0),
    ];
    for (name, f, y0, ts_exact, a_exact) in problems {
        println!("{name}: exact t_s = {ts_exact:.15}, exponent {a_exact}");
        println!("  rtol    estimated t_s       rel. error  uncertainty  exponent      steps  last h");
        for rtol in [1e-4, 1e-6, 1e-8, 1e-10, 1e-12] {
            let sol = solve(f, y0, rtol, true)?;
            match sol.status {
                Status::BlowUp {
                    t_singular,
                    uncertainty,
                    exponent,
                    h_last,
                    ..
                } => println!(
                    "  {rtol:.0e}  {t_singular:.15}  {:.2e}    {uncertainty:.1e}      {exponent:.9}  {:5}  {h_last:.1e}",
                    (t_singular - ts_exact).abs() / ts_exact,
                    sol.stats.naccept
                ),
                ref other => println!("  {rtol:.0e}  unexpected status {other:?}"),
            }
        }
        println!();
    }

    // The power law of the step sequence: h against t_s - t.
    let mut series = Vec::new();
    for rtol in [1e-4, 1e-8, 1e-12] {
        let sol = solve(cubic, 1.0, rtol, true)?;
        let Status::BlowUp { t_singular, .. } = sol.status else {
            continue;
        };
        // distance to the numerical solution's own singular time (the
        // estimate), which differs from 0.5 by the integration error
        let pts: Vec<(f64, f64)> = sol
            .t
            .windows(2)
            .map(|w| (t_singular - w[1], w[1] - w[0]))
            .collect();
        let mut name = format!("DP5, rtol {rtol:.0e}");
        if let Some(est) = &sol.diagnostics.blowup {
            let c = est.step_ratio;
            println!(
                "rtol {rtol:.0e}: h / (t_s - t) -> c = {c:.4} (law held over a range of {:.1e})",
                est.range
            );
            name += &format!(": c = {c:.3}");
        }
        series.push(Series::markers(name, pts));
    }
    let p = plot::plot(
        "blowup_step_power_law.svg",
        &Figure {
            title: "y' = y^3, DP5: each step is a fixed fraction c of the time left (slope 1)",
            x_label: "time left t_s - t (t_s as the detector estimates it)",
            y_label: "accepted step size h",
            x_scale: Scale::Log,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &series,
    )?;
    println!("wrote {}", p.display());

    // |y| against t_s - t: slope -1/2 for y' = y^3, -1 for tan.
    let mut series = Vec::new();
    for (name, f, y0, ts_exact, _) in problems {
        let sol = solve(f, y0, 1e-10, true)?;
        let pts: Vec<(f64, f64)> = sol
            .t
            .iter()
            .zip(&sol.y)
            .map(|(t, y)| (ts_exact - t, y.abs()))
            .collect();
        series.push(Series::line(name, pts));
    }
    let p = plot::plot(
        "blowup_growth.svg",
        &Figure {
            title: "DP5 rtol 1e-10: |y| grows like (t_s - t)^(-1/2) and (t_s - t)^(-1)",
            x_label: "time left t_s - t (exact t_s)",
            y_label: "|y|",
            x_scale: Scale::Log,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &series,
    )?;
    println!("wrote {}", p.display());

    // Contrast: the same problem without the detector.
    println!("\nWithout the detector (y' = y^3, rtol 1e-10):");
    match solve(cubic, 1.0, 1e-10, false) {
        Ok(sol) => println!("  unexpected success: {:?}", sol.status),
        Err(e) => println!("  error: {e}"),
    }
    let on = solve(cubic, 1.0, 1e-10, true)?;
    let off = Integrator::new(ExplicitRk::dopri5())
        .detect_blowup(BlowUpConfig::off())
        .options(
            Options::default()
                .rtol(1e-10)
                .atol(1e-14)
                .save(SaveMode::FinalOnly),
        )
        .solve(cubic, 0.0, 3.0, 1.0)
        .err()
        .map(|f| f.partial.stats.clone());
    if let Some(off) = off {
        println!(
            "  with the detector: {} steps, {} evaluations, a status with t_s; without: {} steps, {} evaluations and an error",
            on.stats.naccept, on.stats.nfev, off.naccept, off.nfev
        );
    }
    limits();
    Ok(())
}

type V4 = SVector<f64, 4>;

fn kepler(_t: f64, y: &V4, dy: &mut V4) {
    let r3 = (y[0] * y[0] + y[1] * y[1]).powf(1.5);
    *dy = V4::new(y[2], y[3], -y[0] / r3, -y[1] / r3);
}

/// How a solve ended, in one line: the status, or the error.
fn outcome<S: odestride::State<f64>>(
    res: Result<Solution<f64, S>, odestride::SolveFailure<f64, S>>,
    err: impl Fn(&S) -> f64,
) -> String {
    match res {
        Ok(sol) => match sol.status {
            Status::BlowUp {
                t_singular,
                uncertainty,
                exponent,
                ..
            } => format!("BlowUp at t_s = {t_singular:.6} +- {uncertainty:.1e}, exponent {exponent:.3}"),
            Status::Success => format!("success, final error {:.1e}", err(sol.last_state())),
            ref other => format!("{other:?}"),
        },
        Err(e) => format!(
            "error at t = {:.6}: {}",
            e.partial.last_time(),
            short(&e.error.to_string())
        ),
    }
}

fn short(s: &str) -> String {
    s.split(':').next().unwrap_or(s).to_string()
}

/// The limits of the detector (docs/singularities-and-stiffness.md, "Limits").
fn limits() {
    const PERIODS: f64 = 10.0;
    println!(
        "\nLimits: Kepler near collision from perihelion to the aphelion after {PERIODS} periods \
         (error: max-norm against the exact aphelion state), DP5, rtol = atol = tol"
    );
    let kepler_solve = |e: f64, tol: f64, detect: bool, periods: f64| {
        let y0 = V4::new(1.0 - e, 0.0, 0.0, ((1.0 + e) / (1.0 - e)).sqrt());
        let aphelion = V4::new(-(1.0 + e), 0.0, 0.0, -((1.0 - e) / (1.0 + e)).sqrt());
        let mut integ = Integrator::new(ExplicitRk::dopri5()).options(
            Options::default()
                .tol(tol)
                .save(SaveMode::FinalOnly)
                .max_steps(10_000_000),
        );
        if !detect {
            integ = integ.detect_blowup(BlowUpConfig::off());
        }
        let t_end = (2.0 * periods + 1.0) * std::f64::consts::PI;
        let res = integ.solve(kepler, 0.0, t_end, y0);
        outcome(res, |y: &V4| (y - aphelion).amax())
    };
    for (e, tols) in [
        (0.99999, &[1e-8, 1e-10, 1e-12][..]),
        (0.999999, &[1e-8, 1e-10, 1e-12][..]),
        (0.9999999, &[1e-12][..]),
        (0.999, &[1e-4][..]),
    ] {
        for &tol in tols {
            println!(
                "  e = {e}, tol {tol:.0e}: {}",
                kepler_solve(e, tol, true, PERIODS)
            );
            if e > 0.999999 || tol > 1e-6 {
                println!(
                    "    without the detector: {}",
                    kepler_solve(e, tol, false, PERIODS)
                );
            }
            if e > 0.999999 {
                println!(
                    "    without the detector, to the first aphelion after the first perihelion: {}",
                    kepler_solve(e, tol, false, 1.0)
                );
            }
        }
    }
    println!("Lorentzian peak y = 1/((t - 1)^2 + eps^2), y' = -2 (t - 1) y^2 on [0, 2], DP5 tol 1e-8:");
    for eps in [1e-3, 1e-4, 1e-5] {
        let y0 = 1.0 / (1.0 + eps * eps);
        let solve = |detect: bool| {
            let mut integ = Integrator::new(ExplicitRk::dopri5()).options(
                Options::default()
                    .tol(1e-8)
                    .save(SaveMode::FinalOnly)
                    .max_steps(10_000_000),
            );
            if !detect {
                integ = integ.detect_blowup(BlowUpConfig::off());
            }
            let res = integ.solve(
                |t: f64, y: &f64, dy: &mut f64| *dy = -2.0 * (t - 1.0) * y * y,
                0.0,
                2.0,
                y0,
            );
            outcome(res, |y: &f64| (y - y0).abs() / y0)
        };
        println!("  eps = {eps:.0e}: {}", solve(true));
        println!("    without the detector: {}", solve(false));
    }
    println!("Derivative singularity y' = -1/y, y(0) = 1 (y = sqrt(1 - 2t), t_s = 0.5), DP5 tol 1e-8:");
    let res = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().tol(1e-8).save(SaveMode::FinalOnly))
        .solve(|_t: f64, y: &f64, dy: &mut f64| *dy = -1.0 / y, 0.0, 1.0, 1.0);
    println!("  {}", outcome(res, |y: &f64| *y));
}
