//! Gradient flow vs discrete optimisers.
//!
//! Gradient descent is explicit Euler on the gradient flow x' = -grad f(x)
//! with the learning rate as the step. This example races GD (at its best
//! stable learning rate), momentum, Nesterov, Adagrad, RMSprop, Adam,
//! AMSGrad, AdamW and AdaBelief against the flow integrated adaptively (DP5,
//! BS3) on three problems, counting gradient evaluations to f - f* <= 1e-8
//! (or f - f* after the budget):
//!
//! (a) canyon quadratic f = sum a_i x_i^2 / 2, a = (1000, 1, 0.001), x0 = (1, 1, 1);
//! (b) two-feature least squares with features at scales 1000 and 0.001:
//!     f(w) = (1/2m) sum_j (w1 u_j + w2 v_j - y_j)^2, m = 50,
//!     u_j = 1000 sin(j + 1), v_j = 0.001 cos(1.7 (j + 1)), y_j = 0.002 u_j + 3000 v_j
//!     (so w* = (0.002, 3000), f* = 0), from w0 = (0, 0);
//! (c) Rosenbrock f = (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1), f* = 0.
//!
//! Every method gets its best learning rate (or tolerance) from a small grid.
//! Then, side by side, the two phenomena that link the pictures: stiffness
//! (GD's 2/lambda_max limit, the adaptive step settling at the method's
//! stability boundary) and a finite-time singularity (x' = x^3).
//!
//! Run: `cargo run --release --example gradient_flow_vs_optimizers`; plots go
//! to `target/plots/`.

#[path = "common/plot.rs"]
mod plot;

use nalgebra::DVector;
use odestride::detect::StiffnessReport;
use odestride::gradient_flow::{lambda_max, objective, EigenOptions, GradientFlow, Objective};
use odestride::monitor::{AcceptedStep, AfterStep, Monitor};
use odestride::optim::{AdaBelief, Adagrad, Adam, Optimizer, RmsProp, Sgd};
use odestride::{ExplicitRk, Integrator, Options, SaveMode, Status, Stepper};
use plot::{Figure, Scale, Series};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

type V = DVector<f64>;
const TARGET: f64 = 1e-8;
const BUDGET: usize = 20_000;

#[derive(Clone, Copy, PartialEq)]
enum Problem {
    Canyon,
    Regression,
    Rosenbrock,
}

const CANYON_A: [f64; 3] = [1000.0, 1.0, 0.001];
const M: usize = 50;

fn features(j: usize) -> (f64, f64) {
    let t = (j + 1) as f64;
    (1000.0 * t.sin(), 0.001 * (1.7 * t).cos())
}

impl Problem {
    fn name(self) -> &'static str {
        match self {
            Problem::Canyon => "canyon quadratic a = (1000, 1, 0.001)",
            Problem::Regression => "two-feature regression (scales 1000, 0.001)",
            Problem::Rosenbrock => "Rosenbrock from (-1.2, 1)",
        }
    }
    fn tag(self) -> &'static str {
        match self {
            Problem::Canyon => "canyon",
            Problem::Regression => "regression",
            Problem::Rosenbrock => "rosenbrock",
        }
    }
    fn x0(self) -> V {
        match self {
            Problem::Canyon => V::from_vec(vec![1.0, 1.0, 1.0]),
            Problem::Regression => V::from_vec(vec![0.0, 0.0]),
            Problem::Rosenbrock => V::from_vec(vec![-1.2, 1.0]),
        }
    }
    fn value(self, x: &V) -> f64 {
        match self {
            Problem::Canyon => 0.5 * (0..3).map(|i| CANYON_A[i] * x[i] * x[i]).sum::<f64>(),
            Problem::Regression => {
                let mut s = 0.0;
                for j in 0..M {
                    let (u, v) = features(j);
                    let r = x[0] * u + x[1] * v - (0.002 * u + 3000.0 * v);
                    s += r * r;
                }
                s / (2.0 * M as f64)
            }
            Problem::Rosenbrock => (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2),
        }
    }
    fn gradient(self, x: &V, g: &mut V) {
        match self {
            Problem::Canyon => (0..3).for_each(|i| g[i] = CANYON_A[i] * x[i]),
            Problem::Regression => {
                g.fill(0.0);
                for j in 0..M {
                    let (u, v) = features(j);
                    let r = x[0] * u + x[1] * v - (0.002 * u + 3000.0 * v);
                    g[0] += r * u / M as f64;
                    g[1] += r * v / M as f64;
                }
            }
            Problem::Rosenbrock => {
                g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
                g[1] = 200.0 * (x[1] - x[0] * x[0]);
            }
        }
    }
    /// An objective whose gradient calls are counted in `counter`.
    fn objective(self, counter: Arc<AtomicUsize>) -> impl Objective<f64, V> {
        objective(
            move |x: &V| self.value(x),
            move |x: &V, g: &mut V| {
                counter.fetch_add(1, Ordering::Relaxed);
                self.gradient(x, g)
            },
        )
    }
}

