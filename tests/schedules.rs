//! The learning-rate schedules against the closed forms of
//! `torch.optim.lr_scheduler` (recomputed here independently, in the form
//! PyTorch's documentation states them), and the loss-aware plateau rule
//! against a hand-traced loss sequence.

use odestride::gradient_flow::objective;
use odestride::minimize::{minimize, Criteria, Discrete, Status};
use odestride::optim::schedule::{
    Anneal, CosineAnnealing, CosineWarmRestarts, Exponential, LinearWarmup, LrSchedule, MultiStep, OneCycle,
    ReduceOnPlateau, Sequence, StepDecay,
};
use odestride::optim::{OptimError, Optimizer, Scheduled, Sgd};
use std::f64::consts::PI;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-15 * b.abs().max(1e-300) + 1e-300
}

#[test]
fn linear_warmup_is_linearlr() {
    let s = LinearWarmup::new(0.1, 1.0 / 3.0, 5);
    for k in 0..12 {
        let want = 0.1 * (1.0 / 3.0 + (1.0 - 1.0 / 3.0) * (k.min(5) as f64) / 5.0);
        assert!(close(s.lr(k), want), "k={k}: {} vs {want}", s.lr(k));
    }
    assert_eq!(s.lr(5), 0.1);
}

#[test]
fn multistep_is_multisteplr() {
    let s = MultiStep::new(0.1, vec![7, 3], 0.5);
    let want = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025];
    for (k, w) in want.iter().enumerate() {
        assert!(close(s.lr(k), *w), "k={k}");
    }
}

#[test]
fn sgdr_is_cosine_annealing_warm_restarts() {
    // PyTorch, epoch >= T_0 and T_mult > 1:
    //   n = floor(log(epoch / T_0 * (T_mult - 1) + 1, T_mult))
    //   T_cur = epoch - T_0 (T_mult^n - 1) / (T_mult - 1);  T_i = T_0 T_mult^n
    let (t0, eta_min, lr0) = (3usize, 0.01, 0.1);
    for t_mult in [1usize, 2, 3] {
        let s = CosineWarmRestarts::new(lr0, t0, t_mult, eta_min);
        for k in 0..200usize {
            let (tcur, ti) = if t_mult == 1 {
                ((k % t0) as f64, t0 as f64)
            } else if k < t0 {
                (k as f64, t0 as f64)
            } else {
                let m = t_mult as f64;
                let n = ((k as f64 / t0 as f64 * (m - 1.0) + 1.0).ln() / m.ln() + 1e-12).floor();
                (
                    k as f64 - t0 as f64 * (m.powf(n) - 1.0) / (m - 1.0),
                    t0 as f64 * m.powf(n),
                )
            };
            let want = eta_min + (lr0 - eta_min) * (1.0 + (PI * tcur / ti).cos()) / 2.0;
            assert!(
                (s.lr(k) - want).abs() < 1e-15,
                "t_mult={t_mult} k={k}: {} vs {want}",
                s.lr(k)
            );
        }
    }
    // restarts of the T_mult = 2 schedule at 3, 9, 21, 45: back to lr0
    let s = CosineWarmRestarts::new(lr0, t0, 2, eta_min);
    for k in [0, 3, 9, 21, 45] {
        assert_eq!(s.lr(k), lr0);
    }
}

#[test]
fn one_cycle_is_onecyclelr() {
    let s = OneCycle::new(1.0, 100);
    let initial = 1.0 / 25.0;
    let min_lr = initial / 1e4;
    // phase ends: 0.3 * 100 - 1 = 29 and 99
    assert!(close(s.lr(0), initial));
    assert!(close(s.lr(29), 1.0));
    assert!(close(s.lr(99), min_lr));
    for k in 0..100usize {
        let (a, b, s0, s1) = if k <= 29 {
            (initial, 1.0, 0.0, 29.0)
        } else {
            (1.0, min_lr, 29.0, 99.0)
        };
        let p = (k as f64 - s0) / (s1 - s0);
        let want = b + (a - b) / 2.0 * ((PI * p).cos() + 1.0);
        assert!((s.lr(k) - want).abs() < 1e-15, "k={k}");
    }
    let mut lin = OneCycle::new(1.0, 100);
    lin.anneal = Anneal::Linear;
    // halfway up: (1 - 0.04) * 14.5/29 + 0.04
    assert!((lin.lr(14) - ((1.0 - initial) * 14.0 / 29.0 + initial)).abs() < 1e-15);
}

