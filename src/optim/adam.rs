//! Adam, AMSGrad and AdamW, PyTorch's `torch.optim.Adam` / `AdamW`.

use super::{buffer, check, check_betas, check_dims, check_lr, lerp, OptimError, Optimizer};
use crate::{Real, State};
#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Adam (Kingma & Ba 2015) with bias correction, optionally AMSGrad, with
/// coupled (L2, `Adam`) or decoupled (`AdamW`, Loshchilov & Hutter 2019)
/// weight decay — the semantics of `torch.optim.Adam` and `torch.optim.AdamW`.
///
/// At step `t = 1, 2, ...`, per component:
///
/// ```text
/// AdamW: x = x * (1 - lr * weight_decay);  d = g
/// Adam:  d = g + weight_decay * x
/// m = lerp(m, d, 1 - beta1)            (= beta1 m + (1 - beta1) d)
/// v = beta2 * v + (1 - beta2) * d^2
/// vmax = max(vmax, v)                  (AMSGrad; vmax starts at 0)
/// denom = sqrt(v or vmax) / sqrt(1 - beta2^t) + eps
/// x = x - (lr / (1 - beta1^t)) * m / denom
/// ```
///
/// Note PyTorch's placement of `eps`: it is added to the *bias-corrected*
/// root, `sqrt(v_hat) + eps`, not to `sqrt(v)`.
///
/// [`Adam::amsgrad_optax`] selects optax's `optax.amsgrad` (optax 0.2.8,
/// `scale_by_amsgrad`, `eps_root = 0`), which keeps the running maximum of
/// the *bias-corrected* second moment where PyTorch keeps the maximum of the
/// raw one (the two differ whenever `v` grows while `v / (1 - beta2^t)`
/// shrinks, typically in the first steps):
///
/// ```text
/// m = (1 - beta1) * d + beta1 * m;   v = (1 - beta2) * d^2 + beta2 * v
/// vmax = max(vmax, v / (1 - beta2^t))
/// x = x - lr * (m / (1 - beta1^t)) / (sqrt(vmax) + eps)
/// ```
///
/// ```
/// use odestride::optim::{Adam, Optimizer};
/// let mut opt = Adam::new(0.1);
/// let mut x = 1.0_f64;
/// opt.step(&mut x, &0.5).unwrap(); // first step moves by lr * g/(|g| + eps')
/// assert!((x - 0.9).abs() < 1e-7);
/// ```
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Adam<T, S> {
    lr: T,
    beta1: T,
    beta2: T,
    eps: T,
    weight_decay: T,
    decoupled: bool,
    amsgrad: bool,
    #[cfg_attr(feature = "serde", serde(default))]
    amsgrad_corrected: bool,
    m: Option<S>,
    v: Option<S>,
    vmax: Option<S>,
    t: usize,
}

impl<T: Real, S: State<T>> Adam<T, S> {
    /// Adam with PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight
    /// decay.
    pub fn new(lr: T) -> Self {
        Adam {
            lr,
            beta1: T::lit(0.9),
            beta2: T::lit(0.999),
            eps: T::lit(1e-8),
            weight_decay: T::zero(),
            decoupled: false,
            amsgrad: false,
            amsgrad_corrected: false,
            m: None,
            v: None,
            vmax: None,
            t: 0,
        }
    }
    /// AdamW with PyTorch's defaults (as [`Adam::new`] but decoupled weight
    /// decay 1e-2).
    pub fn adamw(lr: T) -> Self {
        let mut a = Self::new(lr);
        a.decoupled = true;
        a.weight_decay = T::lit(1e-2);
        a
    }
    /// AMSGrad with PyTorch's defaults.
    pub fn amsgrad(lr: T) -> Self {
        Self::new(lr).with_amsgrad(true)
    }
    /// optax's `optax.amsgrad(lr)`: AMSGrad on the maximum of the
    /// bias-corrected second moment (defaults as PyTorch's: betas (0.9,
    /// 0.999), eps 1e-8).
    pub fn amsgrad_optax(lr: T) -> Self {
        let mut a = Self::amsgrad(lr);
        a.amsgrad_corrected = true;
        a
    }
    /// The two decay rates, each in [0, 1).
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    /// Added to the bias-corrected root (>= 0).
    pub fn eps(mut self, v: T) -> Self {
        self.eps = v;
        self
    }
    /// Weight decay (>= 0): L2 on the gradient for Adam, decoupled
    /// shrinking of `x` for AdamW.
    pub fn weight_decay(mut self, v: T) -> Self {
        self.weight_decay = v;
        self
    }
    /// Decoupled weight decay (AdamW) or coupled (Adam).
    pub fn decoupled_weight_decay(mut self, on: bool) -> Self {
        self.decoupled = on;
        self
    }
    /// Use the running maximum of `v` (AMSGrad, PyTorch's rule: the maximum
    /// of the raw `v`). Turning it off also turns off
    /// [`amsgrad_optax`](Adam::amsgrad_optax)'s rule.
    pub fn with_amsgrad(mut self, on: bool) -> Self {
        self.amsgrad = on;
        if !on {
            self.amsgrad_corrected = false;
        }
        self
    }
    /// The first and second moment estimates (after a step).
    pub fn moments(&self) -> Option<(&S, &S)> {
        self.m.as_ref().zip(self.v.as_ref())
    }
}

