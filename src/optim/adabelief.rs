//! AdaBelief, following optax's `optax.adabelief`.

use super::{buffer, check, check_betas, check_dims, check_lr, OptimError, Optimizer};
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// AdaBelief (Zhuang et al., NeurIPS 2020) exactly as `optax.adabelief`
/// (optax 0.2.8: `scale_by_belief` then `scale_by_learning_rate`), which
/// follows the paper's Algorithm 2: the second moment tracks the squared
/// *prediction error* `(g - m_t)^2` with the *updated* `m_t`.
///
/// At step `t = 1, 2, ...`, per component:
///
/// ```text
/// m = (1 - beta1) * g + beta1 * m
/// s = (1 - beta2) * (g - m)^2 + beta2 * s + eps_root
/// m_hat = m / (1 - beta1^t)      (Nesterov: beta1 * m / (1 - beta1^(t+1)) + (1 - beta1) * g / (1 - beta1^t))
/// s_hat = s / (1 - beta2^t)
/// x = x - lr * m_hat / (sqrt(s_hat) + eps)
/// ```
///
/// Defaults as optax: betas (0.9, 0.999), `eps = 1e-16`, `eps_root = 1e-16`,
/// no Nesterov. This differs from the authors' `adabelief-pytorch` package
/// (`eps = 1e-16` added inside `s`, and bias correction `sqrt(1-beta2^t)`
/// applied as in PyTorch's Adam, optional rectification and weight
/// decoupling); optax's form is the one implemented and checked here. There
/// is no weight decay (optax applies it as a separate transformation).
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AdaBelief<T, S> {
    lr: T,
    beta1: T,
    beta2: T,
    eps: T,
    eps_root: T,
    nesterov: bool,
    m: Option<S>,
    s: Option<S>,
    t: usize,
}

impl<T: Real, S: State<T>> AdaBelief<T, S> {
    /// AdaBelief with optax's defaults.
    pub fn new(lr: T) -> Self {
        AdaBelief {
            lr,
            beta1: T::lit(0.9),
            beta2: T::lit(0.999),
            eps: T::lit(1e-16),
            eps_root: T::lit(1e-16),
            nesterov: false,
            m: None,
            s: None,
            t: 0,
        }
    }
    /// The two decay rates, each in [0, 1).
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    /// Added to `sqrt(s_hat)` (>= 0).
    pub fn eps(mut self, v: T) -> Self {
        self.eps = v;
        self
    }
    /// Added to `s` at every step, inside the root (>= 0).
    pub fn eps_root(mut self, v: T) -> Self {
        self.eps_root = v;
        self
    }
    /// Nesterov momentum (optax's `nesterov=True`).
    pub fn nesterov(mut self, on: bool) -> Self {
        self.nesterov = on;
        self
    }
}

impl<T: Real, S: State<T>> Optimizer<T, S> for AdaBelief<T, S> {
    fn name(&self) -> &str {
        "AdaBelief"
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
        self.m = None;
        self.s = None;
        self.t = 0;
    }
    fn step(&mut self, x: &mut S, grad: &S) -> Result<(), OptimError> {
        const N: &str = "AdaBelief";
        let ge0 = "must be finite and >= 0";
        check_lr(N, self.lr)?;
        let (b1, b2) = (self.beta1, self.beta2);
        check_betas(N, b1, b2)?;
        check(N, "eps", self.eps, self.eps >= T::zero(), ge0)?;
        check(N, "eps_root", self.eps_root, self.eps_root >= T::zero(), ge0)?;
        check_dims(x, grad, self.m.as_ref())?;
        buffer(&mut self.m, grad, T::zero());
        buffer(&mut self.s, grad, T::zero());
        check_dims(x, grad, self.s.as_ref())?;
        self.t += 1;
        let count = T::lit(self.t as f64);
        let bc1 = T::one() - b1.powf(count);
        let bc1_next = T::one() - b1.powf(count + T::one());
        let bc2 = T::one() - b2.powf(count);
        let (one_m_b1, one_m_b2) = (T::one() - b1, T::one() - b2);
        let (lr, eps, eps_root, nesterov) = (self.lr, self.eps, self.eps_root, self.nesterov);
        let (Some(m), Some(s)) = (self.m.as_mut(), self.s.as_mut()) else {
            return Ok(());
        };
        let (ms, ss) = (m.as_mut_slice(), s.as_mut_slice());
        for (i, (xi, gi)) in x.as_mut_slice().iter_mut().zip(grad.as_slice()).enumerate() {
            let g = *gi;
            ms[i] = one_m_b1 * g + b1 * ms[i];
            let pe = g - ms[i];
            ss[i] = one_m_b2 * (pe * pe) + b2 * ss[i];
            ss[i] = ss[i] + eps_root;
            let m_hat = if nesterov {
                b1 * (ms[i] / bc1_next) + one_m_b1 * (g / bc1)
            } else {
                ms[i] / bc1
            };
            let s_hat = ss[i] / bc2;
            let u = m_hat / (s_hat.sqrt() + eps);
            *xi = *xi + (-lr) * u;
        }
        Ok(())
    }
}