#[test]
fn sequence_restarts_the_second_schedule() {
    let s = Sequence::new(
        LinearWarmup::new(0.1, 0.1, 5),
        5,
        CosineAnnealing::new(0.1, 10, 0.0),
    );
    assert!(close(s.lr(0), 0.01));
    assert!(close(s.lr(4), 0.1 * (0.1 + 0.9 * 4.0 / 5.0)));
    assert_eq!(s.lr(5), 0.1);
    assert!(close(s.lr(10), 0.05));
    assert!(s.lr(15).abs() < 1e-17);
}

#[test]
fn reduce_on_plateau_traced_by_hand() {
    // patience 2, factor 0.5, threshold 1e-4 (rel): a loss counts as better
    // only if below best * (1 - 1e-4).
    let mut s = ReduceOnPlateau::new(1.0).with(0.5, 2);
    let losses = [5.0, 4.0, 4.0, 3.99999, 4.0, 3.0, 3.0, 3.0, 3.0, 2.0];
    // after each loss: best, bad count -> lr
    //  5: best 5 | 4: best 4 | 4: bad 1 | 3.99999: not 1e-4 better, bad 2
    //  4: bad 3 > 2 -> lr 0.5, bad 0 | 3: best 3 | 3: bad 1 | 3: bad 2
    //  3: bad 3 -> lr 0.25 | 2: best 2
    let want = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25];
    for (k, (l, w)) in losses.iter().zip(want).enumerate() {
        s.observe(k, *l);
        assert_eq!(s.lr(k + 1), w, "after loss #{k}");
    }
    assert_eq!(s.best(), 2.0);
    // min_lr floors the rate; eps skips negligible changes
    let mut s = ReduceOnPlateau::new(1e-8).with(0.1, 0);
    s.observe(0, 1.0);
    s.observe(1, 1.0);
    assert_eq!(s.lr(2), 1e-8, "a change below eps = 1e-8 is not made");
}

#[test]
fn plateau_schedule_sees_the_loss_through_the_driver() {
    // f = x^2 with SGD lr 1.0: x -> -x, the loss never improves, so the
    // plateau rule (patience 3, factor 0.5) halves the rate after
    // a plateau: lr 0.5 gives x -> 0 in one step.
    let f = objective(
        |x: &[f64; 1]| x[0] * x[0],
        |x: &[f64; 1], g: &mut [f64; 1]| g[0] = 2.0 * x[0],
    );
    let mut m = Discrete::new(Scheduled::new(
        Sgd::new(1.0),
        ReduceOnPlateau::new(1.0).with(0.5, 3),
    ));
    let r = minimize(&mut m, f, [1.0], &Criteria::default().gtol(1e-12).max_iter(50)).unwrap();
    let steps: Vec<f64> = r.history.iter().skip(1).map(|h| h.step).collect();
    // the loss after each iteration is observed (not f0): iteration 1
    // gives best = 1, iterations 2..5 bad counts 1..4 > 3 -> reduce, so
    // iteration 6 runs at 0.5 and lands on 0
    assert_eq!(steps, vec![1.0, 1.0, 1.0, 1.0, 1.0, 0.5]);
    assert_eq!(r.x[0], 0.0);
    assert_eq!(r.iterations, 6);
    // the optimiser's lr follows the schedule
    assert_eq!(m.optimizer().lr(), 0.5);
}

/// The schedule's error for `s` driving SGD: the first step must refuse it
/// (leaving `x` untouched) with an error naming the schedule and parameter.
fn refused<L: LrSchedule<f64>>(s: L) -> String {
    let mut opt = Scheduled::new(Sgd::new(0.0), s);
    let mut x = [1.0_f64];
    let e = opt.step(&mut x, &[1.0]).unwrap_err();
    assert!(matches!(e, OptimError::InvalidHyperparameter { .. }), "{e:?}");
    assert_eq!(x, [1.0], "a refused step leaves x as it was");
    e.to_string()
}

