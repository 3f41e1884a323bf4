//! The switching policy (first minimiser, then another) against closed
//! forms: gradient descent on a quadratic has `x_k = (1 - lr lambda)^k x0`.

use odestride::gradient_flow::objective;
use odestride::minimize::{
    minimize, Criteria, Discrete, Lbfgs, MinimizeError, Status, SwitchWhen, Switching,
};
use odestride::optim::{Adam, Sgd};

fn quad(lambda: f64) -> impl odestride::gradient_flow::Objective<f64, [f64; 1]> {
    objective(
        move |x: &[f64; 1]| 0.5 * lambda * x[0] * x[0],
        move |x: &[f64; 1], g: &mut [f64; 1]| g[0] = lambda * x[0],
    )
}

#[test]
fn after_k_iterations_the_first_part_is_gradient_descent() {
    let (lambda, lr, k, x0) = (2.0, 0.1, 7, 3.0);
    let mut m = Switching::new(Discrete::new(Sgd::new(lr)), Lbfgs::new(), SwitchWhen::After(k));
    let run = minimize(&mut m, quad(lambda), [x0], &Criteria::default().gtol(1e-12)).unwrap();
    assert_eq!(m.switched_at(), Some(k));
    let xk: f64 = (1.0 - lr * lambda).powi(k as i32) * x0;
    let fk = 0.5 * lambda * xk * xk;
    assert!(
        (run.history[k].f - fk).abs() <= 1e-14 * fk,
        "{} vs {}",
        run.history[k].f,
        fk
    );
    assert_eq!(run.status, Status::GradientTolerance);
    // L-BFGS on a 1-d quadratic: the secant step is exact after one trial
    assert!(run.iterations <= k + 2, "{}", run.iterations);
    assert!(run.method.contains("SGD -> L-BFGS"));
}

#[test]
fn plateau_switch_happens_where_the_closed_form_says() {
    // lr 0.5 on f = x^2 / 2: f_k = f0 / 4^k; the rule with window 1 fires at
    // the first k with f_{k-1} - f_k <= rel max(|f_{k-1}|, 1).
    let (rel, x0) = (0.1, 10.0);
    let f = |k: i32| 0.5 * (x0 * 0.5f64.powi(k)).powi(2);
    let expected = (1..)
        .find(|&k| f(k - 1) - f(k) <= rel * f(k - 1).abs().max(1.0))
        .unwrap();
    let mut m = Switching::new(
        Discrete::new(Sgd::new(0.5)),
        Lbfgs::new(),
        SwitchWhen::Plateau { window: 1, rel },
    );
    minimize(&mut m, quad(1.0), [x0], &Criteria::default().gtol(1e-12)).unwrap();
    assert_eq!(m.switched_at(), Some(expected as usize));
    assert!(expected > 3);
}

#[test]
fn adam_then_lbfgs_beats_both_on_a_rippled_valley() {
    // f = sum lambda_i r^2 / 2 + a(r) (1 - cos(10 r)), a(r) = r^2 / (r^2 + 2.25):
    // ripples far from the minimum x = 1 (f = 0), none near it.
    const N: usize = 10;
    let lam = |i: usize| 10f64.powf(2.0 * i as f64 / (N - 1) as f64);
    let mk = || {
        objective(
            move |x: &[f64; N]| {
                (0..N)
                    .map(|i| {
                        let r = x[i] - 1.0;
                        0.5 * lam(i) * r * r + r * r / (r * r + 2.25) * (1.0 - (10.0 * r).cos())
                    })
                    .sum::<f64>()
            },
            move |x: &[f64; N], g: &mut [f64; N]| {
                for i in 0..N {
                    let r = x[i] - 1.0;
                    let q = r * r + 2.25;
                    g[i] = lam(i) * r
                        + 4.5 * r / (q * q) * (1.0 - (10.0 * r).cos())
                        + r * r / q * 10.0 * (10.0 * r).sin();
                }
            },
        )
    };
    let crit = Criteria::default().gtol(1e-8).max_evals(20_000);
    let x0 = [-4.0; N];
    let lbfgs = minimize(&mut Lbfgs::new(), mk(), x0, &crit).unwrap();
    let adam = minimize(&mut Discrete::new(Adam::new(0.3)), mk(), x0, &crit).unwrap();
    let mut sw = Switching::new(
        Discrete::new(Adam::new(0.3)),
        Lbfgs::new(),
        SwitchWhen::Plateau {
            window: 50,
            rel: 1e-2,
        },
    );
    let both = minimize(&mut sw, mk(), x0, &crit).unwrap();
    assert!(
        lbfgs.f > 1.0,
        "L-BFGS alone is caught by a ripple: f = {}",
        lbfgs.f
    );
    assert!(adam.f < 1e-12 && both.f < 1e-12, "{} {}", adam.f, both.f);
    assert!(
        both.counts.ng * 3 < adam.counts.ng * 2,
        "{} vs {}",
        both.counts.ng,
        adam.counts.ng
    );
}

#[test]
fn bad_plateau_parameters_are_errors() {
    for when in [
        SwitchWhen::Plateau { window: 0, rel: 0.1 },
        SwitchWhen::Plateau { window: 5, rel: -1.0 },
    ] {
        let mut m = Switching::new(Discrete::new(Sgd::new(0.1)), Lbfgs::new(), when);
        let e = minimize(&mut m, quad(1.0), [1.0], &Criteria::default()).unwrap_err();
        assert!(matches!(e, MinimizeError::InvalidParameter { .. }), "{e}");
    }
}
