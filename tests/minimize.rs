//! The one driver: L-BFGS, BFGS, FIRE, discrete optimisers and the
//! gradient flow on the MGH test functions, LJ13, and bad input.

use nalgebra::{DVector, SVector};
use odestride::gradient_flow::objective;
use odestride::minimize::test_functions::{Beale, LennardJones, PowellSingular, Rosenbrock};
use odestride::minimize::{
    minimize, Bfgs, Criteria, Discrete, Fire, Flow, Lbfgs, MinimizeError, Minimizer, Status,
};
use odestride::optim::{Adam, Sgd};
use odestride::ExplicitRk;

fn dv(v: Vec<f64>) -> DVector<f64> {
    DVector::from_vec(v)
}

#[test]
fn lbfgs_and_bfgs_reach_the_published_minima() {
    let crit = Criteria::default().gtol(1e-8).max_iter(5000);
    for n in [2usize, 100] {
        for method in [0, 1] {
            if method == 1 && n > 2 {
                continue;
            }
            let mut m: Box<dyn Minimizer<f64, DVector<f64>>> = if method == 0 {
                Box::new(Lbfgs::new())
            } else {
                Box::new(Bfgs::new())
            };
            let r = minimize(&mut m, Rosenbrock, dv(Rosenbrock::start(n)), &crit).unwrap();
            println!(
                "rosenbrock n={n} {}: {:?} it={} nf={} ng={}",
                r.method, r.status, r.iterations, r.counts.nf, r.counts.ng
            );
            assert_eq!(r.status, Status::GradientTolerance, "{}", r.method);
            // minimum (1, ..., 1); |x - 1| <~ |H^-1| |g| with |H^-1| ~ 1e3 at the minimum
            assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-5), "{:?}", r.x);
            assert!(r.f < 1e-14);
        }
    }
    for mut m in [
        Box::new(Lbfgs::new()) as Box<dyn Minimizer<f64, SVector<f64, 2>>>,
        Box::new(Bfgs::new()),
    ] {
        let r = minimize(&mut m, Beale, SVector::<f64, 2>::new(1.0, 1.0), &crit).unwrap();
        println!(
            "beale {}: {:?} it={} nf={}",
            r.method, r.status, r.iterations, r.counts.nf
        );
        assert_eq!(r.status, Status::GradientTolerance);
        assert!(
            (r.x[0] - 3.0).abs() < 1e-7 && (r.x[1] - 0.5).abs() < 1e-7,
            "{:?}",
            r.x
        );
    }
    for mut m in [
        Box::new(Lbfgs::new()) as Box<dyn Minimizer<f64, [f64; 4]>>,
        Box::new(Bfgs::new()),
    ] {
        let r = minimize(&mut m, PowellSingular, [3.0, -1.0, 0.0, 1.0], &crit).unwrap();
        println!(
            "powell {}: {:?} it={} nf={}",
            r.method, r.status, r.iterations, r.counts.nf
        );
        assert_eq!(r.status, Status::GradientTolerance);
        // g ~ x^3 near the singular minimum: |g| <= 1e-8 bounds |x| by ~1e-2
        assert!(r.f < 1e-10 && r.x.iter().all(|v| v.abs() < 2e-2), "{:?}", r.x);
    }
}

#[test]
fn lj13_from_a_perturbed_icosahedron() {
    let mut x0 = LennardJones::icosahedron(1.1);
    // deterministic perturbation of +-0.05 per coordinate
    let mut s = 12345u64;
    for v in x0.iter_mut() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *v += 0.1 * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
    }
    let crit = Criteria::default().gtol(1e-6).max_iter(20000);
    let mut lb = Lbfgs::new();
    let mut fire = Fire::new(0.005);
    let a = minimize(&mut lb, LennardJones, dv(x0.clone()), &crit).unwrap();
    let b = minimize(&mut fire, LennardJones, dv(x0), &crit).unwrap();
    for r in [&a, &b] {
        println!(
            "LJ13 {}: {:?} E={:.8} it={} ng={} t={:.3} ms",
            r.method,
            r.status,
            r.f,
            r.iterations,
            r.counts.ng,
            r.time * 1e3
        );
        assert_eq!(r.status, Status::GradientTolerance);
        assert!((r.f - -44.326801).abs() < 1e-6, "{}", r.f);
    }
}

