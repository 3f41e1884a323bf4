//! Adam, then L-BFGS: the switching policy of the optimizer lab on a rippled,
//! ill-conditioned objective.
//!
//! f(x) = sum_i [ lambda_i r_i^2 / 2 + a(r_i) (1 - cos(w r_i)) ],  r = x - 1,
//! a(r) = r^2 / (r^2 + 1.5^2), lambda_i from 1 to 100 (log-spaced), w = 10,
//! n = 10, from x = -4. The ripples make local minima far from the optimum
//! (in the soft directions) and vanish near it; the global minimum is
//! `x = 1`, `f = 0`.
//! L-BFGS alone drops into a nearby ripple; Adam's normalised, averaged steps
//! ride over the ripples into the central basin but then crawl; Adam until
//! its loss plateaus, then L-BFGS, gets both.
//!
//! Run: `cargo run --release --example switching` (writes
//! target/plots/lab_switching.svg).

#[path = "common/plot.rs"]
mod plot;

use nalgebra::SVector;
use odestride::gradient_flow::objective;
use odestride::minimize::{compare, minimize, Criteria, Discrete, Lbfgs, Minimizer, SwitchWhen, Switching};
use odestride::optim::Adam;
use plot::{Figure, Scale, Series};

const N: usize = 10;
type V = SVector<f64, N>;

fn main() {
    let (a, w, lr, x0) = (1.0, 10.0, 0.3, -4.0);
    let lam = |i: usize| 10f64.powf(2.0 * i as f64 / (N - 1) as f64);
    // amplitude a r^2 / (r^2 + C^2): ripples far out, none near the minimum
    let mut f = objective(
        move |x: &V| {
            (0..N)
                .map(|i| {
                    let r = x[i] - 1.0;
                    let amp = a * r * r / (r * r + C * C);
                    0.5 * lam(i) * r * r + amp * (1.0 - (w * r).cos())
                })
                .sum::<f64>()
        },
        move |x: &V, g: &mut V| {
            for i in 0..N {
                let r = x[i] - 1.0;
                let q = r * r + C * C;
                let amp = a * r * r / q;
                let damp = a * 2.0 * r * C * C / (q * q);
                g[i] = lam(i) * r + damp * (1.0 - (w * r).cos()) + amp * w * (w * r).sin();
            }
        },
    );
    let crit = Criteria::default().gtol(1e-8).max_evals(20_000).max_iter(100_000);
    let mut methods: Vec<Box<dyn Minimizer<f64, V>>> =
        vec![Box::new(Lbfgs::new()), Box::new(Discrete::new(Adam::new(lr)))];
    let mut cmp = compare(&mut methods, &mut f, V::from_element(x0), &crit).expect("valid setup");
    // Adam until the loss decreases by less than 1 % over 50 iterations.
    let mut sw = Switching::new(
        Discrete::new(Adam::new(lr)),
        Lbfgs::new(),
        SwitchWhen::Plateau {
            window: 50,
            rel: 1e-2,
        },
    );
    cmp.runs
        .push(minimize(&mut sw, &mut f, V::from_element(x0), &crit).expect("valid setup"));
    println!("{}", cmp.table());
    println!("switched to L-BFGS after {:?} Adam iterations", sw.switched_at());
    let series: Vec<Series> = cmp
        .loss_vs_evals()
        .into_iter()
        .map(|(name, pts)| {
            Series::line(
                name,
                pts.into_iter().map(|(e, f)| (e.max(1.0), f.max(1e-20))).collect(),
            )
        })
        .collect();
    let fig = Figure {
        title: "Rippled quadratic n = 10: Adam, L-BFGS, Adam -> L-BFGS on a plateau",
        x_label: "gradient evaluations",
        y_label: "f (minimum 0)",
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    let path = plot::plot("lab_switching.svg", &fig, &series).expect("plot");
    println!("wrote {}", path.display());
}
const C: f64 = 1.5;
