//! The gradient-flow bridge: Euler on the flow is gradient descent bit for
//! bit; lambda_max of known Hessians; the 2/lambda_max stability limit of
//! gradient descent; the adaptive flow on the canyon quadratic against its
//! exact solution.

use nalgebra::{DMatrix, DVector, SVector};
use odestride::gradient_flow::{
    gd_stability_limit, lambda_max, objective, stability_limits_along, EigenMethod, EigenOptions,
    GradientFlow, Objective, StabilityError,
};
use odestride::optim::{Optimizer, Sgd};
use odestride::{ExplicitRk, Integrator, Options, SaveMode, SolveError};

type V2 = SVector<f64, 2>;

fn rosen_grad(x: &V2, g: &mut V2) {
    g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
    g[1] = 200.0 * (x[1] - x[0] * x[0]);
}
fn rosen(x: &V2) -> f64 {
    (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2)
}

#[test]
fn euler_on_the_flow_is_gradient_descent_bit_for_bit() {
    let lr = 1e-3;
    let n = 1000;
    let x0 = V2::new(-1.2, 1.0);
    let mut flow = GradientFlow::new(objective(rosen, rosen_grad));
    let sol = Integrator::new(ExplicitRk::euler())
        .options(Options::default().fixed_step(lr))
        .solve(&mut flow, 0.0, n as f64 * lr, x0)
        .unwrap();
    assert_eq!(sol.y.len(), n + 1, "one saved state per GD step");
    // The hand-written loop.
    let mut x = x0;
    let mut g = V2::zeros();
    for k in 0..n {
        rosen_grad(&x, &mut g);
        x -= lr * g;
        assert_eq!(sol.y[k + 1], x, "step {} differs", k + 1);
    }
    // And the Sgd optimiser, which is the same loop.
    let mut opt = Sgd::new(lr);
    let mut xo = x0;
    for _ in 0..n {
        rosen_grad(&xo, &mut g);
        opt.step(&mut xo, &g).unwrap();
    }
    assert_eq!(xo, x);
    // 1000 steps + the derivative at the final point.
    assert_eq!(flow.gradient_evals(), n + 1);
    assert!(rosen(&x) < rosen(&x0));
}

/// `A = Q diag(lambda) Q^T` with Q a Householder reflection of a fixed vector.
fn quadratic(lams: &[f64]) -> DMatrix<f64> {
    let n = lams.len();
    let w = DVector::from_iterator(n, (0..n).map(|i| 1.0 + 0.37 * i as f64 - 0.05 * (i * i) as f64));
    let q = DMatrix::identity(n, n) - 2.0 * &w * w.transpose() / w.norm_squared();
    &q * DMatrix::from_diagonal(&DVector::from_vec(lams.to_vec())) * q.transpose()
}

fn quad_objective(a: DMatrix<f64>) -> impl Objective<f64, DVector<f64>> {
    let a2 = a.clone();
    objective(
        move |x: &DVector<f64>| 0.5 * x.dot(&(&a * x)),
        move |x: &DVector<f64>, g: &mut DVector<f64>| g.gemv(1.0, &a2, x, 0.0),
    )
}

#[test]
fn lambda_max_of_known_spectra_within_1e_6() {
    let x = DVector::from_vec(vec![0.3, -1.0, 2.0, 0.5, 1.5, -0.7]);
    for lams in [
        vec![100.0, 30.0, 10.0, 3.0, 1.0, 0.3],
        vec![10.0, 9.5, 4.0, 2.0, 1.0, 0.5],
        // A dominant negative eigenvalue: lambda_max is the largest, 7.
        vec![-50.0, 7.0, 3.0, 1.0, -2.0, 0.1],
    ] {
        let top = lams.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        for method in [EigenMethod::Lanczos, EigenMethod::Power] {
            let mut f = quad_objective(quadratic(&lams));
            let opts = EigenOptions {
                method,
                rtol: 1e-10,
                max_iter: 5000,
                ..EigenOptions::default()
            };
            let est = lambda_max(&mut f, &x, &opts).unwrap();
            let rel = (est.lambda - top).abs() / top;
            println!(
                "{method:?} {lams:?}: {} ({} hvps), rel err {rel:.2e}",
                est.lambda, est.hvps
            );
            assert!(rel < 1e-6, "{method:?}: {} vs {top}", est.lambda);
            assert!((est.gd_limit() - 2.0 / top).abs() < 1e-6 * 2.0 / top);
        }
    }
}

