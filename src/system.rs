//! The right-hand side of an ODE, `y' = f(t, y)`.

use crate::{Real, State};

/// The right-hand side `f(t, y)` of `y' = f(t, y)`, written in place into `dy`.
///
/// Any closure `FnMut(T, &S, &mut S)` is a `System`, so most users never
/// implement the trait by hand:
///
/// ```
/// use odestride::System;
/// let mut decay = |_t: f64, y: &f64, dy: &mut f64| *dy = -*y;
/// let mut dy = 0.0;
/// decay.rhs(0.0, &2.0, &mut dy);
/// assert_eq!(dy, -2.0);
/// ```
pub trait System<T: Real, S: State<T>> {
    /// Writes `f(t, y)` into `dy`. `dy` holds garbage on entry.
    fn rhs(&mut self, t: T, y: &S, dy: &mut S);
}

impl<T: Real, S: State<T>, F: FnMut(T, &S, &mut S)> System<T, S> for F {
    #[inline(always)]
    fn rhs(&mut self, t: T, y: &S, dy: &mut S) {
        self(t, y, dy)
    }
}

/// Wraps a [`System`] and counts its evaluations. The driver hands this to
/// the steppers, so every call — stages, initial-step selection, dense-output
/// extra stages — is counted in [`Stats::nfev`](crate::Stats::nfev).
#[derive(Debug)]
pub struct Counted<'a, F> {
    inner: &'a mut F,
    count: usize,
}

impl<'a, F> Counted<'a, F> {
    /// Starts counting evaluations of `inner` from zero.
    pub fn new(inner: &'a mut F) -> Self {
        Counted { inner, count: 0 }
    }
    /// The number of evaluations so far.
    pub fn count(&self) -> usize {
        self.count
    }
}

impl<T: Real, S: State<T>, F: System<T, S>> System<T, S> for Counted<'_, F> {
    #[inline(always)]
    fn rhs(&mut self, t: T, y: &S, dy: &mut S) {
        self.count += 1;
        self.inner.rhs(t, y, dy)
    }
}
