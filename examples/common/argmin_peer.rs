//! The L-BFGS comparison with argmin: the same test functions, start points
//! and stopping rule (`||g||_2 <= 1e-8`, no cost-change test) run through
//! `odestride::minimize::Lbfgs` and `argmin::solver::quasinewton::LBFGS`
//! with its Moré–Thuente line search, both with memory 10 and
//! `c1 = 1e-4`, `c2 = 0.9`. Shared by `tests/argmin_peer.rs` (evaluation
//! counts) and `examples/lbfgs_vs_argmin.rs` (timing).
#![allow(dead_code)]

use argmin::core::{CostFunction, Error, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use nalgebra::DVector;
use odestride::gradient_flow::Objective;
use odestride::minimize::test_functions::{Beale, IllConditionedQuadratic, PowellSingular, Rosenbrock};
use odestride::minimize::{minimize, Criteria, Lbfgs, Status};

pub const GTOL: f64 = 1e-8;
pub const MEMORY: usize = 10;

/// A benchmark problem: a name, an objective (boxed, evaluated through the
/// odestride `Objective` trait by both libraries) and a start.
pub struct Problem {
    pub name: &'static str,
    pub make: fn() -> Box<dyn Objective<f64, DVector<f64>>>,
    pub x0: Vec<f64>,
}

pub fn problems() -> Vec<Problem> {
    vec![
        Problem {
            name: "Rosenbrock n=2",
            make: || Box::new(Rosenbrock),
            x0: Rosenbrock::start(2),
        },
        Problem {
            name: "ext. Rosenbrock n=100",
            make: || Box::new(Rosenbrock),
            x0: Rosenbrock::start(100),
        },
        Problem {
            name: "Beale",
            make: || Box::new(Beale),
            x0: vec![1.0, 1.0],
        },
        Problem {
            name: "Powell singular",
            make: || Box::new(PowellSingular),
            x0: vec![3.0, -1.0, 0.0, 1.0],
        },
        Problem {
            name: "quadratic n=100 k=1e4",
            make: || Box::new(IllConditionedQuadratic::new(100, 1e4)),
            x0: vec![1.0; 100],
        },
    ]
}

/// One run's outcome.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub converged: bool,
    pub iterations: u64,
    pub nf: u64,
    pub ng: u64,
    pub f: f64,
    pub x: Vec<f64>,
}

pub fn run_odestride(p: &Problem) -> Outcome {
    let mut obj = (p.make)();
    let mut m = Lbfgs::new().memory(MEMORY);
    let crit = Criteria::default().gtol(GTOL).max_iter(100_000).record_every(0);
    let r = minimize(&mut m, &mut *obj, DVector::from_vec(p.x0.clone()), &crit).expect("odestride run");
    Outcome {
        converged: r.status == Status::GradientTolerance,
        iterations: r.iterations as u64,
        nf: r.counts.nf as u64,
        ng: r.counts.ng as u64,
        f: r.f,
        x: r.x.as_slice().to_vec(),
    }
}

/// argmin's view of the same objective: `Vec<f64>` parameters, separate
/// cost and gradient calls (as argmin makes them).
struct Peer {
    obj: std::cell::RefCell<Box<dyn Objective<f64, DVector<f64>>>>,
}

impl CostFunction for Peer {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        let v = DVector::from_column_slice(x);
        Ok(self.obj.borrow_mut().value(&v))
    }
}

impl Gradient for Peer {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let v = DVector::from_column_slice(x);
        let mut g = v.clone();
        self.obj.borrow_mut().gradient(&v, &mut g);
        Ok(g.as_slice().to_vec())
    }
}

pub fn run_argmin(p: &Problem) -> Outcome {
    let peer = Peer {
        obj: std::cell::RefCell::new((p.make)()),
    };
    let ls = MoreThuenteLineSearch::new().with_c(1e-4, 0.9).expect("c1, c2");
    let solver = LBFGS::new(ls, MEMORY)
        .with_tolerance_grad(GTOL)
        .expect("tol_grad")
        .with_tolerance_cost(0.0)
        .expect("tol_cost");
    let res = Executor::new(peer, solver)
        .configure(|s| s.param(p.x0.clone()).max_iters(100_000))
        .run()
        .expect("argmin run");
    let st = res.state();
    let counts = st.get_func_counts();
    let x = st.get_best_param().cloned().unwrap_or_default();
    let g = st.get_gradient().cloned().unwrap_or_default();
    let gnorm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    Outcome {
        converged: gnorm < GTOL,
        iterations: st.get_iter(),
        nf: counts.get("cost_count").copied().unwrap_or(0),
        ng: counts.get("gradient_count").copied().unwrap_or(0),
        f: st.get_best_cost(),
        x,
    }
}