#[test]
fn lambda_max_reports_non_convergence_and_bad_input() {
    let lams = vec![10.0, 9.99, 1.0, 0.5];
    let mut f = quad_objective(quadratic(&lams));
    let x = DVector::from_vec(vec![1.0, 1.0, 1.0, 1.0]);
    let opts = EigenOptions {
        method: EigenMethod::Power,
        max_iter: 10,
        ..EigenOptions::default()
    };
    match lambda_max(&mut f, &x, &opts) {
        Err(StabilityError::NotConverged { estimate, hvps, .. }) => {
            assert_eq!(hvps, 10);
            assert!(
                estimate > 5.0 && estimate <= 10.0 + 1e-9,
                "best estimate {estimate}"
            );
        }
        other => panic!("expected NotConverged, got {other:?}"),
    }
    let bad = EigenOptions {
        start: Some(vec![1.0, 2.0]),
        ..EigenOptions::default()
    };
    assert!(matches!(
        lambda_max(&mut f, &x, &bad),
        Err(StabilityError::InvalidInput(_))
    ));
    let nan = DVector::from_vec(vec![1.0, f64::NAN, 1.0, 1.0]);
    assert!(matches!(
        lambda_max(&mut f, &nan, &EigenOptions::default()),
        Err(StabilityError::InvalidInput(_))
    ));
}

#[test]
fn gd_converges_below_and_diverges_above_two_over_lambda_max() {
    let lams = [10.0, 7.0, 4.0, 2.0, 1.0];
    let a = quadratic(&lams);
    let mut f = quad_objective(a.clone());
    let x0 = DVector::from_vec(vec![1.0, -0.5, 0.25, 2.0, 1.0]);
    let (limit, est) = gd_stability_limit(&mut f, &x0, &EigenOptions::default()).unwrap();
    assert!((limit - 0.2).abs() < 1e-7, "limit {limit}, lambda {}", est.lambda);
    let run = |lr: f64| {
        let mut f = quad_objective(a.clone());
        let mut opt = Sgd::new(lr);
        let mut x = x0.clone();
        let mut g = x0.clone();
        let mut norms = Vec::new();
        for _ in 0..2000 {
            f.gradient(&x, &mut g);
            opt.step(&mut x, &g).unwrap();
            norms.push(x.norm());
        }
        norms
    };
    let below = run(0.99 * limit);
    let above = run(1.01 * limit);
    println!(
        "lr = 0.99*2/lmax: |x_2000| = {:.3e}; lr = 1.01*2/lmax: |x_2000| = {:.3e}",
        below[1999], above[1999]
    );
    // Contraction |1 - 0.99*2| = 0.98 per step on the top mode.
    assert!(below[1999] < 1e-15 * x0.norm());
    // Growth |1 - 1.01*2| = 1.02 per step: ~1.02^2000 = 1.6e17.
    assert!(above[1999] > 1e15 * x0.norm());
    let growth = (above[1999] / above[999]).powf(1.0 / 1000.0);
    assert!((growth - 1.02).abs() < 1e-3, "growth per step {growth}");
    // The fixed-step driver on the flow reports the blow-up as an error.
    let mut flow = GradientFlow::new(quad_objective(a.clone()));
    let err = Integrator::new(ExplicitRk::euler())
        .options(
            Options::default()
                .fixed_step(1.01 * limit)
                .save(SaveMode::FinalOnly),
        )
        .solve(&mut flow, 0.0, 1e6 * limit, x0.clone())
        .unwrap_err();
    assert!(matches!(err.error, SolveError::NonFiniteSolution { .. }), "{err}");
}

