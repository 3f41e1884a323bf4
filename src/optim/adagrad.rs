//! Adagrad, PyTorch's `torch.optim.Adagrad`.

use super::{buffer, check, check_dims, check_lr, OptimError, Optimizer};
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Adagrad (Duchi, Hazan & Singer 2011) with the semantics of
/// `torch.optim.Adagrad`.
///
/// At step `t = 1, 2, ...`, per component, with `d = g + weight_decay * x`:
///
/// ```text
/// clr = lr / (1 + (t - 1) * lr_decay)
/// s   = s + d * d                         (s starts at initial_accumulator_value)
/// x   = x - clr * d / (sqrt(s) + eps)
/// ```
///
/// `eps` is added *outside* the square root (default 1e-10).
///
/// [`Adagrad::optax`] selects optax's `optax.adagrad` instead (optax 0.2.8,
/// `scale_by_rss`): `initial_accumulator_value` 0.1 and `eps = 1e-7`
/// *inside* the root, with optax's guard for an empty accumulator:
///
/// ```text
/// s = d * d + s
/// x = x - clr * (s > 0 ? d / sqrt(s + eps) : 0)
/// ```
///
/// ```
/// use odestride::optim::{Adagrad, Optimizer};
/// let mut opt = Adagrad::optax(0.1);
/// let mut x = 1.0_f64;
/// opt.step(&mut x, &0.5).unwrap(); // s = 0.1 + 0.25
/// assert!((x - (1.0 - 0.1 * 0.5 / (0.35_f64 + 1e-7).sqrt())).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Adagrad<T, S> {
    lr: T,
    lr_decay: T,
    weight_decay: T,
    initial_accumulator_value: T,
    eps: T,
    #[cfg_attr(feature = "serde", serde(default))]
    eps_in_sqrt: bool,
    sum: Option<S>,
    t: usize,
}

impl<T: Real, S: State<T>> Adagrad<T, S> {
    /// Adagrad with PyTorch's defaults (`lr_decay = 0`, `weight_decay = 0`,
    /// `initial_accumulator_value = 0`, `eps = 1e-10`).
    pub fn new(lr: T) -> Self {
        Adagrad {
            lr,
            lr_decay: T::zero(),
            weight_decay: T::zero(),
            initial_accumulator_value: T::zero(),
            eps: T::lit(1e-10),
            eps_in_sqrt: false,
            sum: None,
            t: 0,
        }
    }
    /// optax's `optax.adagrad(lr)`: `initial_accumulator_value = 0.1`,
    /// `eps = 1e-7` inside the square root.
    pub fn optax(lr: T) -> Self {
        Self::new(lr)
            .initial_accumulator_value(T::lit(0.1))
            .eps(T::lit(1e-7))
            .eps_in_sqrt(true)
    }
    /// Put `eps` inside the square root, `d / sqrt(s + eps)` and 0 where
    /// `s = 0` (optax), instead of `d / (sqrt(s) + eps)` (PyTorch, the
    /// default).
    pub fn eps_in_sqrt(mut self, on: bool) -> Self {
        self.eps_in_sqrt = on;
        self
    }
    /// Learning-rate decay (>= 0).
    pub fn lr_decay(mut self, v: T) -> Self {
        self.lr_decay = v;
        self
    }
    /// L2 penalty added to the gradient (>= 0).
    pub fn weight_decay(mut self, v: T) -> Self {
        self.weight_decay = v;
        self
    }
    /// Starting value of the squared-gradient sum (>= 0).
    pub fn initial_accumulator_value(mut self, v: T) -> Self {
        self.initial_accumulator_value = v;
        self
    }
    /// Added to `sqrt(s)` in the denominator (>= 0).
    pub fn eps(mut self, v: T) -> Self {
        self.eps = v;
        self
    }
    /// The squared-gradient sum.
    pub fn accumulator(&self) -> Option<&S> {
        self.sum.as_ref()
    }
}

impl<T: Real, S: State<T>> Optimizer<T, S> for Adagrad<T, S> {
    fn name(&self) -> &str {
        if self.eps_in_sqrt {
            "Adagrad (optax)"
        } else {
            "Adagrad"
        }
    }
    fn lr(&self) -> T {
        self.lr
    }
    fn set_lr(&mut self, lr: T) {
        self.lr = lr;
    }
    fn steps(&self) -> usize {
        self.t
    }
    fn reset(&mut self) {
        self.sum = None;
        self.t = 0;
    }
    fn step(&mut self, x: &mut S, grad: &S) -> Result<(), OptimError> {
        const N: &str = "Adagrad";
        let ge0 = "must be finite and >= 0";
        check_lr(N, self.lr)?;
        check(N, "lr_decay", self.lr_decay, self.lr_decay >= T::zero(), ge0)?;
        check(
            N,
            "weight_decay",
            self.weight_decay,
            self.weight_decay >= T::zero(),
            ge0,
        )?;
        let iav = self.initial_accumulator_value;
        check(N, "initial_accumulator_value", iav, iav >= T::zero(), ge0)?;
        check(N, "eps", self.eps, self.eps >= T::zero(), ge0)?;
        check_dims(x, grad, self.sum.as_ref())?;
        self.t += 1;
        let step = T::lit(self.t as f64);
        let clr = self.lr / (T::one() + (step - T::one()) * self.lr_decay);
        let (wd, eps, optax) = (self.weight_decay, self.eps, self.eps_in_sqrt);
        let s = buffer(&mut self.sum, grad, iav).as_mut_slice();
        for ((xi, gi), si) in x.as_mut_slice().iter_mut().zip(grad.as_slice()).zip(s.iter_mut()) {
            let mut d = *gi;
            if wd != T::zero() {
                d = d + wd * *xi;
            }
            if optax {
                *si = d * d + *si;
                let u = if *si > T::zero() {
                    d / (*si + eps).sqrt()
                } else {
                    T::zero()
                };
                *xi = *xi + (-clr) * u;
            } else {
                *si = *si + d * d;
                let std = si.sqrt() + eps;
                *xi = *xi + (-clr) * d / std;
            }
        }
        Ok(())
    }
}
