//! One timed solve of a problem by one solver: diffsol (BDF, TR-BDF2,
//! ESDIRK34) or odestride (Rodas5P, Rodas4, Rosenbrock23).
//!
//! Both sides are timed from building the problem/integrator to the final
//! state, and both keep only the final state (diffsol is stepped with
//! `set_stop_time`/`step`, odestride uses `SaveMode::FinalOnly`).

use crate::problems::Problem;
use std::time::Instant;

/// Wall-clock and thread-CPU time of one solve.
pub struct Stopwatch {
    wall: Instant,
    cpu: f64,
}

#[path = "../../cpu_time.rs"]
mod cpu_time;
pub use cpu_time::thread_cpu_time;

impl Stopwatch {
    pub fn start() -> Self {
        Stopwatch {
            wall: Instant::now(),
            cpu: thread_cpu_time(),
        }
    }
    /// (wall, cpu) seconds since `start`.
    pub fn stop(&self) -> (f64, f64) {
        let cpu = thread_cpu_time() - self.cpu;
        (self.wall.elapsed().as_secs_f64(), cpu)
    }
}

/// The same step budget for every solver (diffsol's default is 5000).
pub const MAX_STEPS: usize = 1_000_000;

/// The diffsol version in Cargo.lock.
pub static DIFFSOL_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let lock = include_str!("../Cargo.lock");
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"diffsol\"" {
            if let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = \"")) {
                return v.trim_end_matches('"').to_string();
            }
        }
    }
    "?".into()
});

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Solver {
    DiffsolBdf,
    DiffsolTrBdf2,
    DiffsolEsdirk34,
    #[cfg(feature = "rosenbrock")]
    Rodas5P,
    #[cfg(feature = "rosenbrock")]
    Rodas4,
    #[cfg(feature = "rosenbrock")]
    Rosenbrock23,
}

impl Solver {
    pub fn all() -> Vec<Solver> {
        #[allow(unused_mut)]
        let mut v = vec![Solver::DiffsolBdf, Solver::DiffsolTrBdf2, Solver::DiffsolEsdirk34];
        #[cfg(feature = "rosenbrock")]
        v.extend([Solver::Rodas5P, Solver::Rodas4, Solver::Rosenbrock23]);
        v
    }

    pub fn label(self) -> &'static str {
        match self {
            Solver::DiffsolBdf => "diffsol BDF",
            Solver::DiffsolTrBdf2 => "diffsol TR-BDF2",
            Solver::DiffsolEsdirk34 => "diffsol ESDIRK34",
            #[cfg(feature = "rosenbrock")]
            Solver::Rodas5P => "odestride Rodas5P",
            #[cfg(feature = "rosenbrock")]
            Solver::Rodas4 => "odestride Rodas4",
            #[cfg(feature = "rosenbrock")]
            Solver::Rosenbrock23 => "odestride Rosenbrock23",
        }
    }

    /// The label without the library name.
    pub fn short_label(self) -> &'static str {
        let l = self.label();
        l.split_once(' ').map_or(l, |(_, m)| m)
    }

    pub fn is_odestride(self) -> bool {
        !matches!(
            self,
            Solver::DiffsolBdf | Solver::DiffsolTrBdf2 | Solver::DiffsolEsdirk34
        )
    }
}

/// A successful solve.
#[derive(Clone, Debug)]
pub struct RunOut {
    pub y: Vec<f64>,
    /// Wall time in seconds.
    pub wall: f64,
    /// CPU time of the thread in seconds.
    pub cpu: f64,
    pub nfev: usize,
    /// Jacobian (matrix) evaluations.
    pub njev: usize,
    /// LU factorisations (diffsol: linear-solver setups).
    pub nlu: Option<usize>,
    pub naccept: usize,
    /// Rejected step attempts (diffsol: error-test plus nonlinear-solver
    /// failures).
    pub nreject: usize,
}

pub fn run<P: Problem, const N: usize>(s: Solver, rtol: f64, atol: &[f64]) -> Result<RunOut, String> {
    match s {
        Solver::DiffsolBdf | Solver::DiffsolTrBdf2 | Solver::DiffsolEsdirk34 => {
            diffsol_side::run::<P>(s, rtol, atol)
        }
        #[cfg(feature = "rosenbrock")]
        _ => odestride_side::run::<P, N>(s, rtol, atol),
    }
}

mod diffsol_side {
    use super::*;
    use diffsol::ode_solver::OdeSolverStatistics;
    use diffsol::{
        DiffsolError, NalgebraLU, NalgebraMat, OdeBuilder, OdeEquations, OdeSolverMethod,
        OdeSolverStopReason, Op, Vector,
    };

    type M = NalgebraMat<f64>;
    type LS = NalgebraLU<f64>;

