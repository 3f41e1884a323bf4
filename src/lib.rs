//! # odestride
//!
//! Adaptive ODE integration in which embedded Runge–Kutta pairs (and
//! step-doubling integrators) feed a pluggable step-size controller with
//! reject/retry logic, optional monitors may veto or shape steps, and every
//! number a user would want — function evaluations, rejections by reason,
//! step sizes — is counted.
//!
//! ```
//! use nalgebra::SVector;
//! use odestride::{ExplicitRk, Integrator, Options};
//!
//! // Lorenz system
//! let lorenz = |_t: f64, y: &SVector<f64, 3>, dy: &mut SVector<f64, 3>| {
//!     dy[0] = 10.0 * (y[1] - y[0]);
//!     dy[1] = y[0] * (28.0 - y[2]) - y[1];
//!     dy[2] = y[0] * y[1] - 8.0 / 3.0 * y[2];
//! };
//! let sol = Integrator::new(ExplicitRk::dopri5())
//!     .options(Options::default().rtol(1e-8).atol(1e-8))
//!     .solve(lorenz, 0.0, 1.0, SVector::from([1.0, 0.0, 0.0]))
//!     .expect("solve");
//! assert_eq!(sol.status, odestride::Status::Success);
//! assert!(sol.stats.nfev > 0);
//! ```
//!
//! The pieces, one concept per module: [`state`] (the vector-space trait),
//! [`system`] (the right-hand side), [`tableau`] (methods as data),
//! [`stepper`] (one attempted step), [`controller`] (step-size control),
//! [`monitor`] (vetoes, projections, stops), [`detect`] (blow-up and
//! stiffness detection), [`integrate`] (the driver
//! loop), [`solution`] (results and dense output), [`error`],
//! [`ensemble`] (many members in parallel, feature `rayon`).
//!
//! States: `nalgebra` vectors (re-exported as [`nalgebra`]), arrays,
//! scalars, `Vec<f64>`, `ndarray::Array1` (feature `ndarray`) and structs
//! of named components ([`state_struct!`]); see [`State`].
//!
//! Features: `serde` (Serialize/Deserialize on options, results, errors)
//! and `lab` (`gradient_flow`, `optim`, `minimize`) are on by default;
//! `rayon` (parallel [`ensemble`]s) and `ndarray` (`Array1` states) are
//! opt-in.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod controller;
pub mod detect;
pub mod ensemble;
pub mod error;
pub mod event;
#[cfg(feature = "lab")]
pub mod gradient_flow;
pub mod integrate;
pub mod jacobian;
pub mod linalg;
pub mod method;
#[cfg(feature = "lab")]
pub mod minimize;
pub mod monitor;
pub mod norm;
#[cfg(feature = "lab")]
pub mod optim;
pub mod options;
pub mod problems;
mod real;
pub mod solution;
pub mod state;
pub mod stepper;
pub mod system;
pub mod tableau;

/// The `nalgebra` this crate is built with (`SVector`, `DVector`, `SMatrix`,
/// ...): use `odestride::nalgebra` and there is no second version to keep
/// in step with ours.
pub use nalgebra;

pub use controller::{IController, PiController, PidController, StepController};
pub use detect::{BlowUpConfig, Diagnostics, StiffnessConfig};
pub use ensemble::{Ensemble, EnsembleResult};
pub use error::{SolveError, SolveFailure};
pub use event::{Direction, Event};
pub use integrate::Integrator;
pub use method::{Method, MethodStepper};
pub use monitor::{Invariant, InvariantMonitor, Monitor, RelativisticMonitor};
pub use norm::{ErrorNorm, Tolerance};
pub use options::{Options, SaveMode};
pub use real::Real;
pub use solution::{DenseOutput, EventRecord, Solution, Stats, Status};
pub use state::State;
pub use stepper::{AutoSwitch, ExplicitRk, Rosenbrock, StepDoubling, Stepper};
pub use system::System;
