//! Ensembles: one configured integrator, many members (initial conditions,
//! parameter sets), solved in parallel.
//!
//! An [`Ensemble`] holds a *factory* `Fn() -> Integrator`: every member is
//! solved by a fresh integrator built on the thread that solves it, so no
//! integrator (with its monitors and event closures) ever moves between
//! threads, and every member's result is exactly what
//! `make().solve(...)` gives in a plain loop — bit for bit, whatever the
//! thread count or the order in which the members ran. For many small
//! members, [`Ensemble::reuse_integrators`] builds one integrator per batch
//! instead (same results unless your monitors keep state across solves).
//!
//! ```
//! use odestride::ensemble::Ensemble;
//! use odestride::nalgebra::SVector;
//! use odestride::{ExplicitRk, Integrator};
//!
//! // y' = -k y for five decay rates: y(1) = exp(-k).
//! let rates = [0.5, 1.0, 2.0, 4.0, 8.0];
//! let out = Ensemble::new(|| Integrator::new(ExplicitRk::dopri5()).tol(1e-10)).solve(
//!     &rates,
//!     |integ, &k| integ.solve(move |_t: f64, y: &SVector<f64, 1>, dy: &mut SVector<f64, 1>| {
//!         dy[0] = -k * y[0]
//!     }, 0.0, 1.0, SVector::from([1.0])),
//! );
//! for (k, member) in rates.iter().zip(&out.members) {
//!     let sol = member.as_ref().unwrap();
//!     assert!((sol.last_state()[0] - (-k).exp()).abs() < 1e-9);
//! }
//! assert_eq!(out.failed(), 0);
//! println!("{} evaluations in all", out.total_nfev());
//! ```
//!
//! - **Order.** `members[i]` is the result of `inputs[i]`, always.
//! - **Failures stay per member.** Each member's result is its own
//!   `Result<Solution, SolveFailure>` (with the partial solution and its
//!   statistics); one failing member does not stop or lose the others. A
//!   member whose closure panics (an index out of range in a right-hand
//!   side, say) becomes a [`SolveError::MemberPanicked`] with the panic's
//!   message; the others finish (this needs the default `panic = "unwind"`).
//! - **Statistics per member.** [`EnsembleResult::stats`] is member `i`'s
//!   [`Stats`] (of the partial solution for a failure); totals in
//!   [`EnsembleResult::total_nfev`] and [`EnsembleResult::total_naccept`].
//! - **Parallel with the `rayon` feature**, on rayon's global thread pool
//!   (its size: `RAYON_NUM_THREADS`, or run [`Ensemble::solve`] inside a
//!   `rayon::ThreadPool::install`). Without the feature the same API solves
//!   the members one after the other, so code compiles either way.
//!
//! Measured speed-up and per-member overhead: `docs/ensembles.md`
//! (`cargo bench --bench ensemble --features rayon`).

use crate::integrate::Integrator;
use crate::{Real, Solution, SolveError, SolveFailure, State, Stats, StepController, Stepper};

/// A factory of identically configured integrators, to solve many members.
/// See the [module documentation](self).
#[derive(Debug, Clone, Copy)]
pub struct Ensemble<M> {
    make: M,
    reuse: bool,
}

/// The results of an ensemble, one per input, in input order.
#[derive(Debug)]
pub struct EnsembleResult<T: Real, S: State<T>> {
    /// Member `i`'s solution, or its failure (with the partial solution).
    pub members: Vec<Result<Solution<T, S>, SolveFailure<T, S>>>,
}

impl<M> Ensemble<M> {
    /// An ensemble whose members are solved by integrators from `make`
    /// (called once per member, on the thread that solves it).
    pub fn new(make: M) -> Self {
        Ensemble { make, reuse: false }
    }

    /// Builds one integrator per batch of members on a thread (rayon's
    /// splits; one in all without the feature) instead of one per member,
    /// and solves the batch's members with it one after the other. For
    /// small members this is measurably cheaper (building an integrator
    /// allocates its method's data; `docs/ensembles.md`), and with
    /// odestride's steppers, controllers and detectors the results are
    /// unchanged, since `solve` resets all of them. A monitor or event
    /// closure of yours that keeps state across solves would carry it from
    /// member to member, in an order that depends on the thread schedule:
    /// leave this off then. After a member panics, its integrator is
    /// rebuilt.
    pub fn reuse_integrators(mut self, reuse: bool) -> Self {
        self.reuse = reuse;
        self
    }

