//! Optimisers on stack states take no heap allocation per step (counted by
//! a global allocator), and bad input is an error, not a panic.

use nalgebra::{DVector, SVector};
use odestride::optim::schedule::CosineAnnealing;
use odestride::optim::{AdaBelief, Adagrad, Adam, OptimError, Optimizer, RmsProp, Scheduled, Sgd};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;
thread_local! {
    // Count only on the thread under test, in a counter of its own (the
    // harness runs tests in parallel, and two of them count).
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNTING.with(|c| c.get()) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

type V = SVector<f64, 4>;

fn all() -> Vec<Box<dyn Optimizer<f64, V>>> {
    vec![
        Box::new(Sgd::new(0.01)),
        Box::new(Sgd::new(0.01).momentum(0.9).nesterov(true).weight_decay(1e-3)),
        Box::new(Adagrad::new(0.1).lr_decay(0.01).initial_accumulator_value(0.1)),
        Box::new(RmsProp::new(0.01).centered(true).momentum(0.5)),
        Box::new(Adam::new(0.01)),
        Box::new(Adam::amsgrad(0.01)),
        Box::new(Adam::adamw(0.01)),
        Box::new(AdaBelief::new(0.01)),
        Box::new(Scheduled::new(
            Adam::new(0.0),
            CosineAnnealing::new(0.01, 100, 0.0),
        )),
    ]
}

#[test]
fn no_allocation_per_step_on_stack_states() {
    let mut opts = all();
    let mut x = V::new(1.0, -2.0, 3.0, -4.0);
    for opt in opts.iter_mut() {
        let g = V::new(x[0], 2.0 * x[1], -x[2], 0.0);
        opt.step(&mut x, &g).unwrap();
    }
    let before = ALLOCS.with(|a| a.get());
    COUNTING.with(|c| c.set(true));
    for opt in opts.iter_mut() {
        for k in 0..200 {
            let s = if k % 3 == 0 { -1.0 } else { 1.0 };
            let g = V::new(s * x[0], 2.0 * x[1], -x[2], 1e-3 * s);
            opt.step(&mut x, &g).unwrap();
        }
    }
    COUNTING.with(|c| c.set(false));
    let after = ALLOCS.with(|a| a.get());
    assert_eq!(after - before, 0, "allocations during 1800 optimiser steps");
    assert!(x.iter().all(|v| v.is_finite()));
}

#[test]
fn bad_input_is_an_error() {
    let mut adam = Adam::<f64, DVector<f64>>::new(0.1);
    let mut x = DVector::from_vec(vec![1.0, 2.0]);
    let e = adam.step(&mut x, &DVector::from_vec(vec![1.0])).unwrap_err();
    assert!(
        matches!(
            e,
            OptimError::DimensionMismatch {
                expected: 2,
                got: 1,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(x, DVector::from_vec(vec![1.0, 2.0]), "x untouched");
    adam.step(&mut x, &DVector::from_vec(vec![1.0, 1.0])).unwrap();
    let mut y = DVector::from_vec(vec![1.0, 2.0, 3.0]);
    let e = adam
        .step(&mut y, &DVector::from_vec(vec![1.0, 1.0, 1.0]))
        .unwrap_err();
    assert!(
        matches!(
            e,
            OptimError::DimensionMismatch {
                what: "optimiser state",
                ..
            }
        ),
        "{e}"
    );
    let mut x1 = 1.0_f64;
    type Case = (Box<dyn Optimizer<f64, f64>>, &'static str);
    let cases: Vec<Case> = vec![
        (Box::new(Sgd::new(0.1).nesterov(true)), "momentum"),
        (
            Box::new(Sgd::new(0.1).momentum(0.9).dampening(0.1).nesterov(true)),
            "dampening",
        ),
        (Box::new(Sgd::new(-0.1)), "lr"),
        (Box::new(Sgd::new(f64::NAN)), "lr"),
        (Box::new(Adam::new(0.1).betas(1.0, 0.999)), "beta1"),
        (Box::new(Adam::new(0.1).eps(-1.0)), "eps"),
        (Box::new(RmsProp::new(0.1).alpha(1.5)), "alpha"),
        (
            Box::new(Adagrad::new(0.1).initial_accumulator_value(-1.0)),
            "initial_accumulator_value",
        ),
        (Box::new(AdaBelief::new(0.1).betas(0.9, -0.1)), "beta2"),
    ];
    for (mut opt, which) in cases {
        match opt.step(&mut x1, &1.0) {
            Err(OptimError::InvalidHyperparameter { name, .. }) => assert_eq!(name, which),
            other => panic!("{}: expected an error about {which}, got {other:?}", opt.name()),
        }
        assert_eq!(x1, 1.0);
    }
}

#[test]
fn minimisers_through_the_driver_allocate_nothing_per_iteration() {
    use odestride::gradient_flow::objective;
    use odestride::minimize::{minimize, Bfgs, Criteria, Fire, Lbfgs, Minimizer};
    type W = SVector<f64, 2>;
    // Rosenbrock; the history is off (record_every 0), so a run allocates
    // only at the start (the L-BFGS memory, the start/end records).
    let rosen = || {
        objective(
            |x: &W| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2),
            |x: &W, g: &mut W| {
                g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] * x[0]);
                g[1] = 200.0 * (x[1] - x[0] * x[0]);
            },
        )
    };
    let count = |m: &mut dyn Minimizer<f64, W>, iters: usize| {
        let crit = Criteria::default().gtol(0.0).max_iter(iters).record_every(0);
        let before = ALLOCS.with(|a| a.get());
        COUNTING.with(|c| c.set(true));
        let run = minimize(m, rosen(), W::new(-1.2, 1.0), &crit).unwrap();
        COUNTING.with(|c| c.set(false));
        (ALLOCS.with(|a| a.get()) - before, run)
    };
    let mut methods: Vec<Box<dyn Minimizer<f64, W>>> = vec![
        Box::new(Lbfgs::new()),
        Box::new(Bfgs::new()),
        Box::new(Fire::new(1e-3)),
    ];
    for m in methods.iter_mut() {
        // the same allocations for 5 and for 40 iterations: none per iteration
        let (a5, _) = count(m.as_mut(), 5);
        let (a40, run) = count(m.as_mut(), 40);
        assert_eq!(
            a5, a40,
            "{}: {a5} allocations for 5 iterations, {a40} for 40",
            run.method
        );
        assert!(run.f < 24.2, "{}: f = {}", run.method, run.f); // f(x0) = 24.2
    }
}
