//! Gradient clipping, `maximize` and the optax variants (RMSprop and Adagrad
//! with eps inside the root, AMSGrad on the bias-corrected maximum) against
//! a few steps written out by hand from each library's documented rule.

use odestride::optim::{
    clip_grad_norm, clip_grad_value, Adagrad, Adam, OptimError, Optimizer, RmsProp, Sgd, Transformed,
};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

#[test]
fn clip_by_norm_is_torchs_rule_with_its_1e6() {
    // above max_norm: scaled by max_norm / (|g| + 1e-6)
    let mut g = [3.0, 4.0];
    assert_eq!(clip_grad_norm(&mut g, 2.0), 5.0);
    let c = 2.0 / (5.0 + 1e-6);
    assert!(close(g[0], 3.0 * c, 1e-15) && close(g[1], 4.0 * c, 1e-15));
    // |g| = max_norm exactly: PyTorch still scales by 1 / (1 + 1e-6)
    let mut g = [0.6, 0.8];
    clip_grad_norm(&mut g, 1.0);
    assert!(close(g[0], 0.6 / (1.0 + 1e-6), 1e-15));
    assert!(g[0] < 0.6);
    // well below: untouched (coefficient clamped to 1)
    let mut g = [0.03, 0.04];
    clip_grad_norm(&mut g, 1.0);
    assert_eq!(g, [0.03, 0.04]);
    // NaN propagates (error_if_nonfinite = False)
    let mut g = [f64::NAN, 1.0];
    clip_grad_norm(&mut g, 1.0);
    assert!(g[1].is_nan());
}

#[test]
fn clip_by_value_clamps_each_component() {
    let mut g = [3.0, -0.2, -7.0, 0.5];
    clip_grad_value(&mut g, 0.5);
    assert_eq!(g, [0.5, -0.2, -0.5, 0.5]);
}

#[test]
fn clipped_sgd_momentum_three_steps() {
    // SGD(lr 0.1, momentum 0.9) after clip_grad_norm_(max_norm = 1):
    // b1 = c1 g1; b2 = 0.9 b1 + c2 g2; x_k = x_{k-1} - 0.1 b_k
    let mut opt = Transformed::new(Sgd::new(0.1).momentum(0.9)).clip_norm(1.0);
    let gs = [[3.0, 4.0], [0.3, -0.4], [-6.0, 8.0]];
    let mut x = [1.0, 2.0];
    for g in &gs {
        opt.step(&mut x, g).unwrap();
    }
    let c = [1.0 / (5.0 + 1e-6), 1.0, 1.0 / (10.0 + 1e-6)];
    let mut b = [0.0; 2];
    let mut r = [1.0, 2.0];
    for (k, g) in gs.iter().enumerate() {
        for i in 0..2 {
            b[i] = if k == 0 {
                c[k] * g[i]
            } else {
                0.9 * b[i] + c[k] * g[i]
            };
            r[i] -= 0.1 * b[i];
        }
    }
    assert!(
        close(x[0], r[0], 1e-15) && close(x[1], r[1], 1e-15),
        "{x:?} vs {r:?}"
    );
    assert_eq!(opt.last_norm(), Some(10.0));
}

#[test]
fn maximize_negates_before_weight_decay() {
    // torch SGD(maximize=True, weight_decay=wd, momentum=m): d = -g + wd x;
    // b = d (first), b = m b + d; x = x - lr b
    let (lr, wd, m) = (0.05, 0.1, 0.5);
    let mut opt = Transformed::new(Sgd::new(lr).weight_decay(wd).momentum(m)).maximize(true);
    let mut x = 2.0_f64;
    let gs = [1.0, -3.0];
    for g in &gs {
        opt.step(&mut x, g).unwrap();
    }
    let mut r = 2.0;
    let d1 = -1.0 + wd * r;
    let b1 = d1;
    r -= lr * b1;
    let d2 = 3.0 + wd * r;
    let b2 = m * b1 + d2;
    r -= lr * b2;
    assert!(close(x, r, 1e-15), "{x} vs {r}");
    // and it ascends a concave function: f = -(x - 1)^2, grad = -2 (x - 1)
    let mut opt = Transformed::new(Adam::new(0.05)).maximize(true);
    let mut x = 3.0_f64;
    for _ in 0..400 {
        let g = -2.0 * (x - 1.0);
        opt.step(&mut x, &g).unwrap();
    }
    assert!((x - 1.0).abs() < 1e-2, "{x}");
}