fn quad() -> impl odestride::gradient_flow::Objective<f64, [f64; 2]> {
    // f = (x0^2 + 10 x1^2) / 2
    objective(
        |x: &[f64; 2]| 0.5 * (x[0] * x[0] + 10.0 * x[1] * x[1]),
        |x: &[f64; 2], g: &mut [f64; 2]| {
            g[0] = x[0];
            g[1] = 10.0 * x[1];
        },
    )
}

#[test]
fn gradient_descent_through_the_driver_is_the_closed_form() {
    // SGD with lr h on f = sum a_i x_i^2 / 2: x_i(k) = (1 - h a_i)^k x_i(0)
    let h = 0.05;
    let r = minimize(
        &mut Discrete::new(Sgd::new(h)),
        quad(),
        [1.0, 1.0],
        &Criteria::default().max_iter(30),
    )
    .unwrap();
    assert_eq!(r.status, Status::MaxIterations);
    assert_eq!(r.iterations, 30);
    assert_eq!(r.history.len(), 31);
    let want = [(1.0 - h).powi(30), (1.0 - 10.0 * h).powi(30)];
    assert!((r.x[0] - want[0]).abs() < 1e-15 && (r.x[1] - want[1]).abs() < 1e-15);
    // one combined evaluation per iteration plus the start
    assert_eq!((r.counts.nf, r.counts.ng, r.counts.calls), (31, 31, 31));
    for (k, rec) in r.history.iter().enumerate() {
        assert_eq!(rec.iter, k);
        let (a, b) = ((1.0 - h).powi(k as i32), (1.0 - 10.0 * h).powi(k as i32));
        let f = 0.5 * (a * a + 10.0 * b * b);
        assert!((rec.f - f).abs() < 1e-15, "k={k}");
        assert!((rec.gnorm - (a * a + 100.0 * b * b).sqrt()).abs() < 1e-14);
        assert_eq!(rec.step, if k == 0 { 0.0 } else { h });
    }
    assert!(r.history.windows(2).all(|w| w[1].time >= w[0].time));
    // fixed-step explicit Euler on the flow: the same iterates, bit for bit
    let mut flow = Flow::new(ExplicitRk::euler()).fixed_step(h);
    let e = minimize(&mut flow, quad(), [1.0, 1.0], &Criteria::default().max_iter(30)).unwrap();
    assert_eq!(e.x, r.x);
    assert_eq!(
        e.history.iter().map(|h| h.f).collect::<Vec<_>>(),
        r.history.iter().map(|h| h.f).collect::<Vec<_>>()
    );
}

