//! Stochastic gradient descent with momentum, PyTorch's `torch.optim.SGD`.

use super::{buffer, check, check_dims, check_lr, OptimError, Optimizer};
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Gradient descent, heavy-ball momentum and Nesterov momentum with the
/// semantics of `torch.optim.SGD` (weight decay, dampening, first-step
/// buffer = gradient).
///
/// Per component, with `d = g + weight_decay * x`:
///
/// ```text
/// b = d                                   (first step)
/// b = momentum * b + (1 - dampening) * d  (later steps)
/// d = d + momentum * b   if nesterov,  else  d = b      (when momentum != 0)
/// x = x - lr * d
/// ```
///
/// With the defaults (`momentum = 0`, `weight_decay = 0`) it is plain
/// gradient descent `x <- x - lr * g`, bit for bit explicit Euler on the
/// gradient flow.
///
/// ```
/// use odestride::optim::{Optimizer, Sgd};
/// let mut opt = Sgd::new(0.1).momentum(0.9).nesterov(true);
/// let mut x = 1.0_f64;
/// opt.step(&mut x, &2.0).unwrap(); // b = 2, d = 2 + 0.9 * 2
/// assert!((x - (1.0 - 0.1 * 3.8)).abs() < 1e-15);
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Sgd<T, S> {
    lr: T,
    momentum: T,
    dampening: T,
    nesterov: bool,
    weight_decay: T,
    buf: Option<S>,
    t: usize,
}

impl<T: Real, S: State<T>> Sgd<T, S> {
    /// Plain gradient descent with learning rate `lr`.
    pub fn new(lr: T) -> Self {
        Sgd {
            lr,
            momentum: T::zero(),
            dampening: T::zero(),
            nesterov: false,
            weight_decay: T::zero(),
            buf: None,
            t: 0,
        }
    }
    /// Momentum factor (>= 0; default 0).
    pub fn momentum(mut self, m: T) -> Self {
        self.momentum = m;
        self
    }
    /// Dampening of the gradient in the buffer update (default 0; must be 0
    /// with Nesterov).
    pub fn dampening(mut self, d: T) -> Self {
        self.dampening = d;
        self
    }
    /// Nesterov momentum (needs `momentum > 0` and `dampening = 0`).
    pub fn nesterov(mut self, on: bool) -> Self {
        self.nesterov = on;
        self
    }
    /// L2 penalty added to the gradient, `g + wd * x` (>= 0; default 0).
    pub fn weight_decay(mut self, wd: T) -> Self {
        self.weight_decay = wd;
        self
    }
    /// The momentum buffer (after the first step with momentum).
    pub fn momentum_buffer(&self) -> Option<&S> {
        self.buf.as_ref()
    }

    fn validate(&self) -> Result<(), OptimError> {
        const N: &str = "SGD";
        check_lr(N, self.lr)?;
        check(
            N,
            "momentum",
            self.momentum,
            self.momentum >= T::zero(),
            "must be finite and >= 0",
        )?;
        check(N, "dampening", self.dampening, true, "must be finite")?;
        check(
            N,
            "weight_decay",
            self.weight_decay,
            self.weight_decay >= T::zero(),
            "must be finite and >= 0",
        )?;
        if self.nesterov {
            check(
                N,
                "momentum",
                self.momentum,
                self.momentum > T::zero(),
                "Nesterov momentum needs momentum > 0",
            )?;
            check(
                N,
                "dampening",
                self.dampening,
                self.dampening == T::zero(),
                "Nesterov momentum needs dampening = 0",
            )?;
        }
        Ok(())
    }
}

impl<T: Real, S: State<T>> Optimizer<T, S> for Sgd<T, S> {
    fn name(&self) -> &str {
        match (self.momentum != T::zero(), self.nesterov) {
            (false, _) => "SGD",
            (true, false) => "SGD momentum",
            (true, true) => "SGD Nesterov",
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
        self.buf = None;
        self.t = 0;
    }
    fn step(&mut self, x: &mut S, grad: &S) -> Result<(), OptimError> {
        self.validate()?;
        check_dims(x, grad, self.buf.as_ref())?;
        let (lr, mom, wd) = (self.lr, self.momentum, self.weight_decay);
        let one_m_damp = T::one() - self.dampening;
        let first = self.buf.is_none();
        let use_mom = mom != T::zero();
        let xs = x.as_mut_slice();
        let gs = grad.as_slice();
        if use_mom {
            let b = buffer(&mut self.buf, grad, T::zero()).as_mut_slice();
            for ((xi, gi), bi) in xs.iter_mut().zip(gs).zip(b.iter_mut()) {
                let mut d = *gi;
                if wd != T::zero() {
                    d = d + wd * *xi;
                }
                *bi = if first { d } else { *bi * mom + one_m_damp * d };
                d = if self.nesterov { d + mom * *bi } else { *bi };
                *xi = *xi + (-lr) * d;
            }
        } else {
            for (xi, gi) in xs.iter_mut().zip(gs) {
                let mut d = *gi;
                if wd != T::zero() {
                    d = d + wd * *xi;
                }
                *xi = *xi - lr * d;
            }
        }
        self.t += 1;
        Ok(())
    }
}