    /// Solves one member per input: `solve(&mut integrator, &input)` with a
    /// fresh integrator from the factory, typically
    /// `integ.solve(rhs_for(input), t0, t_end, y0_for(input))`. In parallel
    /// with the `rayon` feature, serially without; the results are in input
    /// order either way, and bit-identical.
    pub fn solve<'m, T, S, St, C, P, F>(&self, inputs: &[P], solve: F) -> EnsembleResult<T, S>
    where
        T: Real,
        S: State<T> + Send,
        St: Stepper<T, S>,
        C: StepController<T>,
        M: Fn() -> Integrator<'m, T, S, St, C> + Sync,
        P: Sync,
        F: Fn(&mut Integrator<'m, T, S, St, C>, &P) -> Result<Solution<T, S>, SolveFailure<T, S>> + Sync,
    {
        let one =
            |slot: &mut Option<Integrator<'m, T, S, St, C>>, input: &P| self.member(slot, input, &solve);
        #[cfg(feature = "rayon")]
        let members = {
            use rayon::prelude::*;
            inputs.par_iter().map_init(|| None, one).collect()
        };
        #[cfg(not(feature = "rayon"))]
        let members = {
            let mut slot = None;
            inputs.iter().map(|input| one(&mut slot, input)).collect()
        };
        EnsembleResult { members }
    }

    /// One member: an integrator (fresh, or the one in `slot` when reusing),
    /// the user's solve, a panic caught and turned into that member's error.
    fn member<'m, T, S, St, C, P, F>(
        &self,
        slot: &mut Option<Integrator<'m, T, S, St, C>>,
        input: &P,
        solve: &F,
    ) -> Result<Solution<T, S>, SolveFailure<T, S>>
    where
        T: Real,
        S: State<T>,
        St: Stepper<T, S>,
        C: StepController<T>,
        M: Fn() -> Integrator<'m, T, S, St, C>,
        F: Fn(&mut Integrator<'m, T, S, St, C>, &P) -> Result<Solution<T, S>, SolveFailure<T, S>>,
    {
        // The closures are only borrowed (no state of theirs survives a
        // panic into another member), so asserting unwind safety is sound.
        let reuse = self.reuse;
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if !reuse {
                return solve(&mut (self.make)(), input);
            }
            // Taken out while in use: a panic leaves the slot empty, and the
            // next member builds a new integrator.
            let mut integ = slot.take().unwrap_or_else(&self.make);
            let out = solve(&mut integ, input);
            *slot = Some(integ);
            out
        }));
        run.unwrap_or_else(|payload| {
            let message = if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "(a panic payload that is not a string)".to_string()
            };
            Err(SolveFailure {
                error: SolveError::MemberPanicked { message },
                partial: Box::new(Solution::empty("")),
            })
        })
    }
}

impl<T: Real, S: State<T>> EnsembleResult<T, S> {
    /// The number of members.
    pub fn len(&self) -> usize {
        self.members.len()
    }
    /// `true` for an ensemble of no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
    /// Member `i`'s statistics (of its partial solution if it failed; all
    /// zero for a member that panicked).
    pub fn stats(&self, i: usize) -> &Stats {
        match &self.members[i] {
            Ok(sol) => &sol.stats,
            Err(fail) => &fail.partial.stats,
        }
    }
    /// The number of members that failed.
    pub fn failed(&self) -> usize {
        self.members.iter().filter(|m| m.is_err()).count()
    }
    /// The failures, with their member index.
    pub fn failures(&self) -> impl Iterator<Item = (usize, &SolveFailure<T, S>)> {
        self.members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.as_ref().err().map(|f| (i, f)))
    }
    /// Right-hand-side evaluations over all members (failed ones included).
    pub fn total_nfev(&self) -> usize {
        (0..self.len()).map(|i| self.stats(i).nfev).sum()
    }
    /// Accepted steps over all members (failed ones included).
    pub fn total_naccept(&self) -> usize {
        (0..self.len()).map(|i| self.stats(i).naccept).sum()
    }
}