#[test]
fn every_stopping_rule() {
    let c = Criteria::default();
    // gradient tolerance already at the start
    let r = minimize(&mut Lbfgs::new(), quad(), [0.0, 0.0], &c).unwrap();
    assert_eq!(
        (r.status.clone(), r.iterations, r.counts.calls),
        (Status::GradientTolerance, 0, 1)
    );
    // target: with lr 0.05, f_k = ((0.95^2k) + 10 (0.5^2k)) / 2 first <= 0.1 at k = 16
    let r = minimize(
        &mut Discrete::new(Sgd::new(0.05)),
        quad(),
        [1.0, 1.0],
        &c.clone().target(0.1),
    )
    .unwrap();
    let k = (0..)
        .find(|&k| 0.5 * (0.95f64.powi(2 * k) + 10.0 * 0.25f64.powi(k)) <= 0.1)
        .unwrap();
    assert_eq!(
        (r.status.clone(), r.iterations),
        (Status::TargetReached, k as usize)
    );
    // relative decrease (scipy's rule): 0 <= f_prev - f <= 0.1 max(|f_prev|, |f|, 1)
    let r = minimize(
        &mut Discrete::new(Sgd::new(0.05)),
        quad(),
        [1.0, 1.0],
        &c.clone().ftol_rel(0.1),
    )
    .unwrap();
    assert_eq!(r.status, Status::RelativeDecrease);
    let h = &r.history;
    let n = h.len();
    let rel = |a: f64, b: f64| (a - b) / a.abs().max(b.abs()).max(1.0);
    assert!(rel(h[n - 2].f, h[n - 1].f) <= 0.1);
    assert!(h.windows(2).take(n - 2).all(|w| rel(w[0].f, w[1].f) > 0.1));
    // evaluation budget
    let r = minimize(
        &mut Discrete::new(Sgd::new(0.001)),
        quad(),
        [1.0, 1.0],
        &c.clone().max_evals(10),
    )
    .unwrap();
    assert_eq!(
        (r.status.clone(), r.counts.calls, r.iterations),
        (Status::MaxEvaluations, 10, 9)
    );
    // time budget 0: stops after the first iteration
    let r = minimize(
        &mut Discrete::new(Sgd::new(0.001)),
        quad(),
        [1.0, 1.0],
        &c.clone().max_time(0.0),
    )
    .unwrap();
    assert_eq!((r.status.clone(), r.iterations), (Status::MaxTime, 1));
    // divergence: lr 0.25 > 2/10 makes the stiff component grow by |1 - 2.5| = 1.5 per step
    let r = minimize(
        &mut Discrete::new(Sgd::new(0.25)),
        quad(),
        [1.0, 1.0],
        &c.clone().diverge(100.0),
    )
    .unwrap();
    assert!(matches!(r.status, Status::Diverged { .. }), "{:?}", r.status);
    // f0 = 5.5; limit 5.5 + 100 * 5.5 = 555.5; f_k ~ 5 * 1.5^(2k) first above at k = 6
    assert_eq!(r.iterations, 6);
    assert!(!r.status.converged());
    // non-finite: diverged with a reason, not a panic
    let r = minimize(&mut Discrete::new(Sgd::new(1e200)), quad(), [1.0, 1.0], &c).unwrap();
    assert!(
        matches!(&r.status, Status::Diverged { reason } if reason.contains("inf") || reason.contains("finite")),
        "{:?}",
        r.status
    );
    // a wrong gradient: the line search finds no decrease -> stalled
    let bad = objective(
        |x: &[f64; 1]| x[0] * x[0],
        |x: &[f64; 1], g: &mut [f64; 1]| g[0] = -2.0 * x[0],
    );
    let r = minimize(&mut Lbfgs::new(), bad, [1.0], &c).unwrap();
    assert!(matches!(r.status, Status::Stalled { .. }), "{:?}", r.status);
    // record_every
    let r = minimize(
        &mut Discrete::new(Sgd::new(0.05)),
        quad(),
        [1.0, 1.0],
        &c.clone().max_iter(25).record_every(10),
    )
    .unwrap();
    assert_eq!(
        r.history.iter().map(|h| h.iter).collect::<Vec<_>>(),
        vec![0, 10, 20, 25]
    );
}

#[test]
fn adaptive_flow_converges_and_counts_its_work() {
    let mut flow = Flow::new(ExplicitRk::dopri5()).tol(1e-8);
    let r = minimize(&mut flow, quad(), [1.0, 1.0], &Criteria::default().gtol(1e-6)).unwrap();
    assert_eq!(r.status, Status::GradientTolerance);
    // the exact flow: x(t) = (e^-t, e^-10t); |g| <= 1e-6 needs e^-t <= 1e-6
    let t = flow.time();
    assert!(t >= 1e-6f64.ln().abs() - 1e-3 && t < 14.5, "t = {t}");
    assert!((r.x[0] - (-t).exp()).abs() < 1e-7, "{} vs {}", r.x[0], (-t).exp());
    // one value per accepted step, gradients from the stepper
    let (acc, _rej) = flow.steps();
    assert_eq!(r.iterations, acc);
    assert_eq!(r.counts.nf, acc + 1);
    assert!(r.counts.ng > 6 * acc);
    let steps: Vec<f64> = r.history.iter().skip(1).map(|h| h.step).collect();
    assert!(steps.iter().all(|h| *h > 0.0));
}

