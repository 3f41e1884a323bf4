//! Switching policies: one minimiser first, another once a criterion fires.

use super::{param, MinimizeError, Minimizer, Progress};
use crate::gradient_flow::Objective;
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// When [`Switching`] hands over from its first minimiser to its second.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum SwitchWhen<T> {
    /// After this many iterations of the first minimiser.
    After(usize),
    /// On a loss plateau: every `window` iterations the loss is compared
    /// with the loss `window` iterations earlier, `f_then`; the switch
    /// happens when `f_then - f_now <= rel * max(|f_then|, 1)` (including
    /// when the loss rose). `window >= 1`, `rel >= 0`.
    Plateau {
        /// Iterations between comparisons.
        window: usize,
        /// Relative decrease below which the loss counts as flat.
        rel: T,
    },
}

/// Runs `first` (typically Adam) until a [`SwitchWhen`] criterion says its
/// progress has flattened out, then `second` (typically [`Lbfgs`](super::Lbfgs))
/// from the point reached — the Adam-then-L-BFGS practice of
/// physics-informed network training (Raissi, Perdikaris & Karniadakis
/// 2019): the first-order method crosses the rough, badly scaled early
/// landscape, the quasi-Newton method converges fast once the iterate sits in
/// a basin where the gradient is reliable.
///
/// The first minimiser also hands over when it stalls. `second.start` is
/// called at the switch with the current point, value and gradient (no extra
/// evaluation). One `Switching` can run several times: `start` resets the
/// phase. [`switched_at`](Switching::switched_at) reports the iteration of
/// the switch.
///
/// ```
/// use odestride::gradient_flow::objective;
/// use odestride::minimize::{minimize, Criteria, Discrete, Lbfgs, Status, SwitchWhen, Switching};
/// use odestride::optim::Adam;
/// let mut f = objective(|x: &[f64; 2]| x[0] * x[0] + 100.0 * x[1] * x[1], |x: &[f64; 2], g: &mut [f64; 2]| {
///     g[0] = 2.0 * x[0];
///     g[1] = 200.0 * x[1];
/// });
/// let mut m = Switching::new(Discrete::new(Adam::new(0.1)), Lbfgs::new(), SwitchWhen::After(20));
/// let run = minimize(&mut m, &mut f, [1.0, 1.0], &Criteria::default().gtol(1e-10)).unwrap();
/// assert_eq!(run.status, Status::GradientTolerance);
/// assert_eq!(m.switched_at(), Some(20));
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Switching<T, A, B> {
    first: A,
    second: B,
    when: SwitchWhen<T>,
    iter: usize,
    f_ref: T,
    switched_at: Option<usize>,
}

impl<T: Real, A, B> Switching<T, A, B> {
    /// `first` until `when` fires, then `second`.
    pub fn new(first: A, second: B, when: SwitchWhen<T>) -> Self {
        Switching {
            first,
            second,
            when,
            iter: 0,
            f_ref: T::zero(),
            switched_at: None,
        }
    }
    /// The iteration after which the second minimiser took over (`None`
    /// while the first is running).
    pub fn switched_at(&self) -> Option<usize> {
        self.switched_at
    }
    /// The first minimiser.
    pub fn first(&self) -> &A {
        &self.first
    }
    /// The second minimiser.
    pub fn second(&self) -> &B {
        &self.second
    }
}

impl<T: Real, S: State<T>, A: Minimizer<T, S>, B: Minimizer<T, S>> Minimizer<T, S> for Switching<T, A, B> {
    fn name(&self) -> String {
        format!("{} -> {}", self.first.name(), self.second.name())
    }
    fn start(&mut self, x0: &S, f0: T, g0: &S) -> Result<(), MinimizeError> {
        const N: &str = "Switching";
        match self.when {
            SwitchWhen::After(_) => {}
            SwitchWhen::Plateau { window, rel } => {
                let w = T::lit(window as f64);
                param(N, "window", w, window >= 1, "must be >= 1")?;
                param(N, "rel", rel, rel >= T::zero(), "must be finite and >= 0")?;
            }
        }
        self.iter = 0;
        self.f_ref = f0;
        self.switched_at = None;
        self.first.start(x0, f0, g0)
    }
    fn iterate(
        &mut self,
        obj: &mut dyn Objective<T, S>,
        x: &mut S,
        f: &mut T,
        g: &mut S,
    ) -> Result<Progress<T>, MinimizeError> {
        if self.switched_at.is_some() {
            return self.second.iterate(obj, x, f, g);
        }
        if let SwitchWhen::After(0) = self.when {
            self.switched_at = Some(0);
            self.second.start(x, *f, g)?;
            return self.second.iterate(obj, x, f, g);
        }
        let progress = self.first.iterate(obj, x, f, g)?;
        self.iter += 1;
        let switch = match (&progress, self.when) {
            (Progress::Stalled(_), _) => true,
            (_, SwitchWhen::After(n)) => self.iter >= n,
            (_, SwitchWhen::Plateau { window, rel }) => {
                if self.iter.is_multiple_of(window.max(1)) {
                    let flat = self.f_ref - *f <= rel * self.f_ref.abs().max(T::one());
                    self.f_ref = *f;
                    flat
                } else {
                    false
                }
            }
        };
        if switch && f.is_finite() && g.is_finite() {
            self.switched_at = Some(self.iter);
            self.second.start(x, *f, g)?;
            if let Progress::Stalled(_) = progress {
                return self.second.iterate(obj, x, f, g);
            }
        }
        Ok(progress)
    }
    fn observe(&mut self, f: T) {
        if self.switched_at.is_some() {
            self.second.observe(f)
        } else {
            self.first.observe(f)
        }
    }
}
