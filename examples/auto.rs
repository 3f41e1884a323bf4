//! `auto` on a problem whose stiffness comes and goes: Van der Pol in
//! Liénard's scaling, `y1' = y2`, `y2' = mu(t) ((1 - y1^2) y2 - y1)`, with a
//! damping that sweeps from 1 to 1e5 and back every 10 time units,
//! `mu(t) = 10^(2.5 (1 - cos(2 pi t / 10)))`, over [0, 20], y(0) = (2, 0).
//! Around t = 0, 10, 20 it is an ordinary oscillator; around t = 5 and 15 a
//! relaxation oscillation whose slow branches are stiff (Jacobian eigenvalue
//! about `-mu (y1^2 - 1)`) and whose jumps are fast but not stiff.
//!
//! Prints every switch (time, direction, trigger, the estimate that
//! triggered it, `mu` there), the work of each engine, and the same solve
//! with DP5 and with Rodas5P alone (evaluations, time, error against Rodas5P
//! at rtol 1e-11); then the stiff reference problems' first switch times and
//! ROBER at loose scalar tolerances (DP5 alone ends `Unstable`).
//!
//! Plots (`target/plots/`): `auto_vdp_mu.svg`, `y1` with the switch points
//! marked; `auto_vdp_mu_steps.svg`, the accepted step sizes coloured by the
//! engine that took them, with `mu(t)` for orientation.
//!
//! Run: `cargo run --release --example auto`.
#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::problems::{Hires, ProtheroRobinson, Rober, VanDerPol};
use odestride::stepper::{SwitchDirection, SwitchReport};
use odestride::{ExplicitRk, Integrator, Method, Options, Rosenbrock, SaveMode, Solution};
use plot::{Figure, Scale, Series};
use std::f64::consts::PI;
use std::time::Instant;

type V2 = SVector<f64, 2>;

fn mu(t: f64) -> f64 {
    10f64.powf(2.5 * (1.0 - (2.0 * PI * t / 10.0).cos()))
}

fn vdp_mu(t: f64, y: &V2, dy: &mut V2) {
    dy[0] = y[1];
    dy[1] = mu(t) * ((1.0 - y[0] * y[0]) * y[1] - y[0]);
}

const T_END: f64 = 20.0;
const TOL: f64 = 1e-6;

fn y0() -> V2 {
    V2::new(2.0, 0.0)
}

/// Best of three wall times of `f`.
fn timed<R>(mut f: impl FnMut() -> R) -> (R, f64) {
    let mut best = f64::INFINITY;
    let mut out = None;
    for _ in 0..3 {
        let t = Instant::now();
        let r = f();
        best = best.min(t.elapsed().as_secs_f64());
        out = Some(r);
    }
    (out.expect("ran"), best)
}