#[test]
fn bad_input_is_a_typed_error() {
    let c = Criteria::default();
    let e = minimize(&mut Lbfgs::new(), quad(), [f64::NAN, 0.0], &c).unwrap_err();
    assert_eq!(e, MinimizeError::NonFiniteStart("x0"));
    let e = minimize(&mut Lbfgs::new(), quad(), [1.0, 1.0], &c.clone().gtol(-1.0)).unwrap_err();
    assert!(matches!(e, MinimizeError::InvalidCriterion { name: "gtol", .. }));
    let e = minimize(&mut Lbfgs::new().memory(0), quad(), [1.0, 1.0], &c).unwrap_err();
    assert!(matches!(
        e,
        MinimizeError::InvalidParameter { name: "memory", .. }
    ));
    let e = minimize(&mut Fire::new(-0.1), quad(), [1.0, 1.0], &c).unwrap_err();
    assert!(matches!(e, MinimizeError::InvalidParameter { name: "dt", .. }));
    let e = minimize(&mut Discrete::new(Adam::new(-1.0)), quad(), [1.0, 1.0], &c).unwrap_err();
    assert!(matches!(e, MinimizeError::Optim(_)));
    let e = minimize(&mut Flow::new(ExplicitRk::euler()), quad(), [1.0, 1.0], &c).unwrap_err();
    assert!(matches!(
        e,
        MinimizeError::InvalidParameter {
            name: "fixed_step",
            ..
        }
    ));
    let e = minimize(&mut Lbfgs::new(), Rosenbrock, DVector::<f64>::zeros(0), &c).unwrap_err();
    assert_eq!(e, MinimizeError::EmptyStart);
    // a gradient of the wrong size
    let wrong = objective(
        |_x: &DVector<f64>| 1.0,
        |_x: &DVector<f64>, g: &mut DVector<f64>| *g = DVector::zeros(3),
    );
    let e = minimize(&mut Lbfgs::new(), wrong, DVector::from_vec(vec![1.0, 2.0]), &c).unwrap_err();
    assert!(matches!(
        e,
        MinimizeError::DimensionMismatch {
            expected: 2,
            got: 3,
            ..
        }
    ));
    let inf = objective(
        |_x: &[f64; 1]| f64::INFINITY,
        |_x: &[f64; 1], g: &mut [f64; 1]| g[0] = 0.0,
    );
    assert_eq!(
        minimize(&mut Lbfgs::new(), inf, [1.0], &c).unwrap_err(),
        MinimizeError::NonFiniteStart("f(x0)")
    );
}

#[test]
fn optimizer_state_round_trips_through_serde() {
    use odestride::optim::Optimizer;
    let grad = |x: &[f64; 2]| [x[0] - 3.0, 10.0 * (x[1] + 1.0)];
    // Adam: 20 steps, save, restore, 20 more == 40 uninterrupted, bit for bit
    let mut a = Adam::<f64, [f64; 2]>::amsgrad(0.1);
    let mut x = [0.0, 0.0];
    for _ in 0..20 {
        let gr = grad(&x);
        a.step(&mut x, &gr).unwrap();
    }
    let saved = serde_json::to_string(&(&a, x)).unwrap();
    let (mut b, mut y): (Adam<f64, [f64; 2]>, [f64; 2]) = serde_json::from_str(&saved).unwrap();
    for _ in 0..20 {
        let gr = grad(&x);
        a.step(&mut x, &gr).unwrap();
        let gr = grad(&y);
        b.step(&mut y, &gr).unwrap();
    }
    assert_eq!(x, y);
    assert_eq!(b.steps(), 40);
    // L-BFGS mid-run: the memory survives a round trip exactly
    let mut lb = Lbfgs::<f64, DVector<f64>>::new();
    let mut obj = Rosenbrock;
    let mut x = dv(Rosenbrock::start(4));
    let mut g = x.clone();
    let mut f = odestride::gradient_flow::Objective::value_and_gradient(&mut obj, &x, &mut g);
    lb.start(&x, f, &g).unwrap();
    for _ in 0..5 {
        lb.iterate(&mut obj, &mut x, &mut f, &mut g).unwrap();
    }
    let json = serde_json::to_string(&lb).unwrap();
    let mut lb2: Lbfgs<f64, DVector<f64>> = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&lb2).unwrap(), json);
    let (mut x2, mut f2, mut g2) = (x.clone(), f, g.clone());
    for _ in 0..10 {
        lb.iterate(&mut obj, &mut x, &mut f, &mut g).unwrap();
        lb2.iterate(&mut obj, &mut x2, &mut f2, &mut g2).unwrap();
    }
    assert_eq!(x, x2);
    assert_eq!(lb2.stored_pairs(), 10);
    // a whole run (criteria, history, status) serialises
    let run = minimize(&mut Lbfgs::new(), quad(), [1.0, 1.0], &Criteria::default()).unwrap();
    let back: odestride::minimize::Minimum<f64, [f64; 2]> =
        serde_json::from_str(&serde_json::to_string(&run).unwrap()).unwrap();
    assert_eq!(back, run);
}

