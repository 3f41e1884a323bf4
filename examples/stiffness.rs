//! Stiffness under DP5: Prothero–Robinson (lambda = 1e4) and Van der Pol
//! (mu = 1000). The solutions are smooth, yet the step is pinned near
//! (stability boundary) / |lambda|; the stiffness detector says so.
//!
//! Van der Pol is integrated in its unscaled form (the VDPOL problem of the
//! Bari test set, `docs/reference-problems.md`): y1' = y2,
//! y2' = mu (1 - y1^2) y2 - y1, y(0) = (2, 0), whose relaxation period is
//! about (3 - 2 ln 2) mu + 7.01 mu^(-1/3) ~ 1614 for mu = 1000. The example
//! measures the period with an event (zero crossings of y1) and compares
//! y(2000) with the published reference.
//!
//! Run with `cargo run --release --example stiffness`; plots go to `target/plots/`.
#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::detect::StiffnessReport;
use odestride::monitor::{AcceptedStep, AfterStep, Monitor};
use odestride::{Event, ExplicitRk, Integrator, Options, SaveMode, State, Stepper};
use plot::{Figure, Scale, Series};

type V2 = SVector<f64, 2>;

/// (t, h, |h lambda| estimate, y) of one accepted step.
type Row<S> = (f64, f64, f64, S);

/// Records the rows of the accepted steps, keeping every `every`-th one.
struct Recorder<S> {
    every: usize,
    n: usize,
    rows: Vec<Row<S>>,
}

impl<S: State<f64>> Monitor<f64, S> for Recorder<S> {
    fn name(&self) -> &str {
        "recorder"
    }
    fn accepted(&mut self, step: &mut AcceptedStep<'_, f64, S>) -> AfterStep<f64> {
        if self.n.is_multiple_of(self.every) {
            let hl = step.stiffness.unwrap_or(f64::NAN);
            self.rows.push((step.t, step.h.abs(), hl, step.y.clone()));
        }
        self.n += 1;
        AfterStep::Continue
    }
}