#[test]
fn optax_rmsprop_three_steps() {
    // optax.rmsprop(lr, decay=0.9, eps=1e-8): nu = 0.1 g^2 + 0.9 nu;
    // x -= lr g / sqrt(nu + eps)
    let lr = 0.01;
    let gs = [2.0, -0.5, 1e-3];
    let mut opt = RmsProp::optax(lr);
    let mut x = 1.0_f64;
    let (mut nu, mut r) = (0.0, 1.0);
    for g in gs {
        opt.step(&mut x, &g).unwrap();
        nu = 0.1 * g * g + 0.9 * nu;
        r -= lr * g / (nu + 1e-8_f64).sqrt();
    }
    assert!(close(x, r, 1e-15), "{x} vs {r}");
    assert_eq!(
        <RmsProp<f64, f64> as Optimizer<f64, f64>>::name(&opt),
        "RMSprop (optax)"
    );
    // PyTorch's rule differs at eps = 1e-2: sqrt(v) + eps vs sqrt(v + eps)
    let mut t = RmsProp::new(1.0).eps(1e-2);
    let mut o = RmsProp::new(1.0).eps(1e-2).alpha(0.99).eps_in_sqrt(true);
    let (mut xt, mut xo) = (0.0_f64, 0.0_f64);
    t.step(&mut xt, &0.1).unwrap();
    o.step(&mut xo, &0.1).unwrap();
    let v: f64 = 0.01 * 0.01;
    assert!(close(xt, -0.1 / (v.sqrt() + 1e-2), 1e-15));
    assert!(close(xo, -0.1 / (v + 1e-2_f64).sqrt(), 1e-15));
    // centered: sqrt(nu - mu^2 + eps)
    let mut c = RmsProp::optax(lr).centered(true);
    let mut x = 0.0_f64;
    let (mut nu, mut mu, mut r) = (0.0, 0.0, 0.0);
    for g in gs {
        c.step(&mut x, &g).unwrap();
        nu = 0.1 * g * g + 0.9 * nu;
        mu = 0.1 * g + 0.9 * mu;
        r -= lr * g / (nu - mu * mu + 1e-8_f64).sqrt();
    }
    assert!(close(x, r, 1e-14), "{x} vs {r}");
}

#[test]
fn optax_adagrad_three_steps_and_the_empty_accumulator() {
    // optax.adagrad(lr, initial_accumulator_value=0.1, eps=1e-7)
    let lr = 0.1;
    let mut opt = Adagrad::optax(lr);
    let mut x = [1.0_f64, -1.0];
    let gs = [[0.5, 2.0], [-1.0, 0.0], [0.25, -3.0]];
    let mut s = [0.1, 0.1];
    let mut r = x;
    for g in &gs {
        opt.step(&mut x, g).unwrap();
        for i in 0..2 {
            s[i] += g[i] * g[i];
            r[i] -= lr * g[i] / (s[i] + 1e-7_f64).sqrt();
        }
    }
    assert!(
        close(x[0], r[0], 1e-15) && close(x[1], r[1], 1e-15),
        "{x:?} vs {r:?}"
    );
    // initial value 0 and a zero gradient: optax's where(s > 0, ..., 0)
    let mut z = Adagrad::optax(lr).initial_accumulator_value(0.0);
    let mut x = [1.0_f64, 1.0];
    z.step(&mut x, &[0.0, 4.0]).unwrap();
    assert_eq!(x[0], 1.0);
    assert!(close(x[1], 1.0 - lr * 4.0 / (16.0 + 1e-7_f64).sqrt(), 1e-15));
}