/// One run: f - f* after each gradient evaluation count, and the path.
struct Trace {
    label: String,
    setting: String,
    curve: Vec<(f64, f64)>,
    hit: Option<usize>,
    gap: f64,
    path: Vec<(f64, f64)>,
}

impl Trace {
    fn better_than(&self, other: &Trace) -> bool {
        match (self.hit, other.hit) {
            (Some(a), Some(b)) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => self.gap.is_finite() && (self.gap < other.gap || other.gap.is_nan()),
        }
    }
}

fn run_optimizer(p: Problem, opt: &mut dyn Optimizer<f64, V>, label: &str, setting: String) -> Trace {
    let mut x = p.x0();
    let mut g = x.clone();
    let mut curve = vec![(0.0, p.value(&x))];
    let mut path = vec![(x[0], x[1])];
    let mut hit = None;
    for k in 1..=BUDGET {
        p.gradient(&x, &mut g);
        if opt.step(&mut x, &g).is_err() {
            break;
        }
        let gap = p.value(&x);
        if !gap.is_finite() {
            curve.push((k as f64, f64::INFINITY));
            break;
        }
        curve.push((k as f64, gap));
        path.push((x[0], x[1]));
        if gap <= TARGET {
            hit = Some(k);
            break;
        }
    }
    let gap = curve.last().map(|c| c.1).unwrap_or(f64::NAN);
    Trace {
        label: label.into(),
        setting,
        curve,
        hit,
        gap,
        path,
    }
}

/// Stops an adaptive gradient-flow solve at the target or the budget and
/// records f - f* against gradient evaluations at every accepted step.
struct Recorder {
    p: Problem,
    evals: Arc<AtomicUsize>,
    curve: Vec<(f64, f64)>,
    path: Vec<(f64, f64)>,
    hs: Vec<(f64, f64)>,
    hit: Option<usize>,
}

impl Monitor<f64, V> for Recorder {
    fn name(&self) -> &str {
        "target"
    }
    fn accepted(&mut self, s: &mut AcceptedStep<'_, f64, V>) -> AfterStep<f64> {
        let gap = self.p.value(s.y);
        let n = self.evals.load(Ordering::Relaxed);
        self.curve.push((n as f64, gap));
        self.path.push((s.y[0], s.y[1]));
        self.hs.push((s.t, s.h));
        if gap <= TARGET {
            self.hit = Some(n);
            return AfterStep::Stop(Status::Stopped {
                monitor: "target".into(),
                reason: "f - f* <= 1e-8".into(),
            });
        }
        if n >= BUDGET {
            return AfterStep::Stop(Status::Stopped {
                monitor: "target".into(),
                reason: "gradient budget".into(),
            });
        }
        AfterStep::Continue
    }
}

fn run_flow<St: Stepper<f64, V>>(p: Problem, stepper: St, label: &str, tol: f64) -> (Trace, Vec<(f64, f64)>) {
    let evals = Arc::new(AtomicUsize::new(0));
    let x0 = p.x0();
    let mut rec = Recorder {
        p,
        evals: evals.clone(),
        curve: vec![(0.0, p.value(&x0))],
        path: vec![(x0[0], x0[1])],
        hs: Vec::new(),
        hit: None,
    };
    let flow = GradientFlow::new(p.objective(evals.clone()));
    let _ = Integrator::new(stepper)
        .options(
            Options::default()
                .tol(tol)
                .max_steps(BUDGET)
                .save(SaveMode::FinalOnly),
        )
        .monitor(&mut rec)
        .solve(flow, 0.0, 1e9, x0);
    let gap = rec.curve.last().map(|c| c.1).unwrap_or(f64::NAN);
    let trace = Trace {
        label: label.into(),
        setting: format!("tol {tol:.0e}"),
        curve: rec.curve,
        hit: rec.hit,
        gap,
        path: rec.path,
    };
    (trace, rec.hs)
}