    /// Steps to `t_end` (stopping exactly there) and returns the final state.
    fn drive<'a, Eqn, S>(mut s: S, t_end: f64) -> Result<(Vec<f64>, OdeSolverStatistics), DiffsolError>
    where
        Eqn: OdeEquations<T = f64> + 'a,
        S: OdeSolverMethod<'a, Eqn>,
    {
        s.set_stop_time(t_end)?;
        loop {
            match s.step()? {
                OdeSolverStopReason::InternalTimestep => {}
                OdeSolverStopReason::TstopReached => break,
                OdeSolverStopReason::RootFound(..) => unreachable!("no root function"),
            }
        }
        Ok((s.state().y.clone_as_vec(), s.get_statistics().clone()))
    }

    pub fn run<P: Problem>(s: Solver, rtol: f64, atol: &[f64]) -> Result<RunOut, String> {
        let watch = Stopwatch::start();
        let y0 = P::y0();
        let mut problem = OdeBuilder::<M>::new()
            .rtol(rtol)
            .atol(atol.iter().copied())
            .rhs_implicit(
                |x: &[f64], _p: &[f64], _t: f64, y: &mut [f64]| P::rhs(x, y),
                |x: &[f64], _p: &[f64], _t: f64, v: &[f64], y: &mut [f64]| P::jvp(x, v, y),
            )
            .init(
                move |_p: &[f64], _t: f64, y: &mut [f64]| y.copy_from_slice(&y0),
                P::N,
            )
            .build()
            .map_err(|e| format!("build: {e}"))?;
        problem.ode_options.max_number_timesteps = MAX_STEPS;
        let res = match s {
            Solver::DiffsolBdf => problem.bdf::<LS>().and_then(|s| drive(s, P::T_END)),
            Solver::DiffsolTrBdf2 => problem.tr_bdf2::<LS>().and_then(|s| drive(s, P::T_END)),
            Solver::DiffsolEsdirk34 => problem.esdirk34::<LS>().and_then(|s| drive(s, P::T_END)),
            #[allow(unreachable_patterns)]
            _ => unreachable!(),
        };
        let (wall, cpu) = watch.stop();
        let (y, st) = res.map_err(|e| e.to_string())?;
        let ops = problem.eqn.rhs().statistics();
        Ok(RunOut {
            y,
            wall,
            cpu,
            nfev: ops.number_of_calls,
            njev: ops.number_of_matrix_evals,
            nlu: Some(st.number_of_linear_solver_setups),
            naccept: st.number_of_steps,
            nreject: st.number_of_error_test_failures + st.number_of_nonlinear_solver_fails,
        })
    }
}

#[cfg(feature = "rosenbrock")]
mod odestride_side {
    use super::*;
    use nalgebra::{SMatrix, SVector};
    use odestride::system::with_jacobian;
    use odestride::{Integrator, Options, Rosenbrock, SaveMode};

    pub fn run<P: Problem, const N: usize>(s: Solver, rtol: f64, atol: &[f64]) -> Result<RunOut, String> {
        let watch = Stopwatch::start();
        let f =
            |_t: f64, y: &SVector<f64, N>, dy: &mut SVector<f64, N>| P::rhs(y.as_slice(), dy.as_mut_slice());
        let jac = |_t: f64, y: &SVector<f64, N>, j: &mut SMatrix<f64, N, N>| P::jac(y.as_slice(), j);
        let sys = with_jacobian(f, jac).autonomous();
        let opts = Options::default()
            .rtol(rtol)
            .atol_per_component(atol.to_vec())
            .max_steps(MAX_STEPS)
            .save(SaveMode::FinalOnly);
        let y0 = SVector::<f64, N>::from_column_slice(&P::y0());
        macro_rules! solve_with {
            ($method:expr) => {
                Integrator::new($method)
                    .options(opts)
                    .solve(sys, 0.0, P::T_END, y0)
            };
        }
        let sol = match s {
            Solver::Rodas5P => solve_with!(Rosenbrock::rodas5p()),
            Solver::Rodas4 => solve_with!(Rosenbrock::rodas4()),
            Solver::Rosenbrock23 => solve_with!(Rosenbrock::rosenbrock23()),
            _ => unreachable!(),
        };
        let (wall, cpu) = watch.stop();
        let sol = sol.map_err(|e| e.to_string())?;
        if sol.last_time() != P::T_END {
            return Err(format!("stopped at t = {}", sol.last_time()));
        }
        Ok(RunOut {
            y: sol.last_state().as_slice().to_vec(),
            wall,
            cpu,
            nfev: sol.stats.nfev,
            njev: sol.stats.njev,
            nlu: Some(sol.stats.nlu),
            naccept: sol.stats.naccept,
            nreject: sol.stats.nreject(),
        })
    }
}