#[test]
fn optax_amsgrad_keeps_the_corrected_maximum() {
    // g = 1, then 0.5: raw v grows (v2 > v1) while v_hat shrinks
    // (v_hat2 = 0.6248 < v_hat1 = 1), so the two rules part at step 2.
    let (lr, b1, b2, eps) = (0.1, 0.9, 0.999, 1e-8);
    let gs = [1.0, 0.5, 0.2];
    let (mut xt, mut xo) = (0.0_f64, 0.0_f64);
    let mut torch = Adam::amsgrad(lr);
    let mut optax = Adam::amsgrad_optax(lr);
    let (mut m, mut v, mut vmax_raw, mut vmax_hat) = (0.0, 0.0, 0.0_f64, 0.0_f64);
    let (mut rt, mut ro) = (0.0, 0.0);
    for (k, g) in gs.iter().enumerate() {
        torch.step(&mut xt, g).unwrap();
        optax.step(&mut xo, g).unwrap();
        let t = (k + 1) as f64;
        m = b1 * m + (1.0 - b1) * g;
        v = b2 * v + (1.0 - b2) * g * g;
        let (bc1, bc2) = (1.0 - b1.powf(t), 1.0 - b2.powf(t));
        vmax_raw = vmax_raw.max(v);
        vmax_hat = vmax_hat.max(v / bc2);
        rt -= lr * (m / bc1) / (vmax_raw.sqrt() / bc2.sqrt() + eps);
        ro -= lr * (m / bc1) / (vmax_hat.sqrt() + eps);
    }
    assert!(close(xt, rt, 1e-14), "torch {xt} vs {rt}");
    assert!(close(xo, ro, 1e-14), "optax {xo} vs {ro}");
    assert!((xt - xo).abs() > 1e-3, "the rules must differ here: {xt} {xo}");
}

#[test]
fn bad_clipping_parameters_are_errors() {
    let mut x = [1.0_f64];
    for mut opt in [
        Transformed::new(Sgd::new(0.1)).clip_norm(0.0),
        Transformed::new(Sgd::new(0.1)).clip_norm(f64::NAN),
        Transformed::new(Sgd::new(0.1)).clip_value(-1.0),
    ] {
        let e = opt.step(&mut x, &[1.0]).unwrap_err();
        assert!(matches!(e, OptimError::InvalidHyperparameter { .. }), "{e}");
    }
    assert_eq!(x, [1.0]);
}

/// A NaN or infinite gradient is refused by every optimiser's step, which
/// leaves x and the optimiser's state untouched: the next finite step is the
/// one a fresh optimiser takes. It used to write NaN into x (and the
/// moments) and return Ok.
#[test]
fn a_non_finite_gradient_is_an_error_that_leaves_x_and_the_state_alone() {
    type Make = fn() -> Box<dyn Optimizer<f64, [f64; 2]>>;
    let make: Vec<Make> = vec![
        || Box::new(Sgd::new(0.1).momentum(0.9)),
        || Box::new(Adam::new(0.1)),
        || Box::new(Adam::amsgrad(0.1)),
        || Box::new(Adagrad::new(0.1)),
        || Box::new(RmsProp::new(0.1)),
        || Box::new(odestride::optim::AdaBelief::new(0.1)),
        || Box::new(Transformed::new(Adam::new(0.1)).clip_norm(1.0)),
    ];
    for mk in make {
        let (mut opt, mut fresh) = (mk(), mk());
        let name = opt.name().to_string();
        let (mut x, mut y) = ([1.0, 2.0], [1.0, 2.0]);
        opt.step(&mut x, &[0.5, -0.25]).unwrap();
        fresh.step(&mut y, &[0.5, -0.25]).unwrap();
        for bad in [[0.3, f64::NAN], [f64::INFINITY, 0.1]] {
            let e = opt.step(&mut x, &bad).unwrap_err();
            let index = if bad[0].is_finite() { 1 } else { 0 };
            assert!(
                matches!(e, OptimError::NonFiniteGradient { index: i, .. } if i == index),
                "{name}: {e:?}"
            );
            assert!(e.to_string().contains("gradient"), "{name}: {e}");
            assert_eq!(x, y, "{name}");
        }
        assert_eq!(opt.steps(), fresh.steps(), "{name}");
        opt.step(&mut x, &[0.2, 0.1]).unwrap();
        fresh.step(&mut y, &[0.2, 0.1]).unwrap();
        assert_eq!(x, y, "{name}");
        assert!(x.iter().all(|v| v.is_finite()), "{name}");
    }
}