#[test]
fn stability_limit_along_a_rosenbrock_trajectory_matches_the_analytic_hessian() {
    let mut f = objective(rosen, rosen_grad);
    let mut opt = Sgd::new(1e-3);
    let mut x = V2::new(-1.2, 1.0);
    let mut g = V2::zeros();
    let mut pts = vec![x];
    for _ in 0..300 {
        rosen_grad(&x, &mut g);
        opt.step(&mut x, &g).unwrap();
        pts.push(x);
    }
    let limits = stability_limits_along(&mut f, pts.iter().step_by(30), &EigenOptions::default());
    let mut worst = 0.0_f64;
    for (p, l) in pts.iter().step_by(30).zip(limits) {
        // Hessian [[1200 x^2 - 400 y + 2, -400 x], [-400 x, 200]].
        let (h11, h12, h22) = (1200.0 * p[0] * p[0] - 400.0 * p[1] + 2.0, -400.0 * p[0], 200.0);
        let lmax = 0.5 * (h11 + h22) + (0.25 * (h11 - h22).powi(2) + h12 * h12).sqrt();
        let l = l.unwrap();
        worst = worst.max((l - 2.0 / lmax).abs() / (2.0 / lmax));
    }
    println!("worst relative error of 2/lambda_max along the trajectory (finite-difference Hv): {worst:.2e}");
    assert!(worst < 1e-6);
}

#[test]
fn adaptive_dp5_flow_on_the_canyon_quadratic_matches_the_exact_solution() {
    type V3 = SVector<f64, 3>;
    let a = [1000.0, 1.0, 0.001];
    let canyon = || {
        objective(
            move |x: &V3| 0.5 * (a[0] * x[0] * x[0] + a[1] * x[1] * x[1] + a[2] * x[2] * x[2]),
            move |x: &V3, g: &mut V3| {
                for i in 0..3 {
                    g[i] = a[i] * x[i];
                }
            },
        )
    };
    let x0 = V3::new(1.0, 1.0, 1.0);
    let t_end = 20.0;
    let mut errs = Vec::new();
    for tol in [1e-6, 1e-9] {
        let mut flow = GradientFlow::new(canyon());
        let sol = Integrator::new(ExplicitRk::dopri5())
            .tol(tol)
            .solve(&mut flow, 0.0, t_end, x0)
            .unwrap();
        let mut worst = 0.0_f64;
        for (t, y) in sol.t.iter().zip(&sol.y) {
            for i in 0..3 {
                worst = worst.max((y[i] - (-a[i] * t).exp()).abs());
            }
        }
        // Accepted steps in the stiff phase (after the fast mode has decayed).
        let n = sol.t.len();
        let hs: Vec<f64> = (1..n)
            .filter(|&k| sol.t[k] > 1.0)
            .map(|k| sol.t[k] - sol.t[k - 1])
            .collect();
        let mean_h = hs.iter().sum::<f64>() / hs.len() as f64;
        println!(
            "tol {tol:e}: max |x - exact| = {worst:.2e}, {} steps, {} gradient evals, mean h (t > 1) = {mean_h:.4e} = {:.3} / lambda_max",
            sol.stats.naccept,
            flow.gradient_evals(),
            mean_h * a[0]
        );
        assert!(worst <= 10.0 * tol, "error {worst:e} at tol {tol:e}");
        // The step settles near DP5's stability boundary 3.3066 / lambda_max.
        assert!(
            mean_h * a[0] > 2.0 && mean_h * a[0] < 3.4,
            "mean h * lambda = {}",
            mean_h * a[0]
        );
        errs.push(worst);
    }
    assert!(
        errs[1] < errs[0] / 100.0,
        "error did not follow the tolerance: {errs:?}"
    );
}

#[test]
fn lanczos_converges_before_exhausting_a_large_space() {
    // diag(1, 2, ..., 400) + a top eigenvalue 1000: converges long before 401 products.
    let n = 401;
    let d: Vec<f64> = (0..n)
        .map(|i| if i == 17 { 1000.0 } else { 1.0 + i as f64 })
        .collect();
    let d2 = d.clone();
    let mut f = objective(
        move |x: &DVector<f64>| 0.5 * x.iter().zip(&d).map(|(x, d)| d * x * x).sum::<f64>(),
        move |x: &DVector<f64>, g: &mut DVector<f64>| {
            for i in 0..x.len() {
                g[i] = d2[i] * x[i];
            }
        },
    );
    let x = DVector::from_element(n, 1.0);
    let est = lambda_max(&mut f, &x, &EigenOptions::default()).unwrap();
    println!(
        "n = {n}: lambda = {} after {} products, residual {:.2e}",
        est.lambda, est.hvps, est.residual
    );
    assert!((est.lambda - 1000.0).abs() < 1e-6 * 1000.0);
    assert!(est.hvps < 60, "{} products", est.hvps);
    assert!(est.residual <= 1e-10 * est.lambda);
}
