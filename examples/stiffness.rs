//! Stiffness under DP5: Prothero–Robinson (lambda = 1e4) and Van der Pol
//! (mu = 1000). The solutions are smooth, yet the step is pinned near
//! (stability boundary) / |lambda|; the stiffness detector says so.
//!
//! Run with `cargo run --release --example stiffness`; plots go to `target/plots/`.
#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::detect::StiffnessReport;
use odestride::monitor::{AcceptedStep, AfterStep, Monitor};
use odestride::{ExplicitRk, Integrator, Options, SaveMode, State, Stepper};
use plot::{Figure, Scale, Series};

type V2 = SVector<f64, 2>;

/// Records (t, h, |h lambda| estimate, y) of every accepted step, keeping
/// every `every`-th one.
struct Recorder<S> {
    every: usize,
    n: usize,
    rows: Vec<(f64, f64, f64, S)>,
}

impl<S: State<f64>> Monitor<f64, S> for Recorder<S> {
    fn name(&self) -> &str {
        "recorder"
    }
    fn accepted(&mut self, step: &mut AcceptedStep<'_, f64, S>) -> AfterStep<f64> {
        if self.n % self.every == 0 {
            let hl = step.stiffness.unwrap_or(f64::NAN);
            self.rows.push((step.t, step.h.abs(), hl, step.y.clone()));
        }
        self.n += 1;
        AfterStep::Continue
    }
}

