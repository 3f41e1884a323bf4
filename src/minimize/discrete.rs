//! Any discrete optimiser of [`optim`](crate::optim) as a [`Minimizer`].

use super::{MinimizeError, Minimizer, Progress};
use crate::gradient_flow::Objective;
use crate::optim::Optimizer;
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Runs an [`Optimizer`] (SGD, Adam, ..., with or without a schedule) under
/// the one driver: an iteration is one `step` followed by one combined
/// value-and-gradient evaluation at the new point. The recorded step is the
/// learning rate the step used; after every iteration the loss is passed
/// to [`Optimizer::observe_loss`] (loss-aware schedules such as
/// [`ReduceOnPlateau`](crate::optim::schedule::ReduceOnPlateau) use it).
///
/// `start` resets the optimiser's state, so one `Discrete` can run several
/// times; the state serialises with the optimiser (serde).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Discrete<O> {
    opt: O,
}

impl<O> Discrete<O> {
    /// Wraps `opt`.
    pub fn new(opt: O) -> Self {
        Discrete { opt }
    }
    /// The optimiser.
    pub fn optimizer(&self) -> &O {
        &self.opt
    }
    /// The optimiser, mutably.
    pub fn optimizer_mut(&mut self) -> &mut O {
        &mut self.opt
    }
    /// Gives the optimiser back.
    pub fn into_inner(self) -> O {
        self.opt
    }
}

impl<T: Real, S: State<T>, O: Optimizer<T, S>> Minimizer<T, S> for Discrete<O> {
    fn name(&self) -> String {
        self.opt.name().to_string()
    }
    fn start(&mut self, _x0: &S, _f0: T, _g0: &S) -> Result<(), MinimizeError> {
        self.opt.reset();
        Ok(())
    }
    fn iterate(
        &mut self,
        obj: &mut dyn Objective<T, S>,
        x: &mut S,
        f: &mut T,
        g: &mut S,
    ) -> Result<Progress<T>, MinimizeError> {
        let lr = self.opt.lr();
        self.opt.step(x, g)?;
        *f = obj.value_and_gradient(x, g);
        Ok(Progress::Moved { step: lr })
    }
    fn observe(&mut self, f: T) {
        self.opt.observe_loss(f);
    }
}