fn print_report(r: &StiffnessReport<f64>, naccept: usize, show: usize) {
    println!(
        "  boundary B = {}, threshold {:.3}; {} of {naccept} accepted steps at the boundary; largest |h lambda| {:.2}",
        r.boundary, r.threshold, r.stiff_steps, r.max_h_lambda
    );
    for (i, e) in r.episodes.iter().take(show).enumerate() {
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
    if r.episodes.len() > show {
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
        print_report(r, sol.stats.naccept, 3);
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
            title: &format!(
                "Prothero–Robinson, lambda = 1e4: DP5 step held at B/lambda, {:.0}x below accuracy's",
                smooth.stats.h_max_accepted / (b / lambda)
            ),
            x_label: "time t (dimensionless)",
            y_label: "accepted step size h",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[
            Series::markers("accepted h, every 10th step (DP5, tol 1e-6)", h),
            Series::reference("stability limit B/lambda = 3.3066e-4", limit),
            Series::reference("largest h on y' = -sin t (accuracy alone)", acc),
        ],
    )?;
    println!("  wrote {}", p.display());

    // --- Van der Pol, mu = 1000, unscaled: y1' = y2, y2' = mu (1 - y1^2) y2 - y1.
    let mu = 1000.0;
    let t_end = 3000.0;
    let tol = 1e-6;
    println!("\nVan der Pol (unscaled), mu = {mu}, y(0) = (2, 0), DP5, tol {tol:e}, t in [0, {t_end}]");
    println!(
        "  (relaxation period ~ (3 - 2 ln 2) mu + 7.01 mu^(-1/3) = {:.1})",
        { (3.0 - 2.0 * 2f64.ln()) * mu + 7.014 * mu.powf(-1.0 / 3.0) }
    );
    let mut rec = Recorder {
        every: 1,
        n: 0,
        rows: Vec::new(),
    };
    let sol = Integrator::new(ExplicitRk::<f64, V2>::dopri5())
        .options(
            Options::default()
                .tol(tol)
                .save(SaveMode::At(vec![2000.0]))
                .max_steps(20_000_000),
        )
        .monitor(&mut rec)
        .event(Event::new(|_t: f64, y: &V2| y[0]))
        .solve(
            |_t: f64, y: &V2, dy: &mut V2| {
                dy[0] = y[1];
                dy[1] = mu * (1.0 - y[0] * y[0]) * y[1] - y[0];
            },
            0.0,
            t_end,
            V2::new(2.0, 0.0),
        )?;
    println!(
        "  {} steps, {} evaluations, status {:?}",
        sol.stats.naccept, sol.stats.nfev, sol.status
    );
    let crossings: Vec<f64> = sol.events.iter().map(|e| e.t).collect();
    println!(
        "  y1 = 0 at t = {}",
        crossings
            .iter()
            .map(|t| format!("{t:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if crossings.len() >= 3 {
        println!(
            "  measured period (third minus first crossing): {:.2}",
            crossings[2] - crossings[0]
        );
    }
    // VDPOL reference y(2000), Bari test set (docs/reference-problems.md).
    let reference = V2::new(1.706167732170469, -8.928097010248125e-4);
    if let (Some(t), Some(y)) = (sol.t.first(), sol.y.first()) {
        println!(
            "  y({t}) = ({:.10}, {:.6e}); reference (1.7061677322, -8.928097e-4): errors {:.1e}, {:.1e}",
            y[0],
            y[1],
            (y[0] - reference[0]).abs(),
            (y[1] - reference[1]).abs()
        );
    }
    if let Some(r) = &sol.diagnostics.stiffness {
        print_report(r, sol.stats.naccept, 8);
        let on_slow = r.episodes.iter().map(|e| e.t_end - e.t_start).sum::<f64>();
        println!(
            "  the episodes cover {:.1} % of the span",
            100.0 * on_slow / t_end
        );
    }
    // Thin for plotting: per time bin, the rows with the smallest and the
    // largest value of `key` (keeps the envelope on a log axis).
    let bins = 1500;
    let thin = |key: &dyn Fn(&Row<V2>) -> f64| -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        let mut lo: Option<&Row<V2>> = None;
        let mut hi: Option<&Row<V2>> = None;
        let mut bin = 0;
        for r in &rec.rows {
            let k = ((r.0 / t_end) * bins as f64) as usize;
            if k != bin {
                for x in [lo, hi].into_iter().flatten() {
                    out.push((x.0, key(x)));
                }
                lo = None;
                hi = None;
                bin = k;
            }
            if key(r).is_finite() {
                if lo.is_none_or(|l| key(r) < key(l)) {
                    lo = Some(r);
                }
                if hi.is_none_or(|h| key(r) > key(h)) {
                    hi = Some(r);
                }
            }
        }
        for x in [lo, hi].into_iter().flatten() {
            out.push((x.0, key(x)));
        }
        out
    };
    // Stability limit B / rho(J) from the Jacobian's eigenvalues,
    // J = [[0, 1], [-2 mu y1 y2 - 1, mu (1 - y1^2)]].
    let limit_of = |y: &V2| {
        let (a, d) = (0.0, mu * (1.0 - y[0] * y[0]));
        let (bb, c) = (1.0, -2.0 * mu * y[0] * y[1] - 1.0);
        let (tr, det) = (a + d, a * d - bb * c);
        let disc = tr * tr / 4.0 - det;
        let rho = if disc >= 0.0 {
            (tr / 2.0).abs() + disc.sqrt()
        } else {
            det.abs().sqrt()
        };
        b / rho
    };
    let h = thin(&|r| r.1);
    let limit = thin(&|r| limit_of(&r.3));
    let p = plot::plot(
        "stiffness_vdp_h.svg",
        &Figure {
            title: "Van der Pol, mu = 1000: on the slow branches the DP5 step sits at B / rho(J)",
            x_label: "time t (dimensionless; period ~ 1614)",
            y_label: "step size h",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[
            Series::markers("accepted h (DP5, tol 1e-6)", h),
            Series::reference("stability limit B / spectral radius of J", limit),
        ],
    )?;
    println!("  wrote {}", p.display());
    let hl = thin(&|r| r.2 / b);
    let p = plot::plot(
        "stiffness_vdp_hlambda.svg",
        &Figure {
            title:
                "Van der Pol, mu = 1000: the |h lambda| estimate sits at the boundary B on the slow branches",
            x_label: "time t (dimensionless; period ~ 1614)",
            y_label: "|h lambda| estimate / B",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            equal_aspect: false,
        },
        &[
            Series::markers("DP5 estimate / B (tol 1e-6)", hl),
            Series::reference("detector threshold 0.983 B", vec![(0.0, 0.983), (t_end, 0.983)]),
        ],
    )?;
    println!("  wrote {}", p.display());
    // The solution with the episodes the detector reports.
    let y1 = thin(&|r| r.3[0]);
    let mut starts = Vec::new();
    let mut ends = Vec::new();
    if let Some(r) = &sol.diagnostics.stiffness {
        let y1_at = |t: f64| {
            rec.rows
                .iter()
                .find(|r| r.0 >= t)
                .map(|r| r.3[0])
                .unwrap_or(f64::NAN)
        };
        for e in &r.episodes {
            starts.push((e.t_detected, y1_at(e.t_detected)));
            ends.push((e.t_end, y1_at(e.t_end)));
        }
    }
    let p = plot::plot(
        "stiffness_vdp_solution.svg",
        &Figure {
            title: "Van der Pol, mu = 1000: each slow branch is one stiffness episode (DP5, tol 1e-6)",
            x_label: "time t (dimensionless; period ~ 1614)",
            y_label: "y1",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            equal_aspect: false,
        },
        &[
            Series::line("y1(t)", y1),
            Series::markers("stiffness declared", starts),
            Series::markers("episode ends", ends),
        ],
    )?;
    println!("  wrote {}", p.display());
    Ok(())
}