#[test]
fn schedule_parameters_are_validated_naming_the_schedule() {
    let e = refused(StepDecay::new(0.01, 0, 0.5));
    assert!(e.starts_with("StepDecay: step_size = 0 is invalid"), "{e}");
    let e = refused(StepDecay::new(0.01, 10, -1.0));
    assert!(e.starts_with("StepDecay: gamma = -1 is invalid"), "{e}");
    let e = refused(OneCycle::new(0.01, 0));
    assert!(e.starts_with("OneCycle: total = 0 is invalid"), "{e}");
    let e = refused(ReduceOnPlateau::new(0.01).with(2.0, 3));
    assert!(e.starts_with("ReduceOnPlateau: factor = 2 is invalid"), "{e}");
    let e = refused(ReduceOnPlateau::new(0.01).with(f64::NAN, 3));
    assert!(e.starts_with("ReduceOnPlateau: factor = NaN is invalid"), "{e}");
    let e = refused(CosineAnnealing::new(0.1, 0, 0.0));
    assert!(e.starts_with("CosineAnnealing: t_max = 0 is invalid"), "{e}");
    let e = refused(CosineWarmRestarts::new(0.1, 5, 0, 0.0));
    assert!(e.starts_with("CosineWarmRestarts: t_mult = 0 is invalid"), "{e}");
    let e = refused(Exponential::new(-0.1, 0.9));
    assert!(e.starts_with("Exponential: lr0 = -0.1 is invalid"), "{e}");
    // a Sequence reports the part at fault, even before its milestone
    let e = refused(Sequence::new(
        LinearWarmup::new(0.1, 0.1, 5),
        5,
        MultiStep::new(0.1, vec![3], f64::INFINITY),
    ));
    assert!(e.starts_with("MultiStep: gamma = inf is invalid"), "{e}");
    // valid schedules and closures still step
    let mut opt = Scheduled::new(Sgd::new(0.0), |k: usize| 0.1 / (k + 1) as f64);
    let mut x = [1.0_f64];
    opt.step(&mut x, &[1.0]).unwrap();
    assert_eq!(x, [0.9]);
}

#[test]
fn an_optimiser_error_mid_run_returns_the_progress_made() {
    // f = x^2 / 2 with a schedule turning negative at step 5: the five
    // steps done (x = 0.9^5) are returned with a status naming the cause.
    let f = objective(
        |x: &[f64; 1]| 0.5 * x[0] * x[0],
        |x: &[f64; 1], g: &mut [f64; 1]| g[0] = x[0],
    );
    let sched = |k: usize| if k < 5 { 0.1 } else { -0.01 };
    let mut m = Discrete::new(Scheduled::new(Sgd::new(0.0), sched));
    let r = minimize(&mut m, f, [1.0], &Criteria::default().max_iter(50)).unwrap();
    assert_eq!(r.iterations, 5);
    assert!((r.x[0] - 0.9f64.powi(5)).abs() < 1e-15, "{}", r.x[0]);
    assert_eq!(r.history.len(), 6);
    match &r.status {
        Status::Stalled { reason } => assert!(reason.contains("lr = -0.01 is invalid"), "{reason}"),
        other => panic!("expected Stalled, got {other:?}"),
    }
    // an invalid schedule is still bad input: refused before the first step
    let f = objective(
        |x: &[f64; 1]| 0.5 * x[0] * x[0],
        |x: &[f64; 1], g: &mut [f64; 1]| g[0] = x[0],
    );
    let mut m = Discrete::new(Scheduled::new(Sgd::new(0.0), StepDecay::new(0.01, 2, -1.0)));
    let e = minimize(&mut m, f, [1.0], &Criteria::default()).unwrap_err();
    assert!(e.to_string().starts_with("StepDecay: gamma = -1"), "{e}");
}

#[test]
fn one_cycle_refuses_a_step_past_total() {
    // PyTorch's OneCycleLR raises when stepped past total_steps; beyond it
    // the linear formula would hand SGD a negative rate (blamed on "SGD: lr")
    for anneal in [Anneal::Linear, Anneal::Cos] {
        let mut s = OneCycle::new(0.1, 10);
        s.anneal = anneal;
        let mut opt = Scheduled::new(Sgd::new(0.0), s);
        let mut x = [1.0_f64];
        for _ in 0..10 {
            opt.step(&mut x, &[1.0]).unwrap();
        }
        let before = x;
        let e = opt.step(&mut x, &[1.0]).unwrap_err();
        assert!(matches!(e, OptimError::InvalidHyperparameter { .. }), "{e:?}");
        let m = e.to_string();
        assert!(m.starts_with("OneCycle: step = 10 is invalid"), "{m}");
        assert_eq!(x, before, "a refused step leaves x as it was");
    }
}