fn best(traces: impl IntoIterator<Item = Trace>) -> Trace {
    let mut it = traces.into_iter();
    let mut b = it.next().expect("at least one run");
    for t in it {
        if t.better_than(&b) {
            b = t;
        }
    }
    b
}

fn lr_grid() -> Vec<f64> {
    // Offset from powers of ten so no run lands on the minimiser by coincidence.
    (-24..=0).map(|k| 10f64.powf((k as f64 - 0.5) / 3.0)).collect()
}

fn race(p: Problem) -> Vec<Trace> {
    let counter = Arc::new(AtomicUsize::new(0));
    let mut obj = p.objective(counter);
    let lmax = lambda_max(&mut obj, &p.x0(), &EigenOptions::default())
        .map(|e| e.lambda)
        .unwrap_or(f64::NAN);
    let mut out = Vec::new();
    // GD: fractions of its stability limit at x0.
    out.push(best([0.5, 0.8, 0.9, 0.95, 0.99].iter().map(|c| {
        let lr = c * 2.0 / lmax;
        run_optimizer(p, &mut Sgd::new(lr), "GD", format!("lr {c} x 2/lmax = {lr:.3e}"))
    })));
    type Make = fn(f64) -> Box<dyn Optimizer<f64, V>>;
    let makers: [(&str, Make); 8] = [
        ("momentum 0.9", |lr| Box::new(Sgd::new(lr).momentum(0.9))),
        ("Nesterov 0.9", |lr| {
            Box::new(Sgd::new(lr).momentum(0.9).nesterov(true))
        }),
        ("Adagrad", |lr| Box::new(Adagrad::new(lr))),
        ("RMSprop", |lr| Box::new(RmsProp::new(lr))),
        ("Adam", |lr| Box::new(Adam::new(lr))),
        ("AMSGrad", |lr| Box::new(Adam::amsgrad(lr))),
        ("AdamW wd 1e-2", |lr| Box::new(Adam::adamw(lr))),
        ("AdaBelief", |lr| Box::new(AdaBelief::new(lr))),
    ];
    for (label, make) in makers {
        out.push(best(lr_grid().into_iter().map(|lr| {
            let mut o = make(lr);
            run_optimizer(p, o.as_mut(), label, format!("lr {lr:.2e}"))
        })));
    }
    let tols = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-8];
    out.push(best(
        tols.iter()
            .map(|&tol| run_flow(p, ExplicitRk::dopri5(), "flow DP5", tol).0),
    ));
    out.push(best(
        tols.iter()
            .map(|&tol| run_flow(p, ExplicitRk::bs3(), "flow BS3", tol).0),
    ));
    out.push(best(tols.iter().map(|&tol| {
        run_flow(
            p,
            odestride::StepDoubling::euler(),
            "flow Euler (step doubling)",
            tol,
        )
        .0
    })));
    println!(
        "\n{} (lambda_max at x0 = {lmax:.4e}, GD limit 2/lambda_max = {:.4e})",
        p.name(),
        2.0 / lmax
    );
    println!(
        "  {:<30} {:>14} {:>14}   best setting",
        "method", "evals to 1e-8", "f-f* at end"
    );
    for t in &out {
        let hit = t
            .hit
            .map(|n| n.to_string())
            .unwrap_or_else(|| format!("> {BUDGET}"));
        println!("  {:<30} {:>14} {:>14.3e}   {}", t.label, hit, t.gap, t.setting);
    }
    out
}

fn thin(v: &[(f64, f64)], n: usize) -> Vec<(f64, f64)> {
    let step = (v.len() / n).max(1);
    let mut out: Vec<(f64, f64)> = v.iter().step_by(step).copied().collect();
    if let Some(l) = v.last() {
        out.push(*l);
    }
    out
}

/// Points of a curve over a log x axis: every point while x < 100, then one
/// per 1 % growth of x, and the last.
fn thin_log(v: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for p in v {
        if out.last().is_none_or(|l| p.0 < 100.0 || p.0 >= 1.01 * l.0) {
            out.push(*p);
        }
    }
    if let (Some(l), Some(o)) = (v.last(), out.last()) {
        if l != o {
            out.push(*l);
        }
    }
    out
}

