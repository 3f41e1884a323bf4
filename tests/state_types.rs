//! State types beyond nalgebra's: `Vec<f64>`, `ndarray::Array1<f64>`
//! (feature `ndarray`) and a struct of named components (`state_struct!`).
//!
//! Each solves the harmonic oscillator `x' = v, v' = -x`, `(x, v)(0) = (1,
//! 0)`, exact `(cos t, -sin t)`, with an explicit pair (DP5) and a
//! Rosenbrock method (RODAS5P, differenced and analytic Jacobian), checked
//! against the exact solution, and must reproduce the `SVector` run bit for
//! bit (the engine sees every state as the same slice of components). Bad
//! input: a right-hand side that resizes a `Vec` `dy`, a non-contiguous
//! `ndarray` initial state.
use odestride::nalgebra::{DMatrix, SMatrix, SVector};
use odestride::system::with_jacobian;
use odestride::{ExplicitRk, Integrator, Options, Rosenbrock, Solution, SolveError, State, Status};

const T_END: f64 = 10.0;

odestride::state_struct! {
    /// The oscillator's state by name.
    pub struct Osc {
        /// Position.
        x,
        /// Velocity.
        v,
    }
}

/// The trajectory of a solve as plain numbers: (t, x, v) per saved point,
/// and the evaluation counts.
#[derive(Debug, PartialEq)]
struct Run {
    points: Vec<(f64, f64, f64)>,
    nfev: usize,
    naccept: usize,
    nreject: usize,
}

fn run<S: State<f64>>(sol: Solution<f64, S>) -> Run {
    assert_eq!(sol.status, Status::Success);
    let points = sol
        .t
        .iter()
        .zip(&sol.y)
        .map(|(t, y)| (*t, y.as_slice()[0], y.as_slice()[1]))
        .collect();
    Run {
        points,
        nfev: sol.stats.nfev,
        naccept: sol.stats.naccept,
        nreject: sol.stats.nreject(),
    }
}

/// Largest deviation from (cos t, -sin t) over the saved points.
fn max_error(r: &Run) -> f64 {
    r.points
        .iter()
        .map(|(t, x, v)| (x - t.cos()).abs().max((v + t.sin()).abs()))
        .fold(0.0, f64::max)
}

/// The three solves of one state type: DP5 at 1e-10, RODAS5P at 1e-8 with
/// a differenced and with an analytic Jacobian.
struct Runs {
    dp5: Run,
    rodas: Run,
    rodas_jac: Run,
}

fn solve_all<S, F, J>(f: F, jac: J, y0: S) -> Runs
where
    S: State<f64>,
    F: FnMut(f64, &S, &mut S) + Copy,
    J: FnMut(f64, &S, &mut S::Matrix),
{
    let dp5 = Integrator::new(ExplicitRk::dopri5())
        .tol(1e-10)
        .solve(f, 0.0, T_END, y0.clone())
        .unwrap();
    let rodas = Integrator::new(Rosenbrock::rodas5p())
        .tol(1e-8)
        .solve(f, 0.0, T_END, y0.clone())
        .unwrap();
    let rodas_jac = Integrator::new(Rosenbrock::rodas5p())
        .tol(1e-8)
        .solve(with_jacobian(f, jac).autonomous(), 0.0, T_END, y0)
        .unwrap();
    assert!(rodas.stats.nfev_jac > 0 && rodas_jac.stats.nfev_jac == 0 && rodas_jac.stats.njev > 0);
    Runs {
        dp5: run(dp5),
        rodas: run(rodas),
        rodas_jac: run(rodas_jac),
    }
}

fn reference() -> Runs {
    type V2 = SVector<f64, 2>;
    solve_all(
        |_t: f64, y: &V2, dy: &mut V2| {
            dy[0] = y[1];
            dy[1] = -y[0];
        },
        |_t: f64, _y: &V2, j: &mut SMatrix<f64, 2, 2>| *j = SMatrix::<f64, 2, 2>::new(0.0, 1.0, -1.0, 0.0),
        V2::from([1.0, 0.0]),
    )
}

/// Accurate against the exact solution, and bit-identical to the SVector
/// runs (every saved t and component, and the counts).
fn check(name: &str, got: Runs) {
    let want = reference();
    for (method, g, w, tol) in [
        ("DP5", &got.dp5, &want.dp5, 2e-9),
        ("RODAS5P", &got.rodas, &want.rodas, 1e-8),
        ("RODAS5P, analytic J", &got.rodas_jac, &want.rodas_jac, 1e-8),
    ] {
        let e = max_error(g);
        println!(
            "{name:<12} {method:<20} {:>4} steps, max error {e:.2e}",
            g.naccept
        );
        assert!(e < tol, "{name}/{method}: max error {e:e} >= {tol:e}");
        assert!(g.naccept > 10);
        assert_eq!(g, w, "{name}/{method} differs from the SVector run");
    }
}

#[test]
fn vec_state_matches_the_exact_solution_and_the_svector_run() {
    let runs = solve_all(
        |_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>| {
            dy[0] = y[1];
            dy[1] = -y[0];
        },
        |_t: f64, _y: &Vec<f64>, j: &mut DMatrix<f64>| {
            j[(0, 0)] = 0.0;
            j[(0, 1)] = 1.0;
            j[(1, 0)] = -1.0;
            j[(1, 1)] = 0.0;
        },
        vec![1.0, 0.0],
    );
    check("Vec<f64>", runs);
}

