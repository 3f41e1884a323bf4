//! The one driver: L-BFGS, BFGS, FIRE, discrete optimisers and the
//! gradient flow on the MGH test functions, LJ13, and bad input.

use nalgebra::{DVector, SVector};
use odestride::gradient_flow::objective;
use odestride::minimize::test_functions::{Beale, IllConditionedQuadratic, LennardJones, PowellSingular, Rosenbrock};
use odestride::minimize::{minimize, Bfgs, Criteria, Discrete, Fire, Flow, Lbfgs, MinimizeError, Minimizer, Status};
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
            let mut m: Box<dyn Minimizer<f64, DVector<f64>>> =
                if method == 0 { Box::new(Lbfgs::new()) } else { Box::new(Bfgs::new()) };
            let r = minimize(&mut m, Rosenbrock, dv(Rosenbrock::start(n)), &crit).unwrap();
            println!("rosenbrock n={n} {}: {:?} it={} nf={} ng={}", r.method, r.status, r.iterations, r.counts.nf, r.counts.ng);
            assert_eq!(r.status, Status::GradientTolerance, "{}", r.method);
            // minimum (1, ..., 1); |x - 1| <~ |H^-1| |g| with |H^-1| ~ 1e3 at the minimum
            assert!(r.x.iter().all(|v| (v - 1.0).abs() < 1e-5), "{:?}", r.x);
            assert!(r.f < 1e-14);
        }
    }
    for mut m in [Box::new(Lbfgs::new()) as Box<dyn Minimizer<f64, SVector<f64, 2>>>, Box::new(Bfgs::new())] {
        let r = minimize(&mut m, Beale, SVector::<f64, 2>::new(1.0, 1.0), &crit).unwrap();
        println!("beale {}: {:?} it={} nf={}", r.method, r.status, r.iterations, r.counts.nf);
        assert_eq!(r.status, Status::GradientTolerance);
        assert!((r.x[0] - 3.0).abs() < 1e-7 && (r.x[1] - 0.5).abs() < 1e-7, "{:?}", r.x);
    }
    for mut m in [Box::new(Lbfgs::new()) as Box<dyn Minimizer<f64, [f64; 4]>>, Box::new(Bfgs::new())] {
        let r = minimize(&mut m, PowellSingular, [3.0, -1.0, 0.0, 1.0], &crit).unwrap();
        println!("powell {}: {:?} it={} nf={}", r.method, r.status, r.iterations, r.counts.nf);
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
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *v += 0.1 * ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
    }
    let crit = Criteria::default().gtol(1e-6).max_iter(20000);
    let mut lb = Lbfgs::new();
    let mut fire = Fire::new(0.005);
    let a = minimize(&mut lb, LennardJones, dv(x0.clone()), &crit).unwrap();
    let b = minimize(&mut fire, LennardJones, dv(x0), &crit).unwrap();
    for r in [&a, &b] {
        println!("LJ13 {}: {:?} E={:.8} it={} ng={} t={:.3} ms", r.method, r.status, r.f, r.iterations, r.counts.ng, r.time * 1e3);
        assert_eq!(r.status, Status::GradientTolerance);
        assert!((r.f - -44.326801).abs() < 1e-6, "{}", r.f);
    }
}