fn print_report(r: &StiffnessReport<f64>, naccept: usize) {
    println!(
        "  boundary B = {}, threshold {:.3}; {} of {naccept} accepted steps at the boundary; largest |h lambda| {:.2}",
        r.boundary, r.threshold, r.stiff_steps, r.max_h_lambda
    );
    for (i, e) in r.episodes.iter().take(3).enumerate() {
        println!(
            "  episode {i}: from t = {:.4e} (declared at {:.4e}) to {:.4e}, {} steps, mean |h lambda| = {:.4} ({:.3} B), |lambda| ~ {:.4e}, mean h = {:.3e}",
            e.t_start,
            e.t_detected,
            e.t_end,
            e.steps,
            e.mean_h_lambda,
            e.mean_h_lambda / r.boundary,
            e.mean_lambda,
            e.mean_h
        );
    }
    if r.episodes.len() > 3 {
        println!("  ... {} episodes in all", r.episodes.len());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dp5 = ExplicitRk::<f64, f64>::dopri5();
    let b = Stepper::<f64, f64>::stability_boundary(&dp5).unwrap_or(f64::NAN);

    // --- Prothero–Robinson: y' = -lambda (y - cos t) - sin t, y = cos t.
    let lambda = 1e4;
    let tol = 1e-6;
    println!("Prothero–Robinson, lambda = {lambda:e}, DP5, tol {tol:e}, t in [0, 10]");
    let mut rec = Recorder {
        every: 10,
        n: 0,
        rows: Vec::new(),
    };
    let sol = Integrator::new(dp5.clone())
        .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
        .monitor(&mut rec)
        .solve(
            |t: f64, y: &f64, dy: &mut f64| *dy = -lambda * (y - t.cos()) - t.sin(),
            0.0,
            10.0,
            1.0,
        )?;
    println!(
        "  {} steps, {} evaluations, error at t = 10: {:.1e}",
        sol.stats.naccept,
        sol.stats.nfev,
        (sol.last_state() - 10f64.cos()).abs()
    );
    // What accuracy alone would need: the same smooth solution without the
    // stiff term (y' = -sin t).
    let smooth = Integrator::new(dp5.clone())
        .options(Options::default().tol(tol).save(SaveMode::FinalOnly))
        .solve(|t: f64, _y: &f64, dy: &mut f64| *dy = -t.sin(), 0.0, 10.0, 1.0)?;
    println!(
        "  the same solution y = cos t from y' = -sin t (not stiff): {} steps; stability costs {:.0}x",
        smooth.stats.naccept,
        sol.stats.naccept as f64 / smooth.stats.naccept as f64
    );
    if let Some(r) = &sol.diagnostics.stiffness {
        print_report(r, sol.stats.naccept);
    }
    let h: Vec<(f64, f64)> = rec.rows.iter().map(|r| (r.0, r.1)).collect();
    let limit = vec![(0.0, b / lambda), (10.0, b / lambda)];
    let acc = vec![
        (0.0, smooth.stats.h_max_accepted),
        (10.0, smooth.stats.h_max_accepted),
    ];
    let p = plot::plot(
        "stiffness_prothero_robinson_h.svg",
        &Figure {
            title: "Prothero–Robinson, lambda = 1e4: DP5 step held at B/lambda",
            x_label: "t",
            y_label: "h",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[
            Series::line("accepted h (DP5, tol 1e-6)", h),
            Series::line("stability limit B/lambda = 3.3066e-4", limit),
            Series::line("largest h on y' = -sin t (accuracy only)", acc),
        ],
    )?;
    println!("  wrote {}", p.display());

    // --- Van der Pol, mu = 1000: y1' = y2, y2' = mu ((1 - y1^2) y2 - y1).
    let mu = 1000.0;
    let t_end = 3000.0;
    let tol = 1e-6;
    println!(
        "\nVan der Pol, mu = {mu}, DP5, tol {tol:e}, t in [0, {t_end}] (period ~ (3 - 2 ln 2) mu ~ 1614)"
    );
    let mut rec = Recorder {
        every: 200,
        n: 0,
        rows: Vec::new(),
    };
    let sol = Integrator::new(ExplicitRk::<f64, V2>::dopri5())
        .options(
            Options::default()
                .tol(tol)
                .save(SaveMode::FinalOnly)
                .max_steps(20_000_000),
        )
        .monitor(&mut rec)
        .solve(
            |_t: f64, y: &V2, dy: &mut V2| {
                dy[0] = y[1];
                dy[1] = mu * ((1.0 - y[0] * y[0]) * y[1] - y[0]);
            },
            0.0,
            t_end,
            V2::new(2.0, 0.0),
        )?;
    println!(
        "  {} steps, {} evaluations, status {:?}",
        sol.stats.naccept, sol.stats.nfev, sol.status
    );
    if let Some(r) = &sol.diagnostics.stiffness {
        print_report(r, sol.stats.naccept);
    }
    // Stability limit B / rho(J) from the Jacobian's eigenvalues.
    let limit: Vec<(f64, f64)> = rec
        .rows
        .iter()
        .map(|(t, _, _, y)| {
            let (a, d) = (0.0, mu * (1.0 - y[0] * y[0]));
            let (bb, c) = (1.0, -mu * (2.0 * y[0] * y[1] + 1.0));
            let (tr, det) = (a + d, a * d - bb * c);
            let disc = tr * tr / 4.0 - det;
            let rho = if disc >= 0.0 {
                (tr / 2.0).abs() + disc.sqrt()
            } else {
                det.abs().sqrt()
            };
            (*t, b / rho)
        })
        .collect();
    let h: Vec<(f64, f64)> = rec.rows.iter().map(|r| (r.0, r.1)).collect();
    let p = plot::plot(
        "stiffness_vdp_h.svg",
        &Figure {
            title: "Van der Pol, mu = 1000: DP5 step against the stability limit B/rho(J)",
            x_label: "t",
            y_label: "h",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[
            Series::line("accepted h (DP5, tol 1e-6)", h),
            Series::line("B / spectral radius of the Jacobian", limit),
        ],
    )?;
    println!("  wrote {}", p.display());
    let hl: Vec<(f64, f64)> = rec.rows.iter().map(|r| (r.0, r.2 / b)).collect();
    let y1: Vec<(f64, f64)> = rec.rows.iter().map(|r| (r.0, r.3[0])).collect();
    let p = plot::plot(
        "stiffness_vdp_hlambda.svg",
        &Figure {
            title: "Van der Pol, mu = 1000: |h lambda| estimate / B, and the smooth y1",
            x_label: "t",
            y_label: "|h lambda| / B,  y1",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &[
            Series::markers("|h lambda| estimate / B", hl),
            Series::line("y1(t)", y1),
        ],
    )?;
    println!("  wrote {}", p.display());
    Ok(())
}