#[test]
fn state_struct_matches_the_exact_solution_and_the_svector_run() {
    let runs = solve_all(
        |_t: f64, y: &Osc, dy: &mut Osc| *dy = Osc::new(y.v(), -y.x()),
        |_t: f64, _y: &Osc, j: &mut SMatrix<f64, 2, 2>| *j = SMatrix::<f64, 2, 2>::new(0.0, 1.0, -1.0, 0.0),
        Osc::new(1.0, 0.0),
    );
    check("state_struct", runs);
}

#[test]
fn state_struct_accessors() {
    let mut s = Osc::new(1.5, -2.0);
    assert_eq!((s.x(), s.v()), (1.5, -2.0));
    assert_eq!(Osc::FIELDS, ["x", "v"]);
    assert_eq!(Osc::DIM, 2);
    s[1] = 3.0;
    assert_eq!(s.to_array(), [1.5, 3.0]);
    assert_eq!(Osc::from([1.5, 3.0]), s);
    assert_eq!(format!("{s:?}"), "Osc { x: 1.5, v: 3.0 }");
    assert_eq!(s.zeros_like(), Osc::default());
    assert_eq!(s.as_slice(), &[1.5, 3.0]);
    let m: SMatrix<f64, 2, 2> = s.matrix_like();
    assert_eq!(m, SMatrix::<f64, 2, 2>::zeros());
}

#[test]
fn a_right_hand_side_that_resizes_a_vec_is_a_clear_error() {
    for n in [1, 3] {
        let f = move |_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>| {
            *dy = vec![-y[0]; n];
        };
        let err = Integrator::new(ExplicitRk::dopri5())
            .solve(f, 0.0, 1.0, vec![1.0, 2.0])
            .unwrap_err();
        assert_eq!(err.error, SolveError::StateLength { expected: 2, got: n });
        assert!(err.to_string().contains("in place"), "{err}");
        // The same with a Rosenbrock method (differenced Jacobian).
        let err = Integrator::new(Rosenbrock::rodas4())
            .solve(f, 0.0, 1.0, vec![1.0, 2.0])
            .unwrap_err();
        assert_eq!(err.error, SolveError::StateLength { expected: 2, got: n });
    }
    // Per-component tolerances of another length than a Vec state.
    let err = Integrator::new(ExplicitRk::dopri5())
        .options(Options::default().atol_per_component(vec![1e-6; 3]))
        .solve(
            |_t: f64, y: &Vec<f64>, dy: &mut Vec<f64>| dy[0] = y[0],
            0.0,
            1.0,
            vec![1.0],
        )
        .unwrap_err();
    assert!(matches!(
        err.error,
        SolveError::ToleranceLength {
            expected: 1,
            got: 3,
            ..
        }
    ));
}

#[cfg(feature = "ndarray")]
mod with_ndarray {
    use super::*;
    use ndarray::{array, s, Array1};

    #[test]
    fn array1_state_matches_the_exact_solution_and_the_svector_run() {
        let runs = solve_all(
            |_t: f64, y: &Array1<f64>, dy: &mut Array1<f64>| {
                dy[0] = y[1];
                dy[1] = -y[0];
            },
            |_t: f64, _y: &Array1<f64>, j: &mut DMatrix<f64>| {
                j.copy_from(&DMatrix::from_row_slice(2, 2, &[0.0, 1.0, -1.0, 0.0]));
            },
            array![1.0, 0.0],
        );
        check("Array1<f64>", runs);
    }

    #[test]
    fn a_strided_array_is_a_clear_error() {
        let y0 = array![1.0, 5.0, 0.0, 5.0].slice_move(s![..;2]);
        assert!(!y0.is_contiguous());
        let f = |_t: f64, y: &Array1<f64>, dy: &mut Array1<f64>| {
            dy[0] = y[1];
            dy[1] = -y[0];
        };
        let err = Integrator::new(ExplicitRk::dopri5())
            .solve(f, 0.0, 1.0, y0.clone())
            .unwrap_err();
        assert_eq!(err.error, SolveError::StateLayout);
        assert_eq!(err.partial.stats.nfev, 0);
        // The fix the message names.
        let sol = Integrator::new(ExplicitRk::dopri5())
            .tol(1e-10)
            .solve(f, 0.0, 1.0, y0.as_standard_layout().into_owned())
            .unwrap();
        assert!((sol.last_state()[0] - 1f64.cos()).abs() < 1e-8);
        // A right-hand side that writes a strided array into dy.
        let g = |_t: f64, y: &Array1<f64>, dy: &mut Array1<f64>| {
            *dy = Array1::from_vec(vec![y[1], 0.0, -y[0], 0.0]).slice_move(s![..;2]);
        };
        let err = Integrator::new(ExplicitRk::dopri5())
            .solve(g, 0.0, 1.0, array![1.0, 0.0])
            .unwrap_err();
        assert_eq!(err.error, SolveError::StateLength { expected: 2, got: 0 });
    }
}