fn plot_race(p: Problem, traces: &[Trace]) -> Result<(), Box<dyn std::error::Error>> {
    // The best f - f* reached so far, against gradient evaluations: the
    // curve crosses 1e-8 at the count of the table. Diverging runs are cut
    // at 1e6 x f(x0) - f* (plotters' log axes cannot span hundreds of
    // decades); the running minimum never rises.
    let series: Vec<Series> = traces
        .iter()
        .map(|t| {
            let cap = 1e6 * t.curve.first().map(|c| c.1).unwrap_or(1.0);
            let mut best = f64::INFINITY;
            let pts = t
                .curve
                .iter()
                .take_while(|(_, g)| *g <= cap)
                .map(|(n, g)| {
                    best = best.min(*g);
                    (n.max(1.0), best.max(1e-20))
                })
                .collect::<Vec<_>>();
            Series::line(t.label.clone(), thin_log(&pts))
        })
        .collect();
    let fastest = traces
        .iter()
        .filter_map(|t| t.hit.map(|n| (n, t.label.as_str())))
        .min();
    let title = match fastest {
        Some((n, label)) => format!("{}: first to f - f* <= 1e-8 is {label} ({n} gradients)", p.name()),
        None => format!("{}: nobody reaches 1e-8", p.name()),
    };
    let fig = Figure {
        title: &title,
        x_label: "gradient evaluations",
        y_label: "best f - f* so far",
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    let path = plot::plot(&format!("gf_{}_convergence.svg", p.tag()), &fig, &series)?;
    println!("  plot: {}", path.display());
    if p == Problem::Rosenbrock {
        let levels: Vec<f64> = (-2..=6).map(|k| 10f64.powf(k as f64 / 2.0)).collect();
        let contours = plot::contour_segments(
            |x, y| Problem::Rosenbrock.value(&V::from_vec(vec![x, y])),
            (-1.5, 1.5),
            (-0.5, 1.6),
            160,
            &levels,
        );
        let title_of = |file: &str| {
            if file.contains("gd_flow") {
                "Rosenbrock: GD, Nesterov and the flow follow the valley; momentum overshoots"
            } else {
                "Rosenbrock: Adam-type methods overshoot the valley; Adagrad and RMSprop follow it"
            }
        };
        for (file, which) in [
            (
                "gf_rosenbrock_paths_gd_flow.svg",
                ["GD", "momentum 0.9", "Nesterov 0.9", "flow DP5", "flow BS3"],
            ),
            (
                "gf_rosenbrock_paths_adaptive.svg",
                ["Adagrad", "RMSprop", "Adam", "AMSGrad", "AdaBelief"],
            ),
        ] {
            let mut series: Vec<Series> = traces
                .iter()
                .filter(|t| which.contains(&t.label.as_str()))
                .map(|t| Series::line(t.label.clone(), thin(&t.path, 2000)))
                .collect();
            series.push(Series::markers("start (-1.2, 1)", vec![(-1.2, 1.0)]).slot(6));
            series.push(Series::markers("minimum (1, 1)", vec![(1.0, 1.0)]).slot(7));
            let fig = Figure {
                title: title_of(file),
                x_label: "x",
                y_label: "y  (grey: level sets f = 10^(k/2), k = -2 ... 6)",
                x_scale: Scale::Linear,
                y_scale: Scale::Linear,
                equal_aspect: false,
            };
            let path = plot::plot_over_segments(file, &fig, &contours, &series)?;
            println!("  plot: {}", path.display());
        }
    }
    Ok(())
}

/// Stiffness on the canyon: GD at 0.99 and 1.01 times 2/lambda_max, and
/// the accepted steps of the adaptive flow against the stability boundaries.
fn stiffness() -> Result<(), Box<dyn std::error::Error>> {
    println!("\nStiffness (canyon quadratic, lambda_max = 1000)");
    let p = Problem::Canyon;
    let mut gd_series = Vec::new();
    for c in [0.99, 1.01] {
        let lr = c * 2.0 / 1000.0;
        let mut opt = Sgd::new(lr);
        let mut x = p.x0();
        let mut g = x.clone();
        let mut pts = Vec::new();
        for k in 1..=1500 {
            p.gradient(&x, &mut g);
            let _ = opt.step(&mut x, &g);
            pts.push((k as f64, x[0].abs()));
        }
        println!(
            "  GD lr = {c} x 2/lambda_max: |x_1| after 1500 steps = {:.3e} ({})",
            x[0].abs(),
            if c < 1.0 {
                "converges: |1 - lr a_1| = 0.98"
            } else {
                "diverges: |1 - lr a_1| = 1.02"
            }
        );
        gd_series.push(Series::line(format!("GD lr = {c} x 2/lambda_max"), pts));
    }
    let fig = Figure {
        title: "GD on the canyon: lr just below 2/lambda_max converges, just above diverges",
        x_label: "GD step k",
        y_label: "|x_1| (the stiff component, a_1 = 1000)",
        x_scale: Scale::Linear,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    println!(
        "  plot: {}",
        plot::plot("gf_stiffness_gd.svg", &fig, &gd_series)?.display()
    );

    let mut h_series = Vec::new();
    for (slot, label, boundary, (hs, report)) in [
        (
            0,
            "DP5",
            ExplicitRk::<f64, V>::dopri5()
                .stability_boundary()
                .unwrap_or(f64::NAN),
            canyon_steps(ExplicitRk::dopri5()),
        ),
        (
            1,
            "BS3",
            ExplicitRk::<f64, V>::bs3()
                .stability_boundary()
                .unwrap_or(f64::NAN),
            canyon_steps(ExplicitRk::bs3()),
        ),
    ] {
        let late: Vec<f64> = hs.iter().filter(|(t, _)| *t > 1.0).map(|(_, h)| *h).collect();
        let mean = late.iter().sum::<f64>() / late.len().max(1) as f64;
        println!(
            "  {label} (tol 1e-6): mean accepted h for t > 1 = {mean:.4e}; stability boundary / lambda_max = {:.4e} (ratio {:.3})",
            boundary / 1000.0,
            mean / (boundary / 1000.0)
        );
        if let Some(r) = report {
            match r.episodes.first() {
                Some(e) => println!(
                    "    stiffness report: {} episode(s), declared at t = {:.3}, mean |h lambda| = {:.4} (B = {}), |lambda| ~ {:.1}",
                    r.episodes.len(),
                    e.t_detected,
                    e.mean_h_lambda,
                    r.boundary,
                    e.mean_lambda
                ),
                None if r.estimated_steps == 0 => println!(
                    "    stiffness report: no estimate for {label} (no pair of stages at one node), no verdict"
                ),
                None => println!("    stiffness report: not flagged"),
            }
        }
        let t_end = hs.last().map(|p| p.0).unwrap_or(1.0);
        h_series.push(Series::line(format!("{label} accepted h"), hs).slot(slot));
        h_series.push(
            Series::reference(
                format!("{label} boundary {boundary:.4}/lambda_max"),
                vec![(1e-6, boundary / 1000.0), (t_end, boundary / 1000.0)],
            )
            .slot(slot),
        );
    }
    h_series.push(Series::reference(
        "GD limit 2/lambda_max",
        vec![(1e-6, 2e-3), (20.0, 2e-3)],
    ));
    let fig = Figure {
        title: "Gradient flow on the canyon: once the fast mode decays, h sits at B/lambda_max",
        x_label: "flow time t",
        y_label: "accepted step size h",
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    println!(
        "  plot: {}",
        plot::plot("gf_stiffness_steps.svg", &fig, &h_series)?.display()
    );
    Ok(())
}

fn canyon_steps<St: Stepper<f64, V>>(stepper: St) -> (Vec<(f64, f64)>, Option<StiffnessReport<f64>>) {
    let p = Problem::Canyon;
    let flow = GradientFlow::new(p.objective(Arc::new(AtomicUsize::new(0))));
    match Integrator::new(stepper).tol(1e-6).solve(flow, 0.0, 20.0, p.x0()) {
        Ok(sol) => (
            sol.t.windows(2).map(|w| (w[1], w[1] - w[0])).collect(),
            sol.diagnostics.stiffness.clone(),
        ),
        Err(e) => {
            println!("  solve failed: {}", e.error);
            (Vec::new(), None)
        }
    }
}

/// The flow of f(x) = -x^4/4, x' = x^3, blows up at t_s = 1/(2 x0^2).
fn singularity() -> Result<(), Box<dyn std::error::Error>> {
    let x0 = 1.0_f64;
    let ts = 1.0 / (2.0 * x0 * x0);
    println!("\nSingularity: f(x) = -x^4/4, x' = x^3, x0 = {x0}: blow-up at t_s = 1/(2 x0^2) = {ts}");
    let quartic = || {
        objective(
            |x: &f64| -0.25 * x.powi(4),
            |x: &f64, g: &mut f64| *g = -x.powi(3),
        )
    };
    // Values above CAP are left out of the plot (GD runs on to 1e171).
    const CAP: f64 = 1e6;
    let below_cap = |t: &[f64], y: &[f64]| -> Vec<(f64, f64)> {
        t.iter()
            .zip(y)
            .map(|(t, y)| (*t, *y))
            .filter(|p| p.1 <= CAP)
            .collect()
    };
    let mut series = vec![Series::reference(
        "exact x = 1/sqrt(1/x0^2 - 2t)",
        (0..2000)
            .map(|i| ts * (1.0 - (-(i as f64) / 120.0).exp()))
            .map(|t| (t, 1.0 / (1.0 / (x0 * x0) - 2.0 * t).sqrt()))
            .filter(|p| p.1 <= CAP)
            .collect(),
    )];
    for (slot, lr) in [(1, 0.01), (2, 0.001)] {
        let mut flow = GradientFlow::new(quartic());
        let res = Integrator::new(ExplicitRk::euler())
            .options(Options::default().fixed_step(lr).max_steps(10_000_000))
            .solve(&mut flow, 0.0, 10.0, x0);
        match res {
            Ok(sol) => println!("  GD lr = {lr}: no overflow up to t = {}", sol.last_time()),
            Err(e) => {
                let n = e.partial.t.len();
                println!(
                    "  GD lr = {lr}: {} after {} steps (last finite x = {:.3e} at t = {:.4})",
                    e.error,
                    n.saturating_sub(1),
                    e.partial.last_state(),
                    e.partial.last_time()
                );
                let mut pts = below_cap(&e.partial.t, &e.partial.y);
                if lr < 0.005 {
                    // every 10th iterate, and all of the last 40 before the cap
                    let n = pts.len();
                    pts = pts
                        .into_iter()
                        .enumerate()
                        .filter(|(i, _)| i % 10 == 0 || i + 40 >= n)
                        .map(|(_, p)| p)
                        .collect();
                }
                series.push(
                    Series::markers(
                        format!(
                            "GD lr = {lr}: passes t_s, overflows at t = {:.3}",
                            e.partial.last_time()
                        ),
                        pts,
                    )
                    .slot(slot),
                );
            }
        }
    }
    for tol in [1e-6, 1e-10] {
        let flow = GradientFlow::new(quartic());
        match Integrator::new(ExplicitRk::dopri5())
            .tol(tol)
            .solve(flow, 0.0, 1.0, x0)
        {
            Ok(sol) => match sol.status {
                odestride::Status::BlowUp {
                    t_singular,
                    uncertainty,
                    exponent,
                    ..
                } => {
                    println!(
                        "  DP5 tol {tol:e}: blow-up detector: t_s = {t_singular:.12} +- {uncertainty:.1e} \
                         (exact {ts}, rel. error {:.1e}), |x| ~ (t_s - t)^-{exponent:.4}, after {} steps",
                        ((t_singular - ts) / ts).abs(),
                        sol.stats.naccept
                    );
                    if tol == 1e-6 {
                        series.push(
                            Series::markers(
                                format!(
                                    "DP5 tol 1e-6: {} steps, stops with BlowUp, t_s = {t_singular:.7}",
                                    sol.stats.naccept
                                ),
                                below_cap(&sol.t, &sol.y),
                            )
                            .slot(0),
                        );
                    }
                }
                ref other => println!(
                    "  DP5 tol {tol:e}: ended with {other:?} at t = {}",
                    sol.last_time()
                ),
            },
            Err(e) => {
                let t_fail = e.partial.last_time();
                println!(
                    "  DP5 tol {tol:e}: fails at t = {t_fail:.10} (t_s - t = {:.2e}), x = {:.3e}, after {} steps: {}",
                    ts - t_fail,
                    e.partial.last_state(),
                    e.partial.stats.naccept,
                    e.error
                );
            }
        }
    }
    series.push(Series::reference("t_s = 0.5", vec![(ts, 1.0), (ts, CAP)]));
    let fig = Figure {
        title: "x' = x^3 (flow of -x^4/4): GD steps through the blow-up, DP5 stops at t_s",
        x_label: "flow time t (GD: t = k lr)",
        y_label: "x  (values above 1e6 not shown)",
        x_scale: Scale::Linear,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    println!(
        "  plot: {}",
        plot::plot("gf_singularity.svg", &fig, &series)?.display()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("Gradient flow vs optimisers: gradient evaluations to f - f* <= {TARGET:e} (budget {BUDGET});");
    println!("each method at its best learning rate / tolerance from a small grid.");
    for p in [Problem::Canyon, Problem::Regression, Problem::Rosenbrock] {
        let traces = race(p);
        plot_race(p, &traces)?;
    }
    stiffness()?;
    singularity()?;
    Ok(())
}
