//! The optimizer lab: gradient descent, heavy-ball momentum, Adam, L-BFGS,
//! FIRE and the adaptive gradient flow (DOPRI5) run through the one driver
//! (`odestride::minimize::compare`) with the same stopping rules, on
//! Rosenbrock's function and an ill-conditioned quadratic; then L-BFGS
//! and FIRE on the Lennard-Jones cluster LJ13.
//!
//! Run: `cargo run --release --example optimizer_lab`
//! Writes target/plots/lab_rosenbrock.svg, lab_quadratic.svg (loss against
//! gradient evaluations) and lab_lj13.svg (energy above the lowest found, -44.326801).

#[path = "common/plot.rs"]
mod plot;

use nalgebra::DVector;
use odestride::gradient_flow::Objective;
use odestride::minimize::test_functions::{IllConditionedQuadratic, LennardJones, Rosenbrock};
use odestride::minimize::{compare, Comparison, Criteria, Discrete, Fire, Flow, Lbfgs, Minimizer};
use odestride::optim::{Adam, Sgd};
use odestride::ExplicitRk;
use plot::{Figure, Scale, Series};

type V = DVector<f64>;

fn lab(
    title: &str,
    file: &str,
    obj: &mut dyn Objective<f64, V>,
    x0: V,
    methods: Vec<Box<dyn Minimizer<f64, V>>>,
    crit: &Criteria<f64>,
    shift: bool,
) -> Comparison<f64, V> {
    let mut methods = methods;
    let cmp = compare(&mut methods, obj, x0, crit).expect("valid setup");
    println!("\n== {title}\n{}", cmp.table());
    // With `shift`, plot f - f_best (the lowest value any run found),
    // floored at 1e-14 so the final points stay on the log axis.
    let (shift, floor) = if shift {
        (cmp.runs.iter().map(|r| r.f).fold(f64::INFINITY, f64::min), 1e-14)
    } else {
        (0.0, 1e-30)
    };
    let series: Vec<Series> = cmp
        .loss_vs_evals()
        .into_iter()
        .map(|(name, pts)| {
            Series::line(
                name,
                pts.into_iter()
                    .map(|(e, f)| (e.max(1.0), (f - shift).max(floor)))
                    .collect(),
            )
        })
        .collect();
    let fig = Figure {
        title,
        x_label: "gradient evaluations",
        y_label: if shift != 0.0 {
            "E - E_best (floor 1e-14)"
        } else {
            "f"
        },
        x_scale: Scale::Log,
        y_scale: Scale::Log,
        equal_aspect: false,
    };
    let path = plot::plot(file, &fig, &series).expect("plot");
    println!("wrote {}", path.display());
    cmp
}

fn main() {
    // Rosenbrock, 2-d, from (-1.2, 1): Hessian eigenvalues up to ~1000 at
    // the minimum, so gradient descent needs lr < 2e-3.
    let crit = Criteria::default()
        .gtol(1e-6)
        .max_evals(20_000)
        .max_iter(1_000_000);
    let methods: Vec<Box<dyn Minimizer<f64, V>>> = vec![
        Box::new(Discrete::new(Sgd::new(1e-3))),
        Box::new(Discrete::new(Sgd::new(1e-4).momentum(0.9))),
        Box::new(Discrete::new(Adam::new(1e-2))),
        Box::new(Lbfgs::new()),
        Box::new(Fire::new(1e-3)),
        Box::new(Flow::new(ExplicitRk::dopri5()).tol(1e-6)),
    ];
    lab(
        "Rosenbrock (n = 2), one driver, same stopping rules",
        "lab_rosenbrock.svg",
        &mut Rosenbrock,
        V::from_vec(Rosenbrock::start(2)),
        methods,
        &crit,
        false,
    );

    // Ill-conditioned quadratic, n = 100, eigenvalues 1 .. 1e3.
    let mut q = IllConditionedQuadratic::new(100, 1e3);
    let methods: Vec<Box<dyn Minimizer<f64, V>>> = vec![
        Box::new(Discrete::new(Sgd::new(1.9e-3))),
        Box::new(Discrete::new(Sgd::new(1e-3).momentum(0.9))),
        Box::new(Discrete::new(Adam::new(1e-2))),
        Box::new(Lbfgs::new()),
        Box::new(Fire::new(1e-3)),
        Box::new(Flow::new(ExplicitRk::dopri5()).tol(1e-6)),
    ];
    lab(
        "Quadratic n = 100, condition number 1e3",
        "lab_quadratic.svg",
        &mut q,
        V::from_element(100, 1.0),
        methods,
        &crit,
        false,
    );

    // LJ13 from a perturbed icosahedron: global minimum -44.326801.
    let mut x0 = LennardJones::icosahedron(1.1);
    let mut s = 12345u64;
    for v in x0.iter_mut() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *v += 0.1 * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
    }
    let methods: Vec<Box<dyn Minimizer<f64, V>>> = vec![Box::new(Lbfgs::new()), Box::new(Fire::new(5e-3))];
    let cmp = lab(
        "LJ13 from a perturbed icosahedron (E_best = -44.326801)",
        "lab_lj13.svg",
        &mut LennardJones,
        V::from_vec(x0),
        methods,
        &Criteria::default().gtol(1e-6),
        true,
    );
    for r in &cmp.runs {
        println!(
            "LJ13 {:<12} E = {:.6}  gradient evaluations {}",
            r.method, r.f, r.counts.ng
        );
    }
}
