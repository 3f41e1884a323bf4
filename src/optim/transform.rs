//! Gradient clipping and `maximize`, wrapped around any optimiser.

use super::{buffer, check, check_dims, OptimError, Optimizer};
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// PyTorch's `torch.nn.utils.clip_grad_norm_(g, max_norm)` (`norm_type = 2`,
/// `error_if_nonfinite = False`) on one tensor, in place: with
/// `n = ||g||_2`, multiplies `g` by `min(1, max_norm / (n + 1e-6))` and
/// returns `n` (the norm *before* clipping, as PyTorch does).
///
/// Note the `1e-6`: a gradient whose norm lies in `(max_norm - 1e-6,
/// max_norm]` is scaled slightly too. A non-finite norm makes the
/// coefficient NaN (or 0 for an infinite norm) and propagates, as in
/// PyTorch; the [`minimize`](crate::minimize::minimize) driver then reports
/// a divergence.
///
/// ```
/// use odestride::optim::clip_grad_norm;
/// let mut g = [3.0_f64, 4.0];
/// let n = clip_grad_norm(&mut g, 1.0);
/// assert_eq!(n, 5.0);
/// assert!((g[0] - 3.0 / (5.0 + 1e-6)).abs() < 1e-15);
/// ```
pub fn clip_grad_norm<T: Real, S: State<T>>(g: &mut S, max_norm: T) -> T {
    let n = g.as_slice().iter().fold(T::zero(), |a, v| a + *v * *v).sqrt();
    let coef = max_norm / (n + T::lit(1e-6));
    // torch.clamp(coef, max=1): NaN stays NaN.
    let coef = if coef > T::one() { T::one() } else { coef };
    g.as_mut_slice().iter_mut().for_each(|v| *v = *v * coef);
    n
}

/// PyTorch's `torch.nn.utils.clip_grad_value_(g, clip_value)`: clamps every
/// component to `[-clip_value, clip_value]` in place (NaN stays NaN).
///
/// ```
/// use odestride::optim::clip_grad_value;
/// let mut g = [3.0_f64, -0.2, -7.0];
/// clip_grad_value(&mut g, 0.5);
/// assert_eq!(g, [0.5, -0.2, -0.5]);
/// ```
pub fn clip_grad_value<T: Real, S: State<T>>(g: &mut S, clip_value: T) {
    for v in g.as_mut_slice() {
        if *v > clip_value {
            *v = clip_value;
        } else if *v < -clip_value {
            *v = -clip_value;
        }
    }
}

/// Any [`Optimizer`] with its gradient preprocessed: clipped by value
/// ([`clip_grad_value`]), then by global norm ([`clip_grad_norm`]), then
/// negated if [`maximize`](Transformed::maximize) is on; the inner optimiser
/// steps with the result.
///
/// `maximize(true)` is PyTorch's `maximize=True` of every `torch.optim`
/// optimiser: the gradient is negated *before* weight decay and the moment
/// updates, which is exactly what negating the gradient handed to the inner
/// optimiser does (weight decay is applied inside it), so the parameters
/// ascend `f`. Clipping is the usual PyTorch pattern of calling
/// `clip_grad_norm_` / `clip_grad_value_` between `backward()` and
/// `optimizer.step()`.
///
/// The processed gradient lives in a buffer made on the first step (none for
/// stack states); later steps do not allocate. The wrapper serialises with
/// the inner optimiser's state.
///
/// ```
/// use odestride::optim::{Optimizer, Sgd, Transformed};
/// // SGD that ascends, with the gradient clipped to norm 1
/// let mut opt = Transformed::new(Sgd::new(0.1)).clip_norm(1.0).maximize(true);
/// let mut x = [0.0_f64, 0.0];
/// opt.step(&mut x, &[3.0, 4.0]).unwrap();
/// let c = 1.0 / (5.0 + 1e-6);
/// assert!((x[0] - 0.1 * 3.0 * c).abs() < 1e-15 && (x[1] - 0.1 * 4.0 * c).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Transformed<T, S, O> {
    opt: O,
    max_norm: Option<T>,
    clip_value: Option<T>,
    maximize: bool,
    buf: Option<S>,
    last_norm: Option<T>,
}

impl<T: Real, S: State<T>, O: Optimizer<T, S>> Transformed<T, S, O> {
    /// Wraps `opt` with no clipping and `maximize = false` (a no-op wrapper
    /// until an option is set).
    pub fn new(opt: O) -> Self {
        Transformed {
            opt,
            max_norm: None,
            clip_value: None,
            maximize: false,
            buf: None,
            last_norm: None,
        }
    }
    /// Clip by global 2-norm to `max_norm` (> 0), PyTorch's
    /// `clip_grad_norm_` with its `1e-6` in the denominator.
    pub fn clip_norm(mut self, max_norm: T) -> Self {
        self.max_norm = Some(max_norm);
        self
    }
    /// Clamp every component to `[-clip_value, clip_value]` (`clip_value >=
    /// 0`), PyTorch's `clip_grad_value_`.
    pub fn clip_value(mut self, clip_value: T) -> Self {
        self.clip_value = Some(clip_value);
        self
    }
    /// Step along `+g` (ascend), PyTorch's `maximize=True`.
    pub fn maximize(mut self, on: bool) -> Self {
        self.maximize = on;
        self
    }
    /// The gradient norm before norm clipping at the last step (what
    /// `clip_grad_norm_` returns); `None` without norm clipping or before the
    /// first step.
    pub fn last_norm(&self) -> Option<T> {
        self.last_norm
    }
    /// The inner optimiser.
    pub fn inner(&self) -> &O {
        &self.opt
    }
    /// The inner optimiser, mutably.
    pub fn inner_mut(&mut self) -> &mut O {
        &mut self.opt
    }
}

impl<T: Real, S: State<T>, O: Optimizer<T, S>> Optimizer<T, S> for Transformed<T, S, O> {
    fn name(&self) -> &str {
        self.opt.name()
    }
    fn lr(&self) -> T {
        self.opt.lr()
    }
    fn set_lr(&mut self, lr: T) {
        self.opt.set_lr(lr)
    }
    fn steps(&self) -> usize {
        self.opt.steps()
    }
    fn reset(&mut self) {
        self.opt.reset();
        self.last_norm = None;
    }
    fn step(&mut self, x: &mut S, grad: &S) -> Result<(), OptimError> {
        const N: &str = "gradient transform";
        if let Some(m) = self.max_norm {
            check(N, "max_norm", m, m > T::zero(), "must be finite and > 0")?;
        }
        if let Some(c) = self.clip_value {
            check(N, "clip_value", c, c >= T::zero(), "must be finite and >= 0")?;
        }
        check_dims(x, grad, None)?;
        if self.max_norm.is_none() && self.clip_value.is_none() && !self.maximize {
            return self.opt.step(x, grad);
        }
        if self.buf.as_ref().is_some_and(|b| b.dim() != grad.dim()) {
            self.buf = None;
        }
        let b = buffer(&mut self.buf, grad, T::zero());
        b.as_mut_slice().copy_from_slice(grad.as_slice());
        if let Some(c) = self.clip_value {
            clip_grad_value(b, c);
        }
        if let Some(m) = self.max_norm {
            self.last_norm = Some(clip_grad_norm(b, m));
        }
        if self.maximize {
            b.as_mut_slice().iter_mut().for_each(|v| *v = -*v);
        }
        self.opt.step(x, b)
    }
    fn observe_loss(&mut self, loss: T) {
        self.opt.observe_loss(loss)
    }
}