fn report(sol: &Solution<f64, V2>) -> &SwitchReport<f64> {
    sol.diagnostics.switching.as_ref().expect("auto reports")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let opts = || Options::default().tol(TOL).max_steps(3_000_000);
    let reference = Integrator::new(Rosenbrock::rodas5p())
        .options(opts().tol(1e-11).save(SaveMode::FinalOnly))
        .solve(vdp_mu, 0.0, T_END, y0())?;
    let r_end = *reference.last_state();
    let err = |s: &Solution<f64, V2>| (s.last_state() - r_end).amax();

    let (sol, secs) = timed(|| {
        Integrator::new(Method::Auto.stepper())
            .options(opts())
            .solve(vdp_mu, 0.0, T_END, y0())
    });
    let sol = sol?;
    let r = report(&sol);
    println!(
        "Van der Pol with mu(t) = 10^(2.5 (1 - cos(2 pi t / 10))), rtol = atol = {TOL:.0e}, [0, {T_END}]"
    );
    println!("method {}: {} switches\n", sol.method, r.switches.len());
    println!("   t        direction   trigger    |h lambda| or h rho(J)   / B     mu(t)");
    for s in &r.switches {
        println!(
            "  {:8.4}  {:10}  {:9}  {:10.3}             {:6.2}  {:9.1}",
            s.t,
            match s.direction {
                SwitchDirection::ToImplicit => "-> Rodas5P",
                SwitchDirection::ToExplicit => "-> DP5",
            },
            format!("{:?}", s.trigger),
            s.h_lambda,
            s.h_lambda / s.boundary,
            mu(s.t)
        );
    }
    println!(
        "\nwork: {} {} steps / {} attempts / {} f-evaluations; {} {} / {} / {}; Jacobians {}, LUs {}",
        r.explicit.method,
        r.explicit.steps,
        r.explicit.attempts,
        r.explicit.nfev,
        r.implicit.method,
        r.implicit.steps,
        r.implicit.attempts,
        r.implicit.nfev,
        sol.stats.njev,
        sol.stats.nlu
    );
    println!("\n  method     nfev      steps    time        error (vs Rodas5P at 1e-11)");
    println!(
        "  auto      {:>8} {:>8}  {:8.2} ms  {:.1e}",
        sol.stats.nfev,
        sol.stats.naccept,
        secs * 1e3,
        err(&sol)
    );
    for m in [Method::Dp5, Method::Rodas5p] {
        let (s, secs) = timed(|| {
            Integrator::new(m.stepper())
                .options(opts().save(SaveMode::FinalOnly))
                .solve(vdp_mu, 0.0, T_END, y0())
        });
        let s = s?;
        println!(
            "  {:8}  {:>8} {:>8}  {:8.2} ms  {:.1e}",
            m.to_string(),
            s.stats.nfev,
            s.stats.naccept,
            secs * 1e3,
            err(&s)
        );
    }

    // ------------------------------------------------------ reference problems
    println!("\nfirst switch to Rodas5P on the stiff reference problems (rtol 1e-6):");
    let o = Options::default().rtol(1e-6).save(SaveMode::FinalOnly);
    let first = |d: &Option<SwitchReport<f64>>| {
        d.as_ref().and_then(|r| {
            r.switches
                .first()
                .map(|s| (s.t, format!("{:?}", s.trigger), s.steps))
        })
    };
    let s = Integrator::new(Method::Auto.stepper())
        .options(o.clone().atol_per_component(Rober.atol(1e-6).to_vec()))
        .solve(Rober.system(), 0.0, Rober::T_END, Rober.y0())?;
    println!(
        "  ROBER      {:?} (t, trigger, explicit steps before)",
        first(&s.diagnostics.switching)
    );
    let s = Integrator::new(Method::Auto.stepper())
        .options(o.clone().atol(1e-6))
        .solve(VanDerPol.system(), 0.0, VanDerPol::T_END, VanDerPol.y0())?;
    println!("  VDPOL      {:?}", first(&s.diagnostics.switching));
    let s = Integrator::new(Method::Auto.stepper())
        .options(o.clone().atol_per_component(Hires.atol(1e-6).to_vec()))
        .solve(Hires.system(), 0.0, Hires::T_END, Hires.y0())?;
    println!("  HIRES      {:?}", first(&s.diagnostics.switching));
    let pr = ProtheroRobinson { lambda: -1e6 };
    let s = Integrator::new(Method::Auto.stepper())
        .options(o.clone().atol(1e-6))
        .solve(pr.system(), 0.0, 10.0, 0.0)?;
    println!("  PR -1e6    {:?}", first(&s.diagnostics.switching));

    println!("\nROBER, rtol = atol (y2 ~ 4e-5 sits below the tolerance):");
    for tol in [1e-2, 1e-3, 1e-4] {
        let dp5 = Integrator::new(ExplicitRk::dopri5())
            .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
            .solve(Rober.system(), 0.0, Rober::T_END, Rober.y0());
        let a = Integrator::new(Method::Auto.stepper())
            .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
            .solve(Rober.system(), 0.0, Rober::T_END, Rober.y0())?;
        let dp5 = match dp5 {
            Ok(s) => format!("{:?}", s.status),
            Err(f) => format!("{}", f.error),
        };
        println!(
            "  tol {tol:.0e}: DP5 alone: {}\n             auto: {:?}, first switch {:?}, error vs Bari {:.1e}",
            dp5.chars().take(110).collect::<String>(),
            a.status,
            first(&a.diagnostics.switching),
            Rober.error(a.last_state())
        );
    }

    // ------------------------------------------------------------------ plots
    // The same solve with dense output kept, for the curve (the timed one
    // saved every step only).
    let sol = Integrator::new(Method::Auto.stepper())
        .options(opts().dense(true))
        .solve(vdp_mu, 0.0, T_END, y0())?;
    let r = report(&sol);
    let ts: Vec<f64> = (0..=4000).map(|i| T_END * i as f64 / 4000.0).collect();
    let x = sol.at_many(&ts)?;
    let curve: Vec<(f64, f64)> = ts.iter().zip(&x).map(|(t, y)| (*t, y[0])).collect();
    let marks = |d: SwitchDirection| -> Result<Vec<(f64, f64)>, odestride::QueryError> {
        r.switches
            .iter()
            .filter(|s| s.direction == d)
            .map(|s| sol.at(s.t).map(|y| (s.t, y[0])))
            .collect()
    };
    let path = plot::plot(
        "auto_vdp_mu.svg",
        &Figure {
            title: "auto on Van der Pol with mu(t) from 1 to 1e5: y1 and the switches",
            x_label: "t",
            y_label: "y1",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &[
            Series::line("y1 (auto, rtol 1e-6)", curve),
            Series::markers("switch to Rodas5P", marks(SwitchDirection::ToImplicit)?),
            Series::markers("switch to DP5", marks(SwitchDirection::ToExplicit)?),
        ],
    )?;
    println!("\nwrote {}", path.display());
    // Step sizes by engine: the engine of a step is the one after the last
    // switch at or before its start.
    let engine_at = |t: f64| {
        r.switches
            .iter()
            .rfind(|s| s.t <= t)
            .map_or(SwitchDirection::ToExplicit, |s| s.direction)
    };
    let (mut hx, mut hi) = (Vec::new(), Vec::new());
    for w in sol.t.windows(2) {
        let h = w[1] - w[0];
        if h > 0.0 {
            match engine_at(w[0]) {
                SwitchDirection::ToExplicit => hx.push((w[0], h)),
                SwitchDirection::ToImplicit => hi.push((w[0], h)),
            }
        }
    }
    let mu_curve: Vec<(f64, f64)> = (0..=400)
        .map(|i| {
            let t = T_END * i as f64 / 400.0;
            (t, 1e-6 * mu(t))
        })
        .collect();
    let path = plot::plot(
        "auto_vdp_mu_steps.svg",
        &Figure {
            title: "auto's accepted steps by engine; mu(t) x 1e-6 for orientation",
            x_label: "t",
            y_label: "step size h",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[
            Series::markers("DP5 steps", hx),
            Series::markers("Rodas5P steps", hi),
            Series::line("mu(t) x 1e-6", mu_curve),
        ],
    )?;
    println!("wrote {}", path.display());
    Ok(())
}
