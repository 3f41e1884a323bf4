//! Finite-time blow-up: the detector's estimate of the singular time against
//! the exact value, the power law h ~ c (t_s - t) of the step sequence, and
//! the plain step-size failure without the detector.
//!
//! Run with `cargo run --release --example blowup`; plots go to `target/plots/`.
#[path = "common/plot.rs"]
mod plot;

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
    Ok(())
}
