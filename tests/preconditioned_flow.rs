//! The preconditioned flow x' = -P^{-1} grad f: with P = the Hessian of a
//! quadratic the flow is linear with rate 1 in every direction,
//! x(t) = e^(-t) x0, and the stiffness of the plain flow (kappa = 1e4) is gone.

use nalgebra::SVector;
use odestride::gradient_flow::{objective, DenseMetric, DiagonalMetric};
use odestride::minimize::{minimize, Criteria, Flow, Status};
use odestride::ExplicitRk;

const N: usize = 8;
type V = SVector<f64, N>;

fn lam(i: usize) -> f64 {
    10f64.powf(4.0 * i as f64 / (N - 1) as f64) // 1 .. 1e4
}

#[test]
fn hessian_metric_removes_the_stiffness_of_a_kappa_1e4_quadratic() {
    let mk = || {
        objective(
            |x: &V| (0..N).map(|i| 0.5 * lam(i) * x[i] * x[i]).sum::<f64>(),
            |x: &V, g: &mut V| (0..N).for_each(|i| g[i] = lam(i) * x[i]),
        )
    };
    let x0 = V::from_element(1.0);
    let f0: f64 = (0..N).map(|i| 0.5 * lam(i)).sum();
    let crit = Criteria::default().target(1e-6).max_iter(200_000);
    let mut plain = Flow::new(ExplicitRk::dopri5()).tol(1e-8);
    let rp = minimize(&mut plain, mk(), x0, &crit).unwrap();
    let mut pre = Flow::new(ExplicitRk::dopri5())
        .tol(1e-8)
        .metric(DiagonalMetric::new(|_x: &V, d: &mut V| {
            (0..N).for_each(|i| d[i] = lam(i))
        }));
    let rq = minimize(&mut pre, mk(), x0, &crit).unwrap();
    assert_eq!(rp.status, Status::TargetReached);
    assert_eq!(rq.status, Status::TargetReached);
    let (sp, sq) = (plain.steps().0, pre.steps().0);
    println!("accepted steps: plain {sp}, preconditioned {sq}");
    // plain: h <~ 3.3 / lambda_max for t ~ ln(1 / (2e-6)) / 2 ~ 6.6 of flow time
    let t_plain = (0.5f64 / 1e-6).ln() / 2.0;
    assert!(sp as f64 > 0.5 * t_plain * 1e4 / 3.31, "{sp}");
    assert!(sq * 100 < sp, "{sq} vs {sp}");
    // preconditioned: f(t) = e^(-2t) f0, x(t) = e^(-t) x0 in every direction
    let t = pre.time();
    assert!(
        (t - (f0 / rq.f).ln() / 2.0).abs() < 1e-3,
        "{t} vs {}",
        (f0 / rq.f).ln() / 2.0
    );
    for i in 0..N {
        assert!(
            (rq.x[i] - (-t).exp()).abs() < 1e-8,
            "{} vs {}",
            rq.x[i],
            (-t).exp()
        );
    }
}

#[test]
fn dense_hessian_metric_on_a_rotated_quadratic() {
    // H = R diag(1e4, 1) R^T, rotation by 0.3 rad
    let (c, s) = (0.3f64.cos(), 0.3f64.sin());
    let h = [
        1e4 * c * c + s * s,
        (1e4 - 1.0) * c * s,
        (1e4 - 1.0) * c * s,
        1e4 * s * s + c * c,
    ];
    let f = objective(
        move |x: &[f64; 2]| 0.5 * (h[0] * x[0] * x[0] + 2.0 * h[1] * x[0] * x[1] + h[3] * x[1] * x[1]),
        move |x: &[f64; 2], g: &mut [f64; 2]| {
            g[0] = h[0] * x[0] + h[1] * x[1];
            g[1] = h[2] * x[0] + h[3] * x[1];
        },
    );
    let mut pre = Flow::new(ExplicitRk::dopri5()).tol(1e-9).metric(DenseMetric::new(
        move |_x: &[f64; 2], a: &mut [f64]| a.copy_from_slice(&h),
    ));
    let x0 = [1.0, -2.0];
    let run = minimize(&mut pre, f, x0, &Criteria::default().gtol(1e-6)).unwrap();
    assert_eq!(run.status, Status::GradientTolerance);
    let e = (-pre.time()).exp();
    assert!((run.x[0] - e * x0[0]).abs() < 1e-8 && (run.x[1] - e * x0[1]).abs() < 1e-8);
    assert!(pre.steps().0 < 200, "{:?}", pre.steps());
}

#[test]
fn a_metric_that_is_not_positive_definite_stalls_without_panicking() {
    let f = objective(
        |x: &[f64; 1]| 0.5 * x[0] * x[0],
        |x: &[f64; 1], g: &mut [f64; 1]| g[0] = x[0],
    );
    let mut pre = Flow::new(ExplicitRk::dopri5())
        .metric(DiagonalMetric::new(|_x: &[f64; 1], d: &mut [f64; 1]| d[0] = -1.0));
    let run = minimize(&mut pre, f, [1.0], &Criteria::default()).unwrap();
    assert!(
        matches!(run.status, Status::Stalled { .. } | Status::Diverged { .. }),
        "{:?}",
        run.status
    );
}