/// The gradient flow into a region where the gradient is NaN: the stall
/// reason says so (it used to say only "3 rejected steps in a row"), and the
/// point stays finite, at the edge of that region.
#[test]
fn the_flow_names_a_non_finite_gradient_when_it_stalls() {
    // f = x0^2 + 10 x1^2 with a gradient that is NaN for |x0| < 0.5
    let f = || {
        objective(
            |x: &[f64; 2]| x[0] * x[0] + 10.0 * x[1] * x[1],
            |x: &[f64; 2], g: &mut [f64; 2]| {
                *g = if x[0].abs() < 0.5 {
                    [f64::NAN; 2]
                } else {
                    [2.0 * x[0], 20.0 * x[1]]
                }
            },
        )
    };
    let mut m = Flow::new(ExplicitRk::dopri5());
    let run = minimize(&mut m, f(), [3.0, 1.0], &Criteria::default()).unwrap();
    match &run.status {
        Status::Stalled { reason } => {
            assert!(
                reason.contains("NaN or infinite") && reason.contains("gradient"),
                "{reason}"
            )
        }
        s => panic!("{s:?}"),
    }
    assert!(run.x.iter().all(|v| v.is_finite()));
    assert!((run.x[0] - 0.5).abs() < 1e-6, "{:?}", run.x);
    // a stall of the error test alone does not mention NaN: the reason is the
    // rejection count (max_rejects = 0 stalls at the first rejected step)
    let mut m = Flow::new(ExplicitRk::dopri5()).tol(1e-12).h0(1.0).max_rejects(0);
    let run = minimize(&mut m, f(), [3.0, 1.0], &Criteria::default()).unwrap();
    match &run.status {
        Status::Stalled { reason } => assert!(!reason.contains("NaN"), "{reason}"),
        s => panic!("{s:?}"),
    }
}

/// L-BFGS and BFGS on an objective that is NaN, or -inf (unbounded below),
/// beyond x = 2: the stall names the non-finite value instead of "the line
/// search found no decrease", and keeps the last finite point.
#[test]
fn quasi_newton_stalls_name_a_non_finite_objective() {
    type F = fn(&[f64; 1]) -> f64;
    type G = fn(&[f64; 1], &mut [f64; 1]);
    let cases: [(F, G, &str, &str); 2] = [
        // (x - 5)^2, NaN beyond 2: the minimiser walks to the edge of the domain
        (
            |x| {
                if x[0] > 2.0 {
                    f64::NAN
                } else {
                    (x[0] - 5.0).powi(2)
                }
            },
            |x, g| g[0] = if x[0] > 2.0 { f64::NAN } else { 2.0 * (x[0] - 5.0) },
            "f = NaN",
            "not defined",
        ),
        // -x, -inf beyond 2
        (
            |x| if x[0] > 2.0 { f64::NEG_INFINITY } else { -x[0] },
            |_x, g| g[0] = -1.0,
            "f = -inf",
            "unbounded below",
        ),
    ];
    for (fv, gv, value, cause) in cases {
        let methods: Vec<Box<dyn Minimizer<f64, [f64; 1]>>> =
            vec![Box::new(Lbfgs::new()), Box::new(Bfgs::new())];
        for mut m in methods {
            let r = minimize(
                &mut m,
                objective(fv, gv),
                [0.0],
                &Criteria::default().max_iter(200),
            )
            .unwrap();
            let name = m.name();
            match &r.status {
                Status::Stalled { reason } => {
                    println!("{name}: {reason}");
                    assert!(
                        reason.contains(value) && reason.contains(cause),
                        "{name}: {reason}"
                    );
                    assert!(!reason.contains("no decrease"), "{name}: {reason}");
                }
                other => panic!("{name}: {other:?}"),
            }
            assert!(
                r.f.is_finite() && r.x[0] <= 2.0,
                "{name}: x = {}, f = {}",
                r.x[0],
                r.f
            );
            assert_eq!(r.f, fv(&r.x), "{name}");
        }
    }
}