impl<T: Real, S: State<T>> Optimizer<T, S> for Adam<T, S> {
    fn name(&self) -> &str {
        if self.amsgrad && self.amsgrad_corrected {
            return if self.decoupled {
                "AdamW AMSGrad (optax)"
            } else {
                "AMSGrad (optax)"
            };
        }
        match (self.decoupled, self.amsgrad) {
            (false, false) => "Adam",
            (false, true) => "AMSGrad",
            (true, false) => "AdamW",
            (true, true) => "AdamW AMSGrad",
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
        self.m = None;
        self.v = None;
        self.vmax = None;
        self.t = 0;
    }
    fn step(&mut self, x: &mut S, grad: &S) -> Result<(), OptimError> {
        const N: &str = "Adam";
        let ge0 = "must be finite and >= 0";
        check_lr(N, self.lr)?;
        let (b1, b2) = (self.beta1, self.beta2);
        check_betas(N, b1, b2)?;
        check(N, "eps", self.eps, self.eps >= T::zero(), ge0)?;
        check(
            N,
            "weight_decay",
            self.weight_decay,
            self.weight_decay >= T::zero(),
            ge0,
        )?;
        check_dims(x, grad, self.m.as_ref())?;
        buffer(&mut self.m, grad, T::zero());
        buffer(&mut self.v, grad, T::zero());
        if self.amsgrad {
            buffer(&mut self.vmax, grad, T::zero());
        }
        for other in [self.v.as_ref(), self.vmax.as_ref()].into_iter().flatten() {
            check_dims(x, grad, Some(other))?;
        }
        self.t += 1;
        let (lr, wd, eps) = (self.lr, self.weight_decay, self.eps);
        let step = T::lit(self.t as f64);
        let bc1 = T::one() - b1.powf(step);
        let bc2 = T::one() - b2.powf(step);
        let step_size = lr / bc1;
        let bc2_sqrt = bc2.sqrt();
        let shrink = T::one() - lr * wd;
        let (one_m_b1, one_m_b2) = (T::one() - b1, T::one() - b2);
        let corrected = self.amsgrad && self.amsgrad_corrected;
        let (Some(m), Some(v)) = (self.m.as_mut(), self.v.as_mut()) else {
            return Ok(());
        };
        let (ms, vs) = (m.as_mut_slice(), v.as_mut_slice());
        let mut vmax = self.vmax.as_mut().map(|s| s.as_mut_slice());
        let xs = x.as_mut_slice();
        let gs = grad.as_slice();
        for i in 0..xs.len() {
            let mut d = gs[i];
            if wd != T::zero() {
                if self.decoupled {
                    xs[i] = xs[i] * shrink;
                } else {
                    d = d + wd * xs[i];
                }
            }
            if corrected {
                if let Some(vm) = vmax.as_mut() {
                    ms[i] = one_m_b1 * d + b1 * ms[i];
                    vs[i] = one_m_b2 * (d * d) + b2 * vs[i];
                    let v_hat = vs[i] / bc2;
                    vm[i] = if v_hat.is_nan() || v_hat > vm[i] {
                        v_hat
                    } else {
                        vm[i]
                    };
                    xs[i] = xs[i] + (-lr) * ((ms[i] / bc1) / (vm[i].sqrt() + eps));
                    continue;
                }
            }
            ms[i] = lerp(ms[i], d, one_m_b1);
            vs[i] = vs[i] * b2 + one_m_b2 * d * d;
            let root = match vmax.as_mut() {
                Some(vm) => {
                    // torch.maximum: NaN propagates.
                    let mx = if vs[i].is_nan() || vs[i] > vm[i] {
                        vs[i]
                    } else {
                        vm[i]
                    };
                    vm[i] = mx;
                    mx.sqrt()
                }
                None => vs[i].sqrt(),
            };
            let denom = root / bc2_sqrt + eps;
            xs[i] = xs[i] + (-step_size) * ms[i] / denom;
        }
        Ok(())
    }
}
